"""Escalations: fan-out to each side, per-side rooms, isolation, the acknowledgement clock, HTTP."""

from __future__ import annotations

import datetime
import json
import re
import threading

import pytest
from asgiref.sync import sync_to_async
from django.db import connections
from django.test import Client

from hub.errors import Conflict, Invalid, NotFound
from hub.models import AuditEntry
from hub.publish import room_group, user_group
from rooms import jobs
from rooms.actions import escalations
from rooms.actions.escalation_clock import run_escalation_clock
from rooms.actions.escalation_settings import check_set_ack_targets, check_set_escalation_contacts
from rooms.actions.escalations import (
    check_acknowledge_escalation,
    check_downgrade_escalation,
    check_escalate,
    check_reassign_escalation,
    check_resolve_escalation,
)
from rooms.actions.workitems import check_create_work_item
from rooms.models.log import RoomEvent
from rooms.models.messages import Message
from rooms.models.notifications import Notification
from rooms.models.rooms import Membership, Room
from rooms.models.workitems import Escalation, EscalationContact, EscalationRoom, WorkItem
from rooms.selectors.workitems import work_item_detail
from tests.conftest import make_org, make_person

RAISED = datetime.datetime(2025, 3, 3, 9, 0, tzinfo=datetime.UTC)
JSON = "application/json"


def minutes(n: int) -> datetime.timedelta:
    return datetime.timedelta(minutes=n)


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def name_contacts(admin, team, *people):
    check_set_escalation_contacts(
        admin, partnership_id=team.partnership.id, person_ids=[p.id for p in people]
    )


def name_one_contact_per_side(team):
    name_contacts(team.supplier_admin, team, team.supplier_member)
    name_contacts(team.client_admin, team, team.client_member)


def new_item(team, title="Line 3 is down"):
    return check_create_work_item(team.client_member, room_id=team.shared.id, title=title)


def escalate(person, item, severity="S1", now=RAISED, reason="Production has stopped"):
    return check_escalate(
        person, room_id=item.room_id, item_id=item.id, severity=severity, reason=reason, now=now
    )


def raise_one(team, severity="S1"):
    """A fresh work item in the shared room, escalated by a client member at RAISED."""
    name_one_contact_per_side(team)
    return escalate(team.client_member, new_item(team), severity=severity)


def side_rooms(item) -> dict[int, Room]:
    """Each side's escalation room for the item, by organization id."""
    return {
        er.organization_id: er.room
        for er in EscalationRoom.objects.filter(work_item=item).select_related("room")
    }


def member_ids(room) -> set[int]:
    return set(Membership.objects.active().filter(room=room).values_list("user_id", flat=True))


def item_updates(room) -> list[dict]:
    return list(
        RoomEvent.objects.filter(room=room, type="workitem.updated")
        .order_by("seq")
        .values_list("payload", flat=True)
    )


def audited(escalation) -> list[tuple[str, int | None]]:
    return list(
        AuditEntry.objects.filter(target_type="escalation", target_id=escalation.id)
        .order_by("created_at")
        .values_list("action", "actor_id")
    )


def unacknowledged_notices() -> list[tuple[int, int]]:
    return sorted(
        Notification.objects.filter(kind="escalation.unacknowledged").values_list(
            "person_id", "room_id"
        )
    )


def room_refs(frames) -> set[int]:
    """Every id under a key naming a room ("room", "room_id", ...), anywhere in the frames."""
    text = json.dumps(frames, separators=(",", ":"))
    return {int(n) for n in re.findall(r'"[a-z_]*room[a-z_]*":(\d+)', text)}


# --- fan-out --------------------------------------------------------------------------


