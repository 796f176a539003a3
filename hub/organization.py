"""An organization's admins govern its own side: its verified domains and its people's roles.

Everything here is for the organization's own admins. To anyone else the
settings do not exist (``access_admin_organization`` answers ``NotFound``,
as for something missing); a change a colleague may see but not make is
``Forbidden``, as for the file policy and deactivation. Deactivating someone
ends their rooms, so it lives with the rooms (``rooms.actions.people``) and
uses ``keep_an_admin`` from here.

The organization always keeps at least one active admin: someone must be
able to govern it. Changes that could take the last one away lock the
organization's admin rows first (``lock_admins``), so two admins demoting
each other at once still leave one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, TypedDict

from django.db import transaction

from hub import audit
from hub.errors import Conflict, Forbidden, NotFound
from hub.models import Organization, User
from hub.onboarding import lock_domains, parse_domain, verified_elsewhere

Role = Literal["admin", "member"]


class OrgPerson(TypedDict):
    """One of ``OrganizationSettings.people``: what an admin sees of a colleague."""

    id: int
    name: str
    email: str
    title: str
    role: Role
    active: bool
    # ISO 8601, or None if they have never been seen.
    last_seen: str | None


class OrganizationSettings(TypedDict):
    """GET /api/organization/: what the organization's admins govern."""

    name: str
    slug: str
    domains: list[str]
    people: list[OrgPerson]


def check_org_admin(actor: User, *, changing: str | None = None) -> int:
    """The id of the actor's own organization, if they are one of its admins.

    The one rule of every organization setting (domains, people, single sign-on,
    retention, the audit log). To anyone else reading (``changing`` None) the
    settings do not exist (``NotFound``). A colleague who is not an admin and
    tries to change ``changing`` knows the organization exists, so is refused
    (``Forbidden``), as for the file policy.
    """
    if actor.organization_id is None:
        raise NotFound()
    if not actor.is_org_admin:
        if changing is None:
            raise NotFound()
        raise Forbidden(f"Only an admin of your organization can change its {changing}.")
    return actor.organization_id


def access_admin_organization(actor: User) -> Organization:
    """The actor's own organization, if they are one of its admins; else ``NotFound``."""
    return Organization.objects.get(pk=check_org_admin(actor))


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def org_person(person: User) -> OrgPerson:
    return {
        "id": person.pk,
        "name": person.name,
        "email": person.email,
        "title": person.title,
        "role": "admin" if person.is_org_admin else "member",
        "active": person.is_active,
        "last_seen": _iso(person.last_seen_at),
    }


def organization_settings(actor: User) -> OrganizationSettings:
    organization = access_admin_organization(actor)
    # Active people first, then by name: those still here are who an admin looks for.
    # Bots are listed in their own section (rooms.api.bots), never among people.
    people = User.objects.filter(organization=organization, is_bot=False).order_by(
        "-is_active", "display_name", "email"
    )
    return {
        "name": organization.name,
        "slug": organization.slug,
        "domains": list(organization.verified_domains),
        "people": [org_person(p) for p in people],
    }


# --- verified domains -----------------------------------------------------------------


def check_add_domain(actor: User, *, domain: str) -> list[str]:
    """An admin verifies ``domain`` for their organization: people signing up with an
    address there join it. Refused if another organization has verified it (without
    naming which: that another company uses the hub is not this admin's to learn)."""
    organization_id = check_org_admin(actor, changing="settings")
    wanted = parse_domain(domain)
    with transaction.atomic():
        organization = Organization.objects.select_for_update().get(pk=organization_id)
        if wanted in organization.verified_domains:
            return list(organization.verified_domains)
        lock_domains([wanted])
        _taken, other = verified_elsewhere([wanted], organization)
        if other is not None:
            raise Conflict("That domain is verified by another organization.")
        return do_add_domain(actor, organization, wanted)


def do_add_domain(actor: User | None, organization: Organization, domain: str) -> list[str]:
    """Call while holding the organization's row (``select_for_update``)."""
    organization.verified_domains = [*organization.verified_domains, domain]
    organization.save(update_fields=["verified_domains"])
    audit.record(
        actor, "organization.domain_added", organization, organization=organization, domain=domain
    )
    return list(organization.verified_domains)


