"""What a socket needs to subscribe to a room."""

from __future__ import annotations

from typing import Any

from hub.models import User
from rooms.selectors.access import access_membership
from rooms.selectors.messages import events_after
from rooms.selectors.reading import followed_threads, unread_count
from rooms.selectors.rooms import room_members
from rooms.wire.serializers import person_ref


def subscription_snapshot(
    user: User, room_id: Any, since: int | None, page: int, replay_limit: int
) -> dict[str, Any]:
    """What a socket needs to subscribe: head, members, unread and the events to replay.

    ``replay`` is None when the gap is too large (the client pages history over
    HTTP instead).
    """
    # Read after the socket joined the room's group, like the rest of the
    # snapshot: the membership's room row carries the head.
    membership = access_membership(user, room_id, readonly=True)
    room = membership.room
    head = room.last_seq
    replay: list[dict[str, Any]] | None
    if since is None:
        replay = events_after(room.id, max(0, head - page), head)
    elif since > head or head - since > replay_limit:
        replay = None
    elif since == head:
        replay = []  # a client that missed nothing: the common reconnect
    else:
        replay = events_after(room.id, since, head)
    members = [
        {"person": person_ref(m.user), "role": m.role} for m in room_members(membership.room)
    ]
    return {
        "room": room.id,
        "head": head,
        "members": members,
        "last_read_seq": membership.last_read_seq,
        "unread": unread_count(user, room.id, membership.last_read_seq),
        "threads": followed_threads(user, room.id),
        "replay": replay,
    }
