"""Escalations: tell the right people on both sides now, and keep asking until someone answers.

Raising one marks the work item (a ``workitem.updated`` room event), notifies
each side's escalation contacts in the app and by e-mail, opens (or reuses)
an internal room on each side for it, and starts the acknowledgement clock.
Nothing about one side's escalation room ever goes to the other side: its
notices and notifications go only to that side's people.

Acknowledging and resolving happen in the open, in the work item's own room
(both sides of a shared room see it there already, on the item): a notice
there says so, and the person who raised it (and, on resolving, the
assignee) is told, never the person who did it.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from hub import audit
from hub.errors import Archived, Conflict, Invalid, NotFound
from hub.models import Organization, User
from rooms.actions.escalation_settings import ack_minutes, contacts_for
from rooms.actions.members import do_add_member
from rooms.actions.messages import do_send_message
from rooms.actions.notifications import notify
from rooms.actions.rooms import do_create_room
from rooms.actions.workitems import do_update_work_item, load_work_item
from rooms.bridge.mirrors import do_create_mirror
from rooms.log import lock_room
from rooms.models.bridge import Mirror
from rooms.models.messages import Message
from rooms.models.rooms import Membership, Room
from rooms.models.workitems import Escalation, EscalationContact, EscalationRoom, WorkItem
from rooms.selectors.access import access_membership


def summary(escalation: Escalation, *, breached: bool | None = None) -> str:
    """A short, primitive description for change records: "S1 open (late)"."""
    late = escalation.breached_at is not None if breached is None else breached
    return f"{escalation.severity} {escalation.status}{' (late)' if late else ''}"


def _now(now: datetime.datetime | None) -> datetime.datetime:
    return now or timezone.now()


def _side_room(item: WorkItem, organization: Organization, actor: User) -> Room:
    """The side's internal escalation room for this work item, created on first use."""
    existing = (
        EscalationRoom.objects.select_related("room")
        .filter(work_item=item, organization=organization)
        .first()
    )
    if existing is not None:
        return existing.room
    owner = actor if actor.organization_id == organization.pk else None
    creator = owner or contacts_for(item.room, organization.pk)[0]
    room = do_create_room(
        creator,
        kind=Room.Kind.INTERNAL,
        name=f"Escalation: {item.title}"[:120],
        topic=f"{organization.name} only. Work item in {item.room.name}.",
        organization=organization,
    )
    EscalationRoom.objects.create(work_item=item, organization=organization, room=room)
    return room


def _wait(minutes: int) -> str:
    """ "30 minutes", "4 hours", "1 day": a span, the same on every clock (a moment would
    need the reader's time zone, which a stored message cannot know)."""
    if minutes % 1440 == 0:
        days = minutes // 1440
        return f"{days} day{'s' if days != 1 else ''}"
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _side_notice(room: Room, author: User, body: str) -> None:
    do_send_message(
        author,
        room,
        client_id=f"notice-{uuid.uuid4().hex}",
        body=body,
        thread_root=None,
        kind=Message.Kind.NOTICE,
    )


def _sides(item: WorkItem) -> list[Organization]:
    room = item.room
    if room.partnership is not None:
        return [room.partnership.supplier, room.partnership.client]
    assert room.organization is not None
    return [room.organization]