def test_escalation_notifies_each_sides_contacts_in_app_live_and_by_email(
    team, published, mailoutbox
):
    name_one_contact_per_side(team)
    item = new_item(team)
    with published.capture():
        escalate(team.supplier_admin, item)
    rooms = side_rooms(item)
    supplier_room, client_room = rooms[team.supplier.id].id, rooms[team.client.id].id
    notified = Notification.objects.values_list("person_id", "kind", "room_id", "work_item_id")
    assert sorted(notified) == sorted(
        [
            (team.supplier_member.id, "escalation.raised", supplier_room, item.id),
            (team.client_member.id, "escalation.raised", client_room, item.id),
        ]
    )
    title = "S1 escalation: Line 3 is down"
    live = {
        person.id: [
            # Each contact's side room appears on their pages (room.added), then the notice.
            (f["type"], f["room"]["name"], f["room"]["id"])
            if f["type"] == "room.added"
            else (f["type"], f["title"], f["room"])
            for f in published.frames(user_group(person.id))
        ]
        for person in (
            team.supplier_member,
            team.client_member,
            team.supplier_admin,
            team.client_admin,
        )
    }
    supplier_name = Room.objects.get(pk=supplier_room).name
    client_name = Room.objects.get(pk=client_room).name
    assert live == {
        team.supplier_member.id: [
            ("room.added", supplier_name, supplier_room),
            ("notification", title, supplier_room),
        ],
        team.client_member.id: [
            ("room.added", client_name, client_room),
            ("notification", title, client_room),
        ],
        # The raiser is in their side's room too: it appears on their pages, untold.
        team.supplier_admin.id: [("room.added", supplier_name, supplier_room)],
        team.client_admin.id: [],
    }
    assert len(mailoutbox) == 2
    mails = {m.to[0]: m for m in mailoutbox}
    assert [
        (
            mails[person.email].to,
            mails[person.email].subject,
            f"/rooms/{room}/" in mails[person.email].body,
        )
        for person, room in (
            (team.supplier_member, supplier_room),
            (team.client_member, client_room),
        )
    ] == [
        ([team.supplier_member.email], f"[Causeway] {title}", True),
        ([team.client_member.email], f"[Causeway] {title}", True),
    ]


def test_escalation_and_reminder_mails_link_to_each_sides_room_under_site_url(
    team, published, mailoutbox, settings
):
    # SITE_URL is where people reach the hub (`make run` sets it from its
    # address; production exports the public URL).
    settings.SITE_URL = "https://causeway.example.com"
    with published.capture():
        escalation = raise_one(team)
    with published.capture():
        run_escalation_clock(now=RAISED + minutes(31))
    rooms = side_rooms(escalation.work_item)
    expected = {
        team.supplier_member.email: rooms[team.supplier.id].id,
        team.client_member.email: rooms[team.client.id].id,
    }

    assert len(mailoutbox) == 4  # raised and unacknowledged, to each side
    for mail in mailoutbox:
        (address,) = mail.to
        links = re.findall(r"https?://\S+", mail.body)
        assert links == [f"https://causeway.example.com/rooms/{expected[address]}/"], mail.body


def test_a_side_that_named_no_contacts_has_its_admins_notified_instead(team, published, mailoutbox):
    name_contacts(team.supplier_admin, team, team.supplier_member)
    name_contacts(team.client_admin, team)  # the client names nobody
    second_admin = make_person(team.client, admin=True)
    item = new_item(team)
    with published.capture():
        escalate(team.supplier_admin, item)
    client_room = side_rooms(item)[team.client.id]
    assert sorted(Notification.objects.values_list("person_id", "room_id")) == sorted(
        [
            (team.supplier_member.id, side_rooms(item)[team.supplier.id].id),
            (team.client_admin.id, client_room.id),
            (second_admin.id, client_room.id),
        ]
    )
    # Added to their side's escalation room (it appears on their pages), then told.
    assert [f["type"] for f in published.frames(user_group(team.client_admin.id))] == [
        "room.added",
        "notification",
    ]
    assert [f["type"] for f in published.frames(user_group(second_admin.id))] == [
        "room.added",
        "notification",
    ]
    assert published.frames(user_group(team.client_member.id)) == []
    assert sorted(address for m in mailoutbox for address in m.to) == sorted(
        [team.supplier_member.email, team.client_admin.email, second_admin.email]
    )
    assert member_ids(client_room) == {team.client_admin.id, second_admin.id}


# --- per-side rooms -------------------------------------------------------------------


def test_each_side_gets_its_own_internal_escalation_room_with_only_its_people(team):
    name_one_contact_per_side(team)
    item = new_item(team)
    escalate(team.supplier_admin, item)
    rooms = side_rooms(item)
    supplier_room, client_room = rooms[team.supplier.id], rooms[team.client.id]
    assert len(rooms) == 2
    assert (supplier_room.kind, supplier_room.organization_id, supplier_room.partnership_id) == (
        Room.Kind.INTERNAL,
        team.supplier.id,
        None,
    )
    assert (client_room.kind, client_room.organization_id, client_room.partnership_id) == (
        Room.Kind.INTERNAL,
        team.client.id,
        None,
    )
    # The contact, plus the escalator on their own side; nobody from across.
    assert member_ids(supplier_room) == {team.supplier_member.id, team.supplier_admin.id}
    assert member_ids(client_room) == {team.client_member.id}
    notices = Message.objects.filter(kind=Message.Kind.NOTICE).values_list("room_id", "body")
    assert sorted(room for room, _ in notices) == sorted([supplier_room.id, client_room.id])
    assert all("**S1 escalation** raised by" in body for _, body in notices)


