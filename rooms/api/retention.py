"""HTTP for retention and legal holds: the own organization's admins only (404 to others
reading, 403 to a colleague writing). Thin: parse, check_*, respond."""

from __future__ import annotations

from django.http import JsonResponse

from hub.http import AuthedRequest, api, body
from rooms.actions.retention import (
    check_lift_hold,
    check_place_hold,
    check_set_retention,
    hold_data,
    holds_of,
    retention_settings,
)
from rooms.models.retention import LegalHold
from rooms.schemas import HoldNew, RetentionChange


@api(("GET", "PUT"))
def retention(request: AuthedRequest) -> JsonResponse:
    """GET/PUT /api/organization/retention/: days the own people's messages are kept."""
    if request.method == "PUT":
        change = body(request, RetentionChange)
        data = check_set_retention(
            request.user, shared_days=change.shared_days, internal_days=change.internal_days
        )
        return JsonResponse({"retention": data})
    return JsonResponse({"retention": retention_settings(request.user)})


@api(("GET", "POST"))
def holds(request: AuthedRequest) -> JsonResponse:
    """GET/POST /api/organization/holds/: the active legal holds; place one."""
    if request.method == "POST":
        given = body(request, HoldNew)
        hold = check_place_hold(
            request.user, person_id=given.person, room_id=given.room, reason=given.reason
        )
        hold = LegalHold.objects.select_related("person", "room").get(pk=hold.pk)
        return JsonResponse({"hold": hold_data(hold)}, status=201)
    return JsonResponse({"holds": holds_of(request.user)})


@api(("DELETE",))
def hold(request: AuthedRequest, hold_id: int) -> JsonResponse:
    """DELETE /api/organization/holds/{id}/: lift a hold (its record stays in the audit log)."""
    check_lift_hold(request.user, hold_id=hold_id)
    return JsonResponse({"holds": holds_of(request.user)})
