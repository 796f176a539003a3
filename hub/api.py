"""HTTP JSON for partnerships and a person's own profile. Thin: parse, check_*, respond."""

from __future__ import annotations

from django.http import JsonResponse

from hub.actions import (
    check_accept_partnership,
    check_decline_partnership,
    check_propose_partnership,
    check_update_profile,
)
from hub.http import AuthedRequest, api, body, error_response
from hub.schemas import PartnershipProposal, ProfileChange
from hub.selectors import me_for, partnerships_for


@api(("GET", "POST"))
def partnerships(request: AuthedRequest) -> JsonResponse:
    if request.method == "POST":
        proposal = body(request, PartnershipProposal)
        partnership = check_propose_partnership(
            request.user, partner_slug=proposal.partner, as_side=proposal.as_side
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
        change = body(request, ProfileChange)
        check_update_profile(
            request.user,
            display_name=change.display_name,
            title=change.title,
            handle=change.handle,
        )
    return JsonResponse({"me": me_for(request.user)})
