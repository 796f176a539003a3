"""HTTP JSON for work items and escalations."""

from __future__ import annotations

from django.http import JsonResponse

from hub.errors import NotFound
from hub.http import AuthedRequest, api, body, query
from rooms.actions.escalation_settings import check_set_ack_targets, check_set_escalation_contacts
from rooms.actions.escalations import (
    check_acknowledge_escalation,
    check_downgrade_escalation,
    check_escalate,
    check_reassign_escalation,
    check_resolve_escalation,
)
from rooms.actions.workitems import check_create_work_item, check_update_work_item
from rooms.schemas import (
    AckTargets,
    BoardQuery,
    Downgrade,
    EscalationContacts,
    EscalationNew,
    Reassign,
    Resolve,
    WorkItemChange,
    WorkItemNew,
)
from rooms.selectors.workitems import (
    my_work,
    open_escalations,
    work_item_board,
    work_item_detail,
)
from rooms.wire.serializers import escalation_data


@api(("GET", "POST"))
def work_items(request: AuthedRequest, room_id: int) -> JsonResponse:
    if request.method == "POST":
        new = body(request, WorkItemNew)
        item = check_create_work_item(
            request.user,
            room_id=room_id,
            title=new.title,
            description=new.description,
            assignee=new.assignee,
            priority=new.priority,
            due_date=new.due_date,
            labels=new.labels,
            from_message=new.from_message,
        )
        return JsonResponse(work_item_detail(request.user, room_id, item.pk), status=201)
    return JsonResponse(work_item_board(request.user, room_id, query(request, BoardQuery)))


@api(("GET", "PATCH"))
def work_item(request: AuthedRequest, room_id: int, item_id: int) -> JsonResponse:
    if request.method == "PATCH":
        change = body(request, WorkItemChange)
        check_update_work_item(
            request.user,
            room_id=room_id,
            item_id=item_id,
            changes=change.changes,
            version=change.version,
        )
    return JsonResponse(work_item_detail(request.user, room_id, item_id))


@api()
def mine(request: AuthedRequest) -> JsonResponse:
    return JsonResponse(dict(my_work(request.user)))


@api()
def escalations(request: AuthedRequest) -> JsonResponse:
    return JsonResponse({"items": open_escalations(request.user)})


@api(("POST",))
def escalate(request: AuthedRequest, room_id: int, item_id: int) -> JsonResponse:
    new = body(request, EscalationNew)
    escalation = check_escalate(
        request.user, room_id=room_id, item_id=item_id, severity=new.severity, reason=new.reason
    )
    return JsonResponse({"escalation": escalation_data(escalation)}, status=201)


@api(("POST",))
def escalation_action(request: AuthedRequest, escalation_id: int, action: str) -> JsonResponse:
    user = request.user
    if action == "acknowledge":
        escalation = check_acknowledge_escalation(user, escalation_id=escalation_id)
    elif action == "reassign":
        person = body(request, Reassign).person
        escalation = check_reassign_escalation(user, escalation_id=escalation_id, person_id=person)
    elif action == "downgrade":
        down = body(request, Downgrade)
        escalation = check_downgrade_escalation(
            user, escalation_id=escalation_id, severity=down.severity, reason=down.reason
        )
    elif action == "resolve":
        note = body(request, Resolve).note
        escalation = check_resolve_escalation(user, escalation_id=escalation_id, note=note)
    else:
        raise NotFound()
    escalation.refresh_from_db()
    return JsonResponse({"escalation": escalation_data(escalation)})


@api(("POST",))
def escalation_contacts(request: AuthedRequest, partnership_id: int) -> JsonResponse:
    people = check_set_escalation_contacts(
        request.user,
        partnership_id=partnership_id,
        person_ids=body(request, EscalationContacts).people,
    )
    return JsonResponse({"people": [p.pk for p in people]})


@api(("POST",))
def ack_targets(request: AuthedRequest, partnership_id: int) -> JsonResponse:
    partnership = check_set_ack_targets(
        request.user, partnership_id=partnership_id, targets=body(request, AckTargets).targets
    )
    return JsonResponse({"targets": {s: partnership.ack_minutes(s) for s in ("S1", "S2", "S3")}})
