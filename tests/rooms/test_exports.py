"""Room exports: who may export what, what the ZIP holds, the job, expiry, the HTTP API."""

from __future__ import annotations

import datetime
import io
import json
import zipfile
from typing import Any

import pytest
from django.core.files.storage import storages
from django.utils import timezone

from hub.errors import NotFound
from hub.models import AuditEntry, Partnership, User
from hub.schemas import parse
from rooms.actions import exports as export_actions
from rooms.actions.direct import check_start_direct
from rooms.actions.exports import (
    check_request_room_export,
    purge_expired_exports,
    run_next_export,
)
from rooms.actions.messages import check_delete_message
from rooms.actions.reactions import check_set_reaction
from rooms.actions.workitems import check_create_work_item, check_update_work_item
from rooms.bridge.mirrors import check_create_mirror
from rooms.models.exports import RoomExport
from rooms.models.log import RoomEvent
from rooms.models.notifications import Notification
from rooms.models.workitems import EscalationRoom
from rooms.schemas import WorkItemChanges
from tests.conftest import (
    Team,
    client_for,
    make_internal_room,
    make_upload,
    png_bytes,
    say,
    send_files,
)

NOT_FOUND = b'{"error": {"code": "not_found", "detail": "Not found."}}'


def export_zip(team_admin: User, room_id: int) -> zipfile.ZipFile:
    """``team_admin`` exports the room and the worker builds it: the ZIP, opened."""
    export = check_request_room_export(team_admin, room_id=room_id)
    assert run_next_export() == export.pk
    export.refresh_from_db()
    assert export.status == RoomExport.Status.DONE, export.error
    with storages["files"].open(export.blob, "rb") as handle:
        return zipfile.ZipFile(io.BytesIO(handle.read()))


def document(archive: zipfile.ZipFile) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(archive.read("room.json"))
    return data


# --- who may export what ---------------------------------------------------------------------


def test_each_side_s_admin_may_export_a_shared_room_and_their_own_internal_rooms(
    team: Team,
) -> None:
    for admin, room in [
        (team.supplier_admin, team.shared),
        (team.client_admin, team.shared),
        (team.supplier_admin, team.supplier_internal),
        (team.client_admin, team.client_internal),
    ]:
        assert check_request_room_export(admin, room_id=room.pk).room_id == room.pk


def test_nobody_exports_the_other_side_s_internal_rooms_and_members_export_nothing(
    team: Team,
) -> None:
    for person, room in [
        (team.supplier_admin, team.client_internal),
        (team.client_admin, team.supplier_internal),
        (team.supplier_member, team.shared),
        (team.client_member, team.client_internal),
    ]:
        with pytest.raises(NotFound):
            check_request_room_export(person, room_id=room.pk)
    assert not RoomExport.objects.exists()


def test_an_admin_exports_an_ended_partnership_s_room_but_not_a_proposed_one(team: Team) -> None:
    team.partnership.status = Partnership.Status.ENDED
    team.partnership.save(update_fields=["status"])
    assert check_request_room_export(team.client_admin, room_id=team.shared.pk)
    team.partnership.status = Partnership.Status.PROPOSED
    team.partnership.save(update_fields=["status"])
    with pytest.raises(NotFound):
        check_request_room_export(team.client_admin, room_id=team.shared.pk)


def test_a_direct_conversation_is_exported_only_by_an_admin_who_is_in_it(team: Team) -> None:
    theirs = check_start_direct(team.supplier_member, people=[team.client_member.pk])
    with pytest.raises(NotFound):
        check_request_room_export(team.supplier_admin, room_id=theirs.pk)
    with pytest.raises(NotFound):
        check_request_room_export(team.client_admin, room_id=theirs.pk)
    mine = check_start_direct(team.supplier_admin, people=[team.client_member.pk])
    assert check_request_room_export(team.supplier_admin, room_id=mine.pk)


