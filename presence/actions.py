"""Presence and typing: ephemeral, never stored in the room log, no seq."""

from __future__ import annotations

from rooms import events
from rooms.fanout import db
from rooms.models import Membership


def _room_ids(user_id: int) -> list[int]:
    return list(
        Membership.objects.active()
        .filter(user_id=user_id, room__archived_at__isnull=True)
        .values_list("room_id", flat=True)
    )


async def do_publish_presence(user_id: int, state: str) -> None:
    """Tell every room the person is in that their state changed."""
    for room_id in await db(_room_ids)(user_id):
        frame = events.PresenceEvent(type="presence", room=room_id, user=user_id, state=state)
        await events.apublish_now(events.room_group(room_id), frame)


async def do_publish_typing(user_id: int, room_id: int, thread: int | None, ttl: int) -> None:
    """Precondition: the caller checked that the person is subscribed to (so in) the room."""
    frame = events.TypingEvent(
        type="typing", room=room_id, user=user_id, thread=thread, expires_in=ttl
    )
    await events.apublish_now(events.room_group(room_id), frame)
