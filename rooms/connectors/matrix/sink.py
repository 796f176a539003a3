"""The room's events out to Matrix: each speaker as a puppet, edits and deletions following.

The relay (``rooms.connectors.relay``) calls ``MatrixSink.deliver`` for every event
of the connected internal room in seq order, with no transaction open, and with a
``txn_id`` that is the same on every try of one event. That ``txn_id`` is the
Matrix transaction id of the ``PUT .../send/...`` or ``.../redact/...``, so the
homeserver applies a repeated request once. Its cache of transaction ids lives
in memory, though: a homeserver killed after storing the event but before
answering forgets it. So a send that began and was not seen to end
(``MatrixAttempt``) is first looked for in the room (each event carries its
``txn_id`` in ``org.causeway.txn``) and only sent again if it is not there.

What goes out: ``message.new`` (top-level messages, thread replies as Matrix
thread events, mirror copies of a shared thread with where they were said),
``message.edited`` (an ``m.replace`` of the event, only when the text changed),
``message.deleted`` (a redaction). A message written on Matrix and posted here
(``MatrixEvent.inbound``) is never sent back.
"""

from __future__ import annotations

import logging
from typing import Any

from rooms.connectors.matrix import registration
from rooms.connectors.matrix.homeserver import HomeserverError, call, q
from rooms.connectors.sinks import DeliveryFailed
from rooms.models.connectors import Connector
from rooms.models.log import RoomEvent
from rooms.models.matrix import MatrixAttempt, MatrixBridge, MatrixEvent, MatrixPuppet

logger = logging.getLogger("causeway.connectors.matrix")

# The content key that carries the txn_id, to find an event again after a crash.
TXN_KEY = "org.causeway.txn"
# How far back the room is searched for a send that may have landed.
LOOKBACK = 200


class MatrixSink:
    def deliver(self, connector: Connector, event: RoomEvent, txn_id: str) -> None:
        bridge = (
            MatrixBridge.objects.select_related("connector").filter(connector=connector).first()
        )
        if bridge is None:
            raise DeliveryFailed("This connector has no Matrix settings.", retry=False)
        try:
            deliver_event(bridge, event, txn_id)
        except HomeserverError as error:
            raise DeliveryFailed(str(error), retry=error.retry) from error


def deliver_event(bridge: MatrixBridge, event: RoomEvent, txn_id: str) -> None:
    frame: Any = event.payload
    if event.type == "message.new":
        _send_new(bridge, frame["message"], txn_id)
    elif event.type == "message.edited":
        _send_edit(bridge, frame["message"], txn_id)
    elif event.type == "message.deleted":
        _redact(bridge, int(frame["id"]), txn_id)


def display_name(author: dict[str, Any]) -> str:
    """ "Name (Organization)": who spoke and for whom, as the Matrix room shows it."""
    org = (author.get("org") or {}).get("name")
    return f"{author.get('name', '')} ({org})" if org else str(author.get("name", ""))


def ensure_room(bridge: MatrixBridge) -> str:
    """The bot is registered and in the room; returns the room's id.

    The room must have invited the bot (``@causeway_<connector>_bot``), or be
    public: a homeserver lets nobody into a private room uninvited.
    """
    if bridge.room_id:
        return bridge.room_id
    if not bridge.server_name:
        # The application service's own user (the bot) says which server this is.
        whoami = call(bridge, "GET", "/account/whoami")
        bridge.server_name = str(whoami["user_id"]).split(":", 1)[1]
        MatrixBridge.objects.filter(pk=bridge.pk).update(server_name=bridge.server_name)
    _register(bridge, registration.bot_localpart(bridge))
    joined = call(
        bridge, "POST", f"/join/{q(bridge.room)}", {}, user_id=registration.bot_user_id(bridge)
    )
    bridge.room_id = str(joined["room_id"])
    MatrixBridge.objects.filter(pk=bridge.pk).update(room_id=bridge.room_id)
    return bridge.room_id


def _register(bridge: MatrixBridge, localpart: str) -> None:
    try:
        call(
            bridge,
            "POST",
            "/register",
            {"type": "m.login.application_service", "username": localpart},
        )
    except HomeserverError as error:
        if error.errcode != "M_USER_IN_USE":
            raise


def ensure_puppet(bridge: MatrixBridge, author: dict[str, Any]) -> str:
    """The puppet of ``author`` (a ``PersonRef``), registered, named and in the room."""
    room_id = ensure_room(bridge)
    person_id = int(author["id"])
    name = display_name(author)
    puppet = MatrixPuppet.objects.filter(bridge=bridge, person_id=person_id).first()
    if puppet is None:
        user_id = registration.puppet_user_id(bridge, person_id)
        _register(bridge, registration.puppet_localpart(bridge, person_id))
        puppet, _ = MatrixPuppet.objects.get_or_create(
            bridge=bridge, person_id=person_id, defaults={"user_id": user_id}
        )
    if puppet.display_name != name:
        call(
            bridge,
            "PUT",
            f"/profile/{q(puppet.user_id)}/displayname",
            {"displayname": name},
            user_id=puppet.user_id,
        )
        puppet.display_name = name
        MatrixPuppet.objects.filter(pk=puppet.pk).update(display_name=name)
    if puppet.joined_room != room_id:
        try:
            call(
                bridge,
                "POST",
                f"/rooms/{q(room_id)}/invite",
                {"user_id": puppet.user_id},
                user_id=registration.bot_user_id(bridge),
            )
        except HomeserverError as error:
            # Already in the room (or invited): the join below settles it.
            if error.status != 403:
                raise
        call(bridge, "POST", f"/rooms/{q(room_id)}/join", {}, user_id=puppet.user_id)
        puppet.joined_room = room_id
        MatrixPuppet.objects.filter(pk=puppet.pk).update(joined_room=room_id)
    return puppet.user_id


