"""Telling rooms: a person's presence and typing, published to the rooms that hear it.

Ephemeral frames, never stored in a room's log, no seq. Presence knows
nothing of rooms: callers say which rooms hear a person's state
(``RoomsOf``), so presence sits below the apps that have rooms.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from hub import publish
from presence.events import PresenceEvent, TypingEvent

# The rooms whose members see a person's presence, read off the event loop.
RoomsOf = Callable[[int], Awaitable[list[int]]]


async def announce_presence(user_id: int, state: str, rooms_of: RoomsOf) -> None:
    """Tell every room the person is in that their state changed."""
    for room_id in await rooms_of(user_id):
        frame = PresenceEvent(type="presence", room=room_id, user=user_id, state=state)
        await publish.apublish(publish.room_group(room_id), frame)


async def announce_typing(user_id: int, room_id: int, thread: int | None, ttl: int) -> None:
    """Precondition: the caller checked that the person is subscribed to (so in) the room."""
    frame = TypingEvent(type="typing", room=room_id, user=user_id, thread=thread, expires_in=ttl)
    await publish.apublish(publish.room_group(room_id), frame)
