"""The board (filtered or whole), a work item with its history, my work, open escalations."""

from __future__ import annotations

from typing import Any, TypedDict

from django.db.models import Exists, OuterRef, QuerySet

from hub.errors import NotFound
from hub.models import User
from rooms.models.workitems import Escalation, WorkItem, WorkItemChange
from rooms.schemas import BoardQuery
from rooms.selectors.access import access_membership, rooms_for_user
from rooms.wire.serializers import work_item_data
from rooms.wire.types import WorkItemData


class Board(TypedDict):
    room: int
    head_seq: int
    columns: dict[str, list[WorkItemData]]


def _work_items(qs: QuerySet[WorkItem]) -> list[WorkItemData]:
    items = list(
        qs.select_related(
            "assignee__organization", "created_by__organization", "raised_by_org"
        ).order_by("priority", "due_date", "created_at", "id")
    )
    live = {
        e.work_item_id: e
        for e in Escalation.objects.filter(work_item__in=items)
        .live()
        .select_related("raised_by__organization", "acknowledged_by__organization")
    }
    return [work_item_data(item, live.get(item.pk)) for item in items]


# The statuses still to do: my work and the Board tab's count list these.
ACTIVE = ("open", "in_progress", "blocked")


def _live_escalation() -> Exists:
    return Exists(Escalation.objects.filter(work_item=OuterRef("pk")).live())


def filter_board(qs: QuerySet[WorkItem], filters: BoardQuery) -> QuerySet[WorkItem]:
    """The items every given filter holds for (the board's filter bar does the same)."""
    if filters.assignee == "none":
        qs = qs.filter(assignee__isnull=True)
    elif filters.assignee is not None:
        qs = qs.filter(assignee_id=filters.assignee)
    if filters.organization is not None:
        qs = qs.filter(raised_by_org_id=filters.organization)
    if filters.label is not None:
        qs = qs.filter(labels__contains=[filters.label])
    if filters.priority is not None:
        qs = qs.filter(priority=filters.priority)
    if filters.escalated is not None:
        live = _live_escalation()
        qs = qs.filter(live if filters.escalated else ~live)
    return qs


def work_item_board(user: User, room_id: int, filters: BoardQuery | None = None) -> Board:
    """The room's work items by status, those ``filters`` keep."""
    membership = access_membership(user, room_id, readonly=True)
    columns: dict[str, list[WorkItemData]] = {status: [] for status in WorkItem.Status.values}
    qs = WorkItem.objects.filter(room_id=membership.room_id)
    if filters is not None:
        qs = filter_board(qs, filters)
    for item in _work_items(qs):
        columns[item["status"]].append(item)
    return {"room": membership.room_id, "head_seq": membership.room.last_seq, "columns": columns}


class MyWork(TypedDict):
    items: list[WorkItemData]
    raised: list[WorkItemData]


def my_work(user: User) -> MyWork:
    """Work still to do across the rooms the person is in: assigned to them (``items``),
    and created by them (``raised``), whoever does it."""
    active = WorkItem.objects.filter(room__in=rooms_for_user(user), status__in=ACTIVE)
    return {
        "items": _work_items(active.filter(assignee=user)),
        "raised": _work_items(active.filter(created_by=user)),
    }


def open_escalations(user: User) -> list[WorkItemData]:
    """The escalated work items of the rooms the person is in, most severe and most
    urgent first. An escalation belongs to its work item's room: both sides of a
    shared room see it, nobody outside the room does."""
    items = _work_items(
        WorkItem.objects.filter(room__in=rooms_for_user(user)).filter(_live_escalation())
    )
    return sorted(
        items,
        key=lambda i: (
            i["escalation"]["severity"] if i["escalation"] else "",
            i["escalation"]["ack_due_at"] if i["escalation"] else "",
        ),
    )


def work_item_detail(user: User, room_id: int, item_id: int) -> dict[str, Any]:
    """The item and its change history, oldest first."""
    membership = access_membership(user, room_id, readonly=True)
    found = _work_items(WorkItem.objects.filter(room_id=membership.room_id, pk=item_id))
    if not found:
        raise NotFound()
    history = [
        {
            "seq": change.seq,
            "at": change.changed_at.isoformat(),
            "by": (
                {"id": change.changed_by.pk, "name": change.changed_by.name}
                if change.changed_by
                else None
            ),
            "changes": change.changes,
        }
        for change in WorkItemChange.objects.filter(work_item_id=item_id).select_related(
            "changed_by"
        )
    ]
    return {"item": found[0], "history": history}
