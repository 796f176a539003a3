"""Retention and legal hold: an organization removes its own people's old messages as a
delete does; holds suspend it; the job is idempotent and safe with several workers."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from hub.errors import Forbidden, Invalid, NotFound
from hub.models import AuditEntry
from rooms.actions.retention import (
    LOCK_CLASS,
    check_lift_hold,
    check_place_hold,
    check_set_retention,
    do_apply_retention,
    retention_settings,
)
from rooms.bridge.mirrors import check_create_mirror
from rooms.bridge.relay import relay_all
from rooms.models.files import Upload
from rooms.models.log import RoomEvent
from rooms.models.messages import Message
from rooms.selectors.messages import events_after
from tests.conftest import make_internal_room, make_org, make_person, make_upload, say, send_files


def days(n: int) -> datetime.datetime:
    """A moment ``n`` days from now: the job's clock, moved forward."""
    return timezone.now() + datetime.timedelta(days=n)


def fresh(message: Message) -> Message:
    return Message.objects.get(pk=message.pk)


def runs(org) -> list[dict]:
    return [
        e.data
        for e in AuditEntry.objects.filter(organization=org, action="retention.run").order_by(
            "created_at", "pk"
        )
    ]


# --- what is removed -------------------------------------------------------------------


def test_shared_retention_removes_the_own_peoples_old_shared_messages_not_the_partners(team):
    ours = say(team.supplier_member, team.shared, "supplier's words")
    theirs = say(team.client_member, team.shared, "client's words")
    internal = say(team.supplier_member, team.supplier_internal, "internal words")
    check_set_retention(team.supplier_admin, shared_days=30, internal_days=None)

    assert do_apply_retention(days(29)) == {}
    assert do_apply_retention(days(31)) == {team.supplier.id: 1}

    assert fresh(ours).is_deleted and fresh(ours).body == ""
    assert fresh(ours).deleted_by is None
    assert not fresh(theirs).is_deleted
    assert not fresh(internal).is_deleted


def test_internal_retention_has_its_own_period(team):
    shared = say(team.supplier_member, team.shared, "shared words")
    internal = say(team.supplier_member, team.supplier_internal, "internal words")
    reply = say(team.supplier_admin, team.supplier_internal, "a reply", thread=internal)
    client_internal = say(team.client_member, team.client_internal, "client internal")
    check_set_retention(team.supplier_admin, shared_days=365, internal_days=7)

    assert do_apply_retention(days(8)) == {team.supplier.id: 2}

    assert fresh(internal).is_deleted and fresh(reply).is_deleted
    assert not fresh(shared).is_deleted
    assert not fresh(client_internal).is_deleted
    assert runs(team.supplier)[-1]["internal"] == 2
    assert runs(team.supplier)[-1]["shared"] == 0
    assert runs(team.client) == []


def test_a_removed_message_is_a_tombstone_in_the_log_and_the_seq_has_no_gap(team):
    kept = say(team.client_member, team.shared, "kept")
    gone = say(team.supplier_member, team.shared, "secret figures")
    check_set_retention(team.supplier_admin, shared_days=1, internal_days=None)
    do_apply_retention(days(2))

    team.shared.refresh_from_db()
    events = events_after(team.shared.id, 0, team.shared.last_seq)
    seqs = [e["seq"] for e in events if "seq" in e]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    assert seqs[-1] == team.shared.last_seq
    assert events[-1] == {
        "type": "message.deleted",
        "room": team.shared.id,
        "seq": team.shared.last_seq,
        "id": gone.id,
        "thread": None,
    }
    # A replay never brings the text back.
    assert "secret figures" not in str(
        list(RoomEvent.objects.filter(room=team.shared).values_list("payload", flat=True))
    )
    client = Client()
    client.force_login(team.client_member)
    history = client.get(f"/api/rooms/{team.shared.id}/messages/").json()
    shown = {m["id"]: m for m in history["messages"]}
    assert shown[gone.id]["deleted"] is True and shown[gone.id]["body"] == ""
    assert shown[kept.id]["body"] == "kept"


def test_the_files_of_a_removed_message_are_released_as_a_delete_releases_them(team):
    upload = make_upload(team.supplier_member, team.supplier_internal)
    message = send_files(team.supplier_member, team.supplier_internal, [upload], body="photo")
    check_set_retention(team.supplier_admin, shared_days=None, internal_days=1)
    do_apply_retention(days(2))
    assert fresh(message).is_deleted
    assert Upload.objects.get(pk=upload.pk).released_at is not None


