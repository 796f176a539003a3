"""History, a message's surroundings, threads, and the event log's replay."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from rooms.models.log import RoomEvent
from rooms.models.messages import IN_TIMELINE, Message
from rooms.models.rooms import Room


def events_after(room_id: int, since: int, until: int) -> list[dict[str, Any]]:
    return list(
        RoomEvent.objects.filter(room_id=room_id, seq__gt=since, seq__lte=until)
        .order_by("seq")
        .values_list("payload", flat=True)
    )


def message_page(room: Room, *, before: int | None, after: int | None, limit: int) -> list[Message]:
    qs = _timeline(room.pk)
    if after is not None:
        return list(qs.filter(seq__gt=after).order_by("seq")[:limit])
    if before is not None:
        qs = qs.filter(seq__lt=before)
    return list(reversed(qs.order_by("-seq")[:limit]))


@dataclass(frozen=True)
class Around:
    """The room's messages around one message (a permalink): ``anchor`` is the
    message itself, or the root of the thread it replies in."""

    anchor: Message
    messages: list[Message]
    older: bool  # more before the first
    newer: bool  # more after the last


def messages_around(target: Message, *, each_side: int) -> Around:
    anchor = target if target.in_timeline else target.thread_root
    assert anchor is not None
    qs = _timeline(anchor.room_id)
    before = list(qs.filter(seq__lt=anchor.seq).order_by("-seq")[: each_side + 1])
    after = list(qs.filter(seq__gt=anchor.seq).order_by("seq")[: each_side + 1])
    return Around(
        anchor=anchor,
        messages=[*reversed(before[:each_side]), anchor, *after[:each_side]],
        older=len(before) > each_side,
        newer=len(after) > each_side,
    )


def _timeline(room_id: int) -> QuerySet[Message]:
    """The room's timeline (``IN_TIMELINE``), loaded for the wire."""
    return (
        Message.objects.filter(IN_TIMELINE, room_id=room_id)
        .select_related("author__organization", "shared_back_by__organization")
        .prefetch_related("mentions", "attachments__upload", "reactions__user__organization")
    )


def thread_messages(root: Message) -> list[Message]:
    return list(
        Message.objects.filter(Q(pk=root.pk) | Q(thread_root=root))
        .select_related("author__organization", "shared_back_by__organization")
        .prefetch_related("mentions", "attachments__upload", "reactions__user__organization")
        .order_by("seq")
    )
