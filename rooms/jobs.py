"""Background work: the bridge relay, the connectors' relay, the escalation acknowledgement
clock, e-mail digests, file clean-up, room exports, retention (hourly).

Runs in the worker process (``python manage.py run_worker``, the Procfile
``worker:`` line; several may run: outbox entries are claimed with SKIP
LOCKED and escalations handled under their row lock) or, on the embedded
single-process default, inside the web process (``InProcessWorker``).
"""

from __future__ import annotations

import asyncio
import datetime
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.conf import settings

from presence.store import get_store
from rooms.actions.digests import digest_candidates, send_digests
from rooms.actions.escalation_clock import run_escalation_clock
from rooms.actions.exports import purge_expired_exports, run_next_export
from rooms.actions.files import purge_released_uploads
from rooms.actions.retention import do_apply_retention
from rooms.bridge.relay import relay_all
from rooms.connectors.relay import do_relay_connectors

logger = logging.getLogger("causeway.jobs")

RELAY_SECONDS = 0.25
CLOCK_SECONDS = 30.0
# Retention counts in days: once an hour removes what expired within the hour.
RETENTION_SECONDS = 3600.0


def tick(now: datetime.datetime | None = None) -> dict[str, Any]:
    """One pass of every job; returns what it did."""
    return {
        "relayed": relay_all(now),
        "connectors_delivered": do_relay_connectors(now),
        "escalations_notified": run_escalation_clock(now),
        "digests_sent": _digests_now(now),
        "uploads_purged": purge_released_uploads(now),
        "exports_built": _exports_now(now),
        "exports_purged": purge_expired_exports(now),
        "retention_removed": sum(do_apply_retention(now).values()),
    }


def _exports_now(now: datetime.datetime | None) -> list[int]:
    built = []
    while (export := run_next_export(now)) is not None:
        built.append(export)
    return built


def _digests_now(now: datetime.datetime | None) -> int:
    candidates = digest_candidates(now)
    online = async_to_sync(online_of)(candidates) if candidates else set()
    return send_digests(now, online=online, candidates=candidates)


async def online_of(people: list[int]) -> set[int]:
    """Who of ``people`` has a socket open now (the presence store, on any process)."""
    states = await get_store().states(people)
    return {person for person, state in states.items() if state != "offline"}


async def run_digests() -> int:
    candidates = await database_sync_to_async(digest_candidates)()
    if not candidates:
        return 0
    online = await online_of(candidates)
    sent: int = await database_sync_to_async(send_digests)(online=online, candidates=candidates)
    return sent


async def run_forever(
    relay_interval: float = RELAY_SECONDS, clock_interval: float = CLOCK_SECONDS
) -> None:
    """Relay the outbox every ``relay_interval`` and run the clock every ``clock_interval``."""
    since_clock = clock_interval
    since_retention = RETENTION_SECONDS
    while True:
        try:
            relayed = await database_sync_to_async(relay_all)()
            if relayed:
                logger.info("bridge relayed %s entries", relayed)
            # After the bridge: a mirror copy it just wrote goes out in the same pass.
            delivered = await database_sync_to_async(do_relay_connectors)()
            if delivered:
                logger.info("connectors delivered %s events", delivered)
            # One export per pass: a large room's ZIP takes a while, and the relay
            # waits for it (a separate worker process keeps it off the web process).
            exported = await database_sync_to_async(run_next_export)()
            if exported:
                logger.info("room export built: %s", exported)
            if since_clock >= clock_interval:
                since_clock = 0.0
                notified = await database_sync_to_async(run_escalation_clock)()
                if notified:
                    logger.info("escalations re-notified: %s", notified)
                digests = await run_digests()
                if digests:
                    logger.info("e-mail digests sent: %s", digests)
                purged = await database_sync_to_async(purge_released_uploads)()
                if purged:
                    logger.info("released uploads purged from storage: %s", purged)
                expired = await database_sync_to_async(purge_expired_exports)()
                if expired:
                    logger.info("expired room exports deleted: %s", expired)
            if since_retention >= RETENTION_SECONDS:
                since_retention = 0.0
                removed = await database_sync_to_async(do_apply_retention)()
                if removed:
                    logger.info("retention removed messages: %s", sum(removed.values()))
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("background jobs failed; retrying")
        await asyncio.sleep(relay_interval)
        since_clock += relay_interval
        since_retention += relay_interval


Scope = dict[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]
]


class InProcessWorker:
    """ASGI wrapper that starts the background jobs in this process on first use.

    For the embedded default (one process, no separate worker). Off when
    ``CAUSEWAY_INPROCESS_WORKER`` is false, which is the default with Redis.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.loops: set[asyncio.AbstractEventLoop] = set()
        self.tasks: set[asyncio.Task[None]] = set()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if settings.CAUSEWAY_INPROCESS_WORKER:
            loop = asyncio.get_running_loop()
            if loop not in self.loops:
                self.loops.add(loop)
                self.tasks.add(loop.create_task(run_forever(), name="inprocess-worker"))
        await self.app(scope, receive, send)
