"""What a socket needs to subscribe to a room."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any, TypedDict

from hub.models import User
from rooms.models.rooms import Room
from rooms.selectors.access import access_membership
from rooms.selectors.messages import events_after
from rooms.selectors.reading import followed_threads, unread_count
from rooms.selectors.rooms import room_members
from rooms.wire.serializers import member_entry
from rooms.wire.types import MemberEntry, ThreadReading


class MemberLists:
    """The member list of a room at a head, shared by every subscriber at that head.

    The list is the room's, not the viewer's (``access_membership`` decided
    that the viewer may see it), and every change to it (a join, a leave, a
    profile change, a deactivation) appends a room event and so moves the
    head. A reconnect storm then reads it once per room, not once per socket.
    Entries also expire after ``ttl`` seconds: an organization renamed in the
    admin appends no event, and shows within that time.
    """

    def __init__(self, size: int = 4096, ttl: float = 10.0) -> None:
        self.size, self.ttl = size, ttl
        self.entries: OrderedDict[tuple[int, int], tuple[float, list[MemberEntry]]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, room: Room, head: int) -> list[MemberEntry]:
        key, now = (room.pk, head), time.monotonic()
        with self.lock:
            found = self.entries.get(key)
            if found is not None and found[0] > now:
                self.entries.move_to_end(key)
                return found[1]
        members = [member_entry(m) for m in room_members(room)]
        with self.lock:
            self.entries[key] = (now + self.ttl, members)
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)
        return members


member_lists = MemberLists()


class Snapshot(TypedDict):
    room: int
    head: int
    members: list[MemberEntry]
    last_read_seq: int
    unread: int
    threads: list[ThreadReading]
    # The stored frames after the client's `since`; None: too many, page over HTTP.
    replay: list[dict[str, Any]] | None


def subscription_snapshot(
    user: User, room_id: int, since: int | None, page: int, replay_limit: int
) -> Snapshot:
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
    return {
        "room": room.id,
        "head": head,
        "members": member_lists.get(room, head),
        "last_read_seq": membership.last_read_seq,
        "unread": unread_count(user, room.id, membership.last_read_seq),
        "threads": followed_threads(user, room.id),
        "replay": replay,
    }
