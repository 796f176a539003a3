"""Writes to organizations, partnerships, people and invitations."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from hub import audit, handles
from hub.errors import (
    ConfirmationRequired,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    OrganizationRequired,
)
from hub.models import Invitation, Organization, Partnership, User
from hub.selectors import invitations_visible_to
from rooms import events
from rooms.actions import (
    clean_text,
    do_add_member,
    do_archive_room,
    do_remove_member,
    do_stop_mirrors_of,
)
from rooms.models import Membership, Room
from rooms.selectors import access_membership, parse_id


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].strip().lower()


def organization_for_domain(email: str) -> Organization | None:
    domain = email_domain(email)
    for org in Organization.objects.filter(verified_domains__icontains=domain):
        if domain in org.verified_domains:
            return org
    return None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- partnerships -------------------------------------------------------------


def check_propose_partnership(actor: User, *, partner_slug: Any, as_side: Any) -> Partnership:
    """An admin proposes that their organization supplies (or buys from) another."""
    if not actor.is_org_admin or actor.organization is None:
        raise Forbidden("Only an organization admin can propose a partnership.")
    if as_side not in ("supplier", "client"):
        raise Invalid("`as_side` must be 'supplier' or 'client'.")
    if not isinstance(partner_slug, str):
        raise Invalid("`partner` must be an organization slug.")
    partner = Organization.objects.filter(slug=partner_slug).first()
    if partner is None or partner.pk == actor.organization_id:
        raise NotFound()
    supplier, client = (
        (actor.organization, partner) if as_side == "supplier" else (partner, actor.organization)
    )
    try:
        with transaction.atomic():
            partnership = Partnership.objects.create(
                supplier=supplier, client=client, proposed_by=actor
            )
            audit.record(
                actor, "partnership.proposed", partnership, supplier=supplier.pk, client=client.pk
            )
    except IntegrityError:
        raise Conflict("These organizations already have a live partnership.") from None
    return partnership


def _decide(actor: User, partnership_id: Any, status: Partnership.Status) -> Partnership:
    partnership_id = parse_id(partnership_id, "partnership")
    with transaction.atomic():
        partnership = (
            Partnership.objects.select_for_update(of=("self",))
            .select_related("proposed_by")
            .filter(pk=partnership_id)
            .first()
        )
        if partnership is None or actor.organization_id not in partnership.side_ids():
            raise NotFound()
        if partnership.status != Partnership.Status.PROPOSED:
            raise Conflict(f"This partnership is already {partnership.status}.")
        # Both sides must agree: the proposing side cannot accept for the other.
        if not actor.is_org_admin or actor.organization_id == partnership.proposing_org_id():
            raise Forbidden("Only an admin of the other organization can decide.")
        partnership.status = status
        partnership.decided_by = actor
        partnership.decided_at = timezone.now()
        partnership.save(update_fields=["status", "decided_by", "decided_at"])
        audit.record(actor, f"partnership.{status}", partnership)
    return partnership


def check_accept_partnership(actor: User, *, partnership_id: Any) -> Partnership:
    return _decide(actor, partnership_id, Partnership.Status.ACTIVE)


def check_decline_partnership(actor: User, *, partnership_id: Any) -> Partnership:
    return _decide(actor, partnership_id, Partnership.Status.DECLINED)


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
            do_archive_room(actor, room, reason=reason)
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


def check_end_partnership(actor: User, *, partnership_id: Any, reason: Any) -> Partnership:
    """Either side's admin ends an active partnership, saying why (both sides see the reason)."""
    partnership = (
        Partnership.objects.select_related("supplier", "client")
        .filter(pk=parse_id(partnership_id, "partnership"))
        .first()
    )
    if partnership is None or actor.organization_id not in partnership.side_ids():
        raise NotFound()
    if not actor.is_org_admin:
        raise Forbidden("Only an organization admin can end a partnership.")
    reason = clean_text(reason, "reason", max_chars=2000)
    return do_end_partnership(actor, partnership, reason=reason)


# --- invitations ----------------------------------------------------------------


