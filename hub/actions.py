"""Writes to partnerships, and the organization an address belongs to."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from django.db import IntegrityError, transaction
from django.utils import timezone

from hub import audit
from hub.errors import Conflict, Forbidden, NotFound
from hub.models import Organization, Partnership, User


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].strip().lower()


def organization_for_domain(email: str) -> Organization | None:
    domain = email_domain(email)
    for org in Organization.objects.filter(verified_domains__icontains=domain):
        if domain in org.verified_domains:
            return org
    return None


# --- partnerships -------------------------------------------------------------


def check_propose_partnership(
    actor: User, *, partner_slug: str, as_side: Literal["supplier", "client"]
) -> Partnership:
    """An admin proposes that their organization supplies (or buys from) another."""
    if not actor.is_org_admin or actor.organization is None:
        raise Forbidden("Only an organization admin can propose a partnership.")
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


def _decide(actor: User, partnership_id: int, status: Partnership.Status) -> Partnership:
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


def check_accept_partnership(actor: User, *, partnership_id: int) -> Partnership:
    return _decide(actor, partnership_id, Partnership.Status.ACTIVE)


def check_decline_partnership(actor: User, *, partnership_id: int) -> Partnership:
    return _decide(actor, partnership_id, Partnership.Status.DECLINED)


# --- invitations ----------------------------------------------------------------


# --- people ------------------------------------------------------------------------


def do_note_seen(people: Iterable[int]) -> None:
    """These people were here until now (a socket of theirs closed)."""
    User.objects.filter(pk__in=list(people)).update(last_seen_at=timezone.now())
