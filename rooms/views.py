"""HTTP JSON for what is not live: room list, history, threads, search, members."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse

from hub.errors import Invalid, NotFound
from hub.http import AuthedRequest, api, json_body
from rooms import actions, events
from rooms.selectors import (
    access_membership,
    access_message,
    member_candidates,
    message_page,
    mirrors_for,
    my_work,
    room_list,
    room_members,
    search_messages,
    thread_messages,
    work_item_board,
    work_item_detail,
)


def _int_param(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name)
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except ValueError:
        raise Invalid(f"`{name}` must be an integer.") from None
    if not 0 <= number < 2**63:
        raise Invalid(f"`{name}` is out of range.")
    return number


@api(("GET", "POST"))
def rooms(request: AuthedRequest) -> JsonResponse:
    if request.method == "POST":
        data = json_body(request)
        if data.get("kind") == "internal":
            room = actions.check_create_internal_room(
                request.user, name=data.get("name"), topic=data.get("topic", "")
            )
        else:
            room = actions.check_create_shared_room(
                request.user,
                partnership_id=data.get("partnership"),
                name=data.get("name"),
                topic=data.get("topic", ""),
            )
        return JsonResponse({"id": room.pk, "kind": room.kind, "name": room.name}, status=201)
    return JsonResponse({"rooms": room_list(request.user)})


@api(("PATCH",))
def room(request: AuthedRequest, room_id: int) -> JsonResponse:
    data = json_body(request)
    updated = actions.check_update_room(
        request.user, room_id=room_id, name=data.get("name"), topic=data.get("topic")
    )
    return JsonResponse({"id": updated.pk, "name": updated.name, "topic": updated.topic})


@api()
def history(request: AuthedRequest, room_id: int) -> JsonResponse:
    membership = access_membership(request.user, room_id, readonly=True)
    limit = min(_int_param(request, "limit") or settings.CAUSEWAY_PAGE_SIZE, 200)
    page = message_page(
        membership.room,
        before=_int_param(request, "before"),
        after=_int_param(request, "after"),
        limit=limit,
    )
    return JsonResponse(
        {
            "room": membership.room_id,
            "head_seq": membership.room.last_seq,
            "messages": [events.message_data(m) for m in page],
        }
    )


@api()
def thread(request: AuthedRequest, room_id: int, root_id: int) -> JsonResponse:
    root = access_message(request.user, room_id, root_id, readonly=True)
    if root.thread_root_id is not None:
        raise Invalid("That message is a reply; open its thread root.")
    return JsonResponse(
        {"room": root.room_id, "root": root.pk, "messages": [
            events.message_data(m) for m in thread_messages(root)
        ]}
    )  # fmt: skip


@api(("GET", "POST"))
def members(request: AuthedRequest, room_id: int) -> JsonResponse:
    if request.method == "POST":
        data = json_body(request)
        actions.check_add_member(request.user, room_id=room_id, person_id=data.get("person"))
        return JsonResponse({"ok": True}, status=201)
    membership = access_membership(request.user, room_id, readonly=True)
    return JsonResponse(
        {
            "room": membership.room_id,
            "members": [
                {"person": events.person_ref(m.user), "role": m.role}
                for m in room_members(membership.room)
            ],
        }
    )


@api()
def candidates(request: AuthedRequest, room_id: int) -> JsonResponse:
    """Whom the "Add people" picker offers: see ``selectors.member_candidates``."""
    membership = access_membership(request.user, room_id)
    query = request.GET.get("q", "").strip()
    if len(query) > 100 or "\x00" in query:
        raise Invalid("`q` must be at most 100 characters.")
    return JsonResponse(
        {
            "room": membership.room_id,
            "candidates": [
                {"person": events.person_ref(person), "colleague": colleague}
                for person, colleague in member_candidates(request.user, membership, query)
            ],
        }
    )


@api(("DELETE",))
def member(request: AuthedRequest, room_id: int, person_id: int) -> JsonResponse:
    actions.check_remove_member(request.user, room_id=room_id, person_id=person_id)
    return JsonResponse({"ok": True})


@api()
def search(request: AuthedRequest) -> JsonResponse:
    query = request.GET.get("q", "").strip()
    if "\x00" in query:
        raise Invalid("NUL characters are not allowed.")
    if not 2 <= len(query) <= 200:
        raise Invalid("`q` must be 2 to 200 characters.")
    results: list[dict[str, Any]] = []
    for message in search_messages(request.user, query):
        data: dict[str, Any] = dict(events.message_data(message))
        data["room_name"] = message.room.name
        results.append(data)
    return JsonResponse({"results": results})


# --- work items and escalations ------------------------------------------------


@api(("GET", "POST"))
def work_items(request: AuthedRequest, room_id: int) -> JsonResponse:
    if request.method == "POST":
        data = json_body(request)
        item = actions.check_create_work_item(
            request.user,
            room_id=room_id,
            title=data.get("title"),
            description=data.get("description", ""),
            assignee=data.get("assignee"),
            priority=data.get("priority", 3),
            due_date=data.get("due_date"),
            labels=data.get("labels"),
            from_message=data.get("from_message"),
        )
        return JsonResponse(work_item_detail(request.user, room_id, item.pk), status=201)
    return JsonResponse(work_item_board(request.user, room_id))


@api(("GET", "PATCH"))
def work_item(request: AuthedRequest, room_id: int, item_id: int) -> JsonResponse:
    if request.method == "PATCH":
        data = json_body(request)
        actions.check_update_work_item(
            request.user,
            room_id=room_id,
            item_id=item_id,
            changes=data.get("changes"),
            version=data.get("version"),
        )
    return JsonResponse(work_item_detail(request.user, room_id, item_id))


@api()
def mine(request: AuthedRequest) -> JsonResponse:
    return JsonResponse({"items": my_work(request.user)})


@api(("POST",))
def escalate(request: AuthedRequest, room_id: int, item_id: int) -> JsonResponse:
    data = json_body(request)
    escalation = actions.check_escalate(
        request.user,
        room_id=room_id,
        item_id=item_id,
        severity=data.get("severity"),
        reason=data.get("reason"),
    )
    return JsonResponse({"escalation": events.escalation_data(escalation)}, status=201)


@api(("POST",))
def escalation_action(request: AuthedRequest, escalation_id: int, action: str) -> JsonResponse:
    data = json_body(request)
    user = request.user
    if action == "acknowledge":
        escalation = actions.check_acknowledge_escalation(user, escalation_id=escalation_id)
    elif action == "reassign":
        escalation = actions.check_reassign_escalation(
            user, escalation_id=escalation_id, person_id=data.get("person")
        )
    elif action == "downgrade":
        escalation = actions.check_downgrade_escalation(
            user,
            escalation_id=escalation_id,
            severity=data.get("severity"),
            reason=data.get("reason", ""),
        )
    elif action == "resolve":
        escalation = actions.check_resolve_escalation(
            user, escalation_id=escalation_id, note=data.get("note", "")
        )
    else:
        raise NotFound()
    escalation.refresh_from_db()
    return JsonResponse({"escalation": events.escalation_data(escalation)})


# --- the bridge ------------------------------------------------------------------------


def _mirror_json(mirror: Any) -> dict[str, Any]:
    return {
        "id": mirror.pk,
        "source_room": mirror.source_room_id,
        "thread": mirror.source_root_id,
        "target_room": mirror.target_room_id,
        "root_copy": mirror.root_copy_id,
        "created_at": mirror.created_at.isoformat(),
        "stopped_at": mirror.stopped_at.isoformat() if mirror.stopped_at else None,
    }


@api(("GET", "POST"))
def mirrors(request: AuthedRequest) -> JsonResponse:
    if request.method == "POST":
        data = json_body(request)
        mirror = actions.check_create_mirror(
            request.user,
            source_room_id=data.get("source_room"),
            root_id=data.get("thread"),
            target_room_id=data.get("target_room"),
        )
        return JsonResponse(_mirror_json(mirror), status=201)
    return JsonResponse({"mirrors": [_mirror_json(m) for m in mirrors_for(request.user)]})


@api(("DELETE",))
def mirror(request: AuthedRequest, mirror_id: int) -> JsonResponse:
    stopped = actions.check_stop_mirror(request.user, mirror_id=mirror_id)
    return JsonResponse(_mirror_json(stopped))


@api(("POST",))
def share_back(request: AuthedRequest, mirror_id: int) -> JsonResponse:
    data = json_body(request)
    shared = actions.check_share_back(
        request.user,
        mirror_id=mirror_id,
        message_id=data.get("message"),
        body=data.get("body"),
        confirmed_body=data.get("confirmed_body"),
    )
    return JsonResponse({"room": shared.room_id, "id": shared.pk, "seq": shared.seq}, status=201)
