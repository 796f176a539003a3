"""The wire shapes of people, messages, work items, escalations and notifications."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import cast

from hub.models import Organization, User
from rooms.files.detect import shown_inline
from rooms.models.files import Upload
from rooms.models.messages import Message
from rooms.models.notifications import TOPICS, Notification, NotificationSettings
from rooms.models.reactions import Reaction
from rooms.models.rooms import Membership, Room
from rooms.models.workitems import Escalation, WorkItem
from rooms.wire.types import (
    EscalationData,
    FileData,
    MemberEntry,
    MessageData,
    NotificationEvent,
    NotificationSettingsData,
    OrgRef,
    PersonRef,
    ReactionSummary,
    RoomKind,
    RoomRef,
    WorkItemData,
)


def iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def org_ref(org: Organization | None) -> OrgRef | None:
    if org is None:
        return None
    return {"id": org.id, "name": org.name, "slug": org.slug}


def member_entry(membership: Membership) -> MemberEntry:
    return {"person": person_ref(membership.user), "role": membership.role}


def room_ref(room: Room) -> RoomRef:
    return {"id": room.pk, "name": room.name, "kind": cast(RoomKind, room.kind)}


def person_ref(user: User) -> PersonRef:
    return {
        "id": user.id,
        "name": user.name,
        "handle": user.handle,
        "title": user.title,
        "avatar": user.avatar_url,
        "org": org_ref(user.organization),
    }


# The access-checked file endpoints (config/urls.py routes them; a test holds the two equal).
FILE_URL = "/api/files/{key}/"
THUMBNAIL_URL = "/api/files/{key}/thumbnail/"


def file_data(upload: Upload) -> FileData:
    return {
        "id": upload.key,
        "name": upload.name,
        "type": upload.content_type,
        "kind": upload.kind,
        "size": upload.size,
        "width": upload.width,
        "height": upload.height,
        "inline": shown_inline(upload.content_type),
        "url": FILE_URL.format(key=upload.key),
        "thumbnail": THUMBNAIL_URL.format(key=upload.key) if upload.thumbnail else None,
    }


def reaction_summary(reactions: Iterable[Reaction]) -> list[ReactionSummary]:
    """A message's reactions by emoji, each emoji where its first reaction came,
    its people in the order they reacted. Requires ``user__organization`` loaded."""
    summary: dict[str, ReactionSummary] = {}
    for reaction in sorted(reactions, key=lambda r: (r.created_at, r.pk or 0)):
        entry = summary.setdefault(
            reaction.emoji, {"emoji": reaction.emoji, "count": 0, "people": []}
        )
        entry["count"] += 1
        entry["people"].append(person_ref(reaction.user))
    return list(summary.values())


def message_data(
    message: Message,
    mentions: list[int] | None = None,
    files: list[FileData] | None = None,
    reactions: list[ReactionSummary] | None = None,
) -> MessageData:
    """The wire shape of a message. Requires ``author__organization`` loaded
    (and ``shared_back_by__organization``, or one query per shared-back note;
    and ``mentions``, ``attachments__upload`` and ``reactions__user__organization``
    prefetched, or queries per message).

    ``mentions`` (person ids), ``files`` and ``reactions`` are passed by
    writers that just stored them (a new message has no reactions); otherwise
    they are read from the message.
    """
    deleted = message.deleted_at is not None
    data: MessageData = {
        "id": message.id,
        "room": message.room_id,
        "seq": message.seq,
        "kind": message.kind,
        "author": person_ref(message.author),
        "client_id": message.client_id,
        "body": "" if deleted else message.body,
        "html": "" if deleted else message.body_html,
        "thread": message.thread_root_id,
        "in_room": message.in_room,
        "created_at": message.created_at.isoformat(),
        "edited_at": iso(message.edited_at),
        "deleted": deleted,
        "reply_count": message.reply_count,
        "last_reply_at": iso(message.last_reply_at),
        # Whom a deleted message mentioned is part of what it said: gone with it.
        "mentions": (
            []
            if deleted
            else mentions
            if mentions is not None
            else sorted(m.user_id for m in message.mentions.all())
        ),
        # A deleted message's files are gone from everyone's view with it.
        "files": (
            []
            if deleted
            else files
            if files is not None
            else [file_data(a.upload) for a in message.attachments.all()]
        ),
        # A deleted message's reactions go with it.
        "reactions": (
            []
            if deleted
            else reactions
            if reactions is not None
            else reaction_summary(message.reactions.all())
        ),
    }
    if message.provenance is not None:
        data["mirror"] = message.provenance
    if message.shared_back_at is not None:
        by = message.shared_back_by
        data["shared_back"] = {
            "by": person_ref(by) if by is not None else None,
            "at": message.shared_back_at.isoformat(),
        }
    return data


def escalation_data(escalation: Escalation) -> EscalationData:
    return {
        "id": escalation.id,
        "severity": escalation.severity,
        "status": escalation.status,
        "reason": escalation.reason,
        "raised_by": person_ref(escalation.raised_by),
        "raised_at": escalation.raised_at.isoformat(),
        "ack_due_at": escalation.ack_due_at.isoformat(),
        "acknowledged_by": (
            person_ref(escalation.acknowledged_by) if escalation.acknowledged_by else None
        ),
        "acknowledged_at": iso(escalation.acknowledged_at),
        "breached": escalation.breached_at is not None,
    }


def work_item_data(item: WorkItem, escalation: Escalation | None = None) -> WorkItemData:
    """The wire shape of a work item, with its live escalation (if any) passed in."""
    return {
        "id": item.id,
        "room": item.room_id,
        "title": item.title,
        "description": item.description,
        "html": item.description_html,
        "status": item.status,
        "assignee": person_ref(item.assignee) if item.assignee else None,
        "priority": item.priority,
        "due_date": item.due_date.isoformat() if item.due_date else None,
        "labels": list(item.labels),
        "raised_by_org": org_ref(item.raised_by_org),
        "created_by": person_ref(item.created_by),
        "created_at": item.created_at.isoformat(),
        "updated_at": item.updated_at.isoformat(),
        "thread": item.thread_root_id,
        "source_message": item.source_message_id,
        "version": item.version,
        "escalation": escalation_data(escalation) if escalation is not None else None,
    }


def notification_settings_data(
    found: NotificationSettings, now: datetime
) -> NotificationSettingsData:
    return {
        "time_zone": found.person.time_zone,
        "quiet": {
            "enabled": found.quiet_enabled,
            "start": found.quiet_from.strftime("%H:%M"),
            "end": found.quiet_to.strftime("%H:%M"),
        },
        "email": {topic: found.emails(topic) for topic in TOPICS},
        "topics": dict(TOPICS),
        "quiet_now": found.is_quiet(now),
    }


def notification_frame(notification: Notification) -> NotificationEvent:
    return {
        "type": "notification",
        "id": notification.id,
        "kind": notification.kind,
        "title": notification.title,
        "body": notification.body,
        "room": notification.room_id,
        "work_item": notification.work_item_id,
        "work_item_room": (
            notification.work_item.room_id if notification.work_item is not None else None
        ),
        "message": notification.message_id,
        "quiet": notification.quiet,
        "created_at": notification.created_at.isoformat(),
    }
