"""History, threads, search and the event log's replay."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from hub.models import User
from rooms.models.log import RoomEvent
from rooms.models.messages import Message
from rooms.models.rooms import Room
from rooms.selectors.access import readable_rooms


def events_after(room_id: int, since: int, until: int) -> list[dict[str, Any]]:
    return list(
        RoomEvent.objects.filter(room_id=room_id, seq__gt=since, seq__lte=until)
        .order_by("seq")
        .values_list("payload", flat=True)
    )


def message_page(room: Room, *, before: int | None, after: int | None, limit: int) -> list[Message]:
    qs = (
        Message.objects.filter(room=room, thread_root__isnull=True)
        .select_related("author__organization", "shared_back_by__organization")
        .prefetch_related("mentions", "attachments__upload")
    )
    if after is not None:
        return list(qs.filter(seq__gt=after).order_by("seq")[:limit])
    if before is not None:
        qs = qs.filter(seq__lt=before)
    return list(reversed(qs.order_by("-seq")[:limit]))


def thread_messages(root: Message) -> list[Message]:
    return list(
        Message.objects.filter(Q(pk=root.pk) | Q(thread_root=root))
        .select_related("author__organization", "shared_back_by__organization")
        .prefetch_related("mentions", "attachments__upload")
        .order_by("seq")
    )


def search_messages(user: User, query: str, limit: int = 50) -> list[Message]:
    """Messages of the person's rooms whose text, or one of whose files' names, has ``query``."""
    named = Message.objects.filter(attachments__upload__name__icontains=query).values("pk")
    return list(
        Message.objects.filter(room__in=readable_rooms(user), deleted_at__isnull=True)
        .filter(Q(body__icontains=query) | Q(pk__in=named))
        .select_related("author__organization", "room")
        .prefetch_related("mentions", "attachments__upload")
        .order_by("-created_at")[:limit]
    )
