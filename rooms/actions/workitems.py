"""Work items: created in a room, changed field by field, every change a room event.

Changes lock the work item's row, so two people changing one item at once
both land (nothing lost) and both events take their place on the room's
sequence in the order they committed.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from hub import ratelimit
from hub.errors import Conflict, Forbidden, Invalid, NotFound
from hub.models import User
from rooms.actions.messages import do_send_message
from rooms.actions.notifications import do_notify_assigned
from rooms.log import append_event
from rooms.markdown import render_markdown
from rooms.models.messages import Message
from rooms.models.rooms import Membership, Room
from rooms.models.workitems import WorkItem, WorkItemChange
from rooms.schemas import WorkItemChanges
from rooms.selectors.access import access_membership, access_message
from rooms.wire.serializers import person_ref, work_item_data
from rooms.wire.types import WorkItemCreatedEvent, WorkItemData, WorkItemUpdatedEvent

EDITABLE_FIELDS = ("title", "description", "status", "assignee", "priority", "due_date", "labels")


def _assignee(room: Room, person_id: int | None) -> User | None:
    """Anyone in the room, from either side."""
    if person_id is None:
        return None
    membership = (
        Membership.objects.active()
        .select_related("user__organization")
        .filter(room=room, user_id=person_id, user__is_active=True)
        .first()
    )
    if membership is None:
        raise Invalid("The assignee must be a member of the room.")
    return membership.user


def thread_root_body(title: str) -> str:
    """The body of a work item's thread root: what the room's timeline shows of it."""
    return f"**Work item:** {title}"


def _item_frame_data(item: WorkItem) -> WorkItemData:
    return work_item_data(item, item.open_escalation())


def load_work_item(room_id: int, item_id: int, *, lock: bool = False) -> WorkItem:
    qs = WorkItem.objects.select_related(
        "assignee__organization", "created_by__organization", "raised_by_org"
    )
    if lock:
        qs = qs.select_for_update(of=("self",))
    try:
        return qs.get(room_id=room_id, pk=item_id)
    except WorkItem.DoesNotExist:
        raise NotFound() from None


def do_create_work_item(
    actor: User,
    room: Room,
    *,
    title: str,
    description: str,
    assignee: User | None,
    priority: int,
    due_date: datetime.date | None,
    labels: list[str],
    source_message: Message | None,
) -> WorkItem:
    # Room membership implies a home organization (rooms only hold org people).
    assert actor.organization is not None
    with transaction.atomic():
        # The work item's thread starts with a message of its own, so the
        # discussion sits in the room's timeline like any other thread.
        root, _ = do_send_message(
            actor,
            room,
            client_id=f"workitem-{uuid.uuid4().hex}",
            body=thread_root_body(title),
            thread_root=None,
            kind=Message.Kind.WORK_ITEM,
        )
        item = WorkItem.objects.create(
            room=room,
            title=title,
            description=description,
            description_html=render_markdown(description) if description else "",
            assignee=assignee,
            priority=priority,
            due_date=due_date,
            labels=labels,
            raised_by_org=actor.organization,
            created_by=actor,
            thread_root=root,
            source_message=source_message,
        )
        item = load_work_item(room.pk, item.pk)
        data = work_item_data(item)
        seq, _ = append_event(
            room.pk,
            lambda seq: WorkItemCreatedEvent(
                type="workitem.created", room=room.pk, seq=seq, item=data
            ),
        )
        WorkItemChange.objects.create(
            work_item=item, changed_by=actor, changes={"created": [None, title]}, seq=seq
        )
        do_notify_assigned(item, assignee, actor)
    return item


def check_create_work_item(
    actor: User,
    *,
    room_id: int,
    title: str,
    description: str = "",
    assignee: int | None = None,
    priority: int = 3,
    due_date: datetime.date | None = None,
    labels: list[str] | None = None,
    from_message: int | None = None,
) -> WorkItem:
    """A member creates a work item (``rooms.schemas.WorkItemNew`` checked its fields)."""
    membership = access_membership(actor, room_id)
    if membership.room.is_direct:
        raise Forbidden(
            "Work items live in rooms: direct conversations have none. Create it in a room."
        )
    room = membership.room
    source = access_message(actor, room.pk, from_message) if from_message is not None else None
    if source is not None and source.is_deleted:
        raise NotFound()
    ratelimit.hit(actor.pk, "writes")
    return do_create_work_item(
        actor,
        room,
        title=title,
        description=description,
        assignee=_assignee(room, assignee),
        priority=priority,
        due_date=due_date,
        labels=labels or [],
        source_message=source,
    )


def _wire(value: Any) -> Any:
    """Primitive form of a field value for the change record and the event."""
    if isinstance(value, User):
        return value.pk
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def do_update_work_item(
    actor: User | None,
    item: WorkItem,
    *,
    changes: dict[str, Any],
    expected_version: int | None = None,
    extra: dict[str, list[Any]] | None = None,
) -> WorkItem:
    """Apply already-validated ``changes`` (field -> new value) under the item's row lock.

    ``extra`` adds non-field changes (escalation state) to the same event.
    """
    with transaction.atomic():
        locked = load_work_item(item.room_id, item.pk, lock=True)
        if expected_version is not None and locked.version != expected_version:
            raise Conflict(
                f"The work item changed meanwhile (now version {locked.version}); reload it."
            )
        if "status" in changes and changes["status"] != locked.status:
            allowed = WorkItem.TRANSITIONS[locked.status]
            if changes["status"] not in allowed:
                raise Invalid(
                    f"A work item cannot go from {locked.status} to {changes['status']}; "
                    f"allowed: {', '.join(sorted(allowed))}."
                )
        diff: dict[str, list[Any]] = {}
        for field, new in changes.items():
            old = getattr(locked, field)
            if _wire(old) != _wire(new):
                diff[field] = [_wire(old), _wire(new)]
                setattr(locked, field, new)
        if "description" in diff:
            locked.description_html = render_markdown(locked.description)
        diff.update(extra or {})
        if not diff:
            return locked
        locked.version += 1
        locked.updated_at = timezone.now()
        locked.save()
        data = _item_frame_data(locked)
        by = person_ref(actor) if actor is not None else None
        seq, _ = append_event(
            locked.room_id,
            lambda seq: WorkItemUpdatedEvent(
                type="workitem.updated",
                room=locked.room_id,
                seq=seq,
                item=data,
                changes=diff,
                by=by,
            ),
            thread_root_id=locked.thread_root_id,
        )
        WorkItemChange.objects.create(work_item=locked, changed_by=actor, changes=diff, seq=seq)
        if "assignee" in diff and actor is not None:
            do_notify_assigned(locked, locked.assignee, actor)
    return locked


def check_update_work_item(
    actor: User,
    *,
    room_id: int,
    item_id: int,
    changes: WorkItemChanges,
    version: int | None = None,
) -> WorkItem:
    """A member changes the fields ``changes`` names (``version``: only if still that one)."""
    membership = access_membership(actor, room_id)
    item = load_work_item(membership.room_id, item_id)
    given = changes.given()
    if not given:
        raise Invalid("`changes` must be an object of fields to change.")
    if given.get("title", "") is None or given.get("status", "") is None:
        raise Invalid("A work item's title and status cannot be null.")
    if "assignee" in given:
        given["assignee"] = _assignee(membership.room, given["assignee"])
    for field in ("description", "priority", "labels"):
        if field in given and given[field] is None:
            raise Invalid(f"`{field}` cannot be null.")
    ratelimit.hit(actor.pk, "writes")
    return do_update_work_item(actor, item, changes=given, expected_version=version)
