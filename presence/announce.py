"""Telling rooms: a person's presence and typing, published to the rooms that hear it.

Ephemeral frames, never stored in a room's log, no seq. Presence knows
nothing of rooms: callers say which rooms hear a person's state
(``RoomsOf``), so presence sits below the apps that have rooms.

A person going offline is announced after a grace period
(``CAUSEWAY_PRESENCE_GRACE_SECONDS``): their last socket closing only marks
them, and once the grace has passed each process announces, for everyone it
marked, the state the store holds *then*, if it is not the one last
announced (``PresenceStore.announce_changes`` decides that atomically across
processes). A network blip or a deploy that drops sockets which come back
within the grace announces nothing, and a reconnect storm costs one store
round trip and one room lookup per grace period instead of a lookup and a
publish per socket each way. Arrivals and state changes are announced at
once, as before (through the same check, so a return within the grace,
on any process, announces nothing).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from django.conf import settings

from hub import publish
from presence.events import PresenceEvent, TypingEvent
from presence.store import get_store

logger = logging.getLogger("causeway.presence")

# The rooms whose members see each person's presence, read off the event loop.
RoomsOf = Callable[[list[int]], Awaitable[dict[int, list[int]]]]


class PresenceAnnouncer:
    """One event loop's people who went offline, announced after the grace.

    Owned by the loop's ``PresenceKeeper`` (``presence.heartbeat``). Without
    ``rooms_of`` (a keeper made for a test) nothing is announced.
    """

    def __init__(self, rooms_of: RoomsOf | None) -> None:
        self.rooms_of = rooms_of
        self.pending: set[int] = set()
        self.task: asyncio.Task[None] | None = None

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)

    def note_gone(self, user_ids: list[int]) -> None:
        """These people may have gone offline: announced if still gone after the grace."""
        self.pending.update(user_ids)
        if self.pending and (self.task is None or self.task.done()):
            self.task = asyncio.create_task(self._after_grace(), name="presence-announcer")

    async def arrived(self, user_id: int) -> None:
        """The person came online: announce it now, unless they left moments ago here."""
        if user_id in self.pending or self.rooms_of is None:
            return  # the grace's end finds them back, and announces nothing
        await announce_changes([user_id], self.rooms_of)

    async def _after_grace(self) -> None:
        await asyncio.sleep(float(settings.CAUSEWAY_PRESENCE_GRACE_SECONDS))
        people, self.pending = sorted(self.pending), set()
        try:
            if self.rooms_of is not None:
                await announce_changes(people, self.rooms_of)
        except Exception:
            # Best effort, like all presence: the next change announces the
            # state then current, and every subscribe carries the states.
            logger.warning("presence announce failed", exc_info=True)
        if self.pending:
            self.task = asyncio.create_task(self._after_grace(), name="presence-announcer")


async def announce_changes(user_ids: list[int], rooms_of: RoomsOf) -> None:
    """Tell the rooms of each of these people whose state is not the one last announced."""
    changed = await get_store().announce_changes(user_ids)
    if not changed:
        return
    rooms = await rooms_of(sorted(changed))
    for user_id, state in changed.items():
        for room_id in rooms.get(user_id, []):
            frame = PresenceEvent(type="presence", room=room_id, user=user_id, state=state)
            await publish.apublish(publish.room_group(room_id), frame)


async def announce_typing(user_id: int, room_id: int, thread: int | None, ttl: int) -> None:
    """Precondition: the caller checked that the person is subscribed to (so in) the room."""
    frame = TypingEvent(type="typing", room=room_id, user=user_id, thread=thread, expires_in=ttl)
    await publish.apublish(publish.room_group(room_id), frame)
