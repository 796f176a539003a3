"""An owner archives a room, or reopens one they archived.

A flow across concepts: archiving also stops the live mirrors that read from
the room or write into it (an archived room's log takes nothing, so a mirror
into it could only fail). Ending a partnership archives its rooms through
``rooms.actions.partnerships``; such a room is never reopened here.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from hub import audit
from hub.errors import Conflict, Forbidden
from hub.models import Partnership, User
from rooms.actions.rooms import do_archive_room, do_unarchive_room
from rooms.models.bridge import Mirror
from rooms.models.rooms import Membership, Room
from rooms.selectors.access import access_membership

ENDED_PARTNERSHIP = (
    "This room was archived because the partnership with {partner} ended. "
    "It stays read-only; the two organizations can agree a new partnership and open a new room."
)


def _owner_membership(actor: User, room_id: int, what: str) -> Membership:
    membership = access_membership(actor, room_id, readonly=True)
    if membership.room.is_direct:
        raise Forbidden("A direct conversation has no owners: leave it instead.")
    if membership.role != Membership.Role.OWNER:
        raise Forbidden(f"Only the room's owners can {what} it.")
    return membership


def _stop_mirrors_touching(room: Room) -> None:
    """Stop the live mirrors from or into ``room``; each side keeps its copies.

    Audited in each mirror's own organization's log, with no actor (the stop
    is a consequence), as when a partnership ends.
    """
    now = timezone.now()
    for mirror in Mirror.objects.select_for_update().filter(
        Q(source_room=room) | Q(target_room=room), stopped_at__isnull=True
    ):
        mirror.stopped_at = now
        mirror.save(update_fields=["stopped_at"])
        audit.record(
            None, "mirror.stopped", mirror, organization=mirror.organization, reason="room archived"
        )


def check_archive_room(actor: User, *, room_id: int) -> Room:
    """An owner makes the room read-only for everyone in it (``room.archived``, cause owner)."""
    membership = _owner_membership(actor, room_id, "archive")
    room = membership.room
    if room.archived_at is not None:
        raise Conflict("This room is archived already.")
    with transaction.atomic():
        do_archive_room(actor, room, reason="", cause="owner")
        _stop_mirrors_touching(room)
    room.refresh_from_db(fields=["archived_at"])
    return room


def check_unarchive_room(actor: User, *, room_id: int) -> Room:
    """An owner reopens a room an owner archived; never one whose partnership ended."""
    membership = _owner_membership(actor, room_id, "reopen")
    room = membership.room
    if room.archived_at is None:
        raise Conflict("This room is not archived.")
    partnership = room.partnership
    if partnership is not None and partnership.status == Partnership.Status.ENDED:
        partner = partnership.other_side_id(actor.organization_id or 0)
        name = partnership.client if partner == partnership.client_id else partnership.supplier
        raise Forbidden(ENDED_PARTNERSHIP.format(partner=name.name))
    with transaction.atomic():
        do_unarchive_room(actor, room)
    room.refresh_from_db(fields=["archived_at"])
    return room
