"""Notifications: what one person must see, in the app and by e-mail."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from hub import publish
from hub.errors import Invalid
from hub.models import User
from hub.validation import parse_id
from rooms.models.notifications import Notification
from rooms.models.rooms import Room
from rooms.models.workitems import WorkItem
from rooms.wire.serializers import notification_frame


def check_mark_notifications_read(person: User, *, ids: Any) -> int:
    if ids == "all":
        qs = Notification.objects.filter(person=person, read_at__isnull=True)
    elif isinstance(ids, list) and len(ids) <= 500:
        qs = Notification.objects.filter(
            person=person, read_at__isnull=True, pk__in=[parse_id(i, "id") for i in ids]
        )
    else:
        raise Invalid('`ids` must be a list of notification ids or "all".')
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
