"""Rooms, their members, their messages and the per-room event log."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from hub.ids import RandomIdField
from hub.models import Organization, Partnership


class Room(models.Model):
    class Kind(models.TextChoices):
        SHARED = "shared", "Shared"
        INTERNAL = "internal", "Internal"

    id = RandomIdField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(max_length=120)
    topic = models.CharField(max_length=500, blank=True)
    # Exactly one of these is set, by kind.
    partnership = models.ForeignKey(
        Partnership, null=True, blank=True, on_delete=models.PROTECT, related_name="rooms"
    )
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="internal_rooms"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    archived_at = models.DateTimeField(null=True, blank=True)
    # The sequence number of the latest room event. Incremented under
    # SELECT ... FOR UPDATE in the same transaction as the event's write.
    last_seq = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="shared", partnership__isnull=False, organization__isnull=True)
                    | Q(kind="internal", partnership__isnull=True, organization__isnull=False)
                ),
                name="room_owner_matches_kind",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_shared(self) -> bool:
        return self.kind == self.Kind.SHARED

    def allowed_organization_ids(self) -> set[int]:
        """The only organizations whose people may ever be members."""
        if self.is_shared:
            assert self.partnership is not None
            return {self.partnership.supplier_id, self.partnership.client_id}
        assert self.organization_id is not None
        return {self.organization_id}


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self) -> MembershipQuerySet:
        return self.filter(left_at__isnull=True)


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        MEMBER = "member", "Member"

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)
    # Everything up to this sequence number has been read.
    last_read_seq = models.BigIntegerField(default=0)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["room", "user"], name="one_membership_per_person")
        ]
        indexes = [models.Index(fields=["user", "left_at"])]

    def __str__(self) -> str:
        return f"{self.user} in {self.room}"

    @property
    def is_active(self) -> bool:
        return self.left_at is None


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


class WorkItem(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        BLOCKED = "blocked", "Blocked"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    # From each status, where a work item may go next.
    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        "open": frozenset({"in_progress", "blocked", "done", "cancelled"}),
        "in_progress": frozenset({"open", "blocked", "done", "cancelled"}),
        "blocked": frozenset({"open", "in_progress", "cancelled"}),
        "done": frozenset({"open"}),
        "cancelled": frozenset({"open"}),
    }

    id = RandomIdField()
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="work_items")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    description_html = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    priority = models.PositiveSmallIntegerField(default=3)
    due_date = models.DateField(null=True, blank=True)
    labels = models.JSONField(default=list, blank=True)
    raised_by_org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # The work item's own thread, and the message it was created from, if any.
    thread_root = models.OneToOneField(Message, on_delete=models.PROTECT, related_name="work_item")
    source_message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["priority", "due_date", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(priority__gte=1, priority__lte=4), name="work_item_priority_1_to_4"
            )
        ]
        indexes = [models.Index(fields=["assignee", "status"])]

    def __str__(self) -> str:
        return self.title

    def open_escalation(self) -> Escalation | None:
        return (
            self.escalations.exclude(status=Escalation.Status.RESOLVED)
            .order_by("-raised_at", "-id")
            .first()
        )


class WorkItemChange(models.Model):
    """Full change history: who changed which fields, from what to what."""

    work_item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="changes")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    changes = models.JSONField()
    seq = models.BigIntegerField()

    class Meta:
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"change of work item {self.work_item_id} at seq {self.seq}"


class Escalation(models.Model):
    class Severity(models.TextChoices):
        S1 = "S1", "S1 critical"
        S2 = "S2", "S2 major"
        S3 = "S3", "S3 minor"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    id = RandomIdField()
    work_item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="escalations")
    severity = models.CharField(max_length=2, choices=Severity.choices)
    reason = models.TextField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(default=timezone.now)
    ack_due_at = models.DateTimeField()
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Past ack_due_at without acknowledgement: flagged, and re-notified.
    breached_at = models.DateTimeField(null=True, blank=True)
    last_notified_at = models.DateTimeField(null=True, blank=True)
    notify_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-raised_at", "-id"]
        constraints = [
            # One live escalation per work item.
            models.UniqueConstraint(
                fields=["work_item"],
                condition=~Q(status="resolved"),
                name="one_live_escalation_per_work_item",
            )
        ]
        indexes = [models.Index(fields=["status", "ack_due_at"])]

    def __str__(self) -> str:
        return f"{self.severity} on {self.work_item_id} ({self.status})"


class EscalationRoom(models.Model):
    """Each side's internal room for a work item's escalations: created once, reused."""

    work_item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    room = models.OneToOneField(Room, on_delete=models.CASCADE, related_name="escalation_for")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["work_item", "organization"], name="one_escalation_room_per_side"
            )
        ]

    def __str__(self) -> str:
        return f"escalation room of {self.organization_id} for {self.work_item_id}"


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
