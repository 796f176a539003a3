"""Messages, their mentions, edits, and who follows a thread."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from hub.ids import RandomIdField
from rooms.models.rooms import Room


class Message(models.Model):
    class Kind(models.TextChoices):
        MESSAGE = "message", "Message"
        # The first message of a work item's thread, and notices the system posts.
        WORK_ITEM = "workitem", "Work item"
        NOTICE = "notice", "Notice"
        # A copy of a shared-thread message in an internal room (the bridge).
        MIRROR = "mirror", "Mirrored"

    id = RandomIdField()
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.MESSAGE)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="messages"
    )
    # The sender's idempotency key: a resend with the same key stores nothing new.
    client_id = models.CharField(max_length=64)
    body = models.TextField()
    body_html = models.TextField()
    thread_root = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    seq = models.BigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A thread reply also sent to the room: the room's timeline shows it too
    # (and counts it as unread there), with its thread.
    in_room = models.BooleanField(default=False)
    # Kept on the root so lists need no aggregate query.
    reply_count = models.PositiveIntegerField(default=0)
    last_reply_at = models.DateTimeField(null=True, blank=True)
    # Bridge: a mirror copy points at its shared original and says where it
    # came from; a shared-back message points at the internal note it shares.
    # Neither link is ever put on the wire to the other organization.
    mirror_source = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="mirror_copies"
    )
    provenance = models.JSONField(null=True, blank=True)
    shared_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="shared_as"
    )
    # On an internal note: who shared it back into the shared thread, and when.
    # Shown to everyone in the internal room; never sent to the shared room.
    shared_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    shared_back_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["seq"]
        constraints = [
            models.UniqueConstraint(fields=["room", "seq"], name="message_seq_unique"),
            models.UniqueConstraint(
                fields=["room", "author", "client_id"], name="message_client_id_unique"
            ),
        ]
        indexes = [models.Index(fields=["thread_root", "seq"])]

    def __str__(self) -> str:
        return f"#{self.pk} in {self.room_id} seq {self.seq}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def in_timeline(self) -> bool:
        """Shown in the room's list (``IN_TIMELINE``), not only in a thread."""
        return self.thread_root_id is None or self.in_room


# The room's timeline: its top-level messages, and the replies also sent to the room.
IN_TIMELINE = Q(thread_root__isnull=True) | Q(in_room=True)


class Mention(models.Model):
    """A person named with @handle in a message of a room they are in."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="+")
    seq = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "user"], name="one_mention_per_person")
        ]
        indexes = [models.Index(fields=["user", "room", "seq"])]

    def __str__(self) -> str:
        return f"{self.user_id} in message {self.message_id}"


class MessageEdit(models.Model):
    """The body a message had before an edit."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="edits")
    previous_body = models.TextField()
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    edited_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["edited_at", "id"]

    def __str__(self) -> str:
        return f"edit of message {self.message_id} at {self.edited_at:%Y-%m-%d %H:%M}"


class ThreadFollow(models.Model):
    """A person following a thread; their unread count is per thread."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="thread_follows"
    )
    root = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="followers")
    last_read_seq = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "root"], name="one_follow_per_thread")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.root_id}"
