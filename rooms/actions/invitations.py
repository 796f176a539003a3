"""Invitations: an e-mail address invited into a room, bound to one organization."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from hub import audit
from hub.actions import email_domain, organization_for_domain
from hub.errors import (
    ConfirmationRequired,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    OrganizationRequired,
)
from hub.models import Organization, User
from rooms.actions.members import do_add_member
from rooms.models.invitations import Invitation
from rooms.models.rooms import Room
from rooms.selectors.access import access_membership
from rooms.selectors.invitations import invitations_visible_to


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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
    room_id: int,
    email: str,
    organization_slug: str | None = None,
    confirm_outside_domain: bool = False,
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
    if room.is_direct:
        raise Forbidden("A direct conversation keeps the people it started with.")
    if "@" not in email:
        raise Invalid("`email` must be an e-mail address.")
    email = email.lower()
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
    if existing is not None and existing.is_bot:
        # Its address takes no mail and it cannot sign in; do_add_member would refuse it
        # a shared room anyway (rooms.actions.bots).
        raise Invalid("That address is a bot's: a bot is given its rooms when it is made.")
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
    if not token:
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


def check_accept_invitation(person: User, *, token: str) -> Invitation:
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


def check_revoke_invitation(actor: User, *, invitation_id: int) -> Invitation:
    """The inviter, or an admin of the organization the invitation admits to, revokes it.

    Anyone else gets "not found": the invitation is not theirs to know of.
    """
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
