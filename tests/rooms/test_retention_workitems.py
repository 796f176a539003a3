"""Retention of work items' text: an organization's period removes what its own people
wrote in a work item untouched for that long (title, description, their history, the
events that carried them, the thread root and every copy), never what the partner's
people wrote; holds suspend it; the sequence stays gapless; runs are idempotent."""

from __future__ import annotations

import datetime
import json
import threading

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.test import Client
from django.utils import timezone

from hub.models import AuditEntry
from rooms.actions.archiving import check_archive_room
from rooms.actions.escalation_settings import check_set_escalation_contacts
from rooms.actions.escalations import check_escalate, check_resolve_escalation
from rooms.actions.retention import (
    check_lift_hold,
    check_place_hold,
    check_set_retention,
    do_apply_retention,
)
from rooms.actions.workitem_retention import do_remove_work_item_text
from rooms.actions.workitems import check_create_work_item, check_update_work_item
from rooms.bridge.mirrors import check_create_mirror
from rooms.bridge.relay import relay_all
from rooms.models.log import RoomEvent
from rooms.models.messages import Message
from rooms.models.notifications import Notification
from rooms.models.rooms import Room
from rooms.models.workitems import (
    REMOVED_TEXT,
    Escalation,
    EscalationRoom,
    WorkItem,
    WorkItemChange,
)
from rooms.schemas import WorkItemChanges
from rooms.selectors.messages import events_after
from tests.conftest import make_internal_room, make_org, make_person, say


def days(n: int) -> datetime.datetime:
    """A moment ``n`` days from now: the job's clock, moved forward."""
    return timezone.now() + datetime.timedelta(days=n)


def create(person, room, title, description=""):
    return check_create_work_item(person, room_id=room.id, title=title, description=description)


def update(person, item, **changes):
    return check_update_work_item(
        person, room_id=item.room_id, item_id=item.id, changes=WorkItemChanges(**changes)
    )


def fresh(item: WorkItem) -> WorkItem:
    return WorkItem.objects.get(pk=item.pk)


def history(item: WorkItem) -> list[dict]:
    return [c.changes for c in WorkItemChange.objects.filter(work_item=item).order_by("seq")]


def kept_anywhere(room: Room) -> str:
    """Everything a member of ``room`` can be given again: its event log (replay), its
    messages, its work items and their history."""
    return json.dumps(
        [
            list(RoomEvent.objects.filter(room=room).values_list("payload", flat=True)),
            list(Message.objects.filter(room=room).values_list("body", "body_html")),
            list(WorkItem.objects.filter(room=room).values_list("title", "description")),
            list(
                WorkItemChange.objects.filter(work_item__room=room).values_list(
                    "changes", flat=True
                )
            ),
        ]
    )


def runs(org) -> list[dict]:
    return [
        e.data
        for e in AuditEntry.objects.filter(organization=org, action="retention.run").order_by(
            "created_at", "pk"
        )
    ]


def test_a_work_item_loses_its_own_peoples_text_and_keeps_the_partners(team):
    item = create(team.supplier_member, team.shared, "Alloy 7 recipe", "Nickel 12 percent")
    update(team.client_member, item, description="Client needs it by March")
    update(team.supplier_member, item, status="in_progress", priority=1)
    reply = say(team.client_member, team.shared, "Client reply", thread=item.thread_root)
    ours = say(team.supplier_member, team.shared, "Supplier reply", thread=item.thread_root)
    check_set_retention(team.supplier_admin, shared_days=30, internal_days=None)

    assert do_apply_retention(days(29)) == {}
    # The reply is a message (removed as one), the item's text its own removal.
    assert do_apply_retention(days(31)) == {team.supplier.id: 2}

    now = fresh(item)
    assert now.title == REMOVED_TEXT
    # The description the client wrote over the supplier's stays: it is the client's.
    assert now.description == "Client needs it by March"
    assert now.status == "in_progress" and now.priority == 1
    assert history(item)[:3] == [
        {"created": [None, REMOVED_TEXT]},
        {"description": ["", "Client needs it by March"]},
        {"status": ["open", "in_progress"], "priority": [3, 1]},
    ]
    assert history(item)[3] == {"retention": [None, ["description", "title"]]}
    root = Message.objects.get(pk=item.thread_root_id)
    assert root.body == f"**Work item:** {REMOVED_TEXT}" and not root.is_deleted
    assert Message.objects.get(pk=reply.pk).body == "Client reply"
    assert Message.objects.get(pk=ours.pk).is_deleted
    kept = kept_anywhere(team.shared)
    assert "Alloy 7" not in kept and "Nickel" not in kept and "Supplier reply" not in kept
    assert "Client needs it by March" in kept and "Client reply" in kept
    assert runs(team.supplier)[-1]["work_items_shared"] == 1
    assert runs(team.supplier)[-1]["shared"] == 1
    assert runs(team.client) == []


