"""What a socket needs to subscribe to a room."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any, TypedDict

from django.db.models import QuerySet
from django.db.models.functions import Coalesce

from hub.errors import NotFound
from hub.models import User
from hub.prepared import Prepared
from rooms.models.rooms import Membership
from rooms.selectors.access import check_active_person
from rooms.selectors.messages import events_after
from rooms.selectors.reading import followed_threads, unread_subquery
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

    def __init__(self, size: int = 4096, ttl: float = 60.0) -> None:
        self.size, self.ttl = size, ttl
        self.entries: OrderedDict[tuple[int, int], tuple[float, list[MemberEntry]]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, room_id: int, head: int) -> list[MemberEntry]:
        key, now = (room_id, head), time.monotonic()
        with self.lock:
            found = self.entries.get(key)
            if found is not None and found[0] > now:
                self.entries.move_to_end(key)
                return found[1]
        members = [member_entry(m) for m in room_members(room_id)]
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


def _reading(user: int, room: int) -> QuerySet[Any, Any]:
    """The person's membership (the access check), the room's head, their marker and unread."""
    return (
        Membership.objects.filter(room_id=room, user_id=user, left_at__isnull=True)
        .annotate(unread=Coalesce(unread_subquery(user), 0))
        .values("last_read_seq", "room__last_seq", "unread")
    )


# Every subscribe reads it (a reconnect storm, thousands of times): compiled once.
_READING = Prepared(_reading, "user", "room")


def subscription_snapshot(
    user: User, room_id: int, since: int | None, page: int, replay_limit: int
) -> Snapshot:
    """What a socket needs to subscribe: head, members, unread and the events to replay.

    NotFound unless the person is an active member (an archived room is read
    like any other). ``replay`` is None when the gap is too large (the client
    pages history over HTTP instead).
    """
    check_active_person(user)
    # Read after the socket joined the room's group, like the rest of the
    # snapshot: the room row carries the head.
    found = _READING.rows(user=user.pk, room=room_id)
    if not found:
        raise NotFound()
    reading = found[0]
    head = int(reading["room__last_seq"])
    replay: list[dict[str, Any]] | None
    if since is None:
        replay = events_after(room_id, max(0, head - page), head)
    elif since > head or head - since > replay_limit:
        replay = None
    elif since == head:
        replay = []  # a client that missed nothing: the common reconnect
    else:
        replay = events_after(room_id, since, head)
    return {
        "room": room_id,
        "head": head,
        "members": member_lists.get(room_id, head),
        "last_read_seq": int(reading["last_read_seq"]),
        "unread": int(reading["unread"]),
        "threads": followed_threads(user, room_id),
        "replay": replay,
    }
