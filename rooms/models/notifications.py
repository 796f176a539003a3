"""Notifications: what one person must see."""

from __future__ import annotations

import datetime
import zoneinfo

from django.db import models
from django.utils import timezone

from hub.ids import RandomIdField
from hub.models import User
from rooms.models.messages import Message
from rooms.models.rooms import Room
from rooms.models.workitems import WorkItem

# What a person is told of, by topic: the settings' e-mail switches and the
# digest's sections are per topic; a notification's ``kind`` names its topic
# first (``escalation.raised`` is of the ``escalation`` topic).
TOPICS: dict[str, str] = {
    "mention": "Mentions of you",
    "reply": "Replies in threads you follow",
    "assigned": "Work assigned to you",
    "escalation": "Escalations",
}


def topic_of(kind: str) -> str:
    return kind.split(".", 1)[0]


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
    # The message it is about (a mention, a reply), and that message's seq:
    # reading the room (or the thread) past it reads the notification too.
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    seq = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # Created during the person's quiet hours: listed, never announced.
    quiet = models.BooleanField(default=False)
    # Sent in an e-mail digest (or judged not to be: e-mail off for its topic).
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The table it had when notifications lived in the hub app.
        db_table = "hub_notification"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["person", "read_at"])]

    def __str__(self) -> str:
        return f"{self.kind} for {self.person_id}: {self.title}"


class NotificationSettings(models.Model):
    """One person's choices: quiet hours in their time zone (the profile's,
    ``User.time_zone``), and e-mail per topic."""

    person = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="notification_settings"
    )
    quiet_enabled = models.BooleanField(default=False)
    quiet_from = models.TimeField(default=datetime.time(22, 0))
    quiet_to = models.TimeField(default=datetime.time(7, 0))
    # Topic -> whether it is e-mailed; a topic not named here is.
    email = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"notification settings of {self.person_id}"

    def is_quiet(self, at: datetime.datetime) -> bool:
        """Whether ``at`` falls in the quiet hours, on the person's own clock.

        Reads ``self.person``: load it with the settings (``settings_of`` does).

        A window that passes midnight (22:00 to 07:00) is quiet after its start
        or before its end; equal ends mean all day.
        """
        if not self.quiet_enabled:
            return False
        local = at.astimezone(zoneinfo.ZoneInfo(self.person.time_zone)).time()
        start, end = self.quiet_from, self.quiet_to
        if start == end:
            return True
        if start < end:
            return start <= local < end
        return local >= start or local < end

    def emails(self, topic: str) -> bool:
        return bool(self.email.get(topic, True))
