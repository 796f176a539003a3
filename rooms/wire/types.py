"""Wire types: one ``TypedDict`` per frame the server sends, with a literal ``type``.

Every frame is a JSON object. Room events carry the room's ``seq`` and are
stored in its log; ephemeral frames (typing, presence, unread) carry none.
``ROOM_EVENT_TYPES`` is derived from ``RoomEventFrame``: the one list of
room-event types, which the web app imports (frontend ``wire.gen.js``).
How frames travel (groups, encoding, the publisher) is ``hub.publish``.
"""

from __future__ import annotations

import typing
from typing import Any, Literal, NotRequired, TypedDict

# The kernel's audit log page (GET /api/organization/audit/) is among the wire shapes
# (re-exported), so the client's types are generated from it (export_client_types).
from hub.auditlog import AuditLogPage as AuditLogPage
from hub.selectors import PartnershipEnding


class OrgRef(TypedDict):
    id: int
    name: str
    slug: str


class PersonRef(TypedDict):
    id: int
    name: str
    handle: str
    title: str
    # The picture's address (its version in it), or null: initials.
    avatar: str | None
    org: OrgRef | None


class SharedBack(TypedDict):
    by: PersonRef | None
    at: str


class MirroredMessage(TypedDict):
    """Where a mirror copy's original was said (names as they were then)."""

    room: int
    room_name: str
    message: int
    author: str
    org: str
    at: str


class MirroredEvent(TypedDict):
    """The shared room's event a mirror notice reports (a work item's change)."""

    room: int
    event_seq: int
    at: str


MirrorProvenance = MirroredMessage | MirroredEvent


class FileData(TypedDict):
    """A file shown with a message. ``id`` is its random key; fetch it at ``url``."""

    id: str
    name: str
    type: str
    kind: str
    size: int
    width: int | None
    height: int | None
    # Shown inline (a safe image type); everything else is a download.
    inline: bool
    url: str
    thumbnail: str | None


class FilePolicyData(TypedDict):
    """GET /api/organization/file-policy/: what the own people may upload into shared rooms."""

    uploads_allowed: bool
    # Allowed kinds; empty: all.
    kinds: list[str]
    # The organization's limit per file, or None for the server's.
    max_bytes: int | None
    server_max_bytes: int
    message_files_max: int
    message_max_bytes: int
    can_change: bool


class ReactionSummary(TypedDict):
    """One emoji on a message: how many reacted with it, and who (in the order they did)."""

    emoji: str
    count: int
    people: list[PersonRef]


class MessageData(TypedDict):
    id: int
    room: int
    seq: int
    kind: str
    author: PersonRef
    client_id: str
    body: str
    html: str
    thread: int | None
    # A reply that was also sent to the room: it shows in the room's timeline too.
    in_room: bool
    created_at: str
    edited_at: str | None
    deleted: bool
    reply_count: int
    last_reply_at: str | None
    mentions: list[int]
    files: list[FileData]
    # Each emoji reacted with, in the order of its first reaction.
    reactions: list[ReactionSummary]
    # Only on mirror copies in an internal room: where the original was said.
    mirror: NotRequired[MirrorProvenance]
    # Only on an internal note that was shared back into the shared thread.
    shared_back: NotRequired[SharedBack]


class MessageNewEvent(TypedDict):
    type: Literal["message.new"]
    room: int
    seq: int
    message: MessageData


class MessageEditedEvent(TypedDict):
    type: Literal["message.edited"]
    room: int
    seq: int
    message: MessageData


class MessageDeletedEvent(TypedDict):
    type: Literal["message.deleted"]
    room: int
    seq: int
    id: int
    thread: int | None


class ReactionUpdatedEvent(TypedDict):
    """Someone added or removed a reaction: the message's reactions as they are now."""

    type: Literal["reaction.updated"]
    room: int
    seq: int
    # The message, and the thread it replies in (null for a top-level message).
    message: int
    thread: int | None
    reactions: list[ReactionSummary]


class MemberJoinedEvent(TypedDict):
    type: Literal["member.joined"]
    room: int
    seq: int
    member: PersonRef
    role: str


class MemberUpdatedEvent(TypedDict):
    """A member changed their name, title or handle: the person as now shown."""

    type: Literal["member.updated"]
    room: int
    seq: int
    member: PersonRef


class MemberLeftEvent(TypedDict):
    type: Literal["member.left"]
    room: int
    seq: int
    user: int


class RoomUpdatedEvent(TypedDict):
    type: Literal["room.updated"]
    room: int
    seq: int
    name: str
    topic: str


# Whose messages, besides your own, you may delete in a room (rooms.moderation).
ModerationScope = Literal["all", "own_org", "none"]

