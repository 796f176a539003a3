"""Permission-scoped reads for organizations, partnerships and invitations."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone

from hub.models import Invitation, Partnership, User


def me_for(user: User) -> dict[str, Any]:
    """The signed-in person as their own pages and the profile API show them."""
    org = user.organization
    return {
        "id": user.pk,
        "name": user.name,
        "display_name": user.display_name,
        "handle": user.handle,
        "title": user.title,
        "org": {"id": org.pk, "name": org.name, "slug": org.slug} if org else None,
        "admin": user.is_org_admin,
    }


def partnership_end(partnership: Partnership) -> dict[str, Any] | None:
    """Who ended a partnership, when and why: both sides see it."""
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


def invitations_visible_to(user: User) -> Q:
    """Invitations the person sent, or (for admins) any into their organization."""
    scope = Q(invited_by=user)
    if user.is_org_admin and user.organization_id is not None:
        scope |= Q(organization_id=user.organization_id)
    return scope


def pending_invitations_sent(user: User) -> list[dict[str, Any]]:
    """The usable invitations the person may see (``invitations_visible_to``)."""
    rows = (
        Invitation.objects.filter(
            invitations_visible_to(user),
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
            invited_by__is_active=True,
        )
        .select_related("organization", "room", "invited_by")
        .order_by("-created_at")
    )
    return [
        {
            "id": i.pk,
            "email": i.email,
            "organization": i.organization.name,
            "room": i.room.name if i.room else None,
            "room_id": i.room_id,
            "invited_by": i.invited_by.name,
            "outside_domain": i.outside_domain,
            "expires_at": i.expires_at.isoformat(),
        }
        for i in rows
    ]


def notifications_for(user: User, *, unread_only: bool = False) -> list[dict[str, Any]]:
    from hub.models import Notification
    from rooms.events import notification_frame

    qs = Notification.objects.filter(person=user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return [
        {**notification_frame(n), "read": n.read_at is not None}
        for n in qs.order_by("-created_at", "-id")[:100]
    ]
