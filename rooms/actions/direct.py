"""Direct conversations: two or three people, within one organization or across a partnership.

A direct conversation is a room (kind ``direct``) with the boundary of its
kind: within one organization it is held by that organization, like an
internal room; across a partnership it is held by the partnership, like a
shared room, and the same rules apply (both organizations' people marked,
moderation by each side's own admins, each side's file policy). It has no
name (each person sees the others' names), no owners, and its people are
fixed when it starts: nobody is added later. Starting one again with the
same people opens the one that exists.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet

from hub import audit
from hub.errors import Forbidden, Invalid, NotFound
from hub.models import Partnership, User
from rooms.actions.members import do_add_member
from rooms.models.rooms import Membership, Room
from rooms.selectors.access import check_active_person, visible_people

MAX_OTHERS = 2


def direct_key(people: list[User]) -> str:
    return ".".join(str(pk) for pk in sorted(person.pk for person in people))


def _candidates(actor: User) -> QuerySet[User]:
    """Whom ``actor`` may start a direct conversation with: active colleagues, and the
    people they know (``visible_people``) of an organization they share an active
    partnership with. Never anyone else."""
    partners = Partnership.objects.filter(
        Q(supplier_id=actor.organization_id) | Q(client_id=actor.organization_id),
        status=Partnership.Status.ACTIVE,
    )
    assert actor.organization_id is not None
    partner_orgs = {p.other_side_id(actor.organization_id) for p in partners}
    return (
        visible_people(actor)
        .filter(organization_id__in={actor.organization_id, *partner_orgs})
        .exclude(pk=actor.pk)
        .select_related("organization")
    )


def direct_candidates(actor: User, query: str = "", limit: int = 20) -> list[User]:
    """The "New conversation" picker's people (``_candidates``), by name."""
    if actor.organization_id is None:
        return []
    people = _candidates(actor)
    if query:
        people = people.filter(Q(display_name__icontains=query) | Q(handle__icontains=query))
    return list(people.order_by("display_name", "handle")[:limit])


def check_start_direct(actor: User, *, people: list[int]) -> Room:
    """Open the conversation of ``actor`` and ``people`` (one or two others), starting it if
    it does not exist. Someone ``actor`` may not start one with is ``not_found``, exactly
    like an id that exists nowhere."""
    check_active_person(actor)
    if actor.organization_id is None:
        raise Forbidden("Only people of an organization have conversations.")
    wanted = set(people) - {actor.pk}
    if not 1 <= len(wanted) <= MAX_OTHERS:
        raise Invalid("A direct conversation is with one or two other people.")
    allowed = {person.pk: person for person in _candidates(actor).filter(pk__in=wanted)}
    if not wanted <= allowed.keys():
        raise NotFound()
    others = [allowed[pk] for pk in sorted(wanted)]
    orgs = {person.organization_id for person in others} | {actor.organization_id}
    partnership: Partnership | None = None
    if len(orgs) > 2:
        raise Invalid("A direct conversation spans at most two organizations.")
    if len(orgs) == 2:
        (partner_org,) = orgs - {actor.organization_id}
        partnership = Partnership.objects.filter(
            Q(supplier_id=actor.organization_id, client_id=partner_org)
            | Q(supplier_id=partner_org, client_id=actor.organization_id),
            status=Partnership.Status.ACTIVE,
        ).first()
        if partnership is None:
            raise NotFound()
    return do_start_direct(actor, others, partnership=partnership)


def do_start_direct(actor: User, others: list[User], *, partnership: Partnership | None) -> Room:
    everyone = [actor, *others]
    key = direct_key(everyone)
    existing = Room.objects.filter(direct_key=key).first()
    if existing is None:
        try:
            with transaction.atomic():
                existing = Room.objects.create(
                    kind=Room.Kind.DIRECT,
                    # Shown to each person as the others' names; this one (everyone's,
                    # as they were) is for lists that name a room for all alike.
                    name=", ".join(person.name for person in everyone)[:120],
                    partnership=partnership,
                    organization=None if partnership else actor.organization,
                    created_by=actor,
                    direct_key=key,
                )
                audit.record(actor, "room.created", existing, kind="direct")
                for person in everyone:
                    do_add_member(actor, existing, person, role=Membership.Role.MEMBER)
        except IntegrityError:
            # Started by someone else at the same moment: theirs is the one.
            existing = Room.objects.get(direct_key=key)
    if existing.archived_at is None:
        # Someone who left comes back by starting it again.
        do_add_member(actor, existing, actor, role=Membership.Role.MEMBER)
    return existing
