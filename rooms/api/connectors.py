"""HTTP for connectors (outgoing webhooks): the own organization's admins only (404 to
others reading, 403 to a colleague writing). Thin: parse, check_*, respond."""

from __future__ import annotations

from django.http import JsonResponse

from hub.http import AuthedRequest, api, body
from rooms.connectors.actions import (
    access_connector,
    check_create_connector,
    check_discard_dead_letter,
    check_remove_connector,
    check_retry_dead_letter,
    check_set_connector_paused,
    connector_data,
    connectors_of,
)
from rooms.schemas import ConnectorChange, ConnectorNew


@api(("GET", "POST"))
def connectors(request: AuthedRequest) -> JsonResponse:
    """GET/POST /api/organization/connectors/: the connectors; add one (its secret is in
    this answer only)."""
    if request.method == "POST":
        new = body(request, ConnectorNew)
        connector, secret = check_create_connector(
            request.user, room_id=new.room, kind=new.kind, name=new.name, config={"url": new.url}
        )
        return JsonResponse({"connector": connector_data(connector), "secret": secret}, status=201)
    return JsonResponse(connectors_of(request.user))


@api(("GET", "PUT", "DELETE"))
def connector(request: AuthedRequest, connector_id: int) -> JsonResponse:
    """GET/PUT/DELETE /api/organization/connectors/{id}/: read, pause or resume, remove."""
    if request.method == "DELETE":
        check_remove_connector(request.user, connector_id=connector_id)
        return JsonResponse(connectors_of(request.user))
    if request.method == "PUT":
        change = body(request, ConnectorChange)
        changed = check_set_connector_paused(
            request.user, connector_id=connector_id, paused=change.paused
        )
        return JsonResponse({"connector": connector_data(changed)})
    found = access_connector(request.user, connector_id, changing=False)
    return JsonResponse({"connector": connector_data(found)})


@api(("POST", "DELETE"))
def dead_letter(request: AuthedRequest, connector_id: int, letter_id: int) -> JsonResponse:
    """POST/DELETE /api/organization/connectors/{id}/dead-letters/{id}/: retry; discard."""
    if request.method == "POST":
        changed = check_retry_dead_letter(
            request.user, connector_id=connector_id, letter_id=letter_id
        )
    else:
        changed = check_discard_dead_letter(
            request.user, connector_id=connector_id, letter_id=letter_id
        )
    return JsonResponse({"connector": connector_data(changed)})