def _content(message: dict[str, Any]) -> dict[str, Any]:
    body = str(message.get("body", ""))
    html = str(message.get("html", ""))
    files = message.get("files") or []
    if files:
        names = ", ".join(str(f.get("name", "")) for f in files)
        body = f"{body}\n\n📎 {names}" if body else f"📎 {names}"
        html = f"{html}<p>📎 {names}</p>"
    mirror = message.get("mirror")
    if isinstance(mirror, dict) and "room_name" in mirror and message.get("thread") is None:
        # The first message of a mirrored shared thread says where it comes from.
        where = f"shared room “{mirror['room_name']}”"
        body = f"{body}\n\n— from the {where}"
        html = f"{html}<p><em>— from the {where}</em></p>"
    content: dict[str, Any] = {"msgtype": "m.text", "body": body}
    if html:
        content["format"] = "org.matrix.custom.html"
        content["formatted_body"] = html
    return content


def _send_new(bridge: MatrixBridge, message: dict[str, Any], txn_id: str) -> None:
    if message.get("deleted"):
        return
    message_id = int(message["id"])
    if MatrixEvent.objects.filter(bridge=bridge, message_id=message_id).exists():
        return  # sent before, or written on Matrix: never twice
    sender = ensure_puppet(bridge, message["author"])
    content = _content(message)
    thread = message.get("thread")
    if thread is not None:
        root = MatrixEvent.objects.filter(bridge=bridge, message_id=int(thread)).first()
        if root is not None:
            content["m.relates_to"] = {
                "rel_type": "m.thread",
                "event_id": root.event_id,
                "is_falling_back": True,
                "m.in_reply_to": {"event_id": root.event_id},
            }
    event_id = _put(bridge, "m.room.message", content, sender, txn_id)
    MatrixEvent.objects.get_or_create(
        bridge=bridge,
        message_id=message_id,
        defaults={"event_id": event_id, "sender": sender, "body": str(message.get("body", ""))},
    )


def _send_edit(bridge: MatrixBridge, message: dict[str, Any], txn_id: str) -> None:
    mapped = MatrixEvent.objects.filter(bridge=bridge, message_id=int(message["id"])).first()
    if mapped is None or mapped.inbound or mapped.redacted or message.get("deleted"):
        return
    body = str(message.get("body", ""))
    if body == mapped.body:
        return  # nothing Matrix shows changed (a note marked shared back, say)
    new = _content(message)
    content = {
        "msgtype": "m.text",
        "body": f"* {new['body']}",
        "m.new_content": new,
        "m.relates_to": {"rel_type": "m.replace", "event_id": mapped.event_id},
    }
    _put(bridge, "m.room.message", content, mapped.sender, txn_id)
    MatrixEvent.objects.filter(pk=mapped.pk).update(body=body)


def _redact(bridge: MatrixBridge, message_id: int, txn_id: str) -> None:
    mapped = MatrixEvent.objects.filter(bridge=bridge, message_id=message_id).first()
    if mapped is None or mapped.inbound or mapped.redacted:
        return
    room_id = ensure_room(bridge)
    # Redacting twice is harmless: no lookup needed after a crash.
    call(
        bridge,
        "PUT",
        f"/rooms/{q(room_id)}/redact/{q(mapped.event_id)}/{q(txn_id)}",
        {"reason": "Deleted in Causeway"},
        user_id=mapped.sender,
    )
    MatrixEvent.objects.filter(pk=mapped.pk).update(redacted=True)


def _put(
    bridge: MatrixBridge, event_type: str, content: dict[str, Any], sender: str, txn_id: str
) -> str:
    """Send one event as ``sender`` with the Matrix transaction id ``txn_id``; its event id."""
    room_id = ensure_room(bridge)
    content = {**content, TXN_KEY: txn_id}
    attempt, first_try = MatrixAttempt.objects.get_or_create(bridge=bridge, txn_id=txn_id)
    if not first_try:
        found = find_sent(bridge, room_id, sender, txn_id)
        if found is not None:
            attempt.delete()
            logger.info("matrix %s: %s had landed before (%s)", bridge.pk, txn_id, found)
            return found
    sent = call(
        bridge,
        "PUT",
        f"/rooms/{q(room_id)}/send/{q(event_type)}/{q(txn_id)}",
        content,
        user_id=sender,
    )
    attempt.delete()
    return str(sent["event_id"])


def find_sent(bridge: MatrixBridge, room_id: str, sender: str, txn_id: str) -> str | None:
    """The event ``sender`` sent with ``txn_id``, if it is among the room's recent events."""
    page = call(
        bridge,
        "GET",
        f"/rooms/{q(room_id)}/messages",
        user_id=sender,
        params={"dir": "b", "limit": str(LOOKBACK)},
    )
    for event in page.get("chunk", []):
        content = event.get("content") or {}
        if event.get("sender") == sender and content.get(TXN_KEY) == txn_id:
            return str(event["event_id"])
    return None
