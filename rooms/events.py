"""Wire events and the one way to publish them.

Every frame is a JSON object with a literal ``type``. Room events carry the
room's ``seq``; ephemeral frames (typing, presence, unread) carry none.

Publishing: ``publish_on_commit`` encodes the frame to JSON *once* and hands
it to the channel layer after the surrounding transaction commits, addressed
to a group that holds one channel per server process (see ``rooms.fanout``).
Each process then writes the same pre-encoded string to each local socket.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal, NotRequired, TypedDict

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger("causeway.events")


class OrgRef(TypedDict):
    id: int
    name: str
    slug: str


class PersonRef(TypedDict):
    id: int
    name: str
    handle: str
    title: str
    org: OrgRef | None


class SharedBack(TypedDict):
    by: PersonRef | None
    at: str


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
    created_at: str
    edited_at: str | None
    deleted: bool
    reply_count: int
    last_reply_at: str | None
    mentions: list[int]
    # Only on mirror copies in an internal room: where the original was said.
    mirror: NotRequired[dict[str, Any]]
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


class MemberJoinedEvent(TypedDict):
    type: Literal["member.joined"]
    room: int
    seq: int
    member: PersonRef
    role: str


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


class RoomArchivedEvent(TypedDict):
    type: Literal["room.archived"]
    room: int
    seq: int
    archived_at: str
    reason: str
    by: PersonRef | None


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
    created_at: str


class TypingEvent(TypedDict):
    type: Literal["typing"]
    room: int
    user: int
    thread: int | None
    expires_in: int


class PresenceEvent(TypedDict):
    type: Literal["presence"]
    room: NotRequired[int]
    user: int
    state: str


class UnreadEvent(TypedDict):
    type: Literal["unread"]
    room: int
    count: int
    last_read_seq: int


# Replies and notices to one socket (never published to a group).


class HelloFrame(TypedDict):
    type: Literal["hello"]
    protocol: int
    me: PersonRef
    limits: dict[str, int | float]


class SubscribedFrame(TypedDict):
    type: Literal["subscribed"]
    room: int
    head_seq: int
    members: list[dict[str, Any]]
    presence: dict[str, str]
    last_read_seq: int
    unread: int
    threads: list[dict[str, Any]]
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
    | MemberJoinedEvent
    | MemberLeftEvent
    | RoomUpdatedEvent
    | RoomArchivedEvent
    | WorkItemCreatedEvent
    | WorkItemUpdatedEvent
)

# Control messages travel on a person's group and are acted on by their
# sockets; they are never forwarded to a browser as they are.
ControlKind = Literal["room.revoked", "auth.recheck"]


def room_group(room_id: int) -> str:
    return f"room.{room_id}"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def encode(frame: Any) -> str:
    # Replayed events come back from a PostgreSQL jsonb column, which reorders
    # keys; "type" first keeps every frame recognisable from its opening bytes,
    # live or replayed.
    if isinstance(frame, dict) and "type" in frame and next(iter(frame)) != "type":
        frame = {"type": frame["type"], **frame}
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False)


def layer_message(group: str, frame: Any, seq: int | None = None) -> dict[str, Any]:
    return {"type": "fanout.deliver", "group": group, "seq": seq, "text": encode(frame)}


def control_message(group: str, kind: ControlKind, **data: Any) -> dict[str, Any]:
    return {"type": "fanout.control", "group": group, "kind": kind, "data": data}


_collecting = threading.local()


@contextmanager
def collect_publishes() -> Iterator[list[dict[str, Any]]]:
    """Collect what committed actions publish in this thread instead of sending it.

    The socket consumer runs actions in a worker thread and then sends the
    collected messages from the event loop (``flush``), so the database
    thread never waits for an in-process channel layer. With Redis pub/sub
    nothing is collected: ``_send`` publishes at once (``_redis_publisher``).
    """
    collected: list[dict[str, Any]] = []
    _collecting.messages = collected
    try:
        yield collected
    finally:
        del _collecting.messages


async def flush(messages: list[dict[str, Any]]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    for message in messages:
        try:
            await layer.group_send(message["group"], message)
        except Exception:
            # Committed already: clients backfill the missing seq.
            logger.exception("publish to %s failed", message["group"])


@functools.cache
def _redis_publisher() -> Callable[[dict[str, Any]], None] | None:
    """A synchronous PUBLISH into the Redis pub/sub layer, or None for other layers.

    Publishing from the thread that committed costs one round trip there,
    where handing the message to the event loop costs the sender's socket a
    loop turn behind every delivery that process has queued. The channel
    name and encoding are those of ``channels_redis.pubsub`` (its
    ``group_send``); tests/rooms/test_events.py checks they still meet.
    """
    from channels_redis.pubsub import RedisPubSubChannelLayer

    layer = get_channel_layer()
    if not isinstance(layer, RedisPubSubChannelLayer):
        return None
    import redis
    from django.conf import settings

    config = settings.CHANNEL_LAYERS["default"]["CONFIG"]
    host = dict(config["hosts"][0])
    client = redis.Redis.from_url(host.pop("address"), **host)
    prefix = config.get("prefix", "asgi")

    def publish(message: dict[str, Any]) -> None:
        client.publish(f"{prefix}__group__{message['group']}", layer.serialize(message))

    return publish


def _send(message: dict[str, Any]) -> None:
    publisher = _redis_publisher()
    if publisher is not None:
        try:
            publisher(message)
        except Exception:
            # Committed already: the fanout fills the missing seq from the
            # database; the write must not turn into an error for the sender.
            logger.exception("publish to %s failed", message["group"])
        return
    collected = getattr(_collecting, "messages", None)
    if collected is not None:
        collected.append(message)
        return
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(message["group"], message)
    except Exception:
        # The write is committed and is the source of truth: clients detect
        # the missing seq and backfill. Losing the live push must not turn a
        # successful write into an error for the sender.
        logger.exception("publish to %s failed", message["group"])


def publish_on_commit(group: str, frame: Any, seq: int | None = None) -> None:
    """Publish ``frame`` to ``group`` once the current transaction commits."""
    message = layer_message(group, frame, seq)
    transaction.on_commit(lambda: _send(message), robust=True)


def publish_now(group: str, frame: Any) -> None:
    """Publish an ephemeral frame that has no database write behind it."""
    _send(layer_message(group, frame))


def publish_control_on_commit(group: str, kind: ControlKind, **data: Any) -> None:
    message = control_message(group, kind, **data)
    transaction.on_commit(lambda: _send(message), robust=True)


async def apublish_now(group: str, frame: Any) -> None:
    """``publish_now`` for callers already on the event loop."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = layer_message(group, frame)
    try:
        await layer.group_send(group, message)
    except Exception:
        logger.exception("publish to %s failed", group)


def iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def org_ref(org: Any) -> OrgRef | None:
    if org is None:
        return None
    return {"id": org.id, "name": org.name, "slug": org.slug}


def person_ref(user: Any) -> PersonRef:
    return {
        "id": user.id,
        "name": user.name,
        "handle": user.handle,
        "title": user.title,
        "org": org_ref(user.organization),
    }


def message_data(message: Any, mentions: list[int] | None = None) -> MessageData:
    """The wire shape of a message. Requires ``author__organization`` loaded
    (and ``shared_back_by__organization``, or one query per shared-back note).

    ``mentions`` (person ids) is passed by writers that just computed it;
    otherwise it is read from the message.
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
        "created_at": message.created_at.isoformat(),
        "edited_at": iso(message.edited_at),
        "deleted": deleted,
        "reply_count": message.reply_count,
        "last_reply_at": iso(message.last_reply_at),
        "mentions": (
            mentions if mentions is not None else sorted(m.user_id for m in message.mentions.all())
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


def escalation_data(escalation: Any) -> EscalationData:
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


def work_item_data(item: Any, escalation: Any = None) -> WorkItemData:
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


def notification_frame(notification: Any) -> NotificationEvent:
    return {
        "type": "notification",
        "id": notification.id,
        "kind": notification.kind,
        "title": notification.title,
        "body": notification.body,
        "room": notification.room_id,
        "work_item": notification.work_item_id,
        "created_at": notification.created_at.isoformat(),
    }
