"""HTTP for the Matrix bridge: its settings (the organization's admins) and the
application-service API the homeserver calls (authenticated by ``hs_token``).

The homeserver's endpoints answer as the application-service spec says: JSON,
``{"errcode": "M_FORBIDDEN"}`` (403) for a missing or wrong token, the same for a
connector that does not exist, so they tell an outsider nothing.
"""

from __future__ import annotations

import json

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from hub.http import AuthedRequest, api, body
from rooms.connectors.actions import connector_data
from rooms.connectors.matrix.actions import (
    access_bridge,
    bridge_data,
    check_create_matrix_bridge,
    check_link_matrix_user,
    check_unlink_matrix_user,
    registration_of,
)
from rooms.connectors.matrix.inbound import authenticate, do_receive_transaction
from rooms.models.matrix import MatrixBridge
from rooms.schemas import MatrixBridgeNew, MatrixLinkGone, MatrixLinkNew

# A transaction's body: the homeserver batches events, 100 at most by default.
MAX_TRANSACTION_BYTES = 4 * 1024 * 1024


@api(("POST",))
def matrix_bridges(request: AuthedRequest) -> JsonResponse:
    """POST /api/organization/connectors/matrix/: connect a room; the registration to install."""
    given = body(request, MatrixBridgeNew)
    bridge = check_create_matrix_bridge(
        request.user,
        room_id=given.room,
        homeserver=given.homeserver,
        matrix_room=given.matrix_room,
        name=given.name,
    )
    _, yaml = registration_of(request.user, bridge.connector_id)
    return JsonResponse(
        {
            "connector": connector_data(bridge.connector),
            "matrix": bridge_data(bridge),
            "registration": yaml,
        },
        status=201,
    )


@api(("GET",))
def matrix_bridge(request: AuthedRequest, connector_id: int) -> JsonResponse:
    """GET /api/organization/connectors/<id>/matrix/: the Matrix side and its links."""
    bridge = access_bridge(request.user, connector_id, changing=False)
    return JsonResponse({"matrix": bridge_data(bridge)})


@api(("GET",))
def matrix_registration(request: AuthedRequest, connector_id: int) -> HttpResponse:
    """GET /api/organization/connectors/<id>/matrix/registration.yaml: the file to install."""
    bridge, yaml = registration_of(request.user, connector_id)
    response = HttpResponse(yaml, content_type="application/yaml; charset=utf-8")
    name = f"causeway-matrix-{bridge.connector_id}.yaml"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@api(("POST", "DELETE"))
def matrix_links(request: AuthedRequest, connector_id: int) -> JsonResponse:
    """POST/DELETE /api/organization/connectors/<id>/matrix/links/: who on Matrix is whom."""
    if request.method == "DELETE":
        gone = body(request, MatrixLinkGone)
        check_unlink_matrix_user(
            request.user, connector_id=connector_id, matrix_user=gone.matrix_user
        )
    else:
        given = body(request, MatrixLinkNew)
        check_link_matrix_user(
            request.user,
            connector_id=connector_id,
            matrix_user=given.matrix_user,
            person_id=given.person,
        )
    bridge = access_bridge(request.user, connector_id, changing=False)
    return JsonResponse({"matrix": bridge_data(bridge)})


# --- the application-service API (the homeserver calls these) ---------------------


def _matrix_error(errcode: str, error: str, status: int) -> JsonResponse:
    return JsonResponse({"errcode": errcode, "error": error}, status=status)


def _forbidden() -> JsonResponse:
    return _matrix_error("M_FORBIDDEN", "Bad token supplied by the homeserver.", 403)


def _bridge_for(request: HttpRequest, connector_id: int) -> MatrixBridge | None:
    header = request.headers.get("Authorization", "")
    token = header[7:] if header.startswith("Bearer ") else request.GET.get("access_token", "")
    return authenticate(connector_id, token)


def _homeserver(request: HttpRequest, connector_id: int) -> MatrixBridge | JsonResponse:
    """The bridge the homeserver's call is for, or the answer to give it: 503 without a
    database, 403 for a wrong token or an unknown bridge (alike)."""
    try:
        bridge = _bridge_for(request, connector_id)
    except DatabaseError:
        return _matrix_error("M_UNKNOWN", "Unavailable; retry later.", 503)
    return _forbidden() if bridge is None else bridge


@csrf_exempt
def appservice_transaction(request: HttpRequest, connector_id: int, txn_id: str) -> JsonResponse:
    """PUT /matrix/<id>/_matrix/app/v1/transactions/<txnId>: events the homeserver pushes."""
    if request.method != "PUT":
        return _matrix_error("M_UNRECOGNIZED", "Unrecognized request.", 405)
    try:
        bridge = _bridge_for(request, connector_id)
        if bridge is None:
            return _forbidden()
        if len(request.body) > MAX_TRANSACTION_BYTES:
            return _matrix_error("M_TOO_LARGE", "Transaction too large.", 413)
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            return _matrix_error("M_NOT_JSON", "The body is not JSON.", 400)
        events = data.get("events") if isinstance(data, dict) else None
        if not isinstance(events, list) or len(txn_id) > 255:
            return _matrix_error("M_BAD_JSON", "`events` must be a list.", 400)
        do_receive_transaction(bridge, txn_id, events)
    except DatabaseError:
        # The homeserver retries the transaction later: nothing is lost.
        return _matrix_error("M_UNKNOWN", "Unavailable; retry later.", 503)
    return JsonResponse({})


@csrf_exempt
def appservice_query(request: HttpRequest, connector_id: int, what: str) -> JsonResponse:
    """GET /matrix/<id>/_matrix/app/v1/users/<id> or /rooms/<alias>: the bridge makes its
    users itself and claims no rooms, so nothing exists on demand."""
    found = _homeserver(request, connector_id)
    if isinstance(found, JsonResponse):
        return found
    return _matrix_error("M_NOT_FOUND", "Not found.", 404)


@csrf_exempt
def appservice_ping(request: HttpRequest, connector_id: int) -> JsonResponse:
    """POST /matrix/<id>/_matrix/app/v1/ping: the homeserver checks the bridge answers."""
    found = _homeserver(request, connector_id)
    if isinstance(found, JsonResponse):
        return found
    return JsonResponse({})