def test_escalating_the_same_work_item_again_reuses_each_sides_room(team):
    name_one_contact_per_side(team)
    item = new_item(team)
    first = escalate(team.supplier_admin, item)
    before = {org: room.id for org, room in side_rooms(item).items()}
    check_resolve_escalation(team.supplier_admin, escalation_id=first.id)
    rooms_count = Room.objects.count()
    second = escalate(team.client_admin, item, severity="S2", now=RAISED + minutes(24 * 60))
    after = side_rooms(item)
    assert second.id != first.id
    assert {org: room.id for org, room in after.items()} == before
    assert Room.objects.count() == rooms_count
    assert EscalationRoom.objects.filter(work_item=item).count() == 2
    # This time the client admin escalated: they join their side's existing room.
    assert member_ids(after[team.client.id]) == {team.client_member.id, team.client_admin.id}
    assert Message.objects.filter(room=after[team.client.id], kind="notice").count() == 2


# --- isolation ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_neither_side_receives_anything_about_the_other_sides_escalation_room(
    live_team, connect
):
    team = live_team
    await sync_to_async(name_one_contact_per_side)(team)
    item = await sync_to_async(new_item)(team)
    supplier = await connect(team.supplier_member)
    client = await connect(team.client_member)
    for sock in (supplier, client):
        await sock.send({"type": "subscribe", "room": team.shared.id})
        await sock.expect("subscribed", room=team.shared.id)
        await sock.drain()
    await sync_to_async(escalate)(team.supplier_admin, item)
    rooms = await sync_to_async(side_rooms)(item)
    supplier_room, client_room = rooms[team.supplier.id].id, rooms[team.client.id].id
    for sock in (supplier, client):
        await sock.expect("workitem.updated", room=team.shared.id)
        await sock.drain()

    assert [f["room"] for f in supplier.frames if f["type"] == "notification"] == [supplier_room]
    assert [f["room"] for f in client.frames if f["type"] == "notification"] == [client_room]
    assert client_room not in room_refs(supplier.frames)
    assert supplier_room not in room_refs(client.frames)
    assert "Client only." not in json.dumps(supplier.frames)
    assert "Supplier only." not in json.dumps(client.frames)
    # The shared room's event marks the item but names no escalation room.
    update = [f for f in client.frames if f["type"] == "workitem.updated"][-1]
    assert update["changes"] == {"escalation": [None, "S1 open"]}
    assert room_refs(update) == {team.shared.id}

    await client.send({"type": "subscribe", "room": supplier_room})
    assert (await client.expect("error"))["code"] == "not_found"
    await supplier.send({"type": "subscribe", "room": client_room})
    assert (await supplier.expect("error"))["code"] == "not_found"


def test_the_other_side_cannot_read_an_escalation_room_over_http(team):
    name_one_contact_per_side(team)
    item = new_item(team)
    escalate(team.supplier_admin, item)
    rooms = side_rooms(item)
    supplier_room, client_room = rooms[team.supplier.id].id, rooms[team.client.id].id
    assert (
        login(team.supplier_member).get(f"/api/rooms/{supplier_room}/messages/").status_code == 200
    )
    assert login(team.client_member).get(f"/api/rooms/{supplier_room}/messages/").status_code == 404
    assert login(team.client_admin).get(f"/api/rooms/{supplier_room}/messages/").status_code == 404
    assert login(team.supplier_admin).get(f"/api/rooms/{client_room}/messages/").status_code == 404
    client_sees = [
        login(team.client_member).get("/api/notifications/").json(),
        login(team.client_member).get("/api/rooms/").json(),
        login(team.client_admin).get(f"/api/rooms/{team.shared.id}/workitems/{item.id}/").json(),
        login(team.client_admin).get(f"/api/rooms/{team.shared.id}/workitems/").json(),
    ]
    assert supplier_room not in room_refs(client_sees)
    assert client_room in room_refs(client_sees[0])


# --- the work item is marked ----------------------------------------------------------


