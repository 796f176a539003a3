"""HTTP JSON for partnerships. Thin: parse, check_*, respond."""

from __future__ import annotations

from django.http import JsonResponse

from hub.actions import (
    check_accept_partnership,
    check_decline_partnership,
    check_propose_partnership,
)
from hub.http import AuthedRequest, api, body, error_response
from hub.schemas import PartnershipProposal
from hub.selectors import partnerships_for


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
