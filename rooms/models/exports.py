"""An organization admin's export of one room: a ZIP built in the background."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from hub.ids import RandomIdField
from hub.models import Organization
from rooms.models.rooms import Room


class RoomExport(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    # Random: an export's id in a URL counts nothing (hub.ids).
    id = RandomIdField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    # The exporting organization: what it could read is what the ZIP holds.
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    # The ZIP's name in the files storage ("exports/<random>/room.zip"); empty until done.
    blob = models.CharField(max_length=200, blank=True)
    size = models.BigIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    # When the worker deleted the ZIP from storage after ``expires_at``.
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "created_at"], name="roomexport_queue")]

    def __str__(self) -> str:
        return f"export {self.pk} of room {self.room_id}"