def test_the_other_side_s_mirror_and_escalation_rooms_are_not_found(team: Team) -> None:
    root = say(team.client_member, team.shared, "Thread")
    check_create_mirror(
        team.client_member,
        source_room_id=team.shared.pk,
        root_id=root.pk,
        target_room_id=team.client_internal.pk,
    )
    escalation_room = make_internal_room(team.client_admin, name="Escalation")
    item = check_create_work_item(team.client_member, room_id=team.shared.pk, title="Broken")
    EscalationRoom.objects.create(work_item=item, organization=team.client, room=escalation_room)
    for room in (team.client_internal, escalation_room):
        with pytest.raises(NotFound):
            check_request_room_export(team.supplier_admin, room_id=room.pk)


# --- what the ZIP holds ---------------------------------------------------------------------


def test_a_shared_room_s_export_has_both_sides_messages_and_no_mirror_or_internal_note(
    team: Team,
) -> None:
    root = say(team.supplier_member, team.shared, "Supplier asks <b>why</b>")
    say(team.client_member, team.shared, "Client answers in thread", thread=root)
    say(team.client_member, team.shared, "Client top-level")
    mirror = check_create_mirror(
        team.supplier_member,
        source_room_id=team.shared.pk,
        root_id=root.pk,
        target_room_id=team.supplier_internal.pk,
    )
    assert mirror.root_copy is not None
    say(team.supplier_member, team.supplier_internal, "SUPPLIER-NOTE", thread=mirror.root_copy)
    say(team.client_member, team.client_internal, "CLIENT-INTERNAL")
    check_set_reaction(
        team.client_member, room_id=team.shared.pk, message_id=root.pk, emoji="👍", on=True
    )

    archive = export_zip(team.client_admin, team.shared.pk)
    data = document(archive)
    bodies = [m["body"] for m in data["messages"]]
    assert "Supplier asks <b>why</b>" in bodies
    assert "Client answers in thread" in bodies and "Client top-level" in bodies
    everything = archive.read("room.json") + archive.read("room.html")
    assert b"SUPPLIER-NOTE" not in everything and b"CLIENT-INTERNAL" not in everything
    reply = next(m for m in data["messages"] if m["body"] == "Client answers in thread")
    assert reply["thread"] == root.pk
    first = next(m for m in data["messages"] if m["id"] == root.pk)
    assert first["reactions"] == [{"emoji": "👍", "count": 1}]
    assert {m["organization"] for m in data["members"]} == {"Supplier", "Client"}
    assert set(data) >= {"room", "members", "messages", "work_items"}
    page = archive.read("room.html").decode()
    # Escaped everywhere but the sanitized body_html; nothing loaded from elsewhere.
    assert "<b>why</b>" not in page.replace(first["body_html"], "")
    assert "http://" not in page and "https://" not in page and "<script" not in page


def test_a_deleted_message_is_a_tombstone_and_its_files_stay_out(team: Team) -> None:
    kept = make_upload(team.supplier_member, team.shared, png_bytes(color="red"), "kept.png")
    gone = make_upload(team.supplier_member, team.shared, png_bytes(color="blue"), "gone.png")
    send_files(team.supplier_member, team.shared, [kept], "with a kept file")
    doomed = send_files(team.supplier_member, team.shared, [gone], "SECRET-DELETED")
    check_delete_message(team.supplier_member, room_id=team.shared.pk, message_id=doomed.pk)

    archive = export_zip(team.supplier_admin, team.shared.pk)
    data = document(archive)
    tombstone = next(m for m in data["messages"] if m["id"] == doomed.pk)
    assert tombstone["deleted"] and tombstone["body"] == "" and tombstone["files"] == []
    assert b"SECRET-DELETED" not in archive.read("room.json") + archive.read("room.html")
    (path,) = [n for n in archive.namelist() if n.startswith("files/")]
    assert path.endswith("/kept.png")
    with storages["files"].open(kept.blob, "rb") as handle:
        assert archive.read(path) == handle.read()


