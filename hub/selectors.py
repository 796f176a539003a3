"""Permission-scoped reads for organizations, partnerships and invitations."""

from __future__ import annotations

from typing import Any, TypedDict

from django.db.models import Q

from hub.models import Partnership, User


def me_for(user: User) -> dict[str, Any]:
    """The signed-in person as their own pages and the profile API show them."""
    org = user.organization
    return {
        "id": user.pk,
        "name": user.name,
        "display_name": user.display_name,
        "handle": user.handle,
        "title": user.title,
        "time_zone": user.time_zone,
        "avatar": user.avatar_url,
        "org": {"id": org.pk, "name": org.name, "slug": org.slug} if org else None,
        "admin": user.is_org_admin,
    }


class PartnershipEnding(TypedDict):
    """Who ended a partnership (by their current names), when and why: both sides see it."""

    by: str | None
    org: str | None
    reason: str
    at: str


def partnership_end(partnership: Partnership) -> PartnershipEnding | None:
    if partnership.ended_at is None:
        return None
    by = partnership.ended_by
    return {
        "by": by.name if by else None,
        "org": by.organization.name if by and by.organization else None,
        "reason": partnership.end_reason,
        "at": partnership.ended_at.isoformat(),
    }


def partnerships_for(user: User) -> list[dict[str, Any]]:
    if user.organization_id is None:
        return []
    rows = (
        Partnership.objects.filter(
            Q(supplier_id=user.organization_id) | Q(client_id=user.organization_id)
        )
        .select_related("supplier", "client", "proposed_by", "ended_by__organization")
        .order_by("-proposed_at")
    )
    result = []
    for p in rows:
        awaiting_us = (
            p.status == Partnership.Status.PROPOSED
            and p.proposed_by.organization_id != user.organization_id
        )
        result.append(
            {
                "id": p.pk,
                "supplier": {"id": p.supplier.pk, "name": p.supplier.name, "slug": p.supplier.slug},
                "client": {"id": p.client.pk, "name": p.client.name, "slug": p.client.slug},
                "status": p.status,
                "awaiting_our_decision": awaiting_us,
                "can_decide": awaiting_us and user.is_org_admin,
                "can_end": p.status == Partnership.Status.ACTIVE and user.is_org_admin,
                "ended": partnership_end(p),
            }
        )
    return result
