"""Connectors: an internal room's events delivered to something outside the hub.

A connector reads its room's event log from a cursor (``delivered_seq``): the
log is written in the writing transaction, so it is the connector's outbox,
and sending a message costs nothing more. The relay (``rooms.connectors.relay``)
moves the cursor after each delivery; what fails too often becomes a
``ConnectorDeadLetter`` and the cursor moves on.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from hub.ids import RandomIdField
from hub.models import Organization
from rooms.models.log import RoomEvent
from rooms.models.rooms import Room


class Connector(models.Model):
    """One internal room of one organization, delivered to one outside receiver."""

    class Kind(models.TextChoices):
        WEBHOOK_OUT = "webhook_out", "Outgoing webhook"
        # The Matrix bridge: its own settings live in its own model (a OneToOne to this).
        MATRIX = "matrix", "Matrix bridge"

    id = RandomIdField()
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    # Always an internal room of ``organization`` (``check_create_connector``); the
    # relay stops a connector whose room is no longer one.
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="connectors")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=120)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)
    paused = models.BooleanField(default=False)
    # The cursor: the last room seq handled (delivered, skipped, or dead-lettered).
    # Starts at the room's head: a new connector delivers what comes next, not history.
    delivered_seq = models.BigIntegerField(default=0)
    # Failed attempts at the event after the cursor; zero when it is healthy.
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    # When the event after the cursor first failed (null: not failing).
    failing_since = models.DateTimeField(null=True, blank=True)
    # A worker's claim: until ``lease_until`` only the holder of ``lease_token``
    # moves the cursor; after it, another worker may take the connector over.
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.CharField(max_length=32, blank=True)
    # The kind's non-secret settings (a webhook's URL).
    config = models.JSONField(default=dict, blank=True)
    # Signs what is sent (HMAC); shown once, when the connector is made.
    secret = models.CharField(max_length=100)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["removed_at", "paused", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.name} on room {self.room_id}"

    @property
    def is_live(self) -> bool:
        return self.removed_at is None


class ConnectorDeadLetter(models.Model):
    """An event a connector gave up on. The admin retries it (delivered again, out of
    order) or discards it; either way it stays as a record."""

    class State(models.TextChoices):
        DEAD = "dead", "Dead letter"
        # The admin asked for another try: the relay delivers it next.
        RETRYING = "retrying", "Retrying"
        DELIVERED = "delivered", "Delivered on retry"
        DISCARDED = "discarded", "Discarded"

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="dead_letters")
    seq = models.BigIntegerField()
    # Null once the event is gone (retention, the room deleted): nothing left to retry.
    event = models.ForeignKey(RoomEvent, null=True, on_delete=models.SET_NULL, related_name="+")
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DEAD)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["connector", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["connector", "seq"], name="one_dead_letter_per_seq")
        ]
        indexes = [models.Index(fields=["state"], condition=Q(state="retrying"), name="dl_retry")]

    def __str__(self) -> str:
        return f"dead letter {self.connector_id}#{self.seq} ({self.state})"