def do_escalate(
    actor: User, item: WorkItem, *, severity: str, reason: str, now: datetime.datetime
) -> Escalation:
    with transaction.atomic():
        item = load_work_item(item.room_id, item.pk, lock=True)
        # Lock order: the work item's room before any side's escalation room.
        lock_room(item.room_id)
        if item.open_escalation() is not None:
            raise Conflict("This work item is already escalated; change that escalation instead.")
        room = Room.objects.select_related(
            "partnership__supplier", "partnership__client", "organization"
        ).get(pk=item.room_id)
        item.room = room
        escalation = Escalation.objects.create(
            work_item=item,
            severity=severity,
            reason=reason,
            raised_by=actor,
            raised_at=now,
            ack_due_at=now + datetime.timedelta(minutes=ack_minutes(room, severity)),
            last_notified_at=now,
            notify_count=1,
        )
        audit.record(actor, "escalation.raised", escalation, work_item=item.pk, severity=severity)
        title = f"{severity} escalation: {item.title}"
        for organization in _sides(item):
            contacts = contacts_for(room, organization.pk)
            if not contacts and actor.organization_id != organization.pk:
                continue  # nobody on that side to tell
            side_room = _side_room(item, organization, actor)
            for person in contacts:
                do_add_member(
                    actor if actor.organization_id == organization.pk else None, side_room, person
                )
            if actor.organization_id == organization.pk:
                do_add_member(actor, side_room, actor)
            # The bridge places the work item's thread in the side's room, live.
            if not Mirror.objects.filter(
                source_root_id=item.thread_root_id, target_room=side_room, stopped_at__isnull=True
            ).exists():
                do_create_mirror(
                    actor if actor.organization_id == organization.pk else contacts[0],
                    Message.objects.select_related("author__organization", "room").get(
                        pk=item.thread_root_id
                    ),
                    side_room,
                )
            _side_notice(
                side_room,
                actor if actor.organization_id == organization.pk else contacts[0],
                f"**{severity} escalation** raised by {actor.name} ({actor.organization}) "
                f"on *{item.title}* in {room.name}: {reason}\n\n"
                f"Acknowledge within {_wait(ack_minutes(room, severity))}.",
            )
            notify(
                contacts,
                kind="escalation.raised",
                title=title,
                body=f"Raised by {actor.name} ({actor.organization}): {reason}",
                room=side_room,
                item=item,
            )
        do_update_work_item(
            actor,
            item,
            changes={},
            extra={"escalation": [None, summary(escalation)]},
        )
    return escalation


def check_escalate(
    actor: User,
    *,
    room_id: int,
    item_id: int,
    severity: str,
    reason: str,
    now: datetime.datetime | None = None,
) -> Escalation:
    """Any member of the work item's room may escalate it."""
    membership = access_membership(actor, room_id)
    item = load_work_item(membership.room_id, item_id)
    return do_escalate(actor, item, severity=severity, reason=reason, now=_now(now))


def access_escalation(actor: User, escalation_id: int) -> Escalation:
    """An escalation the actor may act on: a member of its room, or a contact/admin of a side."""
    escalation = (
        Escalation.objects.select_related(
            "work_item__room__partnership", "work_item__room__organization", "raised_by"
        )
        .filter(pk=escalation_id)
        .first()
    )
    if escalation is None or not actor.is_active:
        raise NotFound()
    room = escalation.work_item.room
    if actor.organization_id not in room.allowed_organization_ids():
        raise NotFound()
    in_room = Membership.objects.active().filter(room=room, user=actor).exists()
    is_contact = (
        room.partnership is not None
        and EscalationContact.objects.filter(partnership=room.partnership, person=actor).exists()
    )
    if not (in_room or is_contact or actor.is_org_admin):
        raise NotFound()
    if room.archived_at is not None:
        raise Archived("The partnership ended: this escalation's room is a read-only archive.")
    return escalation


def _change(
    actor: User,
    escalation: Escalation,
    *,
    action: str,
    fields: dict[str, Any],
    item_changes: dict[str, Any] | None = None,
    note: str = "",
    guard: Callable[[Escalation], None] | None = None,
    after: Callable[[Escalation], None] | None = None,
) -> Escalation:
    """Change the escalation under its row lock, and its work item with it; ``after``
    runs in the same transaction, once both are written."""
    with transaction.atomic():
        locked = Escalation.objects.select_for_update().get(pk=escalation.pk)
        if locked.status == Escalation.Status.RESOLVED:
            raise Conflict("This escalation is resolved.")
        if guard is not None:
            # Checks made before the row lock may be stale: repeat them under it.
            guard(locked)
        before = {name: getattr(locked, name) for name in fields}
        old_summary = summary(locked)
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save(update_fields=list(fields))
        audit.record(
            actor,
            f"escalation.{action}",
            locked,
            work_item=locked.work_item_id,
            changed={
                k: [str(before[k]), str(v)] for k, v in fields.items() if not hasattr(v, "pk")
            },
            note=note,
        )
        item = locked.work_item
        do_update_work_item(
            actor,
            item,
            changes=item_changes or {},
            extra={"escalation": [old_summary, summary(locked)]},
        )
        if after is not None:
            after(locked)
    return locked


def _who(person: User) -> str:
    return f"{person.name} ({person.organization})" if person.organization else person.name


