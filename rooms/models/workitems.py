"""Work items, their history, escalations, and who each side wants told."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from hub.ids import RandomIdField
from hub.models import Organization, Partnership, User
from rooms.models.messages import Message
from rooms.models.rooms import Room

# What a work item's title (and an escalation's reason) says once retention removed it
# (a description is blanked).
REMOVED_TEXT = "Removed under retention"
# The ``changes`` key of the ``workitem.updated`` retention publishes when it removes a
# work item's text: ``[null, [the fields whose text it removed]]``.
RETENTION_CHANGE = "retention"


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
        return self.escalations.live().order_by("-raised_at", "-id").first()


class WorkItemChange(models.Model):
    """Full change history: who changed which fields, from what to what."""

    work_item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="changes")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    changes = models.JSONField()
    seq = models.BigIntegerField()
    # When retention removed the text this change wrote (its organization's period
    # passed): the job selects changes without it, so a run never redoes one.
    text_removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"change of work item {self.work_item_id} at seq {self.seq}"


class EscalationQuerySet(models.QuerySet["Escalation"]):
    def live(self) -> EscalationQuerySet:
        """Not resolved: open or acknowledged (one per work item at most)."""
        return self.exclude(status=Escalation.Status.RESOLVED)


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

    objects = EscalationQuerySet.as_manager()

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


class EscalationContact(models.Model):
    """Who one side of a partnership wants told, at once, about an escalation."""

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="escalation_contacts"
    )
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")

    class Meta:
        # The table it had when escalation contacts lived in the hub app.
        db_table = "hub_escalationcontact"
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "person"], name="one_contact_entry_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} for {self.organization} in partnership {self.partnership_id}"
