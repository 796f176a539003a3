"""Running blocking database code from the event loop."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from channels.db import database_sync_to_async
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