def _tell(
    actor: User,
    escalation: Escalation,
    *,
    kind: str,
    headline: str,
    note: str,
    people: list[User],
) -> None:
    """A notice in the work item's room (``headline`` by the actor, then ``note``), and a
    notification to ``people`` still active in that room, never to the actor."""
    item = WorkItem.objects.select_related("room").get(pk=escalation.work_item_id)
    room = item.room
    body = f"**{escalation.severity} escalation {headline}** by {_who(actor)} on *{item.title}*"
    notice, _ = do_send_message(
        actor,
        room,
        client_id=f"notice-{uuid.uuid4().hex}",
        body=f"{body}: {note}" if note else f"{body}.",
        thread_root=None,
        kind=Message.Kind.NOTICE,
    )
    in_room = set(
        Membership.objects.active()
        .filter(room=room, user__is_active=True, user_id__in=[p.pk for p in people])
        .values_list("user_id", flat=True)
    )
    told = list({p.pk: p for p in people if p.pk in in_room and p.pk != actor.pk}.values())
    if told:
        notify(
            told,
            kind=kind,
            title=f"{escalation.severity} escalation {headline} by {actor.name}: {item.title}",
            body=note or f"In {room.name}.",
            room=room,
            item=item,
            message=notice,
        )


def _require_open(escalation: Escalation) -> None:
    if escalation.status != Escalation.Status.OPEN:
        raise Conflict(f"This escalation is already {escalation.status}.")


def check_acknowledge_escalation(
    actor: User, *, escalation_id: int, now: datetime.datetime | None = None
) -> Escalation:
    """Someone takes it on: the reminders stop, and whoever raised it is told."""
    escalation = access_escalation(actor, escalation_id)
    _require_open(escalation)
    return _change(
        actor,
        escalation,
        action="acknowledged",
        guard=_require_open,
        fields={
            "status": Escalation.Status.ACKNOWLEDGED,
            "acknowledged_by": actor,
            "acknowledged_at": _now(now),
        },
        after=lambda done: _tell(
            actor,
            done,
            kind="escalation.acknowledged",
            headline="acknowledged",
            note="",
            people=[done.raised_by],
        ),
    )


def check_reassign_escalation(actor: User, *, escalation_id: int, person_id: int) -> Escalation:
    """Hand the escalated work to someone in the work item's room (either side)."""
    escalation = access_escalation(actor, escalation_id)
    room = escalation.work_item.room
    member = (
        Membership.objects.active()
        .select_related("user")
        .filter(room=room, user_id=person_id, user__is_active=True)
        .first()
    )
    if member is None:
        raise Invalid("The new owner must be an active member of the work item's room.")
    return _change(
        actor,
        escalation,
        action="reassigned",
        fields={},
        item_changes={"assignee": member.user},
        note=f"new owner: {member.user.name} (person {member.user_id})",
    )


def check_downgrade_escalation(
    actor: User, *, escalation_id: int, severity: str, reason: str = ""
) -> Escalation:
    escalation = access_escalation(actor, escalation_id)

    def lower(current: Escalation) -> None:
        if severity <= current.severity:
            raise Invalid("A downgrade goes to a lower severity (S1 -> S2 -> S3).")

    lower(escalation)
    fields: dict[str, Any] = {"severity": severity}
    if escalation.status == Escalation.Status.OPEN:
        # The clock restarts from when it was raised, at the new target.
        fields["ack_due_at"] = escalation.raised_at + datetime.timedelta(
            minutes=ack_minutes(escalation.work_item.room, severity)
        )
    return _change(actor, escalation, action="downgraded", fields=fields, note=reason, guard=lower)


def check_resolve_escalation(
    actor: User, *, escalation_id: int, note: str = "", now: datetime.datetime | None = None
) -> Escalation:
    """End it, with a note of what was done (the HTTP body requires one: ``Resolve``),
    told in the room and to whoever raised it and whoever has the work."""
    escalation = access_escalation(actor, escalation_id)

    def tell(done: Escalation) -> None:
        assignee = WorkItem.objects.select_related("assignee").get(pk=done.work_item_id).assignee
        _tell(
            actor,
            done,
            kind="escalation.resolved",
            headline="resolved",
            note=note,
            people=[done.raised_by, *([assignee] if assignee is not None else [])],
        )

    return _change(
        actor,
        escalation,
        action="resolved",
        fields={
            "status": Escalation.Status.RESOLVED,
            "resolved_by": actor,
            "resolved_at": _now(now),
        },
        note=note,
        after=tell,
    )