def check_remove_domain(actor: User, *, domain: str) -> list[str]:
    """An admin stops verifying ``domain``. Nobody is removed: people already in the
    organization stay; only new sign-ups on the domain no longer join it by themselves."""
    organization_id = check_org_admin(actor, changing="settings")
    wanted = parse_domain(domain)
    with transaction.atomic():
        organization = Organization.objects.select_for_update().get(pk=organization_id)
        if wanted not in organization.verified_domains:
            raise NotFound()
        return do_remove_domain(actor, organization, wanted)


def do_remove_domain(actor: User | None, organization: Organization, domain: str) -> list[str]:
    """Call while holding the organization's row (``select_for_update``)."""
    organization.verified_domains = [d for d in organization.verified_domains if d != domain]
    organization.save(update_fields=["verified_domains"])
    audit.record(
        actor,
        "organization.domain_removed",
        organization,
        organization=organization,
        domain=domain,
    )
    return list(organization.verified_domains)


# --- people and their roles ----------------------------------------------------------


def access_colleague(actor: User, person_id: int) -> User:
    """Someone of the actor's own organization (``NotFound`` for anyone else or nobody);
    ``Forbidden`` unless the actor is one of its admins, as for deactivation."""
    person = User.objects.filter(pk=person_id, is_bot=False).first()
    if (
        person is None
        or actor.organization_id is None
        or person.organization_id != actor.organization_id
    ):
        raise NotFound()
    if not actor.is_org_admin:
        raise Forbidden("Only an admin of your organization can change its people.")
    return person


def lock_admins(organization_id: int) -> list[User]:
    """The organization's active admins, their rows locked until the transaction ends.

    Call inside ``transaction.atomic``. A concurrent change waits here and then
    sees the admins as the first left them (PostgreSQL re-checks a locked row
    against the filter once it is free), so it cannot take away the last one.
    """
    return list(
        User.objects.select_for_update()
        .filter(organization_id=organization_id, org_role=User.OrgRole.ADMIN, is_active=True)
        .order_by("pk")
    )


def keep_an_admin(person: User, *, doing: str) -> None:
    """Refuse (``Conflict``) if ``person`` is their organization's last active admin.

    Call inside ``transaction.atomic``: it locks the admins (``lock_admins``).
    """
    if person.organization_id is not None:
        _refuse_last_admin(person, lock_admins(person.organization_id), doing=doing)


def _refuse_last_admin(person: User, admins: list[User], *, doing: str) -> None:
    if [a.pk for a in admins] == [person.pk]:
        raise Conflict(
            f"{person.name} is the organization's last admin and cannot be {doing}: "
            "make someone else an admin first."
        )


def check_set_org_role(actor: User, *, person_id: int, role: Role) -> User:
    """An admin makes a colleague an admin or a member; themselves too, as long as
    another active admin remains."""
    person = access_colleague(actor, person_id)
    with transaction.atomic():
        # Every role change of the organization takes the admins' locks first, in
        # one order: changes wait for each other and each sees the last one's result.
        admins = lock_admins(person.organization_id or 0)
        if actor.pk not in {a.pk for a in admins}:
            # Demoted (or deactivated) by another admin a moment ago.
            raise Forbidden("Only an admin of your organization can change its people.")
        if role == "member":
            _refuse_last_admin(person, admins, doing="made a member")
        person = User.objects.select_for_update().get(pk=person.pk)
        if person.org_role == role:
            return person
        if not person.is_active:
            raise Conflict(f"{person.name} has been deactivated; their role stays as it is.")
        return do_set_org_role(actor, person, role)


def do_set_org_role(actor: User | None, person: User, role: Role) -> User:
    """Call inside ``transaction.atomic`` holding the person's row (and, when demoting,
    the admins' rows: ``keep_an_admin``)."""
    before = person.org_role
    person.org_role = role
    person.save(update_fields=["org_role"])
    audit.record(
        actor,
        "person.role_changed",
        person,
        organization=person.organization,
        before=before,
        after=role,
    )
    return person
