"""Ending a partnership: its shared rooms become read-only archives for both sides."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from hub import audit
from hub.errors import Conflict, Forbidden, NotFound
from hub.models import Partnership, User
from rooms.actions.rooms import do_archive_room
from rooms.bridge.mirrors import do_stop_mirrors_of
from rooms.models.invitations import Invitation
from rooms.models.rooms import Room


def do_end_partnership(actor: User, partnership: Partnership, *, reason: str) -> Partnership:
    """End a live partnership: its shared rooms become read-only archives for both sides.

    In one transaction: each shared room is archived (a ``room.archived``
    event on its sequence), the mirrors of their threads stop (each side
    keeps its copies), pending invitations into them are revoked, and both
    sides' audit logs record the end. The two organizations may propose a
    new partnership afterwards.
    """
    with transaction.atomic():
        locked = Partnership.objects.select_for_update().get(pk=partnership.pk)
        if locked.status != Partnership.Status.ACTIVE:
            raise Conflict(f"This partnership is {locked.status}, not active.")
        locked.status = Partnership.Status.ENDED
        locked.ended_by = actor
        locked.ended_at = timezone.now()
        locked.end_reason = reason
        locked.save(update_fields=["status", "ended_by", "ended_at", "end_reason"])
        rooms = list(Room.objects.filter(partnership=locked).order_by("pk"))
        for room in rooms:
            # Each room's lock first (archiving takes it), then its mirrors.
            do_archive_room(actor, room, reason=reason, when=locked.ended_at)
        do_stop_mirrors_of(rooms, reason="partnership ended")
        for invitation in Invitation.objects.select_for_update().filter(
            room__in=rooms, accepted_at__isnull=True, revoked_at__isnull=True
        ):
            invitation.revoked_at = locked.ended_at
            invitation.save(update_fields=["revoked_at"])
            audit.record(
                actor,
                "invitation.revoked",
                invitation,
                organization=invitation.invited_by.organization,
                reason="partnership ended",
            )
        for side in (locked.supplier, locked.client):
            audit.record(
                actor,
                "partnership.ended",
                locked,
                organization=side,
                reason=reason,
                rooms=[room.pk for room in rooms],
            )
    return locked


def check_end_partnership(actor: User, *, partnership_id: int, reason: str) -> Partnership:
    """Either side's admin ends an active partnership, saying why (both sides see the reason)."""
    partnership = (
        Partnership.objects.select_related("supplier", "client").filter(pk=partnership_id).first()
    )
    if partnership is None or actor.organization_id not in partnership.side_ids():
        raise NotFound()
    if not actor.is_org_admin:
        raise Forbidden("Only an organization admin can end a partnership.")
    return do_end_partnership(actor, partnership, reason=reason)
