"""Writing audit entries. Called only from actions, inside their transaction."""

from __future__ import annotations

from typing import Any

from django.db import models

from hub.models import AuditEntry, Organization, User


def record(
    actor: User | None,
    action: str,
    target: models.Model,
    *,
    organization: Organization | None = None,
    **data: Any,
) -> AuditEntry:
    if organization is None and actor is not None:
        organization = actor.organization
    return AuditEntry.objects.create(
        actor=actor,
        organization=organization,
        action=action,
        target_type=target._meta.model_name or "",
        target_id=target.pk,
        data=data,
    )


# Every kind of entry written today, with the words the audit log page and its
# exports show for it: defined here once, next to ``record``, so the page's
# JavaScript never keeps its own list. A kind written without a label here is
# shown by its name (``label``), never dropped.
LABELS: dict[str, str] = {
    "audit.exported": "Exported the audit log",
    "bot.hook_created": "Created an incoming webhook",
    "bot.hook_regenerated": "Regenerated an incoming webhook's address",
    "bot.hook_revoked": "Removed an incoming webhook",
    "bot.token_created": "Created a bot token",
    "bot.token_revoked": "Revoked a bot token",
    "connector.created": "Connected a room to an outside service",
    "connector.dead_letter_discarded": "Discarded an undelivered connector event",
    "connector.dead_letter_retried": "Retried an undelivered connector event",
    "connector.paused": "Paused a connector",
    "connector.removed": "Removed a connector",
    "connector.resumed": "Resumed a connector",
    "escalation.acknowledged": "Acknowledged an escalation",
    "escalation.breached": "Escalation missed its acknowledgement target",
    "escalation.contacts_set": "Set the escalation contacts",
    "escalation.downgraded": "Downgraded an escalation",
    "escalation.raised": "Raised an escalation",
    "escalation.reassigned": "Reassigned an escalation",
    "escalation.resolved": "Resolved an escalation",
    "escalation.targets_set": "Set the acknowledgement targets",
    "files.policy_changed": "Changed the file policy",
    "invitation.accepted": "Accepted an invitation",
    "invitation.created": "Invited someone",
    "invitation.revoked": "Revoked an invitation",
    "matrix.linked": "Linked a Matrix user to a person",
    "matrix.unlinked": "Unlinked a Matrix user",
    "membership.added": "Added someone to a room",
    "membership.removed": "Removed someone from a room",
    "membership.role_changed": "Changed someone's role in a room",
    "message.deleted": "Deleted their own message",
    "message.moderated": "Deleted someone else's message",
    "mirror.created": "Mirrored a shared thread",
    "mirror.shared_back": "Shared back from a mirror",
    "mirror.stopped": "Stopped a mirror",
    "organization.created": "Organization created",
    "organization.domain_added": "Verified a domain",
    "organization.domain_removed": "Removed a verified domain",
    "organization.idp_changed": "Changed the single sign-on provider",
    "partnership.active": "Accepted a partnership",
    "partnership.declined": "Declined a partnership",
    "partnership.ended": "Ended a partnership",
    "partnership.proposed": "Proposed a partnership",
    "person.deactivated": "Deactivated a person",
    "person.created": "Created an account",
    "person.role_changed": "Changed someone's role in the organization",
    "person.profile_changed": "Changed their profile",
    "retention.changed": "Changed the retention periods",
    "retention.hold_lifted": "Lifted a legal hold",
    "retention.hold_placed": "Placed a legal hold",
    "retention.run": "Removed messages and work-item text past the retention period",
    "room.archived": "Archived a room",
    "room.created": "Created a room",
    "room.exported": "Exported a room",
    "room.unarchived": "Unarchived a room",
}


def label(action: str) -> str:
    return LABELS.get(action, action)
