"""Who is in a room: adding and removing people, within the organization boundary."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from hub import audit, publish
from hub.errors import Forbidden, Invalid, NotFound
from hub.models import User
from rooms.log import append_event
from rooms.models.rooms import Membership, Room
from rooms.selectors.access import access_membership, access_person
from rooms.wire.serializers import person_ref
from rooms.wire.types import MemberJoinedEvent, MemberLeftEvent


def do_add_member(
    actor: User | None, room: Room, person: User, *, role: str = Membership.Role.MEMBER
) -> Membership:
    """Add (or re-add) ``person``. Enforces the room's organization boundary."""
    if person.organization_id not in room.allowed_organization_ids():
        # The invariant behind every other check: an internal room only ever
        # holds its organization's people, a shared room only its two sides'.
        raise Forbidden("That person's organization cannot be in this room.")
    if not person.is_active:
        raise Invalid("That person's account is deactivated.")
    with transaction.atomic():
        membership, created = Membership.objects.select_for_update().get_or_create(
            room=room, user=person, defaults={"role": role}
        )
        if not created:
            if membership.left_at is None:
                return membership
            membership.left_at = None
            membership.joined_at = timezone.now()
            membership.role = role
            membership.save(update_fields=["left_at", "joined_at", "role"])
        audit.record(
            actor,
            "membership.added",
            membership,
            organization=actor.organization if actor else person.organization,
            room=room.id,
            person=person.id,
            role=role,
        )
        member = person_ref(person)
        append_event(
            room.id,
            lambda seq: MemberJoinedEvent(
                type="member.joined", room=room.id, seq=seq, member=member, role=role
            ),
        )
    return membership


def check_add_member(actor: User, *, room_id: int, person_id: int) -> Membership:
    membership = access_membership(actor, room_id)
    # Someone the actor cannot know of is answered exactly like a missing id.
    person = access_person(actor, person_id)
    if person.organization_id not in membership.room.allowed_organization_ids():
        raise NotFound()
    # Members bring in colleagues of their own organization; the room's owners
    # may also bring in people from the other side of the partnership.
    if person.organization_id != actor.organization_id and membership.role != Membership.Role.OWNER:
        raise Forbidden("Only the room's owners can add people from the other organization.")
    return do_add_member(actor, membership.room, person)


def do_remove_member(actor: User | None, membership: Membership, *, reason: str = "") -> None:
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        if membership.left_at is not None:
            return
        membership.left_at = timezone.now()
        membership.save(update_fields=["left_at"])
        audit.record(
            actor,
            "membership.removed",
            membership,
            organization=actor.organization if actor else None,
            room=membership.room_id,
            person=membership.user_id,
            reason=reason,
        )
        room_id, user_id = membership.room_id, membership.user_id
        append_event(
            room_id,
            lambda seq: MemberLeftEvent(type="member.left", room=room_id, seq=seq, user=user_id),
            # A deactivated person leaves archived rooms too.
            archived_ok=True,
        )
        # Open sockets resolved the person at connect: tell them, so they stop
        # receiving this room at once.
        publish.publish_control_on_commit(publish.user_group(user_id), "room.revoked", room=room_id)


def check_remove_member(actor: User, *, room_id: int, person_id: int) -> None:
    actor_membership = access_membership(actor, room_id)
    target = (
        Membership.objects.active()
        .select_related("user")
        .filter(room=actor_membership.room, user_id=person_id)
        .first()
    )
    if target is None:
        raise NotFound()
    is_self = target.user_id == actor.id
    is_owner = actor_membership.role == Membership.Role.OWNER
    is_their_admin = actor.is_org_admin and target.user.organization_id == actor.organization_id
    if not (is_self or is_owner or is_their_admin):
        raise Forbidden("Only the room's owners or the person's own admins can remove them.")
    do_remove_member(actor, target)
