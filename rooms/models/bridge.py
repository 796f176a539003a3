"""The bridge: mirrors of shared threads, the outbox, and what was delivered."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from hub.ids import RandomIdField
from hub.models import Organization
from rooms.models.log import RoomEvent
from rooms.models.messages import Message
from rooms.models.rooms import Room


class Mirror(models.Model):
    """A shared thread followed live in one internal room of one organization."""

    id = RandomIdField()
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    source_room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="+")
    source_root = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="mirrors")
    target_room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="mirrors_in")
    # The copy of the thread's first message in the target room; internal
    # notes are replies to it.
    root_copy = models.OneToOneField(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="mirror_root_of"
    )
    # The source room's head when the mirror was made: the snapshot covers
    # every event up to it, the relay every event after it.
    start_seq = models.BigIntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    stopped_at = models.DateTimeField(null=True, blank=True)
    stopped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source_root", "target_room"],
                condition=Q(stopped_at__isnull=True),
                name="one_live_mirror_per_thread_and_room",
            )
        ]

    def __str__(self) -> str:
        return f"mirror of {self.source_root_id} into {self.target_room_id}"


class OutboxEntry(models.Model):
    """A shared-thread event waiting for the bridge, written in the event's own transaction."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        DEAD = "dead", "Dead letter"

    event = models.OneToOneField(RoomEvent, on_delete=models.CASCADE, related_name="outbox")
    thread_root = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "outbox entries"
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["thread_root", "status", "id"]),
        ]

    def __str__(self) -> str:
        return f"outbox {self.pk} ({self.status})"


class MirrorDelivery(models.Model):
    """One event applied to one mirror. The unique key makes every retry a no-op."""

    event = models.ForeignKey(RoomEvent, on_delete=models.CASCADE, related_name="+")
    mirror = models.ForeignKey(Mirror, on_delete=models.CASCADE, related_name="deliveries")
    # The message in the target room this event produced or touched.
    target_message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    delivered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["event", "mirror"], name="one_delivery_per_event_mirror"
            )
        ]

    def __str__(self) -> str:
        return f"event {self.event_id} -> mirror {self.mirror_id}"
