"""The room event log: what a reconnecting client replays."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from rooms.models.messages import Message
from rooms.models.rooms import Room


class RoomEvent(models.Model):
    """The room's event log: what a reconnecting client replays.

    ``payload`` is the exact wire frame. It is written in the transaction that
    allocated ``seq``, so the log has no gaps and no duplicates.
    """

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="events")
    seq = models.BigIntegerField()
    type = models.CharField(max_length=40)
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["room", "seq"]
        constraints = [models.UniqueConstraint(fields=["room", "seq"], name="room_event_seq")]

    def __str__(self) -> str:
        return f"{self.type} room {self.room_id} seq {self.seq}"
