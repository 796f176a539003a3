"""Retention and legal hold: an organization removes its own people's old messages and text.

Each organization keeps its own people's messages (and thread replies) for
``shared_days`` in shared rooms (direct conversations across the partnership
included) and ``internal_days`` in its internal rooms; None keeps them forever.
``do_apply_retention`` removes what is older exactly as a delete does
(``do_delete_message`` with no actor): the message is blanked, its edits and
reactions dropped, its events in the log blanked, its files released, and a
``message.deleted`` tombstone takes the room's next seq, so history and replay
show the tombstone and the sequence has no gap. Mirror copies follow their
original: the bridge deletes them when the original's delete is relayed, and
no organization's retention removes a copy by itself (``Message.Kind.MIRROR``
is never selected). An escalation's notices, posted in a person's name, go
as that person's messages. Work items' text (title, description) is removed
by ``rooms.actions.workitem_retention`` in the same run.

The other organization's people's content is never selected: the query names
the organization's own people. A legal hold (the organization, one person or
one room) suspends removal of what it covers until lifted.
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterator
from typing import TypedDict

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from hub import audit
from hub.errors import Invalid, NotFound
from hub.models import Organization, User
from hub.organization import check_org_admin
from rooms.actions.messages import do_delete_message
from rooms.actions.workitem_retention import (
    cutoff,
    do_remove_work_item_text,
    expired_work_items,
)
from rooms.models.messages import Message
from rooms.models.retention import LegalHold, RetentionPolicy
from rooms.models.rooms import Room

MIN_DAYS = 1
MAX_DAYS = 36500
# Messages removed per organization per run: a long backlog is worked off over
# several runs, each short, rather than in one that holds the job for hours.
BATCH = 500
# The advisory lock's class (its first key): the second is the organization.
LOCK_CLASS = 0x7E7E


class RetentionData(TypedDict):
    """GET/PUT /api/organization/retention/"""

    shared_days: int | None
    internal_days: int | None
    updated_at: str | None


class HoldData(TypedDict):
    id: int
    scope: str  # "organization", "person" or "room"
    person: int | None
    person_name: str | None
    room: int | None
    room_name: str | None
    reason: str
    created_at: str


# --- the policy -----------------------------------------------------------------------


def retention_data(policy: RetentionPolicy | None) -> RetentionData:
    if policy is None:
        return {"shared_days": None, "internal_days": None, "updated_at": None}
    return {
        "shared_days": policy.shared_days,
        "internal_days": policy.internal_days,
        "updated_at": policy.updated_at.isoformat(),
    }


def retention_settings(actor: User) -> RetentionData:
    organization_id = check_org_admin(actor)
    return retention_data(RetentionPolicy.objects.filter(organization_id=organization_id).first())


def _check_days(name: str, days: int | None) -> None:
    if days is not None and not MIN_DAYS <= days <= MAX_DAYS:
        raise Invalid(f"`{name}` must be from {MIN_DAYS} to {MAX_DAYS} days, or null (forever).")


def check_set_retention(
    actor: User, *, shared_days: int | None, internal_days: int | None
) -> RetentionData:
    organization_id = check_org_admin(actor, changing="retention")
    _check_days("shared_days", shared_days)
    _check_days("internal_days", internal_days)
    return retention_data(
        do_set_retention(
            actor, organization_id, shared_days=shared_days, internal_days=internal_days
        )
    )


def do_set_retention(
    actor: User | None, organization_id: int, *, shared_days: int | None, internal_days: int | None
) -> RetentionPolicy:
    with transaction.atomic():
        policy, _ = RetentionPolicy.objects.select_for_update().get_or_create(
            organization_id=organization_id
        )
        before = {"shared_days": policy.shared_days, "internal_days": policy.internal_days}
        after = {"shared_days": shared_days, "internal_days": internal_days}
        if before == after:
            return policy
        policy.shared_days = shared_days
        policy.internal_days = internal_days
        policy.updated_by = actor
        policy.updated_at = timezone.now()
        policy.save()
        audit.record(
            actor,
            "retention.changed",
            policy,
            organization=Organization.objects.get(pk=organization_id),
            before=before,
            after=after,
        )
    return policy


# --- legal holds ------------------------------------------------------------------------


def hold_data(hold: LegalHold) -> HoldData:
    scope = "person" if hold.person_id else "room" if hold.room_id else "organization"
    return {
        "id": hold.pk,
        "scope": scope,
        "person": hold.person_id,
        "person_name": hold.person.name if hold.person is not None else None,
        "room": hold.room_id,
        "room_name": hold.room.name if hold.room is not None else None,
        "reason": hold.reason,
        "created_at": hold.created_at.isoformat(),
    }


def active_holds(organization_id: int) -> list[LegalHold]:
    return list(
        LegalHold.objects.select_related("person", "room")
        .filter(organization_id=organization_id, lifted_at__isnull=True)
        .order_by("created_at", "pk")
    )


def holds_of(actor: User) -> list[HoldData]:
    return [hold_data(h) for h in active_holds(check_org_admin(actor))]


def check_place_hold(
    actor: User, *, person_id: int | None, room_id: int | None, reason: str
) -> LegalHold:
    """An admin holds the whole organization, one of its people, or a room it takes part
    in. Anyone or anything else is missing (404): another organization's internal room
    is not this admin's to learn of."""
    organization_id = check_org_admin(actor, changing="retention")
    if person_id is not None and room_id is not None:
        raise Invalid("A hold names a `person` or a `room`, not both.")
    person = room = None
    if person_id is not None:
        person = User.objects.filter(pk=person_id, organization_id=organization_id).first()
        if person is None:
            raise NotFound()
    if room_id is not None:
        room = Room.objects.select_related("partnership").filter(pk=room_id).first()
        # Only a room its people may be in: its own internal rooms, and its
        # partnerships' shared rooms and direct conversations.
        if room is None or organization_id not in room.allowed_organization_ids():
            raise NotFound()
    return do_place_hold(actor, organization_id, person=person, room=room, reason=reason)


