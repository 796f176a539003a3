"""Refuse an HTTP request body larger than any Causeway accepts, before it is read.

Django's ASGI handler reads a whole body (to a temporary file past
FILE_UPLOAD_MAX_MEMORY_SIZE) before any view can look at it, so without this
a 10 GB "upload" would fill the disk first and be refused after. The largest
body anything accepts is one file (``CAUSEWAY_FILE_MAX_BYTES``) plus its
multipart framing; the views still check each file's own limit and the
organization's policy.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from django.conf import settings

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]

# Multipart boundaries, part headers and a few small fields.
FRAMING_BYTES = 64 * 1024


def body_limit() -> int:
    return int(settings.CAUSEWAY_FILE_MAX_BYTES) + FRAMING_BYTES


class BodyLimit:
    """ASGI middleware: 413 for a declared ``Content-Length`` over the limit; a body
    without one (chunked) is cut off where it passes the limit, as a disconnect."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit()
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            if not declared.isdigit() or int(declared) > limit:
                await _too_large(send, limit)
                return
            await self.app(scope, receive, send)
            return
        seen = 0

        async def counted() -> dict[str, Any]:
            nonlocal seen
            message: dict[str, Any] = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    return {"type": "http.disconnect"}
            return message

        await self.app(scope, counted, send)


async def _too_large(send: Send, limit: int) -> None:
    mb = limit // (1024 * 1024)
    body = json.dumps(
        {"error": {"code": "too_large", "detail": f"Requests are limited to about {mb} MB."}}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