# Why a room was archived: its partnership ended, or an owner archived it.
# Events logged before owners could archive carry no ``cause``: their
# partnership ended.
ArchiveCause = Literal["partnership_ended", "owner"]


class RoomArchivedEvent(TypedDict):
    type: Literal["room.archived"]
    room: int
    seq: int
    archived_at: str
    reason: str
    by: PersonRef | None
    cause: NotRequired[ArchiveCause]


class RoomUnarchivedEvent(TypedDict):
    """An owner reopened a room they had archived (never one whose partnership ended)."""

    type: Literal["room.unarchived"]
    room: int
    seq: int
    by: PersonRef


class MemberRoleEvent(TypedDict):
    """An owner made a member an owner, or an owner a member."""

    type: Literal["member.role"]
    room: int
    seq: int
    user: int
    role: str
    by: PersonRef
    # Only in an internal room (one organization), where an owner moderates:
    # whose messages ``user`` may now delete (the room list's ``moderation``).
    # A shared room's scope does not depend on the role, and would tell the
    # partner which of your people are admins.
    moderation: NotRequired[ModerationScope]


class EscalationData(TypedDict):
    id: int
    severity: str
    status: str
    reason: str
    raised_by: PersonRef
    raised_at: str
    ack_due_at: str
    acknowledged_by: PersonRef | None
    acknowledged_at: str | None
    breached: bool


class WorkItemData(TypedDict):
    id: int
    room: int
    title: str
    description: str
    html: str
    status: str
    assignee: PersonRef | None
    priority: int
    due_date: str | None
    labels: list[str]
    raised_by_org: OrgRef | None
    created_by: PersonRef
    created_at: str
    updated_at: str
    thread: int
    source_message: int | None
    version: int
    escalation: EscalationData | None


class WorkItemCreatedEvent(TypedDict):
    type: Literal["workitem.created"]
    room: int
    seq: int
    item: WorkItemData


class WorkItemUpdatedEvent(TypedDict):
    type: Literal["workitem.updated"]
    room: int
    seq: int
    item: WorkItemData
    # field -> [old, new]; primitive values only.
    changes: dict[str, list[Any]]
    by: PersonRef | None


class NotificationEvent(TypedDict):
    type: Literal["notification"]
    id: int
    kind: str
    title: str
    body: str
    room: int | None
    work_item: int | None
    # The room the work item is in (an escalation's ``room`` is the side's
    # internal escalation room): where the item opens.
    work_item_room: int | None
    # The message it is about (a mention, a reply): its permalink.
    message: int | None
    # Made during the person's quiet hours: listed, not announced.
    quiet: bool
    created_at: str


class QuietHoursData(TypedDict):
    enabled: bool
    start: str  # HH:MM, the person's own clock
    end: str


class NotificationSettingsData(TypedDict):
    """``GET /api/me/notifications/``: one person's choices."""

    time_zone: str
    quiet: QuietHoursData
    # Topic -> whether it is e-mailed, for every topic.
    email: dict[str, bool]
    # Topic -> how it is said.
    topics: dict[str, str]
    # Whether it is quiet hours for the person now.
    quiet_now: bool


class NotificationsUpdatedEvent(TypedDict):
    """Some of the person's notifications were read (by reading their messages) or removed
    (their message was deleted)."""

    type: Literal["notifications.updated"]
    read: list[int]
    removed: list[int]


class UnreadEvent(TypedDict):
    type: Literal["unread"]
    room: int
    count: int
    mentions: int
    last_read_seq: int


class ThreadUnreadEvent(TypedDict):
    """A thread's reading state changed (``thread.follow``, ``thread.read``)."""

    type: Literal["thread.unread"]
    room: int
    root: int
    following: bool
    last_read_seq: int
    count: int


RoomKind = Literal["shared", "internal", "direct"]  # rooms.models.Room.Kind
NotifyLevel = Literal["all", "mentions", "none"]  # rooms.models.Membership.Notify


class PartnerRef(TypedDict):
    id: int
    name: str
    slug: str


class RoomListEntry(TypedDict):
    """One room of ``GET /api/rooms/``: the person's rooms with their reading state."""

    id: int
    kind: RoomKind
    name: str
    topic: str
    head_seq: int
    last_read_seq: int
    unread: int
    mentions: int
    role: str
    # What you are told of this room (Membership.Notify).
    notify: NotifyLevel
    member_count: int
    moderation: ModerationScope
    archived: bool
    partner: NotRequired[PartnerRef]
    ended: NotRequired[PartnershipEnding | None]
    # Only on an archived room: why (see ``ArchiveCause``).
    archived_cause: NotRequired[ArchiveCause]


