"""People: changing one's profile and picture (every room one is in hears of it), and
leaving (deactivation ends memberships, sockets and invitations)."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from hub import audit, publish
from hub.errors import Conflict, Forbidden, Invalid, NotFound, TooLarge
from hub.models import User
from hub.organization import keep_an_admin
from rooms.actions.members import do_remove_member
from rooms.files import storage
from rooms.files.images import make_avatar
from rooms.log import append_event, lock_order
from rooms.models.invitations import Invitation
from rooms.models.rooms import Membership
from rooms.wire.serializers import person_ref
from rooms.wire.types import MemberUpdatedEvent, PersonRef


def do_deactivate_person(actor: User | None, person: User) -> None:
    with transaction.atomic():
        User.objects.filter(pk=person.pk).update(is_active=False)
        audit.record(actor, "person.deactivated", person, organization=person.organization)
        # What a person who has left invited no longer admits anyone.
        for invitation in Invitation.objects.filter(
            invited_by=person, accepted_at__isnull=True, revoked_at__isnull=True
        ):
            invitation.revoked_at = timezone.now()
            invitation.save(update_fields=["revoked_at"])
            audit.record(actor, "invitation.revoked", invitation, reason="inviter deactivated")
        memberships = Membership.objects.active().filter(user=person).select_related("room")
        for membership in sorted(memberships, key=lambda m: lock_order(m.room.kind, m.room_id)):
            do_remove_member(actor, membership, reason="deactivated")
        publish.publish_control_on_commit(publish.user_group(person.pk), "auth.recheck")


def check_deactivate_person(actor: User, *, person_id: int) -> None:
    # A bot is revoked, not deactivated (rooms.actions.bots): not a person here.
    person = User.objects.filter(pk=person_id, is_bot=False).first()
    if person is None or person.organization_id != actor.organization_id:
        raise NotFound()
    if not actor.is_org_admin:
        raise Forbidden("Only an organization admin can deactivate people.")
    with transaction.atomic():
        # Someone must still be able to govern the organization afterwards.
        keep_an_admin(person, doing="deactivated")
        do_deactivate_person(actor, person)


# What others see of a person in a room (``person_ref``): changing one of these
# tells those rooms; the time zone travels only on the person's card.
SHOWN_IN_ROOMS = ("display_name", "title", "handle", "avatar")
# An avatar upload's limit: a phone photo fits; the stored picture is a few KB.
AVATAR_MAX_BYTES = 8 * 1024 * 1024


def check_update_profile(
    person: User,
    *,
    display_name: str | None = None,
    title: str | None = None,
    handle: str | None = None,
    time_zone: str | None = None,
) -> User:
    """A person changes their own name, title, handle or time zone (``hub.schemas.ProfileChange``
    checked each); the handle stays theirs alone."""
    given = (
        ("display_name", display_name),
        ("title", title),
        ("handle", handle),
        ("time_zone", time_zone),
    )
    changes = {field: value for field, value in given if value is not None}
    if not changes:
        raise Invalid("Give a `display_name`, `title`, `handle` or `time_zone`.")
    # The profile page sends every field: only what differs is a change to tell.
    changes = {field: value for field, value in changes.items() if getattr(person, field) != value}
    if not changes:
        return person
    handle_taken = User.objects.filter(handle=changes.get("handle")).exclude(pk=person.pk)
    if "handle" in changes and handle_taken.exists():
        raise Conflict(f"@{changes['handle']} is taken; choose another handle.")
    try:
        do_update_profile(person, changes)
    except IntegrityError:
        # Someone took the handle between the check and the write.
        raise Conflict(f"@{changes['handle']} is taken; choose another handle.") from None
    return person


def do_update_profile(person: User, changes: dict[str, str]) -> None:
    """Save the changes, and tell every room the person is in (``member.updated``)
    when what rooms show of them changed (``SHOWN_IN_ROOMS``).

    Everyone who sees the person somewhere (a member list, a message's author)
    is in one of those rooms, so each of them hears of it, and a client that
    was away gets the event replayed. Archived rooms too: they are read-only
    to their members, not to the people's names shown in them.
    """
    with transaction.atomic():
        for field, value in changes.items():
            setattr(person, field, value)
        person.save(update_fields=list(changes))
        audit.record(person, "person.profile_changed", person, fields=sorted(changes))
        if not set(changes) & set(SHOWN_IN_ROOMS):
            return
        person = User.objects.select_related("organization").get(pk=person.pk)
        ref = person_ref(person)
        rooms = Membership.objects.active().filter(user=person).values_list("room__kind", "room_id")
        for _kind, room_id in sorted(rooms, key=lambda room: lock_order(*room)):
            append_event(room_id, _member_updated(room_id, ref), archived_ok=True)


def check_avatar_size(size: int) -> None:
    """Before the body is read: ``size`` is the request's Content-Length."""
    if size <= 0:
        raise Invalid("Send the picture's bytes as the request body.")
    if size > AVATAR_MAX_BYTES:
        raise TooLarge(f"A picture is limited to {AVATAR_MAX_BYTES // (1024 * 1024)} MB.")


def prepare_avatar(data: bytes) -> bytes:
    """The stored picture made from an upload (CPU: run it off the event loop, in
    ``hub.threads.blocking``). ``Invalid`` or ``TooLarge`` for what is no picture."""
    return make_avatar(
        data,
        max_pixels=settings.CAUSEWAY_IMAGE_MAX_PIXELS,
        max_side=settings.CAUSEWAY_IMAGE_MAX_SIDE,
    )


def store_avatar(picture: bytes) -> str:
    """Store a prepared picture under a new random version (I/O); returns its name."""
    return storage.save(f"avatars/{secrets.token_urlsafe(12)}.jpg", picture, "image/jpeg")


def do_set_avatar(person: User, name: str) -> None:
    """The person's picture is now the stored ``name`` ("" for initials): every room they
    are in hears of it (``member.updated``), and the old picture is deleted after commit."""
    old = person.avatar
    if old == name:
        return
    with transaction.atomic():
        do_update_profile(person, {"avatar": name})
        if old:
            transaction.on_commit(lambda: storage.delete(old), robust=True)


def check_remove_avatar(person: User) -> None:
    do_set_avatar(person, "")


def _member_updated(room_id: int, person: PersonRef) -> Callable[[int], MemberUpdatedEvent]:
    def build(seq: int) -> MemberUpdatedEvent:
        return MemberUpdatedEvent(type="member.updated", room=room_id, seq=seq, member=person)

    return build
