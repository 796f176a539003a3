"""The outbox: a followed thread's events, queued in the writing transaction."""

from __future__ import annotations

from rooms.models.bridge import Mirror, OutboxEntry
from rooms.models.log import RoomEvent


def record_outbox(event: RoomEvent, thread_root_id: int) -> None:
    """Queue ``event`` for the bridge if a live mirror follows its thread.

    The caller holds the room's row lock, and mirrors are created under the
    same lock, so a mirror either exists here or its snapshot includes this
    event: nothing falls between the two.
    """
    if Mirror.objects.filter(source_root_id=thread_root_id, stopped_at__isnull=True).exists():
        OutboxEntry.objects.create(event=event, thread_root_id=thread_root_id)