def test_work_items_come_with_their_history(team: Team) -> None:
    item = check_create_work_item(team.client_member, room_id=team.shared.pk, title="Fix it")
    check_update_work_item(
        team.supplier_member,
        room_id=team.shared.pk,
        item_id=item.pk,
        changes=parse(WorkItemChanges, {"status": "in_progress"}),
    )
    data = document(export_zip(team.supplier_admin, team.shared.pk))
    (exported,) = data["work_items"]
    assert exported["title"] == "Fix it" and exported["status"] == "in_progress"
    assert any("status" in change["changes"] for change in exported["history"])


# --- the job ---------------------------------------------------------------------------------


def test_progress_is_recorded_as_the_export_is_built(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    upload = make_upload(team.supplier_member, team.shared)
    send_files(team.supplier_member, team.shared, [upload])
    export = check_request_room_export(team.supplier_admin, room_id=team.shared.pk)
    assert (export.status, export.progress) == ("queued", 0)
    seen: list[int] = []
    original = export_actions._set_progress

    def spy(export: RoomExport, progress: int) -> None:
        original(export, progress)
        seen.append(RoomExport.objects.get(pk=export.pk).progress)

    monkeypatch.setattr(export_actions, "_set_progress", spy)
    run_next_export()
    export.refresh_from_db()
    assert seen == sorted(seen) and 0 < seen[0] < 100 and len(set(seen)) >= 3
    assert (export.status, export.progress) == ("done", 100)
    assert export.expires_at is not None and export.finished_at is not None


def test_a_failing_build_is_recorded_with_an_error_and_stores_nothing(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> int:
        raise OSError("disk full")

    monkeypatch.setattr(export_actions, "build_archive", broken)
    export = check_request_room_export(team.supplier_admin, room_id=team.shared.pk)
    assert run_next_export() == export.pk
    export.refresh_from_db()
    assert export.status == "failed" and "OSError" in export.error and export.blob == ""
    response = client_for(team.supplier_admin).get(f"/api/exports/{export.pk}/download/")
    assert response.status_code == 404


def test_the_worker_claims_nothing_when_nothing_is_queued(team: Team) -> None:
    assert run_next_export() is None


def test_an_expired_export_s_file_is_deleted(team: Team) -> None:
    export = check_request_room_export(team.supplier_admin, room_id=team.shared.pk)
    run_next_export()
    export.refresh_from_db()
    assert storages["files"].exists(export.blob)
    assert purge_expired_exports(timezone.now()) == 0
    later = timezone.now() + datetime.timedelta(days=8)
    assert purge_expired_exports(later) == 1
    export.refresh_from_db()
    assert export.purged_at is not None and not storages["files"].exists(export.blob)
    client = client_for(team.supplier_admin)
    assert client.get(f"/api/exports/{export.pk}/download/").status_code == 404
    assert client.get(f"/api/exports/{export.pk}/").json()["expired"] is True


def test_a_build_a_dead_worker_left_running_is_marked_failed(team: Team) -> None:
    export = check_request_room_export(team.supplier_admin, room_id=team.shared.pk)
    claimed = export_actions.claim_next_export()
    assert claimed is not None and claimed.pk == export.pk
    purge_expired_exports(timezone.now() + datetime.timedelta(minutes=30))
    export.refresh_from_db()
    assert export.status == "running"
    purge_expired_exports(timezone.now() + datetime.timedelta(hours=3))
    export.refresh_from_db()
    assert export.status == "failed" and "interrupted" in export.error


def test_the_audit_entry_is_only_in_the_exporter_s_log(team: Team) -> None:
    export = check_request_room_export(team.client_admin, room_id=team.shared.pk)
    (entry,) = AuditEntry.objects.filter(action="room.exported")
    assert entry.organization_id == team.client.pk and entry.actor_id == team.client_admin.pk
    assert entry.data["export"] == export.pk
    assert not AuditEntry.objects.filter(organization=team.supplier, action="room.exported")


def test_asking_for_and_building_an_export_publishes_nothing_and_notifies_nobody(
    team: Team, published: Any
) -> None:
    say(team.client_member, team.shared, "Hello")
    events, notifications = RoomEvent.objects.count(), Notification.objects.count()
    with published.capture():
        check_request_room_export(team.supplier_admin, room_id=team.shared.pk)
        run_next_export()
    assert list(published) == []
    assert (RoomEvent.objects.count(), Notification.objects.count()) == (events, notifications)


# --- HTTP -------------------------------------------------------------------------------------


def test_an_admin_asks_follows_and_downloads_over_http(team: Team) -> None:
    say(team.client_member, team.shared, "Hello")
    client = client_for(team.client_admin)
    response = client.post(f"/api/rooms/{team.shared.pk}/exports/")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["status"] == "queued" and created["id"] > 2**32
    run_next_export()
    status = client.get(f"/api/exports/{created['id']}/").json()
    assert (status["status"], status["progress"]) == ("done", 100)
    download = client.get(status["download"])
    assert download.status_code == 200
    assert download["Cache-Control"] == "private, no-store"
    assert download["Content-Disposition"].startswith("attachment")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))  # type: ignore[arg-type]
    assert {"room.json", "room.html"} <= set(archive.namelist())


