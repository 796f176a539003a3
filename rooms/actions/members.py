"""Who is in a room: adding, removing and leaving, owners and members, within the
organization boundary."""

from __future__ import annotations

from django.db import models, transaction
from django.utils import timezone

from hub import audit, publish
from hub.errors import Forbidden, Invalid, NotFound
from hub.models import User
from rooms.log import append_event
from rooms.models.rooms import Membership, Room
from rooms.moderation import moderation_scope
from rooms.selectors.access import access_membership, access_person
from rooms.selectors.rooms import room_list
from rooms.wire.serializers import person_ref
from rooms.wire.types import MemberJoinedEvent, MemberLeftEvent, MemberRoleEvent, RoomAddedFrame

LAST_OWNER = (
    "{who} the room's last owner: make another member an owner first, "
    "so that someone can still rename it, add people from the partner and archive it."
)


def do_add_member(
    actor: User | None, room: Room, person: User, *, role: str = Membership.Role.MEMBER
) -> Membership:
    """Add (or re-add) ``person``. Enforces the room's organization boundary."""
    if person.organization_id not in room.allowed_organization_ids():
        # The invariant behind every other check: an internal room only ever
        # holds its organization's people, a shared room only its two sides'.
        raise Forbidden("That person's organization cannot be in this room.")
    if person.is_bot and room.kind != Room.Kind.INTERNAL:
        # Bots live in their organization's internal rooms only: never a shared room or
        # a direct conversation, whatever path tries (rooms.actions.bots).
        raise Forbidden("A bot can only be in internal rooms.")
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
        # The person's open pages gain the room at once (their sidebar, their
        # home page, a notice): the room as their own room list shows it.
        # Read inside the transaction, so it includes this membership.
        (entry,) = room_list(person, room_id=room.id)
        publish.publish_on_commit(
            publish.user_group(person.id),
            RoomAddedFrame(
                type="room.added",
                room=entry,
                by=person_ref(actor) if actor is not None and actor.pk != person.pk else None,
            ),
        )
    return membership


def check_add_member(actor: User, *, room_id: int, person_id: int) -> Membership:
    membership = access_membership(actor, room_id)
    if membership.room.is_direct:
        raise Forbidden("A direct conversation keeps the people it started with.")
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
    if actor_membership.room.is_direct and not is_self:
        raise Forbidden("A direct conversation keeps the people it started with.")
    if not (is_self or is_owner or is_their_admin):
        raise Forbidden("Only the room's owners or the person's own admins can remove them.")
    if is_self:
        check_leave_room(actor, room_id=room_id)
        return
    with transaction.atomic():
        _lock_members(room_id)
        if _is_last_owner(Membership.objects.get(pk=target.pk)):
            raise Invalid(LAST_OWNER.format(who=f"{target.user.name} is"))
        do_remove_member(actor, target)


def _other_members(membership: Membership) -> models.QuerySet[Membership]:
    return (
        Membership.objects.active()
        .filter(room_id=membership.room_id, user__is_active=True)
        .exclude(pk=membership.pk)
    )


def _is_last_owner(membership: Membership) -> bool:
    """Whether the room would keep people but no owner without ``membership``."""
    if membership.role != Membership.Role.OWNER:
        return False
    others = _other_members(membership)
    return others.exists() and not others.filter(role=Membership.Role.OWNER).exists()


def do_set_member_role(
    actor: User, membership: Membership, role: str, *, archived_ok: bool = False
) -> Membership:
    """Make the member an owner or a member (``member.role``); nothing if it is their role."""
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update(of=("self",))
            .select_related("room", "user")
            .get(pk=membership.pk)
        )
        if membership.role == role or membership.left_at is not None:
            return membership
        before, membership.role = membership.role, role
        membership.save(update_fields=["role"])
        audit.record(
            actor,
            "membership.role_changed",
            membership,
            room=membership.room_id,
            person=membership.user_id,
            role=role,
            before=before,
        )
        room_id, user_id, by = membership.room_id, membership.user_id, person_ref(actor)
        frame = MemberRoleEvent(
            type="member.role", room=room_id, seq=0, user=user_id, role=role, by=by
        )
        room = membership.room
        if not room.is_shared:
            frame["moderation"] = moderation_scope(membership.user, room, role)
        append_event(room_id, lambda seq: {**frame, "seq": seq}, archived_ok=archived_ok)
    return membership


def _lock_members(room_id: int) -> None:
    """Lock the room's active memberships, in id order, before reading who owns it.

    Two owners leaving (or demoting each other) at once would otherwise both
    see another owner and leave the room with none. Memberships before the
    room, as every membership writer takes them (``append_event`` then locks
    the room's row for its seq).
    """
    list(
        Membership.objects.active()
        .filter(room_id=room_id)
        .order_by("pk")
        .select_for_update()
        .values_list("pk", flat=True)
    )


def check_set_member_role(actor: User, *, room_id: int, person_id: int, role: str) -> Membership:
    """An owner makes a member an owner, or an owner a member; never the last owner."""
    actor_membership = access_membership(actor, room_id)
    if actor_membership.room.is_direct:
        raise Forbidden("A direct conversation has no owners.")
    with transaction.atomic():
        _lock_members(room_id)
        target = (
            Membership.objects.active()
            .select_related("user")
            .filter(room_id=room_id, user_id=person_id, user__is_active=True)
            .first()
        )
        if target is None:
            raise NotFound()
        if actor_membership.role != Membership.Role.OWNER:
            raise Forbidden("Only the room's owners can change who is an owner.")
        # Never ownerless while someone is in it, even if that is the owner alone.
        other_owners = _other_members(target).filter(role=Membership.Role.OWNER)
        if (
            role == Membership.Role.MEMBER
            and target.role == Membership.Role.OWNER
            and not other_owners.exists()
        ):
            who = "You are" if target.user_id == actor.id else f"{target.user.name} is"
            raise Invalid(LAST_OWNER.format(who=who))
        return do_set_member_role(actor, target, role)


def check_leave_room(actor: User, *, room_id: int, new_owner: int | None = None) -> None:
    """Leave the room; the last owner names the member who becomes owner (``new_owner``).

    The same rule in an internal and in a shared room, and in an archived one
    (its owners are the ones who may reopen it). Your open sockets lose the
    room at once (``room.revoked``, as for a removal). The last person in a
    room may leave it: it then has nobody in it.
    """
    access_membership(actor, room_id, readonly=True)
    with transaction.atomic():
        _lock_members(room_id)
        # Read again under the locks: the role may have changed meanwhile.
        membership = access_membership(actor, room_id, readonly=True)
        successor: Membership | None = None
        if new_owner is not None:
            successor = _other_members(membership).filter(user_id=new_owner).first()
            if successor is None:
                raise NotFound("`new_owner` is not a member of this room.")
            if membership.role != Membership.Role.OWNER:
                raise Forbidden("Only an owner can make someone an owner.")
        elif _is_last_owner(membership):
            raise Invalid(LAST_OWNER.format(who="You are"))
        if successor is not None:
            do_set_member_role(actor, successor, Membership.Role.OWNER, archived_ok=True)
        do_remove_member(actor, membership, reason="left")
