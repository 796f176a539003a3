"""The board, a work item with its history, and my work."""

from __future__ import annotations

from typing import Any, TypedDict

from django.db.models import QuerySet

from hub.errors import NotFound
from hub.models import User
from rooms.models.workitems import Escalation, WorkItem, WorkItemChange
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
        .exclude(status=Escalation.Status.RESOLVED)
        .select_related("raised_by__organization", "acknowledged_by__organization")
    }
    return [work_item_data(item, live.get(item.pk)) for item in items]


def work_item_board(user: User, room_id: int) -> Board:
    """The room's work items by status."""
    membership = access_membership(user, room_id, readonly=True)
    columns: dict[str, list[WorkItemData]] = {status: [] for status in WorkItem.Status.values}
    for item in _work_items(WorkItem.objects.filter(room_id=membership.room_id)):
        columns[item["status"]].append(item)
    return {"room": membership.room_id, "head_seq": membership.room.last_seq, "columns": columns}


def my_work(user: User) -> list[WorkItemData]:
    """Open work assigned to the person, across the rooms they are in."""
    return _work_items(
        WorkItem.objects.filter(
            assignee=user,
            room__in=rooms_for_user(user),
            status__in=["open", "in_progress", "blocked"],
        )
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
