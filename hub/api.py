"""HTTP JSON for the kernel: partnerships, the organization settings and the organization's
audit log. Thin: parse, check_*, respond."""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator, Iterator

from asgiref.sync import sync_to_async
from django.http import JsonResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

from hub.actions import (
    check_accept_partnership,
    check_decline_partnership,
    check_propose_partnership,
)
from hub.auditlog import (
    AuditFilters,
    AuditRow,
    ExportFormat,
    audit_filters,
    audit_page,
    check_export_audit_log,
    csv_header,
    csv_rows,
    export_pages,
    json_lines,
)
from hub.http import AuthedRequest, api, body, error_response, query
from hub.identity import (
    check_remove_identity_provider,
    check_set_identity_provider,
    identity_provider,
)
from hub.models import Organization
from hub.organization import (
    check_add_domain,
    check_remove_domain,
    check_set_org_role,
    org_person,
    organization_settings,
)
from hub.schemas import (
    AuditExportQuery,
    AuditFilter,
    AuditQuery,
    DomainNew,
    IdentityProviderChange,
    OrgRoleChange,
    PartnershipProposal,
)
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


@api(("GET", "PUT", "DELETE"))
def organization_identity_provider(request: AuthedRequest) -> JsonResponse:
    """/api/organization/identity-provider/: the organization's single sign-on, to its
    admins. GET shows it (never the secret), PUT sets it, DELETE removes it."""
    if request.method == "GET":
        return JsonResponse({"identity_provider": identity_provider(request.user)})
    if request.method == "DELETE":
        check_remove_identity_provider(request.user)
        return JsonResponse({"identity_provider": None})
    given = body(request, IdentityProviderChange)
    view = check_set_identity_provider(
        request.user,
        issuer=given.issuer,
        client_id=given.client_id,
        client_secret=given.client_secret,
        require_sso=given.require_sso,
    )
    return JsonResponse({"identity_provider": view})


@api(("PUT",))
def organization_person(request: AuthedRequest, person_id: int) -> JsonResponse:
    """PUT /api/organization/people/{id}/: make a colleague an admin or a member."""
    role = body(request, OrgRoleChange).role
    person = check_set_org_role(request.user, person_id=person_id, role=role)
    return JsonResponse({"person": org_person(person)})


def _filters(request: AuthedRequest, given: AuditFilter) -> AuditFilters:
    return audit_filters(
        request.user,
        action=given.action,
        actor=given.person,
        since=given.since,
        until=given.until,
    )


@api()
def audit_log(request: AuthedRequest) -> JsonResponse:
    """GET /api/organization/audit/?action=&person=&since=&until=&before=&limit=: a page of
    the own organization's audit log, newest first (its admins only; anyone else: 404)."""
    given = query(request, AuditQuery)
    page = audit_page(
        request.user, _filters(request, given), before=given.before, limit=given.limit
    )
    return JsonResponse(page)


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "jsonl": "application/x-ndjson",
}


@api()
async def audit_export(request: AuthedRequest) -> StreamingHttpResponse:
    """GET /api/organization/audit/export/?format=csv|json|jsonl (and the filters): the whole
    filtered log as a download, streamed a page at a time; the export itself is audited."""
    given = query(request, AuditExportQuery)
    filters = _filters(request, given)
    organization = await sync_to_async(check_export_audit_log)(
        request.user, filters, format=given.format
    )
    day = datetime.datetime.now(datetime.UTC).date().isoformat()
    filename = f"audit-{organization.slug}-{day}.{given.format}"
    response = StreamingHttpResponse(
        _chunks(organization, filters, given.format), content_type=CONTENT_TYPES[given.format]
    )
    response["Content-Disposition"] = content_disposition_header(True, filename) or ""
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


async def _chunks(
    organization: Organization, filters: AuditFilters, format: ExportFormat
) -> AsyncIterator[bytes]:
    # Each page is read in the request's own thread (sync_to_async: Django's connection is
    # per thread), one page in memory at a time, however long the log.
    pages = export_pages(organization, filters)
    if format == "csv":
        yield csv_header().encode()
    elif format == "json":
        yield b"["
    first = True
    while (page := await sync_to_async(_next_page)(pages)) is not None:
        if format == "csv":
            yield csv_rows(page).encode()
        elif format == "jsonl":
            yield json_lines(page).encode()
        else:
            lines = json_lines(page).rstrip("\n").replace("\n", ",\n")
            yield (("\n" if first else ",\n") + lines).encode()
        first = False
    if format == "json":
        yield b"\n]\n"


def _next_page(pages: Iterator[list[AuditRow]]) -> list[AuditRow] | None:
    return next(pages, None)
