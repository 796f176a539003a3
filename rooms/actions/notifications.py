"""Notifications: what one person must see, in the app and by e-mail."""

from __future__ import annotations

from typing import Literal

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from hub import publish
from hub.models import User
from rooms.models.notifications import Notification
from rooms.models.rooms import Room
from rooms.models.workitems import WorkItem
from rooms.wire.serializers import notification_frame


def check_mark_notifications_read(person: User, *, ids: list[int] | Literal["all"]) -> int:
    """Mark the person's own unread notifications read; others' ids are skipped."""
    qs = Notification.objects.filter(person=person, read_at__isnull=True)
    if ids != "all":
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


def notify(
    people: list[User], *, kind: str, title: str, body: str, room: Room, item: WorkItem
) -> None:
    for person in people:
        notification = Notification.objects.create(
            person=person, kind=kind, title=title, body=body, room=room, work_item=item
        )
        publish.publish_on_commit(publish.user_group(person.pk), notification_frame(notification))
    emails = [p.email for p in people]
    if emails:
        link = f"{settings.SITE_URL}/rooms/{room.pk}/"
        transaction.on_commit(
            lambda: send_mail(f"[Causeway] {title}", f"{body}\n\n{link}\n", None, emails),
            robust=True,
        )
