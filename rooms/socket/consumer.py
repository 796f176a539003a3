"""The one multiplexed WebSocket at ``/ws/``. Protocol: docs/protocol.md.

Thin by design: parse and validate the frame, call a ``check_*`` action in a
database thread, answer. Room events reach the socket through the process
fanout (``rooms.fanout``) as pre-encoded JSON, never through per-socket
``group_send``.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import DatabaseError

from hub import publish
from hub.errors import ActionError, Invalid, NotFound, RateLimited, TooLarge
from hub.models import User
from hub.threads import db
from hub.validation import check_text, parse_id, text_problem
from presence.actions import do_publish_presence, do_publish_typing
from presence.heartbeat import PresenceKeeper
from presence.store import ACTIVE, OFFLINE, STATES, get_store
from rooms.actions.messages import check_delete_message, check_edit_message, check_send_message
from rooms.actions.reading import check_follow_thread, check_mark_read, check_mark_thread_read
from rooms.actions.rooms import check_update_room
from rooms.actions.workitems import check_create_work_item, check_update_work_item
from rooms.selectors.messages import events_after
from rooms.selectors.rooms import presence_room_ids
from rooms.selectors.snapshot import subscription_snapshot
from rooms.socket.auth import session_is_valid
from rooms.socket.fanout import Fanout
from rooms.wire.serializers import person_ref
from rooms.wire.types import ErrorFrame, SocketFrame

logger = logging.getLogger("causeway.socket")
P = ParamSpec("P")
T = TypeVar("T")

PROTOCOL_VERSION = 1
# Whose rooms hear a person's presence (presence itself knows nothing of rooms).
ROOMS_OF = db(presence_room_ids)
TYPING_MIN_INTERVAL = 2.0
CLOSE_UNAUTHENTICATED = 4401
CLOSE_SESSION_ENDED = 4403


class ProtocolError(ActionError):
    pass


class BadJson(ProtocolError):
    code = "bad_json"


class UnknownType(ProtocolError):
    code = "unknown_type"


def _ref(frame: dict[str, Any]) -> str | int | None:
    ref = frame.get("ref", frame.get("client_id"))
    if isinstance(ref, str) and len(ref) <= 64 and not text_problem(ref):
        return ref
    if isinstance(ref, int) and not isinstance(ref, bool):
        return ref
    return None


def _optional_seq(value: Any, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Invalid(f"`{what}` must be a non-negative integer.")
    return value


class CausewayConsumer(AsyncWebsocketConsumer):
    # No per-socket channel: room and person events arrive through the
    # process fanout, so the layer needs one receiver per process, not per socket.
    channel_layer_alias = "causeway-no-per-socket-channel"

    user: User
    conn_id: str
    session_key: str | None

    async def connect(self) -> None:
        scope_user = self.scope.get("user")
        if scope_user is None or not scope_user.is_authenticated or not scope_user.is_active:
            # Closing before accept refuses the handshake (HTTP 403).
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user = scope_user  # loaded with its organization by SocketAuthMiddleware
        # The socket keeps only the session's key (for the revocation checks):
        # the loaded session and the parsed cookies would otherwise live as
        # long as the socket, a few KB each across thousands of idle sockets.
        session = self.scope.pop("session", None)
        self.scope.pop("cookies", None)
        self.session_key = session.session_key if session is not None else None
        self.conn_id = uuid.uuid4().hex
        self.rooms: dict[int, int] = {}  # room -> last seq sent on this socket
        self.replaying: dict[int, list[tuple[int, str]]] = {}
        self.last_typing: dict[tuple[int, int | None], float] = {}
        limit, window = settings.CAUSEWAY_RATE_LIMIT_FRAMES
        self.bucket_capacity = float(limit)
        self.bucket_rate = limit / window
        self.bucket = float(limit)
        self.bucket_at = time.monotonic()
        self.closed = False
        self.fanout = await Fanout.get()
        await self.accept()
        await self.fanout.join(publish.user_group(self.user.pk), self)
        keeper = PresenceKeeper.get(ROOMS_OF)
        keeper.add(self.conn_id, self.user.pk, self)
        store = get_store()
        try:
            if await store.connect(self.user.pk, self.conn_id, keeper.ttl()):
                await store.set_state(self.user.pk, ACTIVE)
                await do_publish_presence(self.user.pk, ACTIVE, ROOMS_OF)
        except Exception:
            # Presence is best effort: the heartbeat registers this socket
            # again; the socket itself must not fail for it.
            logger.warning("presence connect failed", exc_info=True)
        await self.send_frame(
            {
                "type": "hello",
                "protocol": PROTOCOL_VERSION,
                "me": person_ref(self.user),
                "limits": {
                    "message_max_chars": settings.CAUSEWAY_MESSAGE_MAX_CHARS,
                    "frame_max_bytes": settings.CAUSEWAY_FRAME_MAX_BYTES,
                    "typing_ttl": settings.CAUSEWAY_TYPING_TTL_SECONDS,
                },
            }
        )

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "conn_id") or self.closed:
            return
        self.closed = True
        for room_id in list(self.rooms) + list(self.replaying):
            await self.fanout.leave(publish.room_group(room_id), self)
        await self.fanout.leave(publish.user_group(self.user.pk), self)
        PresenceKeeper.get(ROOMS_OF).remove(self.conn_id)
        try:
            if await get_store().disconnect(self.user.pk, self.conn_id):
                await do_publish_presence(self.user.pk, OFFLINE, ROOMS_OF)
        except Exception:
            # The heartbeat expiry cleans up what we could not.
            logger.warning("presence disconnect failed", exc_info=True)

    async def act(self, action: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a ``check_*`` action in a database thread; it publishes what it commits."""
        return await db(action)(*args, **kwargs)

    # --- incoming frames -------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        frame: dict[str, Any] = {}
        try:
            self.take_token()
            frame = self.parse(text_data, bytes_data)
            check_text(frame)
            handler = self.handlers().get(frame["type"])
            if handler is None:
                raise UnknownType(f"Unknown frame type {frame['type'][:40]!r}.")
            await handler(frame)
        except ActionError as error:
            await self.send_error(error.code, error.detail, _ref(frame))
        except DatabaseError:
            # Rolled back: nothing was stored and nothing was published.
            logger.warning("database unavailable for a %s frame", frame.get("type"), exc_info=True)
            await self.send_error(
                "unavailable",
                "The database is busy or unavailable; nothing was stored. Retry (with the "
                "same client_id for a message).",
                _ref(frame),
            )
        except Exception:
            ref = uuid.uuid4().hex[:12]
            logger.exception("socket handler failed (ref %s)", ref)
            await self.send_error("internal", f"Something went wrong (ref {ref}).", _ref(frame))

    def parse(self, text_data: str | None, bytes_data: bytes | None) -> dict[str, Any]:
        if text_data is None:
            raise BadJson("Frames must be JSON text; binary frames are not accepted.")
        limit = settings.CAUSEWAY_FRAME_MAX_BYTES
        # Characters never outnumber UTF-8 bytes; encode only when it can matter.
        if len(text_data) > limit or (
            len(text_data) * 4 > limit and len(text_data.encode()) > limit
        ):
            raise TooLarge(f"Frames are limited to {settings.CAUSEWAY_FRAME_MAX_BYTES} bytes.")
        try:
            frame = json.loads(text_data)
        except (ValueError, RecursionError):
            raise BadJson("The frame is not valid JSON.") from None
        if not isinstance(frame, dict):
            raise Invalid("A frame must be a JSON object.")
        if not isinstance(frame.get("type"), str):
            raise Invalid("A frame needs a string `type`.")
        return frame

    def take_token(self) -> None:
        now = time.monotonic()
        self.bucket = min(
            self.bucket_capacity, self.bucket + (now - self.bucket_at) * self.bucket_rate
        )
        self.bucket_at = now
        if self.bucket < 1:
            raise RateLimited("Too many frames; slow down.")
        self.bucket -= 1

    def handlers(self) -> dict[str, Callable[[dict[str, Any]], Awaitable[None]]]:
        return {
            "subscribe": self.on_subscribe,
            "unsubscribe": self.on_unsubscribe,
            "message.send": self.on_message_send,
            "message.edit": self.on_message_edit,
            "message.delete": self.on_message_delete,
            "room.update": self.on_room_update,
            "workitem.create": self.on_workitem_create,
            "workitem.update": self.on_workitem_update,
            "typing": self.on_typing,
            "read": self.on_read,
            "thread.follow": self.on_thread_follow,
            "thread.read": self.on_thread_read,
            "presence.set": self.on_presence_set,
            "ping": self.on_ping,
        }

    async def on_subscribe(self, frame: dict[str, Any]) -> None:
        room_id = parse_id(frame.get("room"), "room")
        since = _optional_seq(frame.get("since"), "since")
        if room_id in self.rooms or room_id in self.replaying:
            await self.drop_room(room_id)
        # Join the live stream before reading the head, and hold live events
        # until the replay is out: nothing between the two can be missed.
        self.replaying[room_id] = []
        await self.fanout.join(publish.room_group(room_id), self)
        try:
            snapshot = await db(subscription_snapshot)(
                self.user,
                room_id,
                since,
                settings.CAUSEWAY_PAGE_SIZE,
                settings.CAUSEWAY_REPLAY_LIMIT,
            )
        except BaseException:
            self.replaying.pop(room_id, None)
            await self.fanout.leave(publish.room_group(room_id), self)
            raise
        head = snapshot["head"]
        passed = await self.fanout.note_head(room_id, head)
        # Another socket of this process may have started the room's stream
        # after a newer head than ours: what lies between comes from the
        # database, or this socket would never see it.
        caught_up = await db(events_after)(room_id, head, passed) if passed > head else []
        member_ids = [m["person"]["id"] for m in snapshot["members"]]
        presence = await get_store().states(member_ids)
        if room_id not in self.replaying:
            return  # revoked (or unsubscribed) while we were reading
        await self.send_frame(
            {
                "type": "subscribed",
                "room": room_id,
                "head_seq": head,
                "members": snapshot["members"],
                "presence": {str(uid): state for uid, state in presence.items()},
                "last_read_seq": snapshot["last_read_seq"],
                "unread": snapshot["unread"],
                "threads": snapshot["threads"],
                "ref": _ref(frame),
            }
        )
        if snapshot["replay"] is None:
            await self.send_frame({"type": "resync", "room": room_id, "head_seq": head})
        else:
            for payload in snapshot["replay"]:
                await self.send(text_data=publish.encode(payload))
        for payload in caught_up:
            await self.send(text_data=publish.encode(payload))
        last = max(head, passed)
        held = self.replaying.get(room_id)
        while held:
            held.sort()
            seq, text = held.pop(0)
            if seq > last:
                last = seq
                await self.send(text_data=text)
        if self.replaying.pop(room_id, None) is not None:
            self.rooms[room_id] = last

    async def on_unsubscribe(self, frame: dict[str, Any]) -> None:
        room_id = parse_id(frame.get("room"), "room")
        if room_id not in self.rooms and room_id not in self.replaying:
            raise NotFound()
        await self.drop_room(room_id)
        await self.send_frame({"type": "unsubscribed", "room": room_id, "ref": _ref(frame)})

    async def on_message_send(self, frame: dict[str, Any]) -> None:
        message, _created = await self.act(
            check_send_message,
            self.user,
            room_id=frame.get("room"),
            client_id=frame.get("client_id"),
            body=frame.get("body"),
            thread=frame.get("thread"),
        )
        await self.send_frame(
            {
                "type": "ack",
                "room": message.room_id,
                "client_id": message.client_id,
                "id": message.pk,
                "seq": message.seq,
                "ref": _ref(frame),
            }
        )

    async def on_message_edit(self, frame: dict[str, Any]) -> None:
        message = await self.act(
            check_edit_message,
            self.user,
            room_id=frame.get("room"),
            message_id=frame.get("id"),
            body=frame.get("body"),
        )
        await self.send_frame(
            {"type": "ok", "op": "message.edit", "id": message.pk, "ref": _ref(frame)}
        )

    async def on_message_delete(self, frame: dict[str, Any]) -> None:
        message_id = await self.act(
            check_delete_message,
            self.user,
            room_id=frame.get("room"),
            message_id=frame.get("id"),
        )
        await self.send_frame(
            {"type": "ok", "op": "message.delete", "id": message_id, "ref": _ref(frame)}
        )

    async def on_workitem_create(self, frame: dict[str, Any]) -> None:
        item = await self.act(
            check_create_work_item,
            self.user,
            room_id=frame.get("room"),
            title=frame.get("title"),
            description=frame.get("description", ""),
            assignee=frame.get("assignee"),
            priority=frame.get("priority", 3),
            due_date=frame.get("due_date"),
            labels=frame.get("labels"),
            from_message=frame.get("from_message"),
        )
        await self.send_frame(
            {"type": "ok", "op": "workitem.create", "id": item.pk, "ref": _ref(frame)}
        )

    async def on_workitem_update(self, frame: dict[str, Any]) -> None:
        item = await self.act(
            check_update_work_item,
            self.user,
            room_id=frame.get("room"),
            item_id=frame.get("id"),
            changes=frame.get("changes"),
            version=frame.get("version"),
        )
        await self.send_frame(
            {"type": "ok", "op": "workitem.update", "id": item.pk, "ref": _ref(frame)}
        )

    async def on_room_update(self, frame: dict[str, Any]) -> None:
        await self.act(
            check_update_room,
            self.user,
            room_id=frame.get("room"),
            name=frame.get("name"),
            topic=frame.get("topic"),
        )
        await self.send_frame({"type": "ok", "op": "room.update", "ref": _ref(frame)})

    async def on_typing(self, frame: dict[str, Any]) -> None:
        room_id = parse_id(frame.get("room"), "room")
        thread = frame.get("thread")
        if thread is not None:
            thread = parse_id(thread, "thread")
        if room_id not in self.rooms:
            raise NotFound("Subscribe to the room first.")
        now = time.monotonic()
        key = (room_id, thread)
        if now - self.last_typing.get(key, 0.0) < TYPING_MIN_INTERVAL:
            return  # throttled: the earlier notice is still showing
        self.last_typing[key] = now
        await do_publish_typing(self.user.pk, room_id, thread, settings.CAUSEWAY_TYPING_TTL_SECONDS)

    async def on_read(self, frame: dict[str, Any]) -> None:
        # The resulting `unread` frame reaches all of the person's sockets,
        # this one included, through their person group.
        await self.act(check_mark_read, self.user, room_id=frame.get("room"), seq=frame.get("seq"))

    async def on_thread_follow(self, frame: dict[str, Any]) -> None:
        follow = frame.get("follow", True)
        if not isinstance(follow, bool):
            raise Invalid("`follow` must be true or false.")
        await self.act(
            check_follow_thread,
            self.user,
            room_id=frame.get("room"),
            root_id=frame.get("root"),
            follow=follow,
        )
        await self.send_frame({"type": "ok", "op": "thread.follow", "ref": _ref(frame)})

    async def on_thread_read(self, frame: dict[str, Any]) -> None:
        await self.act(
            check_mark_thread_read,
            self.user,
            room_id=frame.get("room"),
            root_id=frame.get("root"),
            seq=frame.get("seq"),
        )
        await self.send_frame({"type": "ok", "op": "thread.read", "ref": _ref(frame)})

    async def on_presence_set(self, frame: dict[str, Any]) -> None:
        state = frame.get("state")
        if state not in STATES:
            raise Invalid("`state` must be 'active' or 'away'.")
        await get_store().set_state(self.user.pk, state)
        await do_publish_presence(self.user.pk, state, ROOMS_OF)

    async def on_ping(self, frame: dict[str, Any]) -> None:
        await self.send_frame({"type": "pong", "ref": _ref(frame)})

    # --- outgoing (called by the fanout) -----------------------------------------

    async def deliver_room_event(self, room_id: int, seq: int, text: str) -> None:
        held = self.replaying.get(room_id)
        if held is not None:
            held.append((seq, text))
            return
        last = self.rooms.get(room_id)
        if last is not None and seq > last:
            self.rooms[room_id] = seq
            # The hot path: straight to the server's send, skipping the
            # consumer's wrappers (same message either way).
            await self.base_send({"type": "websocket.send", "text": text})

    async def deliver_ephemeral(self, group: str, text: str) -> None:
        if group.startswith("room.") and int(group[5:]) not in self.rooms:
            return
        await self.base_send({"type": "websocket.send", "text": text})

    async def control(self, kind: str, data: dict[str, Any]) -> None:
        if kind == "room.revoked":
            room_id = int(data["room"])
            if room_id in self.rooms or room_id in self.replaying:
                await self.drop_room(room_id)
                await self.send_frame({"type": "room.removed", "room": room_id})
        elif kind == "auth.recheck":
            ended = data.get("ended_session")
            if ended is not None and ended == self.session_key:
                valid = False
            else:
                valid = await db(session_is_valid)(self.user.pk, self.session_key)
            if not valid:
                await self.end_session()

    def access_held(self) -> tuple[int, str | None, list[int]]:
        return self.user.pk, self.session_key, [*self.rooms, *self.replaying]

    async def end_session(self) -> None:
        await self.send_frame({"type": "session.ended"})
        await self.disconnect(CLOSE_SESSION_ENDED)
        await self.close(code=CLOSE_SESSION_ENDED)

    async def drop_room(self, room_id: int) -> None:
        self.rooms.pop(room_id, None)
        self.replaying.pop(room_id, None)
        await self.fanout.leave(publish.room_group(room_id), self)

    async def send_frame(self, frame: SocketFrame) -> None:
        await self.send(text_data=publish.encode(frame))

    async def send_error(self, code: str, detail: str, ref: str | int | None) -> None:
        await self.send_frame(ErrorFrame(type="error", code=code, detail=detail, ref=ref))
