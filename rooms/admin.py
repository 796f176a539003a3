from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from hub.admin import ReadOnlyAdmin
from rooms.models.bridge import Mirror, OutboxEntry
from rooms.models.connectors import Connector, ConnectorDeadLetter
from rooms.models.exports import RoomExport
from rooms.models.invitations import Invitation
from rooms.models.log import RoomEvent
from rooms.models.messages import Message
from rooms.models.notifications import Notification
from rooms.models.retention import LegalHold, RetentionPolicy
from rooms.models.rooms import Membership, Room
from rooms.models.workitems import Escalation, EscalationContact, WorkItem


class MembershipInline(admin.TabularInline[Membership, Room]):
    """Read-only: memberships change through actions, which enforce the room's
    organization boundary, write the audit log and tell open sockets."""

    model = Membership
    extra = 0
    fields = ("user", "user_organization", "role", "joined_at", "left_at", "last_read_seq")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Room | None = None) -> bool:
        return False

    @admin.display(description="organization")
    def user_organization(self, obj: Membership) -> str:
        return str(obj.user.organization)


@admin.register(Room)
class RoomAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "partnership", "organization", "last_seq", "archived_at")
    list_filter = ("kind",)
    inlines = [MembershipInline]
    readonly_fields = ("last_seq",)


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "room",
        "author",
        "author_organization",
        "seq",
        "created_at",
        "deleted_at",
    )
    list_select_related = ("room", "author__organization")
    raw_id_fields = ("thread_root", "author", "deleted_by")
    readonly_fields = ("seq",)

    @admin.display(description="organization")
    def author_organization(self, obj: Message) -> str:
        return str(obj.author.organization)


@admin.register(RoomEvent)
class RoomEventAdmin(ReadOnlyAdmin):
    list_display = ("room", "seq", "type", "created_at")
    list_filter = ("type",)
    readonly_fields = ("room", "seq", "type", "message", "payload", "created_at")


@admin.register(WorkItem)
class WorkItemAdmin(ReadOnlyAdmin):
    list_display = ("title", "room", "status", "priority", "assignee", "raised_by_org", "due_date")
    list_filter = ("status", "priority")
    list_select_related = ("room", "assignee", "raised_by_org")
    readonly_fields = ("thread_root", "source_message", "version")
    raw_id_fields = ("assignee", "created_by")


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdmin):
    list_display = ("work_item", "severity", "status", "raised_by", "ack_due_at", "breached_at")
    list_filter = ("severity", "status")
    list_select_related = ("work_item", "raised_by")
    raw_id_fields = ("work_item", "raised_by", "acknowledged_by", "resolved_by")


@admin.register(Mirror)
class MirrorAdmin(ReadOnlyAdmin):
    list_display = ("id", "organization", "source_room", "target_room", "created_at", "stopped_at")
    list_select_related = ("organization", "source_room", "target_room")


@admin.register(RoomExport)
class RoomExportAdmin(ReadOnlyAdmin):
    """Which exports ran and how they ended (for support); never their contents."""

    list_display = ("id", "organization", "room", "status", "progress", "created_at", "error")
    list_filter = ("status",)
    list_select_related = ("organization", "room")
    exclude = ("blob",)


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(ReadOnlyAdmin):
    """Each organization's retention periods (for support). Set by its admins on their
    settings page, where a change is checked and audited."""

    list_display = ("organization", "shared_days", "internal_days", "updated_by", "updated_at")
    list_select_related = ("organization", "updated_by")


@admin.register(LegalHold)
class LegalHoldAdmin(ReadOnlyAdmin):
    """Legal holds, live and lifted (for support); placed and lifted by the organization's
    admins, audited."""

    list_display = ("id", "organization", "person", "room", "created_at", "lifted_at")
    list_select_related = ("organization", "person", "room")


@admin.register(OutboxEntry)
class OutboxEntryAdmin(admin.ModelAdmin[OutboxEntry]):
    """The bridge's queue. Dead letters show here with their reason and can be retried."""

    list_display = ("id", "status", "attempts", "next_attempt_at", "last_error", "created_at")
    list_filter = ("status",)
    readonly_fields = (
        "event", "thread_root", "status", "attempts", "next_attempt_at", "last_error",
        "created_at", "done_at",
    )  # fmt: skip
    actions = ["retry"]

    @admin.action(description="Retry the selected dead letters")
    def retry(self, request: HttpRequest, queryset: Any) -> None:
        from django.utils import timezone

        count = queryset.filter(status=OutboxEntry.Status.DEAD).update(
            status=OutboxEntry.Status.PENDING, attempts=0, next_attempt_at=timezone.now()
        )
        self.message_user(request, f"{count} entries queued again.")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin[Invitation]):
    list_display = ("email", "organization", "room", "invited_by", "expires_at", "accepted_at")
    list_select_related = ("organization", "room", "invited_by")
    exclude = ("token_hash",)


@admin.register(EscalationContact)
class EscalationContactAdmin(admin.ModelAdmin[EscalationContact]):
    list_display = ("person", "organization", "partnership")
    list_select_related = ("person", "organization", "partnership")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin[Notification]):
    list_display = ("person", "kind", "title", "created_at", "read_at")
    list_filter = ("kind",)
    list_select_related = ("person",)


@admin.register(Connector)
class ConnectorAdmin(admin.ModelAdmin[Connector]):
    """Connectors, read-only for the operator: the organization's admins change them on
    the organization page (audited there). Never the secret."""

    list_display = (
        "id", "kind", "name", "organization", "room", "paused", "removed_at",
        "delivered_seq", "attempts", "last_error",
    )  # fmt: skip
    list_filter = ("kind", "paused")
    fields = (
        "kind", "name", "organization", "room", "created_by", "created_at", "removed_at",
        "paused", "delivered_seq", "attempts", "next_attempt_at", "failing_since",
        "last_error", "lease_until", "config",
    )  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Connector | None = None) -> bool:
        return False


@admin.register(ConnectorDeadLetter)
class ConnectorDeadLetterAdmin(admin.ModelAdmin[ConnectorDeadLetter]):
    """Events a connector gave up on; the organization's admins retry or discard them."""

    list_display = ("id", "connector", "seq", "state", "attempts", "error", "created_at")
    list_filter = ("state",)
    readonly_fields = ("connector", "seq", "event", "error", "attempts", "created_at", "state")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: ConnectorDeadLetter | None = None
    ) -> bool:
        return False