def test_escalating_marks_the_work_item_with_an_event_on_the_rooms_sequence(team, published):
    item = new_item(team)
    with published.capture():
        escalate(team.client_member, item, severity="S2")
    detail = work_item_detail(team.supplier_member, team.shared.id, item.id)
    shown = detail["item"]["escalation"]
    assert (shown["severity"], shown["status"], shown["breached"]) == ("S2", "open", False)
    assert shown["raised_by"]["id"] == team.client_member.id
    assert shown["ack_due_at"] == (RAISED + minutes(240)).isoformat()
    assert detail["history"][-1]["changes"] == {"escalation": [None, "S2 open"]}
    logged = list(RoomEvent.objects.filter(room=team.shared).order_by("seq"))
    assert [e.seq for e in logged] == list(
        range(1, Room.objects.get(pk=team.shared.pk).last_seq + 1)
    )
    assert logged[-1].type == "workitem.updated"
    assert logged[-1].payload["changes"] == {"escalation": [None, "S2 open"]}
    assert published.frames(room_group(team.shared.id)) == [logged[-1].payload]


# --- acknowledge, reassign, downgrade, resolve ---------------------------------------------


def test_acknowledging_records_who_and_when_and_updates_the_work_item(team):
    escalation = raise_one(team)
    check_acknowledge_escalation(
        team.supplier_member, escalation_id=escalation.id, now=RAISED + minutes(5)
    )
    escalation.refresh_from_db()
    assert (escalation.status, escalation.acknowledged_by_id, escalation.acknowledged_at) == (
        "acknowledged",
        team.supplier_member.id,
        RAISED + minutes(5),
    )
    assert audited(escalation)[-1] == ("escalation.acknowledged", team.supplier_member.id)
    update = item_updates(team.shared)[-1]
    assert update["changes"] == {"escalation": ["S1 open", "S1 acknowledged"]}
    assert update["item"]["escalation"]["acknowledged_by"]["id"] == team.supplier_member.id


def test_reassigning_hands_the_work_item_to_a_room_member_of_either_side(team):
    escalation = raise_one(team)
    check_reassign_escalation(
        team.client_admin, escalation_id=escalation.id, person_id=team.supplier_member.id
    )
    assert WorkItem.objects.get(pk=escalation.work_item_id).assignee_id == team.supplier_member.id
    assert audited(escalation)[-1] == ("escalation.reassigned", team.client_admin.id)
    assert item_updates(team.shared)[-1]["changes"] == {
        "assignee": [None, team.supplier_member.id],
        "escalation": ["S1 open", "S1 open"],
    }
    outside_the_room = make_person(team.client)
    with pytest.raises(Invalid):
        check_reassign_escalation(
            team.client_admin, escalation_id=escalation.id, person_id=outside_the_room.id
        )


def test_downgrading_lowers_the_severity_and_moves_the_deadline_to_the_new_target(team):
    escalation = raise_one(team, severity="S1")
    check_downgrade_escalation(
        team.supplier_member, escalation_id=escalation.id, severity="S2", reason="Workaround"
    )
    escalation.refresh_from_db()
    assert escalation.severity == "S2"
    assert escalation.ack_due_at == RAISED + minutes(240)
    assert audited(escalation)[-1] == ("escalation.downgraded", team.supplier_member.id)
    entry = AuditEntry.objects.filter(action="escalation.downgraded").get()
    assert entry.data["changed"]["severity"] == ["S1", "S2"]
    assert entry.data["note"] == "Workaround"
    assert item_updates(team.shared)[-1]["changes"] == {"escalation": ["S1 open", "S2 open"]}


def test_a_downgrade_must_go_to_a_lower_severity(team):
    escalation = raise_one(team, severity="S3")
    events_before = len(item_updates(team.shared))
    with pytest.raises(Invalid):
        check_downgrade_escalation(team.supplier_member, escalation_id=escalation.id, severity="S2")
    with pytest.raises(Invalid):
        check_downgrade_escalation(team.supplier_member, escalation_id=escalation.id, severity="S3")
    escalation.refresh_from_db()
    assert escalation.severity == "S3"
    assert len(item_updates(team.shared)) == events_before


def test_resolving_closes_the_escalation_and_clears_it_from_the_work_item(team):
    escalation = raise_one(team)
    check_resolve_escalation(
        team.client_admin, escalation_id=escalation.id, note="Fixed", now=RAISED + minutes(60)
    )
    escalation.refresh_from_db()
    assert (escalation.status, escalation.resolved_by_id, escalation.resolved_at) == (
        "resolved",
        team.client_admin.id,
        RAISED + minutes(60),
    )
    assert audited(escalation)[-1] == ("escalation.resolved", team.client_admin.id)
    update = item_updates(team.shared)[-1]
    assert update["changes"] == {"escalation": ["S1 open", "S1 resolved"]}
    assert update["item"]["escalation"] is None
    detail = work_item_detail(team.client_member, team.shared.id, escalation.work_item_id)
    assert detail["item"]["escalation"] is None


