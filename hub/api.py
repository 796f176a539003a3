"""HTTP JSON for partnerships and a person's own profile. Thin: parse, check_*, respond."""

from __future__ import annotations

from django.http import JsonResponse

from hub.actions import (
    check_accept_partnership,
    check_decline_partnership,
    check_propose_partnership,
    check_update_profile,
)
from hub.http import AuthedRequest, api, error_response, json_body
from hub.selectors import me_for, partnerships_for


@api(("GET", "POST"))
def partnerships(request: AuthedRequest) -> JsonResponse:
    if request.method == "POST":
        data = json_body(request)
        partnership = check_propose_partnership(
            request.user, partner_slug=data.get("partner"), as_side=data.get("as_side")
        )
        return JsonResponse({"id": partnership.pk, "status": partnership.status}, status=201)
    return JsonResponse({"partnerships": partnerships_for(request.user)})


@api(("POST",))
def partnership_decision(
    request: AuthedRequest, partnership_id: int, decision: str
) -> JsonResponse:
    if decision not in ("accept", "decline"):
        return error_response("not_found", "Not found.", 404)
    if decision == "accept":
        partnership = check_accept_partnership(request.user, partnership_id=partnership_id)
    else:
        partnership = check_decline_partnership(request.user, partnership_id=partnership_id)
    return JsonResponse({"id": partnership.pk, "status": partnership.status})


@api(("GET", "PATCH"))
def me(request: AuthedRequest) -> JsonResponse:
    if request.method == "PATCH":
        data = json_body(request)
        check_update_profile(
            request.user,
            display_name=data.get("display_name"),
            title=data.get("title"),
            handle=data.get("handle"),
        )
    return JsonResponse({"me": me_for(request.user)})
