"""The Matrix bridge: an internal room connected to a room on the organization's homeserver.

A ``Connector`` of kind "matrix" carries the delivery (cursor, backoff, dead
letters); ``MatrixBridge`` is its Matrix side: the application service's
tokens and the room. The other models are what the bridge remembers: which
Matrix event each Causeway message became (edits, redactions, threads and
replies need it), the puppets it made, the transactions the homeserver sent
(each applied once), who on Matrix is which Causeway person, and the
``!share`` requests waiting for ``!confirm``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from rooms.models.connectors import Connector
from rooms.models.messages import Message


class MatrixBridge(models.Model):
    """The Matrix side of one connector: its application service and its room."""

    connector = models.OneToOneField(
        Connector, primary_key=True, on_delete=models.CASCADE, related_name="matrix"
    )
    # The client-server API's base, as the admin typed it (checked by the outbound rule).
    homeserver_url = models.CharField(max_length=500)
    # The room as the admin named it: "!opaque:server" or "#alias:server".
    room = models.CharField(max_length=255)
    # The room's id once the bot joined it (an alias resolved).
    room_id = models.CharField(max_length=255, blank=True)
    # The homeserver's name: the part after ":" in its user ids.
    server_name = models.CharField(max_length=255)
    # Causeway -> homeserver (Authorization: Bearer) and homeserver -> Causeway.
    as_token = models.CharField(max_length=64)
    hs_token = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"matrix bridge of connector {self.connector_id} to {self.room}"


class MatrixPuppet(models.Model):
    """The Matrix user that speaks for one Causeway person in one bridge."""

    bridge = models.ForeignKey(MatrixBridge, on_delete=models.CASCADE, related_name="puppets")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    user_id = models.CharField(max_length=255)
    # What its profile says now ("Name (Organization)"); set again when it changes.
    display_name = models.CharField(max_length=300, blank=True)
    # The room id it has joined (blank: not yet).
    joined_room = models.CharField(max_length=255, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bridge", "person"], name="one_puppet_per_person")
        ]

    def __str__(self) -> str:
        return self.user_id


class MatrixEvent(models.Model):
    """A Causeway message and the Matrix event it is (sent by the bridge, or received)."""

    bridge = models.ForeignKey(MatrixBridge, on_delete=models.CASCADE, related_name="events")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    event_id = models.CharField(max_length=255)
    # Who sent it on Matrix: a puppet (outbound) or the engineer (inbound).
    sender = models.CharField(max_length=255)
    # True: written on Matrix and posted here as a note; never sent back.
    inbound = models.BooleanField(default=False)
    # The body as Matrix last showed it: an edit that changes nothing is not sent.
    body = models.TextField(blank=True)
    redacted = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bridge", "message"], name="one_matrix_event_per_msg")
        ]
        indexes = [models.Index(fields=["bridge", "event_id"])]

    def __str__(self) -> str:
        return f"{self.message_id} = {self.event_id}"


class MatrixAttempt(models.Model):
    """A send to the homeserver that has begun and not yet been seen to succeed.

    Written (autocommit) before the request and removed after its answer. One
    still here when the same ``txn_id`` comes again means the last try may have
    reached the homeserver and been lost with it (killed before answering, its
    transaction cache gone): the sink looks for the event in the room first.
    """

    bridge = models.ForeignKey(MatrixBridge, on_delete=models.CASCADE, related_name="+")
    txn_id = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bridge", "txn_id"], name="one_matrix_attempt")
        ]

    def __str__(self) -> str:
        return self.txn_id


class MatrixLink(models.Model):
    """A Matrix user who writes in the bridged room as one Causeway person.

    Made by an organization admin; only the organization's own people. An
    unlinked Matrix user's messages are not posted (the bot says why).
    """

    bridge = models.ForeignKey(MatrixBridge, on_delete=models.CASCADE, related_name="links")
    matrix_user_id = models.CharField(max_length=255)
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["bridge", "matrix_user_id"], name="one_person_per_matrix_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.matrix_user_id} = {self.person_id}"


class MatrixTransaction(models.Model):
    """A transaction the homeserver pushed, applied once (its retries are answered, not applied)."""

    bridge = models.ForeignKey(MatrixBridge, on_delete=models.CASCADE, related_name="+")
    txn_id = models.CharField(max_length=255)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["bridge", "txn_id"], name="one_matrix_txn")]

    def __str__(self) -> str:
        return self.txn_id


class MatrixShareRequest(models.Model):
    """``!share`` in reply to a note: what the person was shown, waiting for ``!confirm``."""

    class State(models.TextChoices):
        OPEN = "open", "Waiting for !confirm"
        SHARED = "shared", "Shared"
        CANCELLED = "cancelled", "Cancelled"

    bridge = models.ForeignKey(MatrixBridge, on_delete=models.CASCADE, related_name="+")
    note = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    mirror_id = models.BigIntegerField()
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    matrix_user_id = models.CharField(max_length=255)
    # Exactly what the prompt showed: the note's text and its files' keys.
    body = models.TextField()
    files = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)

    def __str__(self) -> str:
        return f"share of {self.note_id} ({self.state})"