def test_acknowledging_twice_is_a_conflict(team):
    escalation = raise_one(team)
    check_acknowledge_escalation(team.supplier_member, escalation_id=escalation.id)
    with pytest.raises(Conflict):
        check_acknowledge_escalation(team.client_member, escalation_id=escalation.id)
    escalation.refresh_from_db()
    assert escalation.acknowledged_by_id == team.supplier_member.id
    assert [a for a, _ in audited(escalation)].count("escalation.acknowledged") == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_people_acknowledging_at_once_one_wins_and_the_other_gets_conflict(
    live_team, monkeypatch
):
    escalation = raise_one(live_team)
    # Both read the escalation as open before either writes.
    both_read = threading.Barrier(2, timeout=10)
    real_access = escalations.access_escalation

    def access_then_wait(actor, escalation_id):
        found = real_access(actor, escalation_id)
        both_read.wait()
        return found

    monkeypatch.setattr(escalations, "access_escalation", access_then_wait)
    outcomes: dict[str, str] = {}

    def acknowledge(person):
        try:
            check_acknowledge_escalation(person, escalation_id=escalation.id)
            outcomes[person.email] = "ok"
        except Conflict:
            outcomes[person.email] = "conflict"
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=acknowledge, args=(person,))
        for person in (live_team.supplier_member, live_team.client_member)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(outcomes.values()) == ["conflict", "ok"]
    assert [a for a, _ in audited(escalation)].count("escalation.acknowledged") == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_downgrade_that_lands_after_a_lower_one_cannot_raise_the_severity(live_team, monkeypatch):
    escalation = raise_one(live_team)
    # Both read S1; the S1 -> S3 downgrade commits first, then the S1 -> S2 one proceeds.
    both_read = threading.Barrier(2, timeout=10)
    first_done = threading.Event()
    go = {live_team.supplier_member.id: threading.Event(), live_team.client_member.id: first_done}
    go[live_team.supplier_member.id].set()
    real_access = escalations.access_escalation

    def access_then_wait(actor, escalation_id):
        found = real_access(actor, escalation_id)
        both_read.wait()
        go[actor.id].wait(timeout=10)
        return found

    monkeypatch.setattr(escalations, "access_escalation", access_then_wait)
    outcomes: dict[str, str] = {}

    def downgrade(person, severity, done):
        try:
            check_downgrade_escalation(person, escalation_id=escalation.id, severity=severity)
            outcomes[severity] = "ok"
        except Invalid:
            outcomes[severity] = "invalid"
        finally:
            done.set()
            connections.close_all()

    threads = [
        threading.Thread(target=downgrade, args=(live_team.supplier_member, "S3", first_done)),
        threading.Thread(target=downgrade, args=(live_team.client_member, "S2", threading.Event())),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert outcomes == {"S3": "ok", "S2": "invalid"}
    escalation.refresh_from_db()
    assert escalation.severity == "S3"
    assert escalation.ack_due_at == RAISED + minutes(1440)


@pytest.mark.parametrize(
    "act",
    [
        lambda team, e: check_acknowledge_escalation(team.client_admin, escalation_id=e),
        lambda team, e: check_reassign_escalation(
            team.client_admin, escalation_id=e, person_id=team.client_member.id
        ),
        lambda team, e: check_downgrade_escalation(
            team.client_admin, escalation_id=e, severity="S2"
        ),
        lambda team, e: check_resolve_escalation(team.client_admin, escalation_id=e),
    ],
    ids=["acknowledge", "reassign", "downgrade", "resolve"],
)
def test_acting_on_a_resolved_escalation_is_a_conflict(team, act):
    escalation = raise_one(team)
    check_resolve_escalation(team.supplier_admin, escalation_id=escalation.id)
    events_before = len(item_updates(team.shared))
    with pytest.raises(Conflict):
        act(team, escalation.id)
    assert Escalation.objects.get(pk=escalation.id).status == "resolved"
    assert len(item_updates(team.shared)) == events_before


@pytest.mark.parametrize(
    "act",
    [
        lambda person, e: check_acknowledge_escalation(person, escalation_id=e),
        lambda person, e: check_reassign_escalation(person, escalation_id=e, person_id=person.id),
        lambda person, e: check_downgrade_escalation(person, escalation_id=e, severity="S2"),
        lambda person, e: check_resolve_escalation(person, escalation_id=e),
    ],
    ids=["acknowledge", "reassign", "downgrade", "resolve"],
)
def test_a_person_of_an_unrelated_organization_gets_not_found(team, act):
    escalation = raise_one(team)
    outsider = make_person(make_org("Unrelated"), admin=True)
    with pytest.raises(NotFound):
        act(outsider, escalation.id)
    assert Escalation.objects.get(pk=escalation.id).status == "open"


def test_escalating_an_already_escalated_work_item_is_a_conflict(team):
    escalation = raise_one(team)
    item = WorkItem.objects.get(pk=escalation.work_item_id)
    with pytest.raises(Conflict):
        escalate(team.supplier_member, item, severity="S2")
    assert list(Escalation.objects.values_list("id", flat=True)) == [escalation.id]


# --- the acknowledgement clock ------------------------------------------------------------


def test_clock_does_nothing_before_the_target_and_flags_the_escalation_once_past_it(
    team, published, mailoutbox
):
    escalation = raise_one(team)  # S1: 30 minutes by default
    rooms = side_rooms(escalation.work_item)
    assert run_escalation_clock(now=RAISED + minutes(29)) == []
    escalation.refresh_from_db()
    assert (escalation.breached_at, escalation.notify_count) == (None, 1)
    assert unacknowledged_notices() == []

    with published.capture():
        assert run_escalation_clock(now=RAISED + minutes(31)) == [escalation.id]
    escalation.refresh_from_db()
    assert (escalation.breached_at, escalation.notify_count) == (RAISED + minutes(31), 2)
    assert unacknowledged_notices() == sorted(
        [
            (team.supplier_member.id, rooms[team.supplier.id].id),
            (team.client_member.id, rooms[team.client.id].id),
        ]
    )
    update = item_updates(team.shared)[-1]
    assert update["changes"] == {"escalation": ["S1 open", "S1 open (late)"]}
    assert update["item"]["escalation"]["breached"] is True
    assert [f["kind"] for f in published.frames(user_group(team.client_member.id))] == [
        "escalation.unacknowledged"
    ]
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        [team.supplier_member.email, team.client_member.email]
    )
    assert all(m.subject == "[Causeway] Unacknowledged S1: Line 3 is down" for m in mailoutbox)