def do_create_invitation(
    actor: User,
    *,
    organization: Organization,
    email: str,
    room: Room | None,
    outside_domain: bool = False,
) -> tuple[Invitation, str]:
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        invitation = Invitation.objects.create(
            organization=organization,
            room=room,
            email=email,
            token_hash=hash_token(token),
            invited_by=actor,
            expires_at=timezone.now() + timedelta(days=settings.CAUSEWAY_INVITATION_DAYS),
            outside_domain=outside_domain,
        )
        audit.record(
            actor,
            "invitation.created",
            invitation,
            email=email,
            invited_to=organization.pk,
            room=room.pk if room else None,
            outside_domain=outside_domain,
        )
        link = f"{settings.SITE_URL}/invitations/{token}/"
        transaction.on_commit(
            lambda: send_mail(
                f"{actor.name} invites you to Causeway",
                f"{actor.name} ({actor.organization}) invites you to join "
                f"{room.name if room else organization.name} on Causeway, as a member of "
                f"{organization.name}.\n\n"
                f"Open this link to accept (valid for {settings.CAUSEWAY_INVITATION_DAYS} "
                f"days, single use):\n{link}\n",
                None,
                [email],
            )
        )
    return invitation, token


def check_create_invitation(
    actor: User,
    *,
    room_id: Any,
    email: Any,
    organization_slug: Any = None,
    confirm_outside_domain: Any = False,
) -> tuple[Invitation, str]:
    """Invite someone by e-mail into a room the actor is in.

    The invitation binds its holder to one organization, one of the room's
    sides, and nobody becomes a member of an organization by accident:

    - Without ``organization_slug``, the e-mail's domain decides, and only if
      it is a verified domain of one of the room's organizations (an internal
      room has one organization, which decides). Otherwise the inviter must
      choose (``OrganizationRequired``).
    - Across the partnership, only e-mails on the other organization's
      verified domains can be invited: a supplier cannot place arbitrary
      people into its client's organization.
    - An address outside your own organization's verified domains becomes
      your colleague only by an admin of your organization who confirms it
      (``confirm_outside_domain``; else ``ConfirmationRequired``). The
      invitation is marked ``outside_domain`` and audited so.
    """
    membership = access_membership(actor, room_id)
    room = membership.room
    if not isinstance(email, str) or "@" not in email or len(email) > 254:
        raise Invalid("`email` must be an e-mail address.")
    if not isinstance(confirm_outside_domain, bool):
        raise Invalid("`confirm_outside_domain` must be true or false.")
    email = email.strip().lower()
    allowed = room.allowed_organization_ids()
    target: Organization | None
    if organization_slug is not None:
        target = Organization.objects.filter(slug=organization_slug, pk__in=allowed).first()
        if target is None:
            raise NotFound()
    elif not room.is_shared:
        target = actor.organization
    else:
        target = organization_for_domain(email)
        if target is None or target.pk not in allowed:
            names = " or ".join(
                o.name for o in Organization.objects.filter(pk__in=allowed).order_by("name")
            )
            raise OrganizationRequired(
                f"{email} is on no verified domain of {names}: choose which organization they join."
            )
    if target is None or target.pk not in allowed:
        raise NotFound()
    on_verified_domain = email_domain(email) in target.verified_domains
    if target.pk != actor.organization_id and not on_verified_domain:
        raise Forbidden(
            f"{email} is not on a verified domain of {target.name}; ask one of its admins "
            "to invite them."
        )
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None and existing.organization_id != target.pk:
        raise Conflict("That person belongs to another organization.")
    if target.pk == actor.organization_id and not on_verified_domain:
        if not actor.is_org_admin:
            raise Forbidden("Only an organization admin can invite e-mails outside its domains.")
        if not confirm_outside_domain:
            domains = ", ".join(target.verified_domains) or "none yet"
            raise ConfirmationRequired(
                f"{email} is not on a verified domain of {target.name} ({domains}). "
                f"Accepting would make them a member of {target.name}: confirm that this "
                "is what you want."
            )
    return do_create_invitation(
        actor,
        organization=target,
        email=email,
        room=room,
        outside_domain=not on_verified_domain,
    )


def find_invitation(token: str) -> Invitation | None:
    if not isinstance(token, str) or not token:
        return None
    return (
        Invitation.objects.select_related("organization", "room", "invited_by")
        .filter(token_hash=hash_token(token))
        .first()
    )


