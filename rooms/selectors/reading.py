"""The one unread rule, and the threads a person follows."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from hub.models import User
from hub.prepared import Prepared
from rooms.models.messages import Mention, Message, ThreadFollow
from rooms.wire.types import ThreadReading, ThreadUnreadEvent

# The one unread rule, as data: the server's counts are built from it, and the
# web app receives it (frontend wire.gen.js) for the counts it keeps live.
# A room's unread messages are its timeline's: a thread reply counts in its
# thread (for those who follow it), never in the room, so the room's badge
# and the "new since you last read" divider always agree.
UNREAD_RULE: dict[str, bool] = {
    "counts_thread_replies": False,
    "counts_own": False,
    "counts_deleted": False,
}


# A followed thread counts its replies by the same rule.
THREAD_RULE: dict[str, bool] = UNREAD_RULE | {"counts_thread_replies": True}


def unread_filter(user: User | int) -> Q:
    """The messages ``UNREAD_RULE`` counts for ``user`` in a room (the read marker aside)."""
    return _rule_filter(user, UNREAD_RULE)


def _rule_filter(user: User | int, rule: dict[str, bool]) -> Q:
    q = Q()
    if not rule["counts_thread_replies"]:
        q &= Q(thread_root__isnull=True)
    if not rule["counts_own"]:
        q &= ~Q(author=user)
    if not rule["counts_deleted"]:
        q &= Q(deleted_at__isnull=True)
    return q


def unread_subquery(user: User | int) -> Subquery:
    """A membership's unread count by ``UNREAD_RULE``, to annotate ``Membership`` rows with
    (it reads their ``room_id`` and ``last_read_seq``); None when there is none."""
    return Subquery(
        Message.objects.filter(
            unread_filter(user), room=OuterRef("room_id"), seq__gt=OuterRef("last_read_seq")
        )
        .order_by()
        .values("room")
        .annotate(n=Count("id"))
        .values("n")
    )


def unread_count(user: User, room_id: int, last_read_seq: int) -> int:
    return Message.objects.filter(
        unread_filter(user), room_id=room_id, seq__gt=last_read_seq
    ).count()


def mention_filter(user: User) -> Q:
    """The mentions of ``user`` that count (the read marker aside): in any message of the
    room, a thread reply too, unless deleted."""
    return Q(user=user, message__deleted_at__isnull=True)


def mention_count(user: User, room_id: int, last_read_seq: int) -> int:
    return Mention.objects.filter(
        mention_filter(user), room_id=room_id, seq__gt=last_read_seq
    ).count()


def thread_unread_count(user: User, root_id: int, last_read_seq: int) -> int:
    """A followed thread's unread replies: the rule of the room, for the thread's replies."""
    return Message.objects.filter(
        _rule_filter(user, THREAD_RULE), thread_root_id=root_id, seq__gt=last_read_seq
    ).count()


def thread_reading(user: User, room_id: int, root_id: int) -> ThreadUnreadEvent:
    """The person's reading state of one thread, as the ``thread.unread`` frame carries it."""
    follow = ThreadFollow.objects.filter(user=user, root_id=root_id).first()
    marker = follow.last_read_seq if follow is not None else 0
    return ThreadUnreadEvent(
        type="thread.unread",
        room=room_id,
        root=root_id,
        following=follow is not None,
        last_read_seq=marker,
        count=thread_unread_count(user, root_id, marker) if follow is not None else 0,
    )


def _followed_threads(user: int, room: int) -> QuerySet[Any, Any]:
    unread = (
        Message.objects.filter(
            _rule_filter(user, THREAD_RULE),
            thread_root=OuterRef("root_id"),
            seq__gt=OuterRef("last_read_seq"),
        )
        .order_by()
        .values("thread_root")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        ThreadFollow.objects.filter(user_id=user, root__room_id=room)
        .annotate(unread=Coalesce(Subquery(unread), 0))
        .values("root_id", "last_read_seq", "unread")
    )


# Every subscribe reads it (a reconnect storm, thousands of times).
_FOLLOWED_THREADS = Prepared(_followed_threads, "user", "room")


def followed_threads(user: User, room_id: int) -> list[ThreadReading]:
    return [
        {"root": f["root_id"], "last_read_seq": f["last_read_seq"], "unread": f["unread"]}
        for f in _FOLLOWED_THREADS.rows(user=user.pk, room=room_id)
    ]