def test_clock_renotifies_every_interval_while_unacknowledged(team, settings):
    settings.CAUSEWAY_ESCALATION_RENOTIFY_MINUTES = 15
    escalation = raise_one(team)
    assert run_escalation_clock(now=RAISED + minutes(31)) == [escalation.id]
    late_events = len(item_updates(team.shared))

    assert run_escalation_clock(now=RAISED + minutes(36)) == []
    assert len(unacknowledged_notices()) == 2
    assert run_escalation_clock(now=RAISED + minutes(47)) == [escalation.id]
    escalation.refresh_from_db()
    assert escalation.notify_count == 3
    assert escalation.breached_at == RAISED + minutes(31)
    assert len(unacknowledged_notices()) == 4
    # Flagged late once; re-notifying adds no further room event.
    assert len(item_updates(team.shared)) == late_events


def test_the_renotify_interval_is_a_setting(team, settings):
    settings.CAUSEWAY_ESCALATION_RENOTIFY_MINUTES = 5
    escalation = raise_one(team)
    run_escalation_clock(now=RAISED + minutes(31))
    assert run_escalation_clock(now=RAISED + minutes(35)) == []
    assert run_escalation_clock(now=RAISED + minutes(36)) == [escalation.id]


def test_an_acknowledged_escalation_is_never_renotified(team):
    escalation = raise_one(team)
    run_escalation_clock(now=RAISED + minutes(31))
    check_acknowledge_escalation(
        team.client_admin, escalation_id=escalation.id, now=RAISED + minutes(33)
    )
    assert run_escalation_clock(now=RAISED + minutes(60)) == []
    assert run_escalation_clock(now=RAISED + minutes(60 * 24 * 7)) == []
    escalation.refresh_from_db()
    assert escalation.notify_count == 2
    assert len(unacknowledged_notices()) == 2


def test_a_partnerships_ack_target_sets_the_deadline(team):
    check_set_ack_targets(team.client_admin, partnership_id=team.partnership.id, targets={"S1": 10})
    escalation = raise_one(team)
    assert escalation.ack_due_at == RAISED + minutes(10)
    assert run_escalation_clock(now=RAISED + minutes(9)) == []
    assert run_escalation_clock(now=RAISED + minutes(11)) == [escalation.id]


