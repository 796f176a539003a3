"""HTTP JSON for partnerships and the organization settings. Thin: parse, check_*, respond."""

from __future__ import annotations

from django.http import JsonResponse

from hub.actions import (
    check_accept_partnership,
    check_decline_partnership,
    check_propose_partnership,
)
from hub.http import AuthedRequest, api, body, error_response
from hub.organization import (
    check_add_domain,
    check_remove_domain,
    check_set_org_role,
    org_person,
    organization_settings,
)
from hub.schemas import DomainNew, OrgRoleChange, PartnershipProposal
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


@api()
def organization(request: AuthedRequest) -> JsonResponse:
    """GET /api/organization/: the own organization's domains and people, to its admins
    (404 to anyone else, as for nothing)."""
    return JsonResponse({"organization": organization_settings(request.user)})


@api(("POST",))
def organization_domains(request: AuthedRequest) -> JsonResponse:
    domains = check_add_domain(request.user, domain=body(request, DomainNew).domain)
    return JsonResponse({"domains": domains}, status=201)


@api(("DELETE",))
def organization_domain(request: AuthedRequest, domain: str) -> JsonResponse:
    return JsonResponse({"domains": check_remove_domain(request.user, domain=domain)})


@api(("PUT",))
def organization_person(request: AuthedRequest, person_id: int) -> JsonResponse:
    """PUT /api/organization/people/{id}/: make a colleague an admin or a member."""
    role = body(request, OrgRoleChange).role
    person = check_set_org_role(request.user, person_id=person_id, role=role)
    return JsonResponse({"person": org_person(person)})