def test_the_partners_period_removes_the_partners_words_and_leaves_ours(team):
    item = create(team.supplier_member, team.shared, "Alloy 7 recipe", "Nickel 12 percent")
    update(team.client_member, item, title="Client renamed it")
    check_set_retention(team.client_admin, shared_days=1, internal_days=None)

    assert do_apply_retention(days(2)) == {team.client.id: 1}

    now = fresh(item)
    assert now.title == REMOVED_TEXT  # the client wrote the current title
    assert now.description == "Nickel 12 percent"  # the supplier's
    assert history(item)[:2] == [
        {"created": [None, "Alloy 7 recipe"]},
        {"title": ["Alloy 7 recipe", REMOVED_TEXT]},
    ]
    root = Message.objects.get(pk=item.thread_root_id)
    assert root.body == "**Work item:** Alloy 7 recipe"
    kept = kept_anywhere(team.shared)
    assert "Client renamed it" not in kept and "Alloy 7 recipe" in kept


def test_a_replay_returns_no_removed_text_and_the_seq_has_no_gap(team):
    item = create(team.supplier_member, team.shared, "Alloy 7 recipe", "Nickel 12 percent")
    update(team.supplier_member, item, title="Alloy 7 recipe v2")
    team.shared.refresh_from_db()
    before = team.shared.last_seq
    check_set_retention(team.supplier_admin, shared_days=1, internal_days=None)
    do_apply_retention(days(2))

    team.shared.refresh_from_db()
    events = events_after(team.shared.id, 0, team.shared.last_seq)
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(1, team.shared.last_seq + 1))
    assert "Alloy" not in json.dumps(events) and "Nickel" not in json.dumps(events)
    # What a reconnecting client gets since its last seq: the root's new text, then the item.
    since = events_after(team.shared.id, before, team.shared.last_seq)
    assert [e["type"] for e in since] == ["message.edited", "workitem.updated"]
    assert since[0]["message"]["body"] == f"**Work item:** {REMOVED_TEXT}"
    assert since[1]["by"] is None
    assert since[1]["changes"] == {"retention": [None, ["description", "title"]]}
    assert since[1]["item"]["title"] == REMOVED_TEXT and since[1]["item"]["description"] == ""
    assert since[1]["item"]["version"] == fresh(item).version
    # Over HTTP too: the board and the item's history.
    client = Client()
    client.force_login(team.client_member)
    detail = client.get(f"/api/rooms/{team.shared.id}/workitems/{item.id}/").json()
    assert "Alloy" not in json.dumps(detail) and "Nickel" not in json.dumps(detail)


def test_retention_keeps_the_items_last_change_time_and_an_item_in_use_keeps_its_text(team):
    old = create(team.supplier_member, team.shared, "Old item")
    live = create(team.supplier_member, team.shared, "Live item")
    updated_at = fresh(old).updated_at
    # Someone worked on ``live`` on day 20 of the clock.
    WorkItem.objects.filter(pk=live.pk).update(updated_at=days(20))
    check_set_retention(team.supplier_admin, shared_days=30, internal_days=None)

    assert do_apply_retention(days(31)) == {team.supplier.id: 1}

    assert fresh(old).title == REMOVED_TEXT and fresh(old).updated_at == updated_at
    assert fresh(live).title == "Live item"
    assert do_apply_retention(days(51)) == {team.supplier.id: 1}
    assert fresh(live).title == REMOVED_TEXT


def test_internal_work_items_follow_the_internal_period(team):
    internal = create(team.supplier_member, team.supplier_internal, "Internal margin plan")
    shared = create(team.supplier_member, team.shared, "Shared plan")
    theirs = create(team.client_member, team.client_internal, "Client internal plan")
    check_set_retention(team.supplier_admin, shared_days=365, internal_days=7)

    assert do_apply_retention(days(8)) == {team.supplier.id: 1}

    assert fresh(internal).title == REMOVED_TEXT
    assert fresh(shared).title == "Shared plan"
    assert fresh(theirs).title == "Client internal plan"
    assert runs(team.supplier)[-1]["work_items_internal"] == 1