def test_a_mirror_copy_follows_its_original_and_the_copying_side_keeps_its_own_words(team):
    root = say(team.client_member, team.shared, "Lot 7 is late")
    reply = say(team.client_member, team.shared, "Truck left at 9", thread=root)
    mirror = check_create_mirror(
        team.supplier_member,
        source_room_id=team.shared.id,
        root_id=root.id,
        target_room_id=team.supplier_internal.id,
    )
    relay_all()
    note = say(team.supplier_member, team.supplier_internal, "our note", thread=mirror.root_copy)
    # The client's retention removes the client's messages; the copies in the
    # supplier's internal room go with them, by the delete's own relay.
    check_set_retention(team.client_admin, shared_days=1, internal_days=None)
    do_apply_retention(days(2))
    relay_all()

    copy = Message.objects.get(mirror_source=reply, room=team.supplier_internal)
    assert copy.is_deleted and copy.body == ""
    assert not fresh(note).is_deleted
    # Removed by nobody: the supplier's log does not say one of its people moderated it.
    assert not AuditEntry.objects.filter(
        organization=team.supplier, action__startswith="message."
    ).exists()


def test_the_supplier_retention_never_removes_copies_of_the_partners_messages(team):
    root = say(team.client_member, team.shared, "Lot 7 is late")
    check_create_mirror(
        team.supplier_member,
        source_room_id=team.shared.id,
        root_id=root.id,
        target_room_id=team.supplier_internal.id,
    )
    relay_all()
    check_set_retention(team.supplier_admin, shared_days=1, internal_days=1)
    do_apply_retention(days(2))
    assert not Message.objects.filter(mirror_source=root, deleted_at__isnull=False).exists()
    assert not fresh(root).is_deleted


# --- legal holds -----------------------------------------------------------------------


def test_a_hold_on_the_organization_suspends_removal_until_lifted(team):
    message = say(team.supplier_member, team.shared, "held")
    check_set_retention(team.supplier_admin, shared_days=1, internal_days=1)
    hold = check_place_hold(team.supplier_admin, person_id=None, room_id=None, reason="case 4")
    assert do_apply_retention(days(2)) == {}
    assert not fresh(message).is_deleted
    check_lift_hold(team.supplier_admin, hold_id=hold.id)
    assert do_apply_retention(days(2)) == {team.supplier.id: 1}


def test_a_hold_on_a_person_or_a_room_suspends_only_what_it_covers(team):
    held_person = say(team.supplier_member, team.supplier_internal, "member's")
    held_room = say(team.supplier_admin, team.shared, "admin's in shared")
    removed = say(team.supplier_admin, team.supplier_internal, "admin's internal")
    check_set_retention(team.supplier_admin, shared_days=1, internal_days=1)
    check_place_hold(
        team.supplier_admin, person_id=team.supplier_member.id, room_id=None, reason=""
    )
    check_place_hold(team.supplier_admin, person_id=None, room_id=team.shared.id, reason="")
    do_apply_retention(days(2))
    assert not fresh(held_person).is_deleted
    assert not fresh(held_room).is_deleted
    assert fresh(removed).is_deleted


def test_an_organization_holds_only_its_own_people_and_rooms_it_takes_part_in(team):
    with pytest.raises(NotFound):
        check_place_hold(
            team.supplier_admin, person_id=team.client_member.id, room_id=None, reason=""
        )
    with pytest.raises(NotFound):
        check_place_hold(
            team.supplier_admin, person_id=None, room_id=team.client_internal.id, reason=""
        )
    with pytest.raises(Invalid):
        check_place_hold(
            team.supplier_admin,
            person_id=team.supplier_member.id,
            room_id=team.shared.id,
            reason="",
        )
    with pytest.raises(Forbidden):
        check_place_hold(team.supplier_member, person_id=None, room_id=None, reason="")
    with pytest.raises(NotFound):
        check_lift_hold(
            team.client_admin,
            hold_id=check_place_hold(
                team.supplier_admin, person_id=None, room_id=team.shared.id, reason=""
            ).id,
        )


def test_retention_changes_and_holds_are_audited(team):
    check_set_retention(team.supplier_admin, shared_days=90, internal_days=30)
    check_set_retention(team.supplier_admin, shared_days=90, internal_days=30)  # no change
    hold = check_place_hold(team.supplier_admin, person_id=None, room_id=None, reason="case")
    check_lift_hold(team.supplier_admin, hold_id=hold.id)
    entries = AuditEntry.objects.filter(
        organization=team.supplier, action__startswith="retention."
    ).order_by("created_at", "pk")
    assert [e.action for e in entries] == [
        "retention.changed",
        "retention.hold_placed",
        "retention.hold_lifted",
    ]
    assert entries[0].data["after"] == {"shared_days": 90, "internal_days": 30}
    assert retention_settings(team.supplier_admin)["shared_days"] == 90
    with pytest.raises(NotFound):
        retention_settings(team.supplier_member)