def test_an_export_is_not_found_for_anyone_but_the_requester_and_their_admins(
    team: Team,
) -> None:
    export = check_request_room_export(team.client_admin, room_id=team.shared.pk)
    run_next_export()
    for person in (team.supplier_admin, team.supplier_member, team.client_member):
        client = client_for(person)
        for url in (f"/api/exports/{export.pk}/", f"/api/exports/{export.pk}/download/"):
            response = client.get(url)
            assert (response.status_code, response.content) == (404, NOT_FOUND)
    response = client_for(team.supplier_admin).post(
        f"/api/rooms/{team.client_internal.pk}/exports/"
    )
    missing = client_for(team.supplier_admin).post("/api/rooms/123456789012/exports/")
    assert (response.status_code, response.content) == (404, missing.content)


def test_the_room_s_past_exports_are_listed_for_its_organization_s_admins_only(
    team: Team,
) -> None:
    first = check_request_room_export(team.client_admin, room_id=team.shared.pk)
    run_next_export()
    second = check_request_room_export(team.client_admin, room_id=team.shared.pk)
    # The partner's admin exports the same room: never in the client's list, nor theirs in it.
    theirs = check_request_room_export(team.supplier_admin, room_id=team.shared.pk)

    listed = client_for(team.client_admin).get(f"/api/rooms/{team.shared.pk}/exports/").json()
    assert [(e["id"], e["status"]) for e in listed["exports"]] == [
        (second.pk, "queued"),
        (first.pk, "done"),
    ]
    assert listed["exports"][1]["download"] == f"/api/exports/{first.pk}/download/"
    partner = client_for(team.supplier_admin).get(f"/api/rooms/{team.shared.pk}/exports/")
    assert [e["id"] for e in partner.json()["exports"]] == [theirs.pk]


def test_listing_exports_of_a_room_one_may_not_export_is_not_found(team: Team) -> None:
    missing = client_for(team.supplier_admin).get("/api/rooms/123456789012/exports/")
    assert (missing.status_code, missing.content) == (404, NOT_FOUND)
    for person, room in (
        (team.supplier_admin, team.client_internal),
        (team.client_member, team.shared),
    ):
        response = client_for(person).get(f"/api/rooms/{room.pk}/exports/")
        assert (response.status_code, response.content) == (404, NOT_FOUND)


def test_only_the_latest_exports_are_listed(team: Team) -> None:
    for _ in range(export_actions.LISTED + 2):
        RoomExport.objects.create(
            requested_by=team.client_admin,
            organization=team.client,
            room=team.client_internal,
        )
    listed = client_for(team.client_admin).get(f"/api/rooms/{team.client_internal.pk}/exports/")
    assert len(listed.json()["exports"]) == export_actions.LISTED
