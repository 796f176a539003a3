"""Invitations a person may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone

from hub.models import User
from rooms.models.invitations import Invitation


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
