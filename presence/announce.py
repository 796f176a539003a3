"""Telling rooms: a person's presence and typing, published to the rooms that hear it.

Ephemeral frames, never stored in a room's log, no seq. Presence knows
nothing of rooms: callers say which rooms hear a person's state
(``RoomsOf``), so presence sits below the apps that have rooms.

Every presence change goes through one check, ``announce_changes``: the
store compares each person's state now with the one last published and
records the new one atomically (``PresenceStore.announce_changes``), so a
change seen by several processes is published once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from hub import publish
from presence.events import PresenceEvent, TypingEvent
from presence.store import get_store

# The rooms whose members see each person's presence, read off the event loop.
RoomsOf = Callable[[list[int]], Awaitable[dict[int, list[int]]]]


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