def test_mirror_copies_and_the_mirrors_notices_follow_the_item(team):
    item = create(team.supplier_member, team.shared, "Alloy 7 recipe")
    mirror = check_create_mirror(
        team.client_member,
        source_room_id=team.shared.id,
        root_id=item.thread_root_id,
        target_room_id=team.client_internal.id,
    )
    relay_all()
    update(team.supplier_member, item, title="Alloy 7 recipe v2", status="in_progress")
    update(team.client_member, item, description="Client's own words")
    relay_all()
    note = say(team.client_member, team.client_internal, "our note", thread=mirror.root_copy)
    assert "Alloy 7 recipe v2" in kept_anywhere(team.client_internal)
    check_set_retention(team.supplier_admin, shared_days=1, internal_days=None)

    do_apply_retention(days(2))
    relay_all()

    kept = kept_anywhere(team.client_internal)
    assert "Alloy" not in kept
    assert "Client's own words" in kept and "our note" in kept
    copy = Message.objects.get(pk=mirror.root_copy_id)
    assert copy.body == f"**Work item:** {REMOVED_TEXT}"
    notices = list(
        Message.objects.filter(room=team.client_internal, kind=Message.Kind.NOTICE)
        .order_by("seq")
        .values_list("body", flat=True)
    )
    # The status change stays; the retention event adds no notice of its own.
    assert len(notices) == 2
    assert f"- title: {REMOVED_TEXT} -> {REMOVED_TEXT}" in notices[0]
    assert "- status: open -> in_progress" in notices[0]
    assert "Client's own words" in notices[1]
    assert not Message.objects.get(pk=note.pk).is_deleted


def test_notices_notifications_and_escalation_rooms_quoting_a_removed_title_follow(team):
    check_set_escalation_contacts(
        team.supplier_admin,
        partnership_id=team.partnership.id,
        person_ids=[team.supplier_member.id],
    )
    check_set_escalation_contacts(
        team.client_admin, partnership_id=team.partnership.id, person_ids=[team.client_member.id]
    )
    item = create(team.client_member, team.shared, "Line 3 is down")
    escalation = check_escalate(
        team.client_member,
        room_id=team.shared.id,
        item_id=item.id,
        severity="S1",
        reason="Production has stopped",
    )
    check_resolve_escalation(team.supplier_member, escalation_id=escalation.id, note="Fixed it")
    side_rooms = list(EscalationRoom.objects.filter(work_item=item).values_list("room", flat=True))
    assert len(side_rooms) == 2
    check_set_retention(team.client_admin, shared_days=1, internal_days=1)

    do_apply_retention(days(2))

    shared_notices = list(
        Message.objects.filter(room=team.shared, kind=Message.Kind.NOTICE).values_list(
            "body", "deleted_at"
        )
    )
    # The supplier's notice stays, with the client's title replaced.
    assert any(
        "Fixed it" in body and f"*{REMOVED_TEXT}*" in body and deleted is None
        for body, deleted in shared_notices
    )
    assert "Line 3" not in kept_anywhere(team.shared)
    for room in Room.objects.filter(pk__in=side_rooms):
        assert room.name == f"Escalation: {REMOVED_TEXT}"
        assert "Line 3" not in kept_anywhere(room)
    for notification in Notification.objects.filter(work_item=item):
        assert "Line 3" not in notification.title + notification.body


def test_the_reason_of_an_escalation_its_people_raised_goes_with_the_items_text(team):
    check_set_escalation_contacts(
        team.supplier_admin,
        partnership_id=team.partnership.id,
        person_ids=[team.supplier_member.id],
    )
    check_set_escalation_contacts(
        team.client_admin, partnership_id=team.partnership.id, person_ids=[team.client_member.id]
    )
    item = create(team.supplier_member, team.shared, "Line 3 is down")
    escalation = check_escalate(
        team.client_member,
        room_id=team.shared.id,
        item_id=item.id,
        severity="S2",
        reason="Production has stopped",
    )
    side_rooms = list(EscalationRoom.objects.filter(work_item=item).values_list("room", flat=True))
    check_set_retention(team.client_admin, shared_days=1, internal_days=1)

    # The item's text is the supplier's; the reason, the client's, goes with the client's period.
    assert do_apply_retention(days(2))[team.client.id] >= 1

    assert fresh(item).title == "Line 3 is down"
    assert Escalation.objects.get(pk=escalation.pk).reason == ""
    for room in [team.shared, *Room.objects.filter(pk__in=side_rooms)]:
        assert "Production has stopped" not in kept_anywhere(room), room
    for notification in Notification.objects.filter(work_item=item):
        assert "Production has stopped" not in notification.title + notification.body
    last = history(item)[-1]
    assert last == {"retention": [None, ["escalation"]]}