class RoomAddedFrame(TypedDict):
    """To the sockets of a person just added to a room (``user.<id>``): the room as
    their room list shows it, and who added them (null: they joined by invitation)."""

    type: Literal["room.added"]
    room: RoomListEntry
    by: PersonRef | None


class MessageAround(TypedDict):
    """``GET /api/rooms/{room}/messages/{id}/``: a permalink's message and the room around it."""

    room: int
    head_seq: int
    message: MessageData
    # The message the room's list centres on: the message, or its thread's root.
    anchor: int
    thread: int | None
    messages: list[MessageData]
    older: bool
    newer: bool


class SnippetPart(TypedDict):
    """A piece of a search result's passage; ``hit`` where it matched what was typed."""

    text: str
    hit: bool


class RoomRef(TypedDict):
    id: int
    name: str
    kind: RoomKind


class SearchHit(TypedDict):
    """One result of ``GET /api/search/``."""

    message: MessageData
    room: RoomRef
    snippet: list[SnippetPart]


class SearchResults(TypedDict):
    results: list[SearchHit]
    # The ``offset`` of the next page, or null on the last.
    next: int | None


class HelloFrame(TypedDict):
    type: Literal["hello"]
    protocol: int
    me: PersonRef
    limits: dict[str, int | float]


class MemberEntry(TypedDict):
    person: PersonRef
    role: str


class PersonCard(TypedDict):
    """``GET /api/people/{id}/``: a person as one viewer may see them."""

    person: PersonRef
    # IANA, the person's own: the card shows their local time from it.
    time_zone: str
    # The rooms both the viewer and the person are in (not archived), by name:
    # never one the viewer is not in, and only shared ones across organizations.
    rooms: list[RoomRef]


class ThreadReading(TypedDict):
    """A thread the person follows: their marker in it and its unread replies."""

    root: int
    last_read_seq: int
    unread: int


class FollowedThread(TypedDict):
    """One thread of ``GET /api/threads/``: its first message, its room, and your reading."""

    root: MessageData
    room: RoomRef
    unread: int
    last_read_seq: int
    # Its latest reply (text, author, time), or null when it has none yet.
    last_reply: MessageData | None


class FollowedThreads(TypedDict):
    threads: list[FollowedThread]
    next: int | None


class SubscribedFrame(TypedDict):
    type: Literal["subscribed"]
    room: int
    head_seq: int
    members: list[MemberEntry]
    presence: dict[str, str]
    last_read_seq: int
    unread: int
    threads: list[ThreadReading]
    ref: str | int | None


class ResyncFrame(TypedDict):
    type: Literal["resync"]
    room: int
    head_seq: int


class UnsubscribedFrame(TypedDict):
    type: Literal["unsubscribed"]
    room: int
    ref: str | int | None


class AckFrame(TypedDict):
    type: Literal["ack"]
    room: int
    client_id: str
    id: int
    seq: int
    ref: str | int | None


class OkFrame(TypedDict):
    type: Literal["ok"]
    op: str
    ref: str | int | None
    id: NotRequired[int]


class PongFrame(TypedDict):
    type: Literal["pong"]
    ref: str | int | None


class RoomRemovedFrame(TypedDict):
    type: Literal["room.removed"]
    room: int


class SessionEndedFrame(TypedDict):
    type: Literal["session.ended"]


class ErrorFrame(TypedDict):
    type: Literal["error"]
    code: str
    detail: str
    ref: str | int | None
    # `rate_limited` only: whole seconds until the limit lets a frame through.
    retry_after: NotRequired[int]


SocketFrame = (
    HelloFrame
    | SubscribedFrame
    | ResyncFrame
    | UnsubscribedFrame
    | AckFrame
    | OkFrame
    | PongFrame
    | RoomRemovedFrame
    | SessionEndedFrame
    | ErrorFrame
)


RoomEventFrame = (
    MessageNewEvent
    | MessageEditedEvent
    | MessageDeletedEvent
    | ReactionUpdatedEvent
    | MemberJoinedEvent
    | MemberLeftEvent
    | MemberUpdatedEvent
    | RoomUpdatedEvent
    | RoomArchivedEvent
    | RoomUnarchivedEvent
    | MemberRoleEvent
    | WorkItemCreatedEvent
    | WorkItemUpdatedEvent
)


def _frame_type(frame: Any) -> str:
    (value,) = typing.get_args(typing.get_type_hints(frame)["type"])
    return str(value)


# The one list of room-event types (frames with a room's seq).
ROOM_EVENT_TYPES: frozenset[str] = frozenset(
    _frame_type(frame) for frame in typing.get_args(RoomEventFrame)
)
