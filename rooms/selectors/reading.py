"""The one unread rule, and the threads a person follows."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F, Q

from hub.models import User
from rooms.models.messages import Message, ThreadFollow

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


def unread_filter(user: User) -> Q:
    """The messages ``UNREAD_RULE`` counts for ``user`` (the read marker aside)."""
    rule = Q()
    if not UNREAD_RULE["counts_thread_replies"]:
        rule &= Q(thread_root__isnull=True)
    if not UNREAD_RULE["counts_own"]:
        rule &= ~Q(author=user)
    if not UNREAD_RULE["counts_deleted"]:
        rule &= Q(deleted_at__isnull=True)
    return rule


def unread_count(user: User, room_id: int, last_read_seq: int) -> int:
    return Message.objects.filter(
        unread_filter(user), room_id=room_id, seq__gt=last_read_seq
    ).count()


def followed_threads(user: User, room_id: int) -> list[dict[str, Any]]:
    follows = ThreadFollow.objects.filter(user=user, root__room_id=room_id).annotate(
        unread=Count(
            "root__replies",
            filter=Q(
                root__replies__seq__gt=F("last_read_seq"),
                root__replies__deleted_at__isnull=True,
            )
            & ~Q(root__replies__author=user),
        )
    )
    return [
        {"root": f.root_id, "last_read_seq": f.last_read_seq, "unread": f.unread} for f in follows
    ]