def test_jobs_tick_runs_the_escalation_clock(team):
    escalation = raise_one(team)
    assert jobs.tick(now=RAISED + minutes(29))["escalations_notified"] == []
    assert jobs.tick(now=RAISED + minutes(31))["escalations_notified"] == [escalation.id]
    escalation.refresh_from_db()
    assert escalation.breached_at == RAISED + minutes(31)


# --- HTTP ---------------------------------------------------------------------------------


def test_http_escalate_then_acknowledge(team):
    item = new_item(team)
    raised = login(team.client_member).post(
        f"/api/rooms/{team.shared.id}/workitems/{item.id}/escalate/",
        {"severity": "S2", "reason": "Orders are stuck"},
        content_type=JSON,
    )
    assert raised.status_code == 201
    body = raised.json()["escalation"]
    assert (body["severity"], body["status"], body["reason"]) == ("S2", "open", "Orders are stuck")
    assert body["raised_by"]["id"] == team.client_member.id
    acknowledged = login(team.supplier_member).post(
        f"/api/escalations/{body['id']}/acknowledge/", {}, content_type=JSON
    )
    assert acknowledged.status_code == 200
    assert acknowledged.json()["escalation"]["status"] == "acknowledged"
    assert acknowledged.json()["escalation"]["acknowledged_by"]["id"] == team.supplier_member.id


def test_http_notifications_list_the_persons_own_and_mark_them_read(team):
    escalation = raise_one(team)
    client = login(team.supplier_member)
    listed = client.get("/api/notifications/").json()["notifications"]
    assert [(n["kind"], n["work_item"], n["read"]) for n in listed] == [
        ("escalation.raised", escalation.work_item_id, False)
    ]
    # It opens the work item in the item's own room, not in the escalation room.
    assert listed[0]["work_item_room"] == team.shared.id
    assert listed[0]["room"] != team.shared.id
    marked = client.post("/api/notifications/", {"ids": "all"}, content_type=JSON)
    assert marked.json() == {"marked_read": 1}
    assert client.get("/api/notifications/", {"unread": "1"}).json() == {"notifications": []}
    assert [n["read"] for n in client.get("/api/notifications/").json()["notifications"]] == [True]
    assert Notification.objects.get(person=team.client_member).read_at is None


def test_http_only_an_admin_names_contacts_and_only_of_their_own_organization(team):
    url = f"/api/partnerships/{team.partnership.id}/escalation-contacts/"
    by_member = login(team.client_member).post(
        url, {"people": [team.client_member.id]}, content_type=JSON
    )
    assert by_member.status_code == 403
    wrong_org = login(team.client_admin).post(
        url, {"people": [team.supplier_member.id]}, content_type=JSON
    )
    assert wrong_org.status_code == 400
    assert EscalationContact.objects.count() == 0
    named = login(team.client_admin).post(
        url, {"people": [team.client_member.id]}, content_type=JSON
    )
    assert named.json() == {"people": [team.client_member.id]}
    assert list(EscalationContact.objects.values_list("organization_id", "person_id")) == [
        (team.client.id, team.client_member.id)
    ]


def test_http_ack_targets_are_set_by_an_admin(team):
    url = f"/api/partnerships/{team.partnership.id}/ack-targets/"
    by_member = login(team.supplier_member).post(url, {"targets": {"S1": 10}}, content_type=JSON)
    assert by_member.status_code == 403
    by_admin = login(team.supplier_admin).post(url, {"targets": {"S1": 10}}, content_type=JSON)
    assert by_admin.json() == {"targets": {"S1": 10, "S2": 240, "S3": 1440}}


# --- telling both sides, open escalations -------------------------------------------------


def notified(kind: str) -> list[int]:
    return sorted(Notification.objects.filter(kind=kind).values_list("person_id", flat=True))


def room_notices(room) -> list[tuple[int, str]]:
    return list(
        Message.objects.filter(room=room, kind="notice", thread_root=None)
        .order_by("seq")
        .values_list("author_id", "body")
    )


