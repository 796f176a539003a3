"""Running blocking code from the event loop: database work, and other slow work."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import connection

P = ParamSpec("P")
T = TypeVar("T")

# PostgreSQL serves many threads at once; SQLite (one writer) keeps Channels'
# single database thread.
PARALLEL_DB = connection.vendor != "sqlite"


def db(fn: Callable[P, T]) -> Callable[P, Awaitable[T]]:
    """``fn`` run in a database thread, off the event loop, with its signature kept.

    Channels' wrapper closes the thread's connection around each call: with
    the pool (``DB_POOL_SIZE``) that returns it to the pool.
    """
    wrapped: Callable[P, Awaitable[T]] = database_sync_to_async(
        fn, thread_sensitive=not PARALLEL_DB
    )
    return wrapped


_BLOCKING: ThreadPoolExecutor | None = None
# How much lower than the rest of the process the files threads run (Linux nice).
FILES_NICE = 10


def _yield_the_cpu() -> None:
    """A files thread gives way to the event loop and the database threads when the CPU
    is short: a burst of photo uploads must not slow the chat. Linux sets a nice
    value per thread (a thread is a task); elsewhere this does nothing."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), FILES_NICE)


def blocking(fn: Callable[P, T]) -> Callable[P, Awaitable[T]]:
    """``fn`` run in a small pool of its own, for work that is slow but needs no database
    (decoding an image, writing a file to storage): it never holds up the
    database threads that sends and subscribes wait on. ``CAUSEWAY_FILE_THREADS`` wide."""

    async def run(*args: P.args, **kwargs: P.kwargs) -> T:
        global _BLOCKING
        if _BLOCKING is None:
            _BLOCKING = ThreadPoolExecutor(
                max_workers=settings.CAUSEWAY_FILE_THREADS,
                thread_name_prefix="files",
                initializer=_yield_the_cpu,
            )
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(_BLOCKING, functools.partial(fn, *args, **kwargs))

    return run
