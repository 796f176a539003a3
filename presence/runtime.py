"""The per-process presence heartbeat and sweep."""

from __future__ import annotations

import asyncio
import logging

from django.conf import settings

from presence.actions import do_publish_presence
from presence.store import OFFLINE, get_store

logger = logging.getLogger("causeway.presence")


class PresenceKeeper:
    """Refreshes this process's connections and expires everyone's dead ones."""

    _by_loop: dict[asyncio.AbstractEventLoop, PresenceKeeper] = {}

    def __init__(self) -> None:
        self.connections: dict[str, int] = {}
        self.task: asyncio.Task[None] | None = None

    @classmethod
    def get(cls) -> PresenceKeeper:
        loop = asyncio.get_running_loop()
        keeper = cls._by_loop.get(loop)
        if keeper is None:
            keeper = cls._by_loop[loop] = cls()
            keeper.task = asyncio.create_task(keeper._run(), name="presence-keeper")
        return keeper

    @classmethod
    async def shutdown_all(cls) -> None:
        keeper = cls._by_loop.pop(asyncio.get_running_loop(), None)
        if keeper is not None and keeper.task is not None:
            keeper.task.cancel()
            await asyncio.gather(keeper.task, return_exceptions=True)

    @staticmethod
    def ttl() -> float:
        return float(settings.CAUSEWAY_PRESENCE_TTL_SECONDS)

    async def _run(self) -> None:
        heartbeat = float(settings.CAUSEWAY_PRESENCE_HEARTBEAT_SECONDS)
        sweep_every = min(5.0, heartbeat)
        waited = 0.0
        while True:
            await asyncio.sleep(sweep_every)
            waited += sweep_every
            try:
                store = get_store()
                if waited >= heartbeat:
                    waited = 0.0
                    entries = [(uid, conn) for conn, uid in self.connections.items()]
                    await store.refresh(entries, self.ttl())
                for user_id in await store.sweep():
                    await do_publish_presence(user_id, OFFLINE)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("presence upkeep failed", exc_info=True)
