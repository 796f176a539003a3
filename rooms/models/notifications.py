"""Notifications: what one person must see."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from hub.ids import RandomIdField
from hub.models import User
from rooms.models.rooms import Room
from rooms.models.workitems import WorkItem


class Notification(models.Model):
    """Something one person must see; pushed live to their sockets and listed over HTTP."""

    id = RandomIdField()
    person = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    # Where it points: a room (and an item in it) the person may open.
    room = models.ForeignKey(
        Room, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    work_item = models.ForeignKey(
        WorkItem, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The table it had when notifications lived in the hub app.
        db_table = "hub_notification"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["person", "read_at"])]

    def __str__(self) -> str:
        return f"{self.kind} for {self.person_id}: {self.title}"
