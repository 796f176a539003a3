"""The one unread rule, and the threads a person follows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from hub.models import User
from hub.prepared import Prepared
from rooms.models.messages import IN_TIMELINE, Mention, Message, ThreadFollow
from rooms.selectors.access import readable_rooms
from rooms.wire.types import ThreadReading, ThreadUnreadEvent

# The one unread rule, as data: the server's counts are built from it, and the
# web app receives it (frontend wire.gen.js) for the counts it keeps live.
# A room's unread messages are its timeline's: a thread reply counts in its
# thread (for those who follow it), never in the room, so the room's badge
# and the "new since you last read" divider always agree.
UNREAD_RULE: dict[str, bool] = {
    "counts_thread_replies": False,
    # A reply also sent to the room is in the room's timeline: it counts there.
    "counts_replies_sent_to_room": True,
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
        q &= IN_TIMELINE if rule["counts_replies_sent_to_room"] else Q(thread_root__isnull=True)
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


def _thread_unread(user: User | int) -> Coalesce:
    """A ``ThreadFollow`` row's unread replies by ``THREAD_RULE`` (it reads the row's
    ``root_id`` and ``last_read_seq``)."""
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
    return Coalesce(Subquery(unread), 0)


def _followed_threads(user: int, room: int) -> QuerySet[Any, Any]:
    return (
        ThreadFollow.objects.filter(user_id=user, root__room_id=room)
        .annotate(unread=_thread_unread(user))
        .values("root_id", "last_read_seq", "unread")
    )


# Every subscribe reads it (a reconnect storm, thousands of times).
_FOLLOWED_THREADS = Prepared(_followed_threads, "user", "room")


def followed_threads(user: User, room_id: int) -> list[ThreadReading]:
    return [
        {"root": f["root_id"], "last_read_seq": f["last_read_seq"], "unread": f["unread"]}
        for f in _FOLLOWED_THREADS.rows(user=user.pk, room=room_id)
    ]


THREADS_PAGE = 30


@dataclass(frozen=True)
class FollowedThreads:
    follows: list[tuple[ThreadFollow, int]]  # each with its root and room loaded; unread
    last_replies: dict[int, Message]  # root id -> its latest reply
    next_offset: int | None


def threads_followed(user: User, *, offset: int = 0) -> FollowedThreads:
    """The threads ``user`` follows in rooms they may read now, latest activity first."""
    latest_reply = Subquery(
        Message.objects.filter(thread_root=OuterRef("root_id"), deleted_at__isnull=True)
        .order_by("-seq")
        .values("id")[:1]
    )
    follows = list(
        ThreadFollow.objects.filter(
            user=user,
            root__room__in=readable_rooms(user),
            root__deleted_at__isnull=True,
        )
        .annotate(
            unread=_thread_unread(user),
            active_at=Coalesce("root__last_reply_at", "root__created_at"),
            last_reply_id=latest_reply,
        )
        .select_related(
            "root__room", "root__author__organization", "root__shared_back_by__organization"
        )
        .prefetch_related(
            "root__mentions", "root__attachments__upload", "root__reactions__user__organization"
        )
        .order_by(F("active_at").desc(), "-root_id")[offset : offset + THREADS_PAGE + 1]
    )
    more = len(follows) > THREADS_PAGE
    follows = follows[:THREADS_PAGE]
    replies = (
        Message.objects.filter(
            pk__in=[f.last_reply_id for f in follows if f.last_reply_id is not None]
        )
        .select_related("author__organization")
        .prefetch_related("reactions__user__organization")
    )
    return FollowedThreads(
        follows=[(f, f.unread) for f in follows],
        last_replies={m.thread_root_id: m for m in replies if m.thread_root_id is not None},
        next_offset=offset + THREADS_PAGE if more else None,
    )
