"""The one unread rule, and the threads a person follows."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F, Q

from hub.models import User
from rooms.models.messages import Message, ThreadFollow


def unread_count(user: User, room_id: int, last_read_seq: int) -> int:
    return (
        Message.objects.filter(room_id=room_id, seq__gt=last_read_seq, deleted_at__isnull=True)
        .exclude(author=user)
        .count()
    )


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
