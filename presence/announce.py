"""Telling rooms: a person's presence and typing, published to the rooms that hear it.

Ephemeral frames, never stored in a room's log, no seq. Presence knows
nothing of rooms: callers say which rooms hear a person's state
(``RoomsOf``), so presence sits below the apps that have rooms.

Presence changes are coalesced. Whoever may have changed (arrived, set a
state, expired) is noted with this event loop's ``PresenceAnnouncer``; a tick
later (``CAUSEWAY_PRESENCE_TICK_SECONDS``) it asks the store which of them
are not in the state last announced (``PresenceStore.announce_changes``
compares and records atomically, so a change seen by several processes is
announced once), and publishes **one** ``presence`` frame per room for all of
them. A thousand people arriving in a room of a thousand make a few frames
per member, not a million.

Subscribers are shown the *announced* states (``PresenceStore.announced``),
never the store's live ones: a snapshot then agrees with the frames that
follow it, so whoever read someone as gone is told when they are back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable

from django.conf import settings

from hub import publish
from presence.events import PresenceEvent, TypingEvent
from presence.store import get_store

logger = logging.getLogger("causeway.presence")

# The rooms whose members see each person's presence, read off the event loop.
RoomsOf = Callable[[list[int]], Awaitable[dict[int, list[int]]]]


class PresenceAnnouncer:
    """One event loop's people whose presence may have changed, announced each tick.

    Owned by the loop's ``PresenceKeeper`` (``presence.heartbeat``). Without
    ``rooms_of`` (a keeper made for a test) nothing is announced.
    """

    def __init__(self, rooms_of: RoomsOf | None) -> None:
        self.rooms_of = rooms_of
        self.pending: set[int] = set()
        self.task: asyncio.Task[None] | None = None

    def note(self, user_ids: Iterable[int]) -> None:
        """These people may have changed: announced at the next tick."""
        self.pending.update(user_ids)
        if self.pending and (self.task is None or self.task.done()):
            self.task = asyncio.create_task(self._after_tick(), name="presence-announcer")

    async def flush(self) -> None:
        """Announce what is noted now (the tick's work; tests call it to be sure)."""
        people, self.pending = sorted(self.pending), set()
        if people and self.rooms_of is not None:
            await announce_changes(people, self.rooms_of)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)

    async def _after_tick(self) -> None:
        await asyncio.sleep(float(settings.CAUSEWAY_PRESENCE_TICK_SECONDS))
        try:
            await self.flush()
        except Exception:
            # Best effort, like all presence: the next change announces the
            # state then current, and the heartbeat announces everyone again
            # when the store lost its state.
            logger.warning("presence announce failed", exc_info=True)
        if self.pending:
            self.task = asyncio.create_task(self._after_tick(), name="presence-announcer")


async def announce_changes(user_ids: list[int], rooms_of: RoomsOf) -> None:
    """Tell the rooms of these people whose state is not the one last announced.

    One frame per room, with everyone of them who changed and is in it.
    """
    changed = await get_store().announce_changes(user_ids)
    if not changed:
        return
    rooms = await rooms_of(sorted(changed))
    by_room: dict[int, dict[str, str]] = {}
    for user_id, state in sorted(changed.items()):
        for room_id in rooms.get(user_id, []):
            by_room.setdefault(room_id, {})[str(user_id)] = state
    for room_id, people in by_room.items():
        frame = PresenceEvent(type="presence", room=room_id, people=people)
        await publish.apublish(publish.room_group(room_id), frame)


async def announce_typing(user_id: int, room_id: int, thread: int | None, ttl: int) -> None:
    """Precondition: the caller checked that the person is subscribed to (so in) the room."""
    frame = TypingEvent(type="typing", room=room_id, user=user_id, thread=thread, expires_in=ttl)
    await publish.apublish(publish.room_group(room_id), frame)
