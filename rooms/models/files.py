"""Files: what was uploaded, which messages show it, and each organization's upload policy."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from hub.ids import RandomIdField
from hub.models import Organization
from rooms.models.messages import Message
from rooms.models.rooms import Room


def new_file_key() -> str:
    """The name a file is fetched by: 192 random bits, nothing guessable or countable."""
    return secrets.token_urlsafe(24)


class Upload(models.Model):
    """A file stored under a random key, with what its content (not its name) turned out to be.

    It is uploaded for one room and may only be sent there; once sent it is
    shown through ``Attachment`` rows, and whoever may read one of those
    messages may fetch it. The same upload can be on several messages: the
    mirror copies of a shared message, and the shared-back copy of an
    internal note, point at it instead of storing it again.
    """

    class Kind(models.TextChoices):
        IMAGE = "image", "Image"
        PDF = "pdf", "PDF"
        DOCUMENT = "document", "Office document"
        TEXT = "text", "Text"
        ARCHIVE = "archive", "Archive"
        OTHER = "other", "Other"

    id = RandomIdField()
    key = models.CharField(max_length=64, unique=True, default=new_file_key)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="uploads"
    )
    # Whose policy applied; never put on the wire.
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="uploads")
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    size = models.BigIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    # Names in the files storage ("" for no thumbnail).
    blob = models.CharField(max_length=200)
    thumbnail = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # First sent with a message; an upload never sent is removed after a grace.
    attached_at = models.DateTimeField(null=True, blank=True)
    # Nothing shows it any more (its messages were deleted, or it was never sent).
    released_at = models.DateTimeField(null=True, blank=True)
    # Its bytes were deleted (by the worker, after the release).
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["attached_at", "created_at"]),
            models.Index(fields=["released_at", "purged_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.key[:6]}…)"


class Attachment(models.Model):
    """An upload shown with a message, in the message's room."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    upload = models.ForeignKey(Upload, on_delete=models.PROTECT, related_name="attachments")
    # Kept here (the message's room and seq) for the room's Files list and its index.
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="+")
    seq = models.BigIntegerField()
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["message", "upload"], name="one_attachment_per_file")
        ]
        indexes = [models.Index(fields=["room", "seq"])]

    def __str__(self) -> str:
        return f"{self.upload_id} on {self.message_id}"


class FilePolicy(models.Model):
    """What an organization's own people may upload into shared rooms; set by its admins.

    Only ever applied to the organization's own people: the partner's policy
    never governs them. Internal rooms follow the server's limits alone.
    """

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="file_policy"
    )
    uploads_allowed = models.BooleanField(default=True)
    # Kinds (``Upload.Kind``) allowed; empty: every kind.
    kinds = models.JSONField(default=list, blank=True)
    # Bytes per file; None: the server's limit.
    max_bytes = models.BigIntegerField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "file policies"

    def __str__(self) -> str:
        return f"file policy of {self.organization_id}"
