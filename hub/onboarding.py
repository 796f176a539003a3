"""Bringing an organization onto the hub: its record, its verified domains, its first admin.

For operators and scripts (``manage.py create_organization``). Running it
again with the same input changes nothing, so it can sit in a provisioning
script. It never moves anyone between organizations and never takes a
domain another organization has verified: either would let people of one
company sign up into, or be managed by, another.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils.text import slugify

from hub import audit
from hub.actions import organization_for_domain
from hub.errors import Conflict, Invalid
from hub.models import Organization, User

# A DNS name of at least two labels, each 1-63 letters, digits or inner hyphens.
_DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
NAME_MAX = Organization._meta.get_field("name").max_length or 200


@dataclass
class Onboarded:
    """What ``check_create_organization`` found and did."""

    organization: Organization
    admin: User
    created_organization: bool
    created_admin: bool
    added_domains: list[str] = field(default_factory=list)
    made_admin: bool = False


def parse_domain(raw: str) -> str:
    domain = raw.strip().lower().removeprefix("@").rstrip(".")
    if not _DOMAIN.match(domain):
        raise Invalid(f"{raw!r} is not a domain name (such as acme.example).")
    return domain


def lock_domains(domains: list[str]) -> None:
    """Hold ``domains`` until the transaction ends, so that two organizations verifying
    the same domain at once cannot both find it free (each locks only its own row).

    Call inside ``transaction.atomic``, before ``verified_elsewhere``. PostgreSQL's
    transaction-level advisory locks, taken in sorted order; on SQLite, IMMEDIATE
    transactions already serialize every writer.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for domain in sorted(set(domains)):
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"domain:{domain}"])


def verified_elsewhere(
    domains: list[str], organization: Organization
) -> tuple[list[str], Organization | None]:
    """Which of ``domains`` another organization has verified, and the first such one.

    A domain verified elsewhere would let that organization's addresses sign up
    into this one (or the other way round), so callers refuse it. The caller
    decides whether its message may name the other organization.
    """
    for other in Organization.objects.exclude(pk=organization.pk).only("name", "verified_domains"):
        taken = sorted(set(domains) & set(other.verified_domains))
        if taken:
            return taken, other
    return [], None


def check_create_organization(
    *, name: str, domains: list[str], admin_email: str, admin_name: str = ""
) -> Onboarded:
    """The organization called ``name`` (created if need be) with ``domains`` verified,
    and ``admin_email`` as one of its admins (a new account, called ``admin_name``,
    if need be).

    Idempotent: the organization is found by its slug (from the name), domains
    are only ever added, and an existing admin stays as they are.
    """
    name = " ".join(name.split())
    if not name or len(name) > NAME_MAX:
        raise Invalid(f"The name must be 1 to {NAME_MAX} characters.")
    slug = slugify(name)[:80]
    if not slug:
        raise Invalid("The name needs at least one letter or digit.")
    wanted = list(dict.fromkeys(parse_domain(d) for d in domains))
    email = admin_email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise Invalid(f"{admin_email!r} is not an e-mail address.") from None

    with transaction.atomic():
        organization, created_org = Organization.objects.select_for_update().get_or_create(
            slug=slug, defaults={"name": name}
        )
        if not created_org and organization.name != name:
            raise Conflict(
                f"The slug {slug!r} belongs to {organization.name!r}; choose another name."
            )
        lock_domains(wanted)
        taken, other = verified_elsewhere(wanted, organization)
        if other is not None:
            raise Conflict(f"{', '.join(taken)} is already verified by {other.name}.")
        added = [d for d in wanted if d not in organization.verified_domains]
        if added:
            organization.verified_domains = [*organization.verified_domains, *added]
            organization.save(update_fields=["verified_domains"])

        admin = User.objects.select_for_update().filter(email=email).first()
        created_admin = made_admin = False
        if admin is None:
            owner = organization_for_domain(email)
            if owner is not None and owner.pk != organization.pk:
                # Their company's domain: they sign up there, not here.
                raise Conflict(f"{email} is on a domain {owner.name} has verified.")
            admin = User.objects.create_user(
                email,
                None,
                display_name=" ".join(admin_name.split())[:150],
                organization=organization,
                org_role=User.OrgRole.ADMIN,
            )
            EmailAddress.objects.create(user=admin, email=email, verified=True, primary=True)
            created_admin = True
        elif admin.organization_id != organization.pk:
            # Never move someone: their rooms, files and history are another
            # organization's to govern.
            raise Conflict(f"{email} belongs to another organization; it was left as it is.")
        elif admin.org_role != User.OrgRole.ADMIN:
            admin.org_role = User.OrgRole.ADMIN
            admin.save(update_fields=["org_role"])
            made_admin = True

        if created_org:
            audit.record(None, "organization.created", organization, organization=organization)
        for domain in added:
            audit.record(
                None,
                "organization.domain_added",
                organization,
                organization=organization,
                domain=domain,
            )
        if created_admin:
            audit.record(
                None, "person.created", admin, organization=organization, role=admin.org_role
            )
        elif made_admin:
            audit.record(
                None,
                "person.role_changed",
                admin,
                organization=organization,
                before=User.OrgRole.MEMBER,
                after=User.OrgRole.ADMIN,
            )
    return Onboarded(organization, admin, created_org, created_admin, added, made_admin)
