"""Outgoing webhooks: each new message of an internal room POSTed to a URL.

The body is Slack/Mattermost-compatible (``text``, ``username``) with what
Causeway knows under ``causeway``, so an incoming-webhook URL of either works
as it is. New top-level messages and thread replies are sent, mirror copies
of a shared thread included (they are the room's messages); edits, deletions,
reactions and the rest are not: Slack's and Mattermost's incoming webhooks
have no way to edit or delete what was posted (docs/connectors.md).

Each request is signed: ``X-Causeway-Signature: v1=<hex HMAC-SHA256(secret,
"<timestamp>.<body>")>`` with ``X-Causeway-Timestamp`` (Unix seconds), and
carries ``X-Causeway-Delivery``, the same on every try of one event: the
receiver drops a delivery it has seen (the relay sends at least once).
A 2xx is delivered; a 5xx, 408, 429, timeout or connection error is retried
with backoff; any other answer (a 4xx, a redirect) is a dead letter at once.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import time
from typing import Any

from django.conf import settings

from hub.errors import Invalid
from rooms.connectors.outbound import check_outbound_url, post, resolve_outbound
from rooms.connectors.sinks import DeliveryFailed
from rooms.models.connectors import Connector
from rooms.models.log import RoomEvent

MAX_URL = 2000


def check_webhook_config(config: dict[str, Any]) -> dict[str, Any]:
    """``{"url": ...}``: an http(s) URL the server may call (``outbound``)."""
    url = config.get("url")
    if not isinstance(url, str) or not url.strip() or len(url) > MAX_URL:
        raise Invalid(f"`url` must be an http:// or https:// URL (at most {MAX_URL} characters).")
    return {"url": check_outbound_url(url)}


def payload(connector: Connector, event: RoomEvent, txn_id: str) -> dict[str, Any] | None:
    """The JSON POSTed for ``event``, or None if it is not sent (anything but a new message)."""
    frame = event.payload
    if event.type != "message.new" or not isinstance(frame, dict):
        return None
    message = frame["message"]
    if message.get("deleted"):
        return None
    author = message.get("author") or {}
    name = author.get("name", "")
    organization = (author.get("org") or {}).get("name")
    mirror = message.get("mirror")
    if isinstance(mirror, dict) and "author" in mirror:
        # A copy of a shared thread's message: the original's author, as they were.
        name, organization = mirror["author"], mirror["org"]
    return {
        "text": message.get("body", ""),
        "username": f"{name} ({organization})" if organization else name,
        "causeway": {
            "event": "message.new",
            "delivery": txn_id,
            "connector": connector.pk,
            "room": {"id": connector.room_id, "name": connector.room.name},
            "seq": event.seq,
            "message": message["id"],
            "thread": message.get("thread"),
            "author": {"name": name, "organization": organization},
            "mirror": bool(mirror),
            "created_at": message.get("created_at"),
        },
    }


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"v1={mac.hexdigest()}"


class WebhookSink:
    def deliver(self, connector: Connector, event: RoomEvent, txn_id: str) -> None:
        data = payload(connector, event, txn_id)
        if data is None:
            return
        try:
            # Checked again at every delivery: the name may resolve elsewhere now.
            target = resolve_outbound(str(connector.config.get("url", "")))
        except Invalid as error:
            raise DeliveryFailed(str(error)) from error
        body = json.dumps(data, separators=(",", ":")).encode()
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Causeway-Webhook/1",
            "X-Causeway-Delivery": txn_id,
            "X-Causeway-Timestamp": str(timestamp),
            "X-Causeway-Signature": sign(connector.secret, timestamp, body),
        }
        try:
            response = post(
                target, body, headers, timeout=settings.CAUSEWAY_CONNECTOR_TIMEOUT_SECONDS
            )
        except (OSError, http.client.HTTPException) as error:
            raise DeliveryFailed(f"{type(error).__name__}: {error}") from error
        if 200 <= response.status < 300:
            return
        retry = response.status >= 500 or response.status in (408, 429)
        raise DeliveryFailed(f"HTTP {response.status}: {response.text[:300]}", retry=retry)
