"""The one way anything reaches a socket: group names, encoding, and the publisher.

Every write publishes after its transaction commits (``publish_on_commit``),
addressed to a group: a room's (``room.<id>``) or a person's
(``user.<id>``). Each server process listens once per group it has sockets
for (``rooms.socket.fanout``) and writes the same pre-encoded JSON string to
each of its sockets. Ephemeral frames with no write behind them (typing,
presence) go out at once (``apublish``).

The publisher is chosen once, from the configured channel layer:

- Redis pub/sub (``REDIS_URL``): a synchronous PUBLISH from the thread that
  committed, in the encoding of ``channels_redis.pubsub`` (whose receiver the
  fanout uses). One round trip there, where handing the message to the event
  loop would put the sender behind every delivery that loop has queued.
- Any other layer (the embedded in-memory one): the layer's ``group_send``,
  run on the server's event loop (``async_to_sync`` from a thread).

A publish that fails is logged, never raised: the write is committed, the
database is the source of truth, and the fanout fills any gap from it.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypedDict

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

logger = logging.getLogger("causeway.publish")

# Control messages travel on a person's group and are acted on by their
# sockets; they are never forwarded to a browser as they are.
ControlKind = Literal["room.revoked", "auth.recheck"]
# A frame as the apps type it (each a TypedDict of its wire types): any JSON object.
Frame = Mapping[str, object]


class DeliverMessage(TypedDict):
    """A frame for every local socket of a group; ``seq`` for room events, else None."""

    type: Literal["fanout.deliver"]
    group: str
    seq: int | None
    text: str


class ControlMessage(TypedDict):
    type: Literal["fanout.control"]
    group: str
    kind: ControlKind
    data: dict[str, Any]


LayerMessage = DeliverMessage | ControlMessage


def room_group(room_id: int) -> str:
    return f"room.{room_id}"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def encode(frame: Frame) -> str:
    """A frame as the wire carries it: compact JSON that opens with its ``type``.

    Replayed events come back from a PostgreSQL jsonb column, which reorders
    keys; "type" first keeps every frame recognisable from its opening bytes,
    live or replayed.
    """
    if isinstance(frame, dict) and "type" in frame and next(iter(frame)) != "type":
        frame = {"type": frame["type"], **frame}
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False)


def deliver_message(group: str, frame: Frame, seq: int | None = None) -> DeliverMessage:
    return {"type": "fanout.deliver", "group": group, "seq": seq, "text": encode(frame)}


def control_message(group: str, kind: ControlKind, **data: Any) -> ControlMessage:
    return {"type": "fanout.control", "group": group, "kind": kind, "data": data}


@functools.cache
def _publisher() -> Callable[[LayerMessage], None]:
    """The synchronous publisher for this process, chosen from the channel layer once."""
    from channels_redis.pubsub import RedisPubSubChannelLayer

    layer = get_channel_layer()
    if isinstance(layer, RedisPubSubChannelLayer):
        import redis

        config = settings.CHANNEL_LAYERS["default"]["CONFIG"]
        host = dict(config["hosts"][0])
        client = redis.Redis.from_url(host.pop("address"), **host)
        prefix = config.get("prefix", "asgi")

        def publish(message: LayerMessage) -> None:
            # channels_redis.pubsub's own channel name and encoding
            # (tests/hub/test_publish.py checks they still meet).
            client.publish(f"{prefix}__group__{message['group']}", layer.serialize(message))

        return publish

    def group_send(message: LayerMessage) -> None:
        if layer is not None:
            async_to_sync(layer.group_send)(message["group"], message)

    return group_send


def send(message: LayerMessage) -> None:
    """Publish now, from synchronous code (any thread). Failures are logged, not raised."""
    try:
        _publisher()(message)
    except Exception:
        # Committed already: the fanout fills the missing seq from the
        # database; the write must not turn into an error for the sender.
        logger.exception("publish to %s failed", message["group"])


async def asend(message: LayerMessage) -> None:
    """Publish now, from the event loop (the layer's own async client)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        await layer.group_send(message["group"], message)
    except Exception:
        logger.exception("publish to %s failed", message["group"])


def publish_on_commit(group: str, frame: Frame, seq: int | None = None) -> None:
    """Publish ``frame`` to ``group`` once the current transaction commits."""
    message = deliver_message(group, frame, seq)
    transaction.on_commit(lambda: send(message), robust=True)


def publish_control_on_commit(group: str, kind: ControlKind, **data: Any) -> None:
    message = control_message(group, kind, **data)
    transaction.on_commit(lambda: send(message), robust=True)


async def apublish(group: str, frame: Frame) -> None:
    """An ephemeral frame (typing, presence) with no database write behind it."""
    await asend(deliver_message(group, frame))
