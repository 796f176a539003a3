"""The per-process presence heartbeat and sweep."""

from __future__ import annotations

import asyncio
import logging
import weakref

from django.conf import settings

from presence.announce import PresenceAnnouncer, RoomsOf
from presence.store import get_store

logger = logging.getLogger("causeway.presence")


class PresenceKeeper:
    """Refreshes this process's connections and expires everyone's dead ones."""

    _by_loop: dict[asyncio.AbstractEventLoop, PresenceKeeper] = {}

    def __init__(self, rooms_of: RoomsOf | None = None) -> None:
        # Whose rooms hear that an expired person went offline.
        self.rooms_of = rooms_of
        # conn id -> (person, socket). The socket is held weakly: a socket
        # whose disconnect() never ran is dropped from the heartbeat once it
        # is gone, and its entry then expires like a crashed process's.
        self.connections: dict[str, tuple[int, weakref.ref[object]]] = {}
        self.task: asyncio.Task[None] | None = None
        # Who may have changed, announced at the next tick (presence.announce).
        self.announcer = PresenceAnnouncer(rooms_of)

    def add(self, conn_id: str, user_id: int, socket: object) -> None:
        self.connections[conn_id] = (user_id, weakref.ref(socket))

    def remove(self, conn_id: str) -> None:
        self.connections.pop(conn_id, None)

    def live_entries(self) -> list[tuple[int, str]]:
        for conn_id in [c for c, (_, ref) in self.connections.items() if ref() is None]:
            del self.connections[conn_id]
        return [(user_id, conn_id) for conn_id, (user_id, _) in self.connections.items()]

    @classmethod
    def get(cls, rooms_of: RoomsOf) -> PresenceKeeper:
        """This event loop's keeper, started on first use."""
        loop = asyncio.get_running_loop()
        keeper = cls._by_loop.get(loop)
        if keeper is None:
            keeper = cls._by_loop[loop] = cls(rooms_of)
            keeper.task = asyncio.create_task(keeper._run(), name="presence-keeper")
        return keeper

    @classmethod
    async def shutdown_all(cls) -> None:
        keeper = cls._by_loop.pop(asyncio.get_running_loop(), None)
        if keeper is not None and keeper.task is not None:
            keeper.task.cancel()
            await asyncio.gather(keeper.task, return_exceptions=True)
        if keeper is not None:
            await keeper.announcer.stop()

    @staticmethod
    def ttl() -> float:
        return float(settings.CAUSEWAY_PRESENCE_TTL_SECONDS)

    @classmethod
    async def flush_all(cls) -> None:
        """Announce now what this loop's keeper noted (tests, before they fence)."""
        keeper = cls._by_loop.get(asyncio.get_running_loop())
        if keeper is not None:
            await keeper.announcer.flush()

    async def _run(self) -> None:
        heartbeat = float(settings.CAUSEWAY_PRESENCE_HEARTBEAT_SECONDS)
        grace = float(settings.CAUSEWAY_PRESENCE_GRACE_SECONDS)
        # A departure is announced by the sweep after the grace: sweep at
        # least that often, so it shows within twice the grace.
        sweep_every = min(5.0, heartbeat, grace if grace > 0 else 5.0)
        waited = 0.0
        while True:
            await asyncio.sleep(sweep_every)
            waited += sweep_every
            try:
                store = get_store()
                if waited >= heartbeat:
                    waited = 0.0
                    entries = self.live_entries()
                    if await store.refresh(entries, self.ttl()):
                        # The store lost its state (Redis restarted): announce
                        # our people again, or snapshots would show them gone.
                        self.announcer.note(user_id for user_id, _ in entries)
                self.announcer.note(await store.sweep())
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("presence upkeep failed", exc_info=True)
