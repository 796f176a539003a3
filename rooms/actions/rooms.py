"""Rooms: creating, renaming, archiving and reopening."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from hub import audit
from hub.errors import Forbidden, Invalid, NotFound
from hub.models import Organization, Partnership, User
from rooms.actions.members import do_add_member
from rooms.log import append_event
from rooms.models.rooms import Membership, Room
from rooms.selectors.access import access_membership
from rooms.wire.serializers import person_ref
from rooms.wire.types import (
    ArchiveCause,
    RoomArchivedEvent,
    RoomUnarchivedEvent,
    RoomUpdatedEvent,
)


def do_create_room(
    actor: User,
    *,
    kind: str,
    name: str,
    topic: str = "",
    partnership: Partnership | None = None,
    organization: Organization | None = None,
) -> Room:
    with transaction.atomic():
        room = Room.objects.create(
            kind=kind,
            name=name,
            topic=topic,
            partnership=partnership,
            organization=organization,
            created_by=actor,
        )
        audit.record(actor, "room.created", room, kind=kind, name=name)
        do_add_member(actor, room, actor, role=Membership.Role.OWNER)
    return room


def check_create_shared_room(
    actor: User, *, partnership_id: int, name: str, topic: str = ""
) -> Room:
    partnership = Partnership.objects.filter(pk=partnership_id).first()
    if partnership is None or actor.organization_id not in partnership.side_ids():
        raise NotFound()
    if not partnership.is_active:
        raise Forbidden(
            "Both organizations must accept the partnership before a shared room exists."
        )
    return do_create_room(
        actor, kind=Room.Kind.SHARED, name=name, topic=topic, partnership=partnership
    )


def check_create_internal_room(actor: User, *, name: str, topic: str = "") -> Room:
    if actor.organization is None:
        raise Forbidden("Only people of an organization have internal rooms.")
    return do_create_room(
        actor,
        kind=Room.Kind.INTERNAL,
        name=name,
        topic=topic,
        organization=actor.organization,
    )


def check_update_room(
    actor: User, *, room_id: int, name: str | None = None, topic: str | None = None
) -> Room:
    membership = access_membership(actor, room_id)
    if membership.room.is_direct:
        raise Forbidden("A direct conversation has no name: it shows the people in it.")
    if membership.role != Membership.Role.OWNER:
        raise Forbidden("Only the room's owners can rename it.")
    changes = {}
    if name is not None:
        changes["name"] = name
    if topic is not None:
        changes["topic"] = topic
    if not changes:
        raise Invalid("Give a `name` or a `topic`.")
    with transaction.atomic():
        # Only the fields given, on the locked row: two owners changing
        # different fields at once both keep their change.
        room = Room.objects.select_for_update().get(pk=membership.room_id)
        for field, value in changes.items():
            setattr(room, field, value)
        room.save(update_fields=list(changes))
        append_event(
            room.id,
            lambda seq: RoomUpdatedEvent(
                type="room.updated", room=room.id, seq=seq, name=room.name, topic=room.topic
            ),
        )
    return room


def do_archive_room(
    actor: User | None,
    room: Room,
    *,
    reason: str,
    when: datetime | None = None,
    cause: ArchiveCause = "partnership_ended",
) -> None:
    """Make the room a read-only archive, and tell its subscribers (``room.archived``).

    Its members keep reading it; every later write to its log is ``Archived``
    (``next_seq``). ``when`` is the moment of the decision (a partnership's
    ``ended_at``), so the event and the room list give the same time. Must run
    inside ``transaction.atomic``.
    """
    locked = Room.objects.select_for_update().get(pk=room.pk)
    if locked.archived_at is not None and cause == "owner":
        return
    # A room an owner archived whose partnership now ends is announced again:
    # it can no longer be reopened, and its members see why.
    now = when or timezone.now()
    by = person_ref(actor) if actor is not None else None
    append_event(
        room.id,
        lambda seq: RoomArchivedEvent(
            type="room.archived",
            room=room.id,
            seq=seq,
            archived_at=now.isoformat(),
            reason=reason,
            by=by,
            cause=cause,
        ),
        archived_ok=True,
    )
    Room.objects.filter(pk=room.pk).update(archived_at=now)
    audit.record(
        actor,
        "room.archived",
        room,
        organization=actor.organization if actor else None,
        reason=reason,
        cause=cause,
    )


def do_unarchive_room(actor: User, room: Room) -> None:
    """Open an archived room for writing again (``room.unarchived``). Inside
    ``transaction.atomic``; the caller has checked that it may be reopened."""
    locked = Room.objects.select_for_update().get(pk=room.pk)
    if locked.archived_at is None:
        return
    by = person_ref(actor)
    append_event(
        room.id,
        lambda seq: RoomUnarchivedEvent(type="room.unarchived", room=room.id, seq=seq, by=by),
        archived_ok=True,
    )
    Room.objects.filter(pk=room.pk).update(archived_at=None)
    audit.record(actor, "room.unarchived", room)