def test_acknowledging_tells_whoever_raised_it_and_says_so_in_the_items_room(
    team, mailoutbox, django_capture_on_commit_callbacks
):
    escalation = raise_one(team)
    with django_capture_on_commit_callbacks(execute=True):
        check_acknowledge_escalation(team.supplier_member, escalation_id=escalation.id)
    assert notified("escalation.acknowledged") == [team.client_member.id]
    told = Notification.objects.get(kind="escalation.acknowledged")
    assert (told.room_id, told.work_item_id) == (team.shared.id, escalation.work_item_id)
    assert told.title == "S1 escalation acknowledged by Sue Supplier: Line 3 is down"
    assert room_notices(team.shared) == [
        (
            team.supplier_member.id,
            "**S1 escalation acknowledged** by Sue Supplier (Supplier) on *Line 3 is down*.",
        )
    ]
    assert [m.to for m in mailoutbox][-1] == [team.client_member.email]


def test_acknowledging_your_own_escalation_tells_nobody_but_still_posts_the_notice(team):
    escalation = raise_one(team)
    check_acknowledge_escalation(team.client_member, escalation_id=escalation.id)
    assert notified("escalation.acknowledged") == []
    assert len(room_notices(team.shared)) == 1


def test_resolving_tells_the_raiser_and_the_assignee_with_the_note_never_the_resolver(team):
    escalation = raise_one(team)
    check_reassign_escalation(
        team.client_admin, escalation_id=escalation.id, person_id=team.supplier_member.id
    )
    check_resolve_escalation(
        team.supplier_admin, escalation_id=escalation.id, note="Spare valve fitted"
    )
    assert notified("escalation.resolved") == sorted(
        [team.client_member.id, team.supplier_member.id]
    )
    assert set(
        Notification.objects.filter(kind="escalation.resolved").values_list("body", flat=True)
    ) == {"Spare valve fitted"}
    assert room_notices(team.shared)[-1] == (
        team.supplier_admin.id,
        "**S1 escalation resolved** by Sam Supplier-Admin (Supplier) on *Line 3 is down*: "
        "Spare valve fitted",
    )


def test_the_resolver_who_raised_it_and_has_the_work_is_not_told_of_their_own_act(team):
    escalation = raise_one(team)
    check_reassign_escalation(
        team.client_member, escalation_id=escalation.id, person_id=team.client_member.id
    )
    check_resolve_escalation(team.client_member, escalation_id=escalation.id, note="Done")
    assert notified("escalation.resolved") == []


def test_someone_who_left_the_room_is_not_told_of_the_resolution(team):
    escalation = raise_one(team)
    Membership.objects.filter(room=team.shared, user=team.client_member).update(left_at=RAISED)
    check_resolve_escalation(team.supplier_admin, escalation_id=escalation.id, note="Fixed")
    assert notified("escalation.resolved") == []


def test_http_resolving_needs_a_note(team):
    escalation = raise_one(team)
    client = login(team.supplier_member)
    for body in ({}, {"note": ""}, {"note": "   "}):
        refused = client.post(f"/api/escalations/{escalation.id}/resolve/", body, content_type=JSON)
        assert refused.status_code == 400
        assert refused.json()["error"]["code"] == "invalid"
    assert Escalation.objects.get(pk=escalation.id).status == "open"
    done = client.post(
        f"/api/escalations/{escalation.id}/resolve/", {"note": "Fixed"}, content_type=JSON
    )
    assert done.status_code == 200
    assert done.json()["escalation"]["status"] == "resolved"


def test_the_raise_notice_gives_the_deadline_as_a_span_not_a_clock_time(team):
    escalation = raise_one(team, severity="S2")
    rooms = side_rooms(escalation.work_item)
    for room in rooms.values():
        body = Message.objects.get(room=room, kind="notice").body
        assert body.endswith("Acknowledge within 4 hours.")


def test_open_escalations_list_those_of_my_rooms_on_both_sides_and_nothing_else(team):
    shared = raise_one(team, severity="S2")
    internal_item = check_create_work_item(
        team.supplier_member, room_id=team.supplier_internal.id, title="Margin"
    )
    internal = check_escalate(
        team.supplier_member,
        room_id=team.supplier_internal.id,
        item_id=internal_item.id,
        severity="S1",
        reason="Internal only",
    )
    resolved = escalate(team.client_member, new_item(team, title="Old"), severity="S3")
    check_resolve_escalation(team.client_member, escalation_id=resolved.id, note="Gone")

    def listed(person) -> list[int]:
        answer = login(person).get("/api/escalations/")
        assert answer.status_code == 200
        return [i["escalation"]["id"] for i in answer.json()["items"]]

    # Most severe first; the supplier's internal escalation only for the supplier.
    assert listed(team.supplier_member) == [internal.id, shared.id]
    assert listed(team.client_member) == [shared.id]
    assert listed(make_person(make_org())) == []
