"""A person's notifications."""

from __future__ import annotations

from typing import Any

from hub.models import User
from rooms.models.notifications import Notification
from rooms.wire.serializers import notification_frame


def notifications_for(user: User, *, unread_only: bool = False) -> list[dict[str, Any]]:
    qs = Notification.objects.filter(person=user).select_related("work_item")
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return [
        {**notification_frame(n), "read": n.read_at is not None}
        for n in qs.order_by("-created_at", "-id")[:100]
    ]
