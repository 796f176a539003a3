"""What the homeserver pushes to the bridge: messages written on Matrix become internal notes.

The homeserver PUTs ``/_matrix/app/v1/transactions/{txnId}`` with the bridge's
``hs_token``; a transaction is applied once (``MatrixTransaction``), and each
message in it once more at most (its Causeway ``client_id`` comes from the Matrix
event id), so a retry after a lost answer changes nothing.

A message from a Matrix user in the connected room is posted in the internal room,
as the Causeway person an admin linked that Matrix user to (``MatrixLink``), with
that person's own permissions: it is an ordinary internal message, in the Causeway
thread its Matrix thread or reply belongs to. It never reaches the partner: only
``!share`` then ``!confirm`` (``commands``) sends a note into a shared thread,
through the same share-back as the web app. An unlinked Matrix user's message is
not posted; the bot says so in the room. The bot's and the puppets' own events are
ignored (they are what the bridge sent).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from hub.errors import ActionError
from rooms.actions.messages import check_send_message
from rooms.connectors.matrix import commands, registration
from rooms.connectors.matrix.homeserver import HomeserverError, call, q
from rooms.models.matrix import MatrixBridge, MatrixEvent, MatrixLink, MatrixTransaction
from rooms.models.messages import Message

logger = logging.getLogger("causeway.connectors.matrix")

# Compared against when the connector does not exist, so both answers take as long.
_NO_TOKEN = "-" * 43


def authenticate(connector_id: int, token: str) -> MatrixBridge | None:
    """The live bridge whose ``hs_token`` is ``token``; None for a wrong token or none."""
    bridge = (
        MatrixBridge.objects.select_related("connector__room", "connector__organization")
        .filter(connector_id=connector_id, connector__removed_at__isnull=True)
        .first()
    )
    expected = bridge.hs_token if bridge is not None else _NO_TOKEN
    matches = hmac.compare_digest(expected.encode(), token.encode())
    return bridge if bridge is not None and matches else None


@dataclass
class Reply:
    """A notice the bot posts in answer to ``event_id`` after the transaction is applied."""

    event_id: str
    text: str


def do_receive_transaction(bridge: MatrixBridge, txn_id: str, events: list[Any]) -> int:
    """Apply one pushed transaction; returns the notes posted. The bot's answers are sent
    after every write committed (no network call inside a transaction)."""
    if MatrixTransaction.objects.filter(bridge=bridge, txn_id=txn_id).exists():
        return 0
    replies: list[Reply] = []
    posted = 0
    for event in events:
        if not isinstance(event, dict):
            continue
        reply, note = receive_event(bridge, event)
        posted += note
        if reply is not None:
            replies.append(reply)
    MatrixTransaction.objects.get_or_create(bridge=bridge, txn_id=txn_id)
    for reply in replies:
        send_notice(bridge, reply)
    return posted


def _relation(content: dict[str, Any]) -> tuple[str, str | None, str | None]:
    """(rel_type, the thread root's event id, the replied-to event id)."""
    relates = content.get("m.relates_to")
    if not isinstance(relates, dict):
        return "", None, None
    rel_type = str(relates.get("rel_type", ""))
    thread = str(relates["event_id"]) if rel_type == "m.thread" and "event_id" in relates else None
    in_reply = relates.get("m.in_reply_to")
    reply_to = (
        str(in_reply["event_id"]) if isinstance(in_reply, dict) and "event_id" in in_reply else None
    )
    if thread is not None and relates.get("is_falling_back"):
        # A plain message in a thread: the "reply" is only the client's fallback.
        reply_to = None
    return rel_type, thread, reply_to


def mapped_message(bridge: MatrixBridge, event_id: str | None) -> Message | None:
    if event_id is None:
        return None
    mapped = (
        MatrixEvent.objects.select_related("message")
        .filter(bridge=bridge, event_id=event_id)
        .first()
    )
    return mapped.message if mapped is not None else None


def strip_fallback(body: str) -> str:
    """A reply's body without the quoted lines (``> ...``) older clients put first."""
    lines = body.split("\n")
    if lines and lines[0].startswith("> "):
        while lines and lines[0].startswith(">"):
            lines.pop(0)
        while lines and not lines[0].strip():
            lines.pop(0)
    return "\n".join(lines)


def receive_event(bridge: MatrixBridge, event: dict[str, Any]) -> tuple[Reply | None, int]:
    """One event of a transaction: (the bot's answer, if any; 1 if a note was posted)."""
    room_id = bridge.room_id
    sender = str(event.get("sender", ""))
    event_id = str(event.get("event_id", ""))
    content = event.get("content")
    if (
        not room_id
        or event.get("room_id") != room_id
        or event.get("type") != "m.room.message"
        or not isinstance(content, dict)
        or registration.is_ours(bridge, sender)
        or not event_id
    ):
        return None, 0
    if content.get("msgtype") not in ("m.text", "m.emote"):
        return None, 0
    rel_type, thread_event, reply_event = _relation(content)
    if rel_type == "m.replace":
        return None, 0  # edits on Matrix are not carried over (docs/connectors.md)
    link = (
        MatrixLink.objects.select_related("person__organization")
        .filter(bridge=bridge, matrix_user_id=sender)
        .first()
    )
    organization = bridge.connector.organization
    if (
        link is None
        or not link.person.is_active
        or link.person.organization_id != bridge.connector.organization_id
    ):
        return (
            Reply(
                event_id,
                f"{sender} is not linked to a person of {organization.name} in Causeway, so "
                "this message was not posted there. An admin links Matrix users on the "
                "organization page (Connectors).",
            ),
            0,
        )
    person = link.person
    body = strip_fallback(str(content.get("body", ""))).strip()
    command = body.split(maxsplit=1)[0].lower() if body else ""
    if command == "!share":
        target = mapped_message(bridge, reply_event)
        return Reply(event_id, commands.do_request_share(bridge, person, sender, target)), 0
    if command == "!confirm":
        return Reply(event_id, commands.do_confirm_share(bridge, person, sender)), 0
    cancelled = commands.do_cancel_shares(bridge, sender)
    replied = mapped_message(bridge, thread_event or reply_event)
    thread = None
    if replied is not None and replied.room_id == bridge.connector.room_id:
        thread = replied.thread_root_id or replied.pk
    client_id = "matrix-" + hashlib.sha256(event_id.encode()).hexdigest()[:40]
    try:
        with transaction.atomic():
            message, _ = check_send_message(
                person,
                room_id=bridge.connector.room_id,
                client_id=client_id,
                body=body,
                thread=thread,
            )
            # In the same transaction as the note: the relay, which reads the event
            # only once this commits, finds it came from Matrix and sends nothing back.
            MatrixEvent.objects.get_or_create(
                bridge=bridge,
                message=message,
                defaults={"event_id": event_id, "sender": sender, "inbound": True, "body": body},
            )
    except ActionError as error:
        return Reply(event_id, f"Not posted in Causeway: {error.detail}"), 0
    if cancelled:
        return Reply(event_id, "The share you asked for was cancelled: nothing was shared."), 1
    return None, 1


def send_notice(bridge: MatrixBridge, reply: Reply) -> None:
    """The bot answers in the room (``m.notice``, in reply). Best effort: a lost answer
    is logged, never retried (the homeserver would send the transaction again)."""
    content = {
        "msgtype": "m.notice",
        "body": reply.text,
        "m.relates_to": {"m.in_reply_to": {"event_id": reply.event_id}},
    }
    txn = "notice-" + hashlib.sha256(f"{reply.event_id}:{reply.text}".encode()).hexdigest()[:32]
    try:
        call(
            bridge,
            "PUT",
            f"/rooms/{q(bridge.room_id)}/send/m.room.message/{txn}",
            content,
            user_id=registration.bot_user_id(bridge),
        )
    except (HomeserverError, ActionError) as error:
        logger.warning("matrix %s: the bot's answer was not sent: %s", bridge.pk, error)