def test_holds_suspend_the_removal_of_work_item_text(team):
    by_member = create(team.supplier_member, team.shared, "Member's item")
    by_admin = create(team.supplier_admin, team.supplier_internal, "Admin's internal item")
    in_room = create(team.supplier_admin, team.shared, "Admin's shared item")
    check_set_retention(team.supplier_admin, shared_days=1, internal_days=1)
    organization = check_place_hold(team.supplier_admin, person_id=None, room_id=None, reason="")
    assert do_apply_retention(days(2)) == {}
    check_lift_hold(team.supplier_admin, hold_id=organization.id)
    check_place_hold(
        team.supplier_admin, person_id=team.supplier_member.id, room_id=None, reason=""
    )
    room = check_place_hold(team.supplier_admin, person_id=None, room_id=team.shared.id, reason="")

    assert do_apply_retention(days(2)) == {team.supplier.id: 1}
    assert fresh(by_member).title == "Member's item"
    assert fresh(in_room).title == "Admin's shared item"
    assert fresh(by_admin).title == REMOVED_TEXT

    check_lift_hold(team.supplier_admin, hold_id=room.id)
    assert do_apply_retention(days(2)) == {team.supplier.id: 1}
    assert fresh(in_room).title == REMOVED_TEXT
    assert fresh(by_member).title == "Member's item"


def test_a_second_run_removes_nothing_and_adds_no_event(team):
    item = create(team.supplier_member, team.shared, "Alloy 7 recipe", "Nickel")
    update(team.client_member, item, status="in_progress")
    check_set_retention(team.supplier_admin, shared_days=1, internal_days=None)
    assert do_apply_retention(days(2)) == {team.supplier.id: 1}
    events = RoomEvent.objects.filter(room=team.shared).count()
    version = fresh(item).version

    assert do_apply_retention(days(2)) == {}
    assert do_apply_retention(days(3)) == {}
    assert RoomEvent.objects.filter(room=team.shared).count() == events
    assert fresh(item).version == version
    assert len(runs(team.supplier)) == 1


def test_an_item_changed_after_it_was_selected_keeps_its_text(team):
    item = create(team.supplier_member, team.shared, "Alloy 7 recipe")
    selected_at = fresh(item).updated_at
    update(team.client_member, item, status="in_progress")  # meanwhile, someone works on it

    assert not do_remove_work_item_text(
        team.supplier.id, item, changed_before=selected_at, held_people=[]
    )
    assert fresh(item).title == "Alloy 7 recipe"
    assert do_remove_work_item_text(team.supplier.id, item, changed_before=days(1), held_people=[])
    assert fresh(item).title == REMOVED_TEXT


def test_retention_reaches_an_archived_room(team):
    item = create(team.supplier_member, team.supplier_internal, "Archived plan")
    note = say(team.supplier_member, team.supplier_internal, "Archived note")
    check_archive_room(team.supplier_admin, room_id=team.supplier_internal.id)
    check_set_retention(team.supplier_admin, shared_days=None, internal_days=1)

    assert do_apply_retention(days(2)) == {team.supplier.id: 2}

    assert fresh(item).title == REMOVED_TEXT
    assert Message.objects.get(pk=note.pk).is_deleted
    assert "Archived" not in kept_anywhere(team.supplier_internal)


# --- over a socket -----------------------------------------------------------------------


async def subscribed(sock, room, **extra):
    await sock.send({"type": "subscribe", "room": room.id, **extra})
    return await sock.expect("subscribed", room=room.id)


