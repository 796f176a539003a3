"""Work items: fields, transitions, history, the room sequence, board and my work."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client

from hub.errors import Conflict, Invalid, NotFound
from hub.schemas import parse
from rooms.actions.escalations import check_escalate
from rooms.actions.messages import check_send_message
from rooms.actions.workitems import check_create_work_item, check_update_work_item
from rooms.models.log import RoomEvent
from rooms.models.messages import Message
from rooms.models.workitems import WorkItem, WorkItemChange
from rooms.schemas import WorkItemChanges, WorkItemNew
from rooms.selectors.workitems import my_work, work_item_board, work_item_detail
from tests.conftest import make_org, make_person


def create(team, **fields):
    """POST …/workitems/ as the supplier member: the body parsed, then checked."""
    fields.setdefault("title", "Ship 4k units of NW-220")
    new = parse(WorkItemNew, fields)
    return check_create_work_item(team.supplier_member, room_id=team.shared.id, **new.model_dump())


def update(person, item, **changes):
    """PATCH …/workitems/{id}/: the changes parsed (``rooms.schemas``), then checked."""
    return check_update_work_item(
        person, room_id=item.room_id, item_id=item.id, changes=parse(WorkItemChanges, changes)
    )


def test_a_work_item_has_its_own_thread_and_keeps_the_message_it_came_from(team):
    source, _ = check_send_message(
        team.client_member, room_id=team.shared.id, client_id="src", body="Lot 7 failed inspection"
    )
    item = create(
        team,
        title="Investigate lot 7",
        description="See **QA-2291**",
        assignee=team.client_member.id,
        priority=1,
        due_date="2026-12-01",
        labels=["quality", "quality", "lot-7"],
        from_message=source.id,
    )
    assert item.thread_root.kind == Message.Kind.WORK_ITEM
    assert item.thread_root.room_id == team.shared.id
    assert item.source_message_id == source.id
    assert item.raised_by_org_id == team.supplier.id
    assert item.labels == ["quality", "lot-7"]
    assert item.description_html == "<p>See <strong>QA-2291</strong></p>"
    reply, _ = check_send_message(
        team.client_member,
        room_id=team.shared.id,
        client_id="r",
        body="on it",
        thread=item.thread_root_id,
    )
    assert reply.thread_root_id == item.thread_root_id


def test_the_assignee_can_be_anyone_in_the_room_from_either_side_but_nobody_else(team):
    item = create(team, assignee=team.client_admin.id)
    assert item.assignee_id == team.client_admin.id
    outsider = make_person(make_org())
    with pytest.raises(Invalid):
        create(team, assignee=outsider.id)
    with pytest.raises(Invalid):
        update(team.supplier_member, item, assignee=outsider.id)


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        (["in_progress", "blocked", "in_progress", "done"], True),
        (["cancelled", "open"], True),
        (["done", "open", "in_progress"], True),
        (["blocked", "done"], False),
        (["done", "in_progress"], False),
        (["cancelled", "done"], False),
    ],
)
def test_status_transitions_are_enforced(team, path, allowed):
    item = create(team)
    *steps, last = path
    for status in steps:
        item = update(team.client_member, item, status=status)
    if allowed:
        assert update(team.client_member, item, status=last).status == last
    else:
        with pytest.raises(Invalid):
            update(team.client_member, item, status=last)
        item.refresh_from_db()
        assert item.status == steps[-1]


def test_bad_fields_are_refused_and_nothing_changes(team):
    item = create(team)
    for changes in (
        {"priority": 5},
        {"priority": "1"},
        {"due_date": "tomorrow"},
        {"labels": "x"},
        {"status": "archived"},
        {"colour": "red"},
    ):
        with pytest.raises(Invalid):
            update(team.client_member, item, **changes)
    item.refresh_from_db()
    assert item.version == 1 and item.priority == 3


def test_every_change_is_a_room_event_on_the_same_sequence_with_history(team):
    item = create(team)
    update(team.client_member, item, priority=2, labels=["urgent"])
    update(team.supplier_admin, item, status="in_progress")
    update(team.supplier_admin, item, status="in_progress")  # no change: no event
    events = list(RoomEvent.objects.filter(room=team.shared).order_by("seq"))
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    tail = [e.payload for e in events[-4:]]
    assert [p["type"] for p in tail] == [
        "message.new",
        "workitem.created",
        "workitem.updated",
        "workitem.updated",
    ]
    assert tail[2]["changes"] == {"priority": [3, 2], "labels": [[], ["urgent"]]}
    assert tail[2]["by"]["id"] == team.client_member.id
    assert tail[3]["changes"] == {"status": ["open", "in_progress"]}
    assert tail[3]["item"]["version"] == 3
    history = list(WorkItemChange.objects.filter(work_item=item).values_list("seq", flat=True))
    assert history == [e["seq"] for e in tail[1:]]


def test_a_stale_version_is_refused_with_conflict(team):
    item = create(team)
    update(team.client_member, item, priority=1)
    with pytest.raises(Conflict):
        check_update_work_item(
            team.supplier_member,
            room_id=team.shared.id,
            item_id=item.id,
            changes=WorkItemChanges(priority=4),
            version=1,
        )


def test_non_members_cannot_see_or_change_work_items(team):
    item = create(team)
    outsider = make_person(make_org())
    with pytest.raises(NotFound):
        update(outsider, item, priority=1)
    with pytest.raises(NotFound):
        work_item_detail(outsider, team.shared.id, item.id)
    with pytest.raises(NotFound):
        check_update_work_item(
            team.client_member,
            room_id=team.supplier_internal.id,
            item_id=item.id,
            changes=WorkItemChanges(),
        )


def test_board_groups_by_status_and_my_work_spans_rooms(team):
    shared = create(team, assignee=team.supplier_member.id)
    internal = check_create_work_item(
        team.supplier_member,
        room_id=team.supplier_internal.id,
        title="Internal margin review",
        assignee=team.supplier_member.id,
    )
    done = create(team, title="Old", assignee=team.supplier_member.id)
    update(team.supplier_member, done, status="done")
    board = work_item_board(team.client_member, team.shared.id)
    assert [i["id"] for i in board["columns"]["open"]] == [shared.id]
    assert [i["id"] for i in board["columns"]["done"]] == [done.id]
    assert set(board["columns"]) == {"open", "in_progress", "blocked", "done", "cancelled"}
    assert {i["id"] for i in my_work(team.supplier_member)["items"]} == {shared.id, internal.id}
    assert my_work(team.client_member)["items"] == []


def test_work_items_over_http(team):
    client = Client()
    client.force_login(team.client_member)
    base = f"/api/rooms/{team.shared.id}/workitems/"
    created = client.post(
        base, {"title": "Expedite", "priority": 2}, content_type="application/json"
    )
    assert created.status_code == 201
    item_id = created.json()["item"]["id"]
    changed = client.patch(
        f"{base}{item_id}/", {"changes": {"status": "blocked"}}, content_type="application/json"
    )
    assert changed.status_code == 200
    assert changed.json()["item"]["status"] == "blocked"
    assert [h["changes"] for h in changed.json()["history"]][-1] == {"status": ["open", "blocked"]}
    refused = client.patch(
        f"{base}{item_id}/", {"changes": {"status": "done"}}, content_type="application/json"
    )
    assert refused.status_code == 400
    assert client.get(base).json()["columns"]["blocked"][0]["id"] == item_id
    assert client.get("/api/workitems/mine/").json() == {
        "items": [],
        "raised": [client.get(f"{base}{item_id}/").json()["item"]],
    }


def test_title_description_labels_and_due_date_can_be_edited_and_history_shows_each(team):
    item = create(team, title="Ship 4k", description="First *draft*")
    update(team.client_member, item, title="Ship 5k units", description="Now **5k**")
    update(team.supplier_member, item, labels=["ramp-up"], due_date="2026-12-24")
    detail = work_item_detail(team.client_member, team.shared.id, item.id)
    assert detail["item"]["title"] == "Ship 5k units"
    assert detail["item"]["html"] == "<p>Now <strong>5k</strong></p>"
    assert [(h["by"]["id"] if h["by"] else None, h["changes"]) for h in detail["history"]] == [
        (team.supplier_member.id, {"created": [None, "Ship 4k"]}),
        (
            team.client_member.id,
            {"title": ["Ship 4k", "Ship 5k units"], "description": ["First *draft*", "Now **5k**"]},
        ),
        (team.supplier_member.id, {"labels": [[], ["ramp-up"]], "due_date": [None, "2026-12-24"]}),
    ]


def test_the_board_keeps_only_the_items_every_filter_given_holds_for(team):
    mine = create(team, title="Mine", assignee=team.supplier_member.id, labels=["qa"], priority=1)
    theirs = check_create_work_item(
        team.client_member, room_id=team.shared.id, title="Theirs", labels=["qa", "ramp"]
    )
    nobody = create(team, title="Nobody's", priority=4)
    check_escalate(
        team.client_member, room_id=team.shared.id, item_id=nobody.id, severity="S2", reason="Late"
    )
    client = Client()
    client.force_login(team.client_member)
    base = f"/api/rooms/{team.shared.id}/workitems/"

    def board(query: str) -> set[int]:
        answer = client.get(f"{base}?{query}")
        assert answer.status_code == 200
        return {i["id"] for column in answer.json()["columns"].values() for i in column}

    assert board("") == {mine.id, theirs.id, nobody.id}
    assert board(f"assignee={team.supplier_member.id}") == {mine.id}
    assert board("assignee=none") == {theirs.id, nobody.id}
    assert board(f"organization={team.client.id}") == {theirs.id}
    assert board("label=qa") == {mine.id, theirs.id}
    assert board("label=qa&priority=1") == {mine.id}
    assert board("escalated=true") == {nobody.id}
    assert board("escalated=false&label=ramp") == {theirs.id}


@pytest.mark.parametrize(
    "query", ["priority=5", "priority=high", "assignee=me", "escalated=maybe", f"label={'x' * 41}"]
)
def test_a_bad_board_filter_is_a_clear_400(team, query):
    client = Client()
    client.force_login(team.client_member)
    answer = client.get(f"/api/rooms/{team.shared.id}/workitems/?{query}")
    assert answer.status_code in (400, 413)
    assert answer.json()["error"]["code"] in ("invalid", "too_large")


def test_my_work_lists_what_i_raised_across_rooms_whoever_does_it_but_not_finished_work(team):
    shared = create(team, assignee=team.client_member.id)
    internal = check_create_work_item(
        team.supplier_member, room_id=team.supplier_internal.id, title="Internal margin review"
    )
    finished = create(team, title="Done already")
    update(team.supplier_member, finished, status="done")
    theirs = check_create_work_item(team.client_member, room_id=team.shared.id, title="Client's")
    work = my_work(team.supplier_member)
    assert {i["id"] for i in work["raised"]} == {shared.id, internal.id}
    assert work["items"] == []
    client_work = my_work(team.client_member)
    assert {i["id"] for i in client_work["items"]} == {shared.id}
    # The supplier's internal room stays out of the client's view entirely.
    assert {i["id"] for i in client_work["raised"]} == {theirs.id}


@pytest.mark.django_db(transaction=True)
async def test_work_item_frames_over_the_socket_reach_the_other_side(live_team, connect):
    creator = await connect(live_team.supplier_member)
    other = await connect(live_team.client_member)
    await other.send({"type": "subscribe", "room": live_team.shared.id})
    await other.expect("subscribed")
    await creator.send(
        {"type": "workitem.create", "room": live_team.shared.id, "title": "Pallets", "ref": "w"}
    )
    created = await other.expect("workitem.created")
    ok = await creator.expect("ok", op="workitem.create")
    assert created["item"]["id"] == ok["id"] and created["item"]["title"] == "Pallets"
    await other.send(
        {
            "type": "workitem.update",
            "room": live_team.shared.id,
            "id": ok["id"],
            "changes": {"status": "in_progress", "assignee": live_team.client_member.id},
        }
    )
    updated = await other.expect("workitem.updated")
    await other.drain()
    assert any(f["type"] == "ok" and f["op"] == "workitem.update" for f in other.frames)
    assert updated["seq"] == created["seq"] + 1
    assert updated["item"]["assignee"]["org"]["id"] == live_team.client.id
    await other.send(
        {
            "type": "workitem.update",
            "room": live_team.shared.id,
            "id": ok["id"],
            "changes": {"status": "nope"},
        }
    )
    assert (await other.expect("error"))["code"] == "invalid"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_people_changing_one_work_item_at_once_lose_nothing(live_team):
    item = check_create_work_item(
        live_team.supplier_member, room_id=live_team.shared.id, title="Contended"
    )
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def change(person, changes):
        try:
            start.wait()
            check_update_work_item(
                person,
                room_id=live_team.shared.id,
                item_id=item.id,
                changes=parse(WorkItemChanges, changes),
            )
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=change, args=(live_team.supplier_member, {"priority": 1})),
        threading.Thread(target=change, args=(live_team.client_member, {"status": "in_progress"})),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    item = WorkItem.objects.get(pk=item.pk)
    assert (item.priority, item.status, item.version) == (1, "in_progress", 3)
    updates = list(
        RoomEvent.objects.filter(room=live_team.shared, type="workitem.updated").order_by("seq")
    )
    assert len(updates) == 2
    assert updates[1].seq == updates[0].seq + 1
    # Each event shows the state after its own change, in commit order.
    assert [u.payload["item"]["version"] for u in updates] == [2, 3]
    assert {next(iter(u.payload["changes"])) for u in updates} == {"priority", "status"}
    assert updates[1].payload["item"]["priority"] == 1
    assert updates[1].payload["item"]["status"] == "in_progress"