def do_accept_invitation(invitation: Invitation, person: User) -> Invitation:
    """Mark the invitation used by ``person`` and add them to its room.

    Preconditions (checked by ``check_accept_invitation``): usable, addressed
    to the person's e-mail, and the person's organization is the invited one.
    """
    with transaction.atomic():
        locked = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("invited_by", "room")
            .get(pk=invitation.pk)
        )
        if not locked.is_usable():
            raise Conflict("This invitation has already been used or has expired.")
        locked.accepted_at = timezone.now()
        locked.accepted_by = person
        locked.save(update_fields=["accepted_at", "accepted_by"])
        audit.record(
            person,
            "invitation.accepted",
            locked,
            organization=locked.organization,
            room=locked.room_id,
            outside_domain=locked.outside_domain,
        )
        if locked.room is not None:
            do_add_member(locked.invited_by, locked.room, person)
    return locked


def check_accept_invitation(person: User, *, token: Any) -> Invitation:
    invitation = find_invitation(token)
    if invitation is None:
        raise NotFound("This invitation link is not valid.")
    if not invitation.is_usable():
        raise Conflict("This invitation has already been used or has expired.")
    if invitation.email.lower() != person.email.lower():
        raise Forbidden("This invitation was sent to another e-mail address.")
    if person.organization_id != invitation.organization_id:
        raise Forbidden("This invitation is for another organization.")
    return do_accept_invitation(invitation, person)


def check_revoke_invitation(actor: User, *, invitation_id: Any) -> Invitation:
    """The inviter, or an admin of the organization the invitation admits to, revokes it.

    Anyone else gets "not found": the invitation is not theirs to know of.
    """
    invitation_id = parse_id(invitation_id, "invitation")
    invitation = Invitation.objects.filter(invitations_visible_to(actor), pk=invitation_id).first()
    if invitation is None:
        raise NotFound()
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise Conflict("This invitation has already been used or revoked.")
    with transaction.atomic():
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit.record(actor, "invitation.revoked", invitation)
    return invitation


# --- people ------------------------------------------------------------------------


def resolve_signup_organization(email: str, invitation: Invitation | None) -> Organization:
    """The organization a new sign-up joins, or Forbidden if none admits them."""
    if (
        invitation is not None
        and invitation.is_usable()
        and invitation.email.lower() == email.lower()
    ):
        return invitation.organization
    org = organization_for_domain(email)
    if org is None:
        raise Forbidden(
            "Sign-up needs an invitation, or an e-mail on a domain an organization has verified."
        )
    return org


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
        for membership in Membership.objects.active().filter(user=person):
            do_remove_member(actor, membership, reason="deactivated")
        events.publish_control_on_commit(events.user_group(person.pk), "auth.recheck")


def check_deactivate_person(actor: User, *, person_id: Any) -> None:
    person = User.objects.filter(pk=parse_id(person_id, "person")).first()
    if person is None or person.organization_id != actor.organization_id:
        raise NotFound()
    if not actor.is_org_admin:
        raise Forbidden("Only an organization admin can deactivate people.")
    do_deactivate_person(actor, person)


def check_update_profile(
    person: User, *, display_name: Any = None, title: Any = None, handle: Any = None
) -> User:
    """A person changes their own name, title or handle; the handle stays theirs alone."""
    changes: dict[str, str] = {}
    if display_name is not None:
        changes["display_name"] = clean_text(display_name, "display_name", max_chars=150)
    if title is not None:
        changes["title"] = clean_text(title, "title", max_chars=150, allow_empty=True)
    if handle is not None:
        changes["handle"] = handles.check_handle(handle)
    if not changes:
        raise Invalid("Give a `display_name`, `title` or `handle`.")
    try:
        with transaction.atomic():
            if (
                "handle" in changes
                and User.objects.filter(handle=changes["handle"]).exclude(pk=person.pk).exists()
            ):
                raise Conflict(f"@{changes['handle']} is taken; choose another handle.")
            for field, value in changes.items():
                setattr(person, field, value)
            person.save(update_fields=list(changes))
            audit.record(person, "person.profile_changed", person, fields=sorted(changes))
    except IntegrityError:
        # Someone took the handle between the check and the write.
        raise Conflict(f"@{changes['handle']} is taken; choose another handle.") from None
    return person


def check_mark_notifications_read(person: User, *, ids: Any) -> int:
    from hub.models import Notification

    if ids == "all":
        qs = Notification.objects.filter(person=person, read_at__isnull=True)
    elif isinstance(ids, list) and len(ids) <= 500:
        qs = Notification.objects.filter(
            person=person, read_at__isnull=True, pk__in=[parse_id(i, "id") for i in ids]
        )
    else:
        raise Invalid('`ids` must be a list of notification ids or "all".')
    return qs.update(read_at=timezone.now())
