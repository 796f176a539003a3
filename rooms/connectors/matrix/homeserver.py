"""Causeway's calls to the organization's homeserver: the client-server API, as the
application service (``as_token``), acting as the bot or one of its puppets (``user_id``).

Every call passes the outbound rule (``rooms.connectors.outbound``): the homeserver's
address is checked again each time and the connection goes to the checked address.
Never call these inside a transaction: a homeserver that is slow or down must not
hold a database lock (the relay calls the sink with none open).
"""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings

from rooms.connectors.outbound import resolve_outbound, send
from rooms.models.matrix import MatrixBridge


class HomeserverError(Exception):
    """The homeserver answered with an error (``status`` set) or not at all (0)."""

    def __init__(self, message: str, *, status: int = 0, errcode: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.errcode = errcode

    @property
    def retry(self) -> bool:
        """Worth trying again: no answer, a 5xx, or rate limited; a 4xx is a refusal."""
        return self.status == 0 or self.status >= 500 or self.status == 429


def q(part: str) -> str:
    """One path segment (room ids, event ids and user ids carry ``!``, ``$``, ``@`` and ``:``)."""
    return quote(part, safe="")


def call(
    bridge: MatrixBridge,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    *,
    user_id: str | None = None,
    params: dict[str, str] | None = None,
    timeout: float | None = None,
) -> dict[str, Any]:
    """``method`` ``/_matrix/client/v3{path}`` on the bridge's homeserver; the JSON answer.

    Raises ``HomeserverError``; the outbound rule's ``Invalid`` if the address is
    no longer one the server may call.
    """
    target = resolve_outbound(bridge.homeserver_url)
    query = dict(params or {})
    if user_id is not None:
        query["user_id"] = user_id
    base = target.target.rstrip("/")
    url = f"{base}/_matrix/client/v3{path}" + (f"?{urlencode(query)}" if query else "")
    headers = {
        "Authorization": f"Bearer {bridge.as_token}",
        "Content-Type": "application/json",
        "Host": target.host if target.port in (80, 443) else f"{target.host}:{target.port}",
    }
    data = json.dumps(body).encode() if body is not None else None
    try:
        response = send(
            target,
            method,
            url,
            data,
            headers,
            timeout=timeout or settings.CAUSEWAY_CONNECTOR_TIMEOUT_SECONDS,
            limit=1_000_000,
        )
    except (OSError, http.client.HTTPException) as error:
        raise HomeserverError(f"The homeserver did not answer: {error}") from error
    raw = response.body
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        answer = {}
    if not isinstance(answer, dict):
        answer = {}
    if response.status >= 400:
        errcode = str(answer.get("errcode", ""))
        detail = str(answer.get("error", ""))[:300] or raw[:300].decode("utf-8", "replace")
        raise HomeserverError(
            f"{method} {path}: {response.status} {errcode} {detail}".strip(),
            status=response.status,
            errcode=errcode,
        )
    return answer