@pytest.mark.django_db(transaction=True)
async def test_a_subscribed_partner_sees_the_item_change_live_and_a_replay_has_no_text(
    live_team, connect
):
    t = live_team
    item = await sync_to_async(create)(t.supplier_member, t.shared, "Alloy 7 recipe", "Nickel")
    await sync_to_async(check_set_retention)(t.supplier_admin, shared_days=1, internal_days=None)
    live = await connect(t.client_member)
    head = (await subscribed(live, t.shared, since=0))["head_seq"]
    await live.drain()

    await sync_to_async(do_apply_retention)(days(2))

    got = [await live.recv(), await live.recv()]
    assert [(f["type"], f["seq"]) for f in got] == [
        ("message.edited", head + 1),
        ("workitem.updated", head + 2),
    ]
    assert got[0]["message"]["id"] == item.thread_root_id
    assert got[1]["item"]["title"] == REMOVED_TEXT and got[1]["by"] is None
    # A socket that replays the whole log gets every seq, and none of the text.
    back = await connect(t.client_member)
    snapshot = await subscribed(back, t.shared, since=0)
    assert "Alloy" not in json.dumps(snapshot)
    replay = [f for f in await back.drain() if "seq" in f]
    assert [f["seq"] for f in replay] == list(range(1, head + 3))
    assert "Alloy" not in json.dumps(replay) and "Nickel" not in json.dumps(replay)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_remove_each_items_text_once():
    org = make_org("Busy")
    admin = make_person(org, admin=True)
    room = make_internal_room(admin)
    items = [create(admin, room, f"Plan {n}") for n in range(6)]
    check_set_retention(admin, shared_days=None, internal_days=1)
    results: list[dict[int, int]] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        try:
            barrier.wait()
            results.append(do_apply_retention(days(2)))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.get(org.id, 0) for r in results) == 6
    assert all(fresh(i).title == REMOVED_TEXT for i in items)
    retention_events = RoomEvent.objects.filter(
        room=room, payload__changes__has_key="retention"
    ).count()
    assert retention_events == 6
    assert [e["work_items_internal"] for e in runs(org)] == [6]


def test_an_item_changed_again_later_loses_only_the_new_text_and_renames_nothing_twice(team):
    check_set_escalation_contacts(
        team.supplier_admin,
        partnership_id=team.partnership.id,
        person_ids=[team.supplier_member.id],
    )
    check_set_escalation_contacts(
        team.client_admin, partnership_id=team.partnership.id, person_ids=[team.client_member.id]
    )
    item = create(team.client_member, team.shared, "Line 3 is down")
    check_escalate(
        team.client_member, room_id=team.shared.id, item_id=item.id, severity="S3", reason="Slow"
    )
    check_set_retention(team.client_admin, shared_days=1, internal_days=None)
    do_apply_retention(days(2))
    side = list(EscalationRoom.objects.filter(work_item=item).values_list("room", flat=True))
    heads = dict(Room.objects.filter(pk__in=side).values_list("pk", "last_seq"))
    # Later the client writes a new description: the next run removes that, and only that.
    update(team.client_member, item, description="Fixed on site")
    WorkItem.objects.filter(pk=item.pk).update(updated_at=timezone.now())

    assert do_apply_retention(days(2)) == {team.client.id: 1}

    assert fresh(item).description == ""
    assert history(item)[-1] == {"retention": [None, ["description"]]}
    # The escalation rooms were renamed once, by the first run.
    assert dict(Room.objects.filter(pk__in=side).values_list("pk", "last_seq")) == heads


def test_a_note_given_acknowledging_or_resolving_goes_from_the_notifications_with_its_notice(
    team,
):
    check_set_escalation_contacts(
        team.supplier_admin,
        partnership_id=team.partnership.id,
        person_ids=[team.supplier_member.id],
    )
    check_set_escalation_contacts(
        team.client_admin, partnership_id=team.partnership.id, person_ids=[team.client_member.id]
    )
    item = create(team.client_member, team.shared, "Pallets arrive damaged")
    escalation = check_escalate(
        team.client_member, room_id=team.shared.id, item_id=item.id, severity="S2", reason="Again"
    )
    check_resolve_escalation(
        team.supplier_member, escalation_id=escalation.id, note="Crates relined at dock 4"
    )
    told = Notification.objects.filter(body__contains="Crates relined at dock 4")
    assert told.exists()
    assert all(n.message is not None and n.message.kind == "notice" for n in told)

    # The client's period passes: the supplier's note stays (their words, their period).
    check_set_retention(team.client_admin, shared_days=1, internal_days=1)
    do_apply_retention(days(2))
    assert told.exists()
    # The supplier's period passes: the notice goes, and with it the note in every bell.
    check_set_retention(team.supplier_admin, shared_days=1, internal_days=1)
    do_apply_retention(days(2))
    assert not Notification.objects.filter(body__contains="Crates relined at dock 4").exists()
    assert "Crates relined at dock 4" not in kept_anywhere(team.shared)