def do_place_hold(
    actor: User | None,
    organization_id: int,
    *,
    person: User | None,
    room: Room | None,
    reason: str,
) -> LegalHold:
    with transaction.atomic():
        hold = LegalHold.objects.create(
            organization_id=organization_id,
            person=person,
            room=room,
            reason=reason,
            created_by=actor,
        )
        audit.record(
            actor,
            "retention.hold_placed",
            hold,
            organization=Organization.objects.get(pk=organization_id),
            person=person.pk if person else None,
            room=room.pk if room else None,
            reason=reason,
        )
    return hold


def check_lift_hold(actor: User, *, hold_id: int) -> None:
    organization_id = check_org_admin(actor, changing="retention")
    with transaction.atomic():
        hold = (
            LegalHold.objects.select_for_update()
            .filter(pk=hold_id, organization_id=organization_id, lifted_at__isnull=True)
            .first()
        )
        if hold is None:
            raise NotFound()
        do_lift_hold(actor, hold)


def do_lift_hold(actor: User | None, hold: LegalHold) -> None:
    """Call inside ``transaction.atomic`` holding the hold's row."""
    hold.lifted_at = timezone.now()
    hold.lifted_by = actor
    hold.save(update_fields=["lifted_at", "lifted_by"])
    audit.record(
        actor,
        "retention.hold_lifted",
        hold,
        organization=hold.organization,
        person=hold.person_id,
        room=hold.room_id,
    )


# --- the job ----------------------------------------------------------------------------


@contextlib.contextmanager
def claimed(organization_id: int) -> Iterator[bool]:
    """Whether this worker has the organization's run to itself (a session advisory lock on
    PostgreSQL; another worker already on it: False, and it skips the organization)."""
    if connection.vendor != "postgresql":
        yield True
        return
    # The second key is an int4: an id folded into it (two organizations sharing a key
    # only means one waits for the next run).
    key = organization_id % (2**31)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_CLASS, key])
        got = bool(cursor.fetchone()[0])
    try:
        yield got
    finally:
        if got:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_CLASS, key])


def expired(
    policy: RetentionPolicy, now: datetime.datetime, holds: list[LegalHold]
) -> list[Message]:
    """The organization's own people's messages older than its periods, not held, oldest
    first (at most ``BATCH``)."""
    periods = policy.expired(now, "created_at")
    return list(
        Message.objects.select_related("room")
        .filter(
            periods,
            author__organization_id=policy.organization_id,
            deleted_at__isnull=True,
        )
        .filter(
            # A person's messages and the notices posted in their name (escalations:
            # their reason or note); the bridge's copies and notices (provenance) follow
            # their original instead, and a work item's thread root goes with its item's
            # text (rooms.actions.workitem_retention).
            Q(kind=Message.Kind.MESSAGE) | Q(kind=Message.Kind.NOTICE, provenance__isnull=True),
        )
        .exclude(author_id__in=[h.person_id for h in holds if h.person_id])
        .exclude(room_id__in=[h.room_id for h in holds if h.room_id])
        .order_by("created_at", "pk")[:BATCH]
    )


def do_apply_retention(now: datetime.datetime | None = None) -> dict[int, int]:
    """One run: each organization's expired messages removed as deletes (no actor), its
    expired work items' text removed, and one ``retention.run`` audit entry for each
    organization it removed something of (counts of messages, ``shared`` and
    ``internal``, and of work items, ``work_items_shared`` and ``work_items_internal``).
    Returns {organization id: messages and work items removed}. Idempotent (what was
    removed is not selected again) and safe with several workers (each organization is
    claimed by one)."""
    now = now or timezone.now()
    removed: dict[int, int] = {}
    policies = RetentionPolicy.objects.select_related("organization").filter(
        Q(shared_days__isnull=False) | Q(internal_days__isnull=False)
    )
    for policy in policies.order_by("pk"):
        with claimed(policy.organization_id) as mine:
            if not mine:
                continue
            holds = active_holds(policy.organization_id)
            if any(h.person_id is None and h.room_id is None for h in holds):
                continue  # the whole organization is held
            counts = {"shared": 0, "internal": 0, "work_items_shared": 0, "work_items_internal": 0}
            for message in expired(policy, now, holds):
                # Each its own transaction: a room is locked for one delete, not the batch.
                if do_delete_message(None, message):
                    shared = message.room.partnership_id is not None
                    counts["shared" if shared else "internal"] += 1
            held_people = [h.person_id for h in holds if h.person_id]
            for item in expired_work_items(policy, now, holds, BATCH):
                # The same: one transaction per item.
                before = cutoff(policy, item.room, now)
                if before is not None and do_remove_work_item_text(
                    policy.organization_id, item, changed_before=before, held_people=held_people
                ):
                    shared = item.room.partnership_id is not None
                    counts["work_items_shared" if shared else "work_items_internal"] += 1
            total = sum(counts.values())
            if total:
                removed[policy.organization_id] = total
                audit.record(
                    None,
                    "retention.run",
                    policy,
                    organization=policy.organization,
                    at=now.isoformat(),
                    **counts,
                )
    return removed
