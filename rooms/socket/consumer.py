"""The one multiplexed WebSocket at ``/ws/``. Protocol: docs/protocol.md.

Thin by design: parse the frame once into its schema (``rooms.schemas``),
call a ``check_*`` action in a database thread, answer. Room events reach the
socket through the process fanout (``rooms.socket.fanout``) as pre-encoded
JSON, never through per-socket ``group_send``; this socket's place in each
room's stream and the replay merge are ``rooms.socket.subscriptions``.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import DatabaseError

from hub import publish
from hub.errors import ActionError, NotFound, RateLimited
from hub.models import User
from hub.schemas import Schema, parse
from hub.threads import db
from hub.validation import check_text
from presence.actions import do_connect, do_disconnect, do_set_state, do_typing, states
from rooms.actions.bots import bot_is_live
from rooms.actions.messages import check_delete_message, check_edit_message, check_send_message
from rooms.actions.reactions import check_set_reaction
from rooms.actions.reading import check_follow_thread, check_mark_read, check_mark_thread_read
from rooms.actions.rooms import check_update_room
from rooms.actions.workitems import check_create_work_item, check_update_work_item
from rooms.schemas import (
    MessageDeleteFrame,
    MessageEditFrame,
    MessageSendFrame,
    PingFrame,
    PresenceSetFrame,
    ReactionFrame,
    ReadFrame,
    RoomUpdateFrame,
    SubscribeFrame,
    ThreadFollowFrame,
    ThreadReadFrame,
    TypingFrame,
    UnsubscribeFrame,
    WorkItemCreateFrame,
    WorkItemUpdateFrame,
)
from rooms.selectors.rooms import presence_room_ids
from rooms.selectors.snapshot import subscription_snapshot
from rooms.socket.auth import session_is_valid
from rooms.socket.fanout import Fanout
from rooms.socket.frames import FrameBucket, Ref, UnknownType, decode_frame, frame_ref
from rooms.socket.seen import LastSeen
from rooms.socket.subscriptions import Subscriptions
from rooms.wire.serializers import person_ref
from rooms.wire.types import ErrorFrame, SocketFrame

logger = logging.getLogger("causeway.socket")
P = ParamSpec("P")
T = TypeVar("T")

PROTOCOL_VERSION = 2
# Whose rooms hear a person's presence (presence itself knows nothing of rooms).
ROOMS_OF = db(presence_room_ids)
TYPING_MIN_INTERVAL = 2.0
CLOSE_UNAUTHENTICATED = 4401
CLOSE_SESSION_ENDED = 4403
# What a bot's socket may send: its rooms' messages, and no presence, typing, reading
# state, reactions, work items or room changes (rooms.actions.bots).
BOT_FRAMES = frozenset(
    {"subscribe", "unsubscribe", "message.send", "message.edit", "message.delete", "ping"}
)


class CausewayConsumer(AsyncWebsocketConsumer):
    # No per-socket channel: room and person events arrive through the
    # process fanout, so the layer needs one receiver per process, not per
    # socket, and the socket is the consumer's only source.
    channel_layer = None

    user: User
    conn_id: str
    session_key: str | None
    subs: Subscriptions

    async def connect(self) -> None:
        scope_user = self.scope.get("user")
        if scope_user is None or not scope_user.is_authenticated or not scope_user.is_active:
            # Closing before accept refuses the handshake (HTTP 403).
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user = scope_user  # loaded with its organization by SocketAuthMiddleware
        # The session's key, for the revocation checks (SocketAuthMiddleware
        # keeps the loaded session out of the scope).
        self.session_key = self.scope.get("session_key")
        self.conn_id = uuid.uuid4().hex
        self.last_typing: dict[tuple[int, int | None], float] = {}
        self.bucket = FrameBucket(*settings.CAUSEWAY_RATE_LIMIT_FRAMES)
        self.closed = False
        self.fanout = await Fanout.get()
        self.subs = Subscriptions(self.fanout, self)
        await self.accept()
        await self.fanout.join(publish.user_group(self.user.pk), self)
        if not self.user.is_bot:
            # A bot has no presence: it is never "online" to anyone.
            await do_connect(self.user.pk, self.conn_id, self, ROOMS_OF)
        await self.send_frame(
            {
                "type": "hello",
                "protocol": PROTOCOL_VERSION,
                "me": person_ref(self.user),
                "limits": {
                    "message_max_chars": settings.CAUSEWAY_MESSAGE_MAX_CHARS,
                    "frame_max_bytes": settings.CAUSEWAY_FRAME_MAX_BYTES,
                    "typing_ttl": settings.CAUSEWAY_TYPING_TTL_SECONDS,
                    # The server's; an organization's policy may be narrower in
                    # shared rooms (GET /api/organization/file-policy/).
                    "file_max_bytes": settings.CAUSEWAY_FILE_MAX_BYTES,
                    "message_files_max": settings.CAUSEWAY_MESSAGE_FILES_MAX,
                    "message_files_max_bytes": settings.CAUSEWAY_MESSAGE_FILES_MAX_BYTES,
                },
            }
        )

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "conn_id") or self.closed:
            return
        self.closed = True
        await self.subs.drop_all()
        await self.fanout.leave(publish.user_group(self.user.pk), self)
        if not self.user.is_bot:
            await do_disconnect(self.user.pk, self.conn_id, ROOMS_OF)
            LastSeen.get().note(self.user.pk)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        # Channels' loop (``await_many_dispatch``) reads each source in a task
        # of its own and waits on them with ``asyncio.wait`` for every frame,
        # to multiplex the socket with a per-socket channel we do not have: a
        # task and ~2 KB per idle socket, and CPU on every frame. One source,
        # read directly; frames are still handled one at a time, in order.
        self.scope = scope
        self.base_send = send
        try:
            while True:
                await self.dispatch(await receive())
        except StopConsumer:
            pass

    # Channels closes old database connections before every handler and after
    # a disconnect, each time in a hop to its one thread-sensitive thread
    # (``channels.db.aclose_old_connections``), for consumers that use the
    # database from their handlers. Ours never do: every database call runs in
    # ``hub.threads.db``, which closes them around itself. Skipped, a ping, a
    # typing notice or a close queues for no thread (8% of a reconnect storm's
    # CPU, and a queue every frame waited in).

    async def dispatch(self, message: dict[str, Any]) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        # No layer groups to leave (no per-socket channel, see above).
        await self.disconnect(message["code"])
        raise StopConsumer()

    async def act(self, action: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a ``check_*`` action in a database thread; it publishes what it commits."""
        return await db(action)(*args, **kwargs)

    # --- incoming frames -------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        raw: dict[str, Any] = {}
        try:
            self.bucket.take()
            raw = decode_frame(text_data)
            check_text(raw)
            route = self.routes().get(raw["type"])
            if route is None or (self.user.is_bot and raw["type"] not in BOT_FRAMES):
                raise UnknownType(f"Unknown frame type {raw['type'][:40]!r}.")
            schema, handler = route
            await handler(parse(schema, raw), frame_ref(raw))
        except RateLimited as error:
            await self.send_frame(
                ErrorFrame(
                    type="error",
                    code=error.code,
                    detail=error.detail,
                    ref=frame_ref(raw),
                    retry_after=error.retry_after,
                )
            )
        except ActionError as error:
            await self.send_error(error.code, error.detail, frame_ref(raw))
        except DatabaseError:
            # Rolled back: nothing was stored and nothing was published.
            logger.warning("database unavailable for a %s frame", raw.get("type"), exc_info=True)
            await self.send_error(
                "unavailable",
                "The database is busy or unavailable; nothing was stored. Retry (with the "
                "same client_id for a message).",
                frame_ref(raw),
            )
        except Exception:
            ref = uuid.uuid4().hex[:12]
            logger.exception("socket handler failed (ref %s)", ref)
            await self.send_error("internal", f"Something went wrong (ref {ref}).", frame_ref(raw))

    def routes(self) -> dict[str, tuple[type[Schema], Callable[[Any, Ref], Awaitable[None]]]]:
        """Each client frame type: the schema that parses it, and its handler."""
        return {
            "subscribe": (SubscribeFrame, self.on_subscribe),
            "unsubscribe": (UnsubscribeFrame, self.on_unsubscribe),
            "message.send": (MessageSendFrame, self.on_message_send),
            "message.edit": (MessageEditFrame, self.on_message_edit),
            "message.delete": (MessageDeleteFrame, self.on_message_delete),
            "reaction.add": (ReactionFrame, self.on_reaction),
            "reaction.remove": (ReactionFrame, self.on_reaction),
            "room.update": (RoomUpdateFrame, self.on_room_update),
            "workitem.create": (WorkItemCreateFrame, self.on_workitem_create),
            "workitem.update": (WorkItemUpdateFrame, self.on_workitem_update),
            "typing": (TypingFrame, self.on_typing),
            "read": (ReadFrame, self.on_read),
            "thread.follow": (ThreadFollowFrame, self.on_thread_follow),
            "thread.read": (ThreadReadFrame, self.on_thread_read),
            "presence.set": (PresenceSetFrame, self.on_presence_set),
            "ping": (PingFrame, self.on_ping),
        }

    async def on_subscribe(self, frame: SubscribeFrame, ref: Ref) -> None:
        room_id = frame.room
        # Join the live stream before reading the head, and hold live events
        # until the replay is out: nothing between the two can be missed.
        await self.subs.begin(room_id)
        try:
            snapshot = await db(subscription_snapshot)(
                self.user,
                room_id,
                frame.since,
                settings.CAUSEWAY_PAGE_SIZE,
                settings.CAUSEWAY_REPLAY_LIMIT,
            )
        except BaseException:
            await self.subs.abort(room_id)
            raise
        head = snapshot["head"]
        start, caught_up = await self.subs.between_heads(room_id, head)
        presence = await states(self.user.pk, [m["person"]["id"] for m in snapshot["members"]])
        if not self.subs.still_subscribing(room_id):
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
                "ref": ref,
            }
        )
        replay = snapshot["replay"]
        if replay is None:
            await self.send_frame({"type": "resync", "room": room_id, "head_seq": head})
            replay = []
        await self.subs.finish(room_id, start, [*replay, *caught_up], self.send_text)

    async def on_unsubscribe(self, frame: UnsubscribeFrame, ref: Ref) -> None:
        if not self.subs.has(frame.room):
            raise NotFound()
        await self.subs.drop(frame.room)
        await self.send_frame({"type": "unsubscribed", "room": frame.room, "ref": ref})

    async def on_message_send(self, frame: MessageSendFrame, ref: Ref) -> None:
        message, _created = await self.act(
            check_send_message,
            self.user,
            room_id=frame.room,
            client_id=frame.client_id,
            body=frame.body,
            thread=frame.thread,
            files=frame.files,
            also_to_room=frame.also_to_room,
        )
        await self.send_frame(
            {
                "type": "ack",
                "room": message.room_id,
                "client_id": message.client_id,
                "id": message.pk,
                "seq": message.seq,
                "ref": ref,
            }
        )

    async def on_message_edit(self, frame: MessageEditFrame, ref: Ref) -> None:
        message = await self.act(
            check_edit_message, self.user, room_id=frame.room, message_id=frame.id, body=frame.body
        )
        await self.send_frame({"type": "ok", "op": "message.edit", "id": message.pk, "ref": ref})

    async def on_message_delete(self, frame: MessageDeleteFrame, ref: Ref) -> None:
        message_id = await self.act(
            check_delete_message, self.user, room_id=frame.room, message_id=frame.id
        )
        await self.send_frame({"type": "ok", "op": "message.delete", "id": message_id, "ref": ref})

    async def on_reaction(self, frame: ReactionFrame, ref: Ref) -> None:
        op = frame.type  # "reaction.add" or "reaction.remove": the route chose
        message = await self.act(
            check_set_reaction,
            self.user,
            room_id=frame.room,
            message_id=frame.id,
            emoji=frame.emoji,
            on=op == "reaction.add",
        )
        await self.send_frame({"type": "ok", "op": op, "id": message.pk, "ref": ref})

    async def on_workitem_create(self, frame: WorkItemCreateFrame, ref: Ref) -> None:
        item = await self.act(
            check_create_work_item,
            self.user,
            room_id=frame.room,
            title=frame.title,
            description=frame.description,
            assignee=frame.assignee,
            priority=frame.priority,
            due_date=frame.due_date,
            labels=frame.labels,
            from_message=frame.from_message,
        )
        await self.send_frame({"type": "ok", "op": "workitem.create", "id": item.pk, "ref": ref})

    async def on_workitem_update(self, frame: WorkItemUpdateFrame, ref: Ref) -> None:
        item = await self.act(
            check_update_work_item,
            self.user,
            room_id=frame.room,
            item_id=frame.id,
            changes=frame.changes,
            version=frame.version,
        )
        await self.send_frame({"type": "ok", "op": "workitem.update", "id": item.pk, "ref": ref})

    async def on_room_update(self, frame: RoomUpdateFrame, ref: Ref) -> None:
        await self.act(
            check_update_room, self.user, room_id=frame.room, name=frame.name, topic=frame.topic
        )
        await self.send_frame({"type": "ok", "op": "room.update", "ref": ref})

    async def on_typing(self, frame: TypingFrame, ref: Ref) -> None:
        if not self.subs.live(frame.room):
            raise NotFound("Subscribe to the room first.")
        now = time.monotonic()
        key = (frame.room, frame.thread)
        ttl = settings.CAUSEWAY_TYPING_TTL_SECONDS
        if frame.stop:
            # Only a notice this socket gave, still showing, is taken back:
            # a stop is never a frame of its own to everyone.
            if now - self.last_typing.pop(key, float("-inf")) >= ttl:
                return
            await do_typing(self.user.pk, frame.room, frame.thread, 0)
            return
        if now - self.last_typing.get(key, float("-inf")) < TYPING_MIN_INTERVAL:
            return  # throttled: the earlier notice is still showing
        self.last_typing[key] = now
        await do_typing(self.user.pk, frame.room, frame.thread, ttl)

    async def on_read(self, frame: ReadFrame, ref: Ref) -> None:
        # The resulting `unread` frame reaches all of the person's sockets,
        # this one included, through their person group.
        await self.act(check_mark_read, self.user, room_id=frame.room, seq=frame.seq)

    async def on_thread_follow(self, frame: ThreadFollowFrame, ref: Ref) -> None:
        await self.act(
            check_follow_thread,
            self.user,
            room_id=frame.room,
            root_id=frame.root,
            follow=frame.follow,
        )
        await self.send_frame({"type": "ok", "op": "thread.follow", "ref": ref})

    async def on_thread_read(self, frame: ThreadReadFrame, ref: Ref) -> None:
        await self.act(
            check_mark_thread_read, self.user, room_id=frame.room, root_id=frame.root, seq=frame.seq
        )
        await self.send_frame({"type": "ok", "op": "thread.read", "ref": ref})

    async def on_presence_set(self, frame: PresenceSetFrame, ref: Ref) -> None:
        await do_set_state(self.user.pk, frame.state, ROOMS_OF)

    async def on_ping(self, frame: PingFrame, ref: Ref) -> None:
        await self.send_frame({"type": "pong", "ref": ref})

    # --- outgoing (called by the fanout) -----------------------------------------

    async def deliver_room_event(self, room_id: int, seq: int, text: str) -> None:
        if self.subs.take(room_id, seq, text):
            # The hot path: straight to the server's send, skipping the
            # consumer's wrappers (same message either way).
            await self.base_send({"type": "websocket.send", "text": text})

    async def deliver_ephemeral(self, group: str, text: str) -> None:
        if group.startswith("room.") and not self.subs.live(int(group[5:])):
            return
        await self.base_send({"type": "websocket.send", "text": text})

    async def control(self, kind: str, data: dict[str, Any]) -> None:
        if kind == "room.revoked":
            room_id = int(data["room"])
            if self.subs.has(room_id):
                await self.subs.drop(room_id)
                await self.send_frame({"type": "room.removed", "room": room_id})
        elif kind == "auth.recheck":
            ended = data.get("ended_session")
            if self.user.is_bot:
                valid = await db(bot_is_live)(self.user.pk)
            elif ended is not None and ended == self.session_key:
                valid = False
            else:
                valid = await db(session_is_valid)(self.user.pk, self.session_key)
            if not valid:
                await self.end_session()

    def access_held(self) -> tuple[int, str | None, list[int]]:
        return self.user.pk, self.session_key, self.subs.rooms()

    async def end_session(self) -> None:
        await self.send_frame({"type": "session.ended"})
        await self.disconnect(CLOSE_SESSION_ENDED)
        await self.close(code=CLOSE_SESSION_ENDED)

    async def send_text(self, text: str) -> None:
        await self.send(text_data=text)

    async def send_frame(self, frame: SocketFrame) -> None:
        await self.send(text_data=publish.encode(frame))

    async def send_error(self, code: str, detail: str, ref: Ref) -> None:
        await self.send_frame(ErrorFrame(type="error", code=code, detail=detail, ref=ref))