# --- the job -----------------------------------------------------------------------------


def test_a_second_run_removes_nothing_and_records_nothing(team):
    say(team.supplier_member, team.shared, "old")
    check_set_retention(team.supplier_admin, shared_days=1, internal_days=None)
    assert do_apply_retention(days(2)) == {team.supplier.id: 1}
    events = RoomEvent.objects.filter(room=team.shared).count()
    assert do_apply_retention(days(2)) == {}
    assert RoomEvent.objects.filter(room=team.shared).count() == events
    assert len(runs(team.supplier)) == 1


def test_an_organization_without_a_period_keeps_everything(team):
    message = say(team.supplier_member, team.shared, "kept")
    check_set_retention(team.supplier_admin, shared_days=None, internal_days=None)
    assert do_apply_retention(days(40000)) == {}
    assert not fresh(message).is_deleted


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_organization_claimed_by_another_worker_is_skipped():
    org = make_org("Held")
    admin = make_person(org, admin=True)
    room = make_internal_room(admin)
    message = say(admin, room, "old")
    check_set_retention(admin, shared_days=None, internal_days=1)
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_CLASS, org.id % 2**31])
        assert do_apply_retention(days(2)) == {}
        assert not fresh(message).is_deleted
    finally:
        other.close()
    assert do_apply_retention(days(2)) == {org.id: 1}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_remove_each_message_once():
    org = make_org("Busy")
    admin = make_person(org, admin=True)
    room = make_internal_room(admin)
    messages = [say(admin, room, f"old {n}") for n in range(12)]
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
    assert sum(r.get(org.id, 0) for r in results) == 12
    assert all(fresh(m).is_deleted for m in messages)
    deleted = RoomEvent.objects.filter(room=room, payload__type="message.deleted").count()
    assert deleted == 12
    # One worker removed them all; the other skipped the organization or found nothing.
    assert [e["internal"] for e in runs(org)] == [12]


# --- HTTP -------------------------------------------------------------------------------


def test_admins_read_and_set_retention_over_http_and_bad_input_is_400(team):
    admin, member = Client(), Client()
    admin.force_login(team.supplier_admin)
    member.force_login(team.supplier_member)
    url = "/api/organization/retention/"
    assert admin.get(url).json()["retention"]["shared_days"] is None
    assert member.get(url).status_code == 404
    put = admin.put(
        url, {"shared_days": 90, "internal_days": None}, content_type="application/json"
    )
    assert put.status_code == 200 and put.json()["retention"]["shared_days"] == 90
    assert (
        member.put(
            url, {"shared_days": 9, "internal_days": None}, content_type="application/json"
        ).status_code
        == 403
    )
    for bad in (
        {"shared_days": 0, "internal_days": None},
        {"shared_days": 36501, "internal_days": None},
        {"shared_days": "7", "internal_days": None},
        {"shared_days": True, "internal_days": None},
        {"shared_days": 7},
        {"shared_days": 7, "internal_days": 7, "extra": 1},
    ):
        response = admin.put(url, bad, content_type="application/json")
        assert response.status_code == 400, bad
        assert response.json()["error"]["code"]
    assert admin.put(url, "[", content_type="application/json").status_code == 400


def test_admins_place_list_and_lift_holds_over_http(team):
    admin, member = Client(), Client()
    admin.force_login(team.supplier_admin)
    member.force_login(team.supplier_member)
    url = "/api/organization/holds/"
    made = admin.post(url, {"room": team.shared.id, "reason": "case 9"}, "application/json")
    assert made.status_code == 201
    hold = made.json()["hold"]
    assert hold["scope"] == "room" and hold["room_name"] == team.shared.name
    assert [h["id"] for h in admin.get(url).json()["holds"]] == [hold["id"]]
    assert member.get(url).status_code == 404
    assert member.post(url, {}, "application/json").status_code == 403
    assert member.delete(f"{url}{hold['id']}/").status_code == 403
    hidden = admin.post(url, {"room": team.client_internal.id}, "application/json")
    assert hidden.status_code == 404
    assert admin.post(url, {"person": "x"}, "application/json").status_code == 400
    assert admin.post(url, {"reason": "r" * 2000}, "application/json").status_code == 201
    assert admin.post(url, {"reason": "r" * 2001}, "application/json").status_code in (400, 413)
    lifted = admin.delete(f"{url}{hold['id']}/").json()["holds"]
    assert hold["id"] not in [h["id"] for h in lifted] and len(lifted) == 1
    assert admin.delete(f"{url}{hold['id']}/").status_code == 404
