"""Files: upload, send, download, the Files list, policies, deletion and clean-up.

The content checks (type sniffing, image limits, metadata) are in
``test_files_content.py``; S3 in ``test_files_s3.py``; the boundary in
``test_isolation.py`` and the authorization matrix.
"""

from __future__ import annotations

import datetime
import io
import json
import uuid
from typing import Any

import pytest
from django.core.files.storage import storages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hub.errors import Conflict, Forbidden, Invalid, NotFound, TooLarge
from hub.models import AuditEntry, User
from rooms.actions.files import purge_released_uploads
from rooms.actions.messages import check_delete_message, check_send_message
from rooms.bridge.mirrors import check_create_mirror, check_share_back, check_stop_mirror
from rooms.jobs import tick
from rooms.models.files import FilePolicy, Upload
from rooms.models.messages import Message
from rooms.wire.serializers import FILE_URL, THUMBNAIL_URL
from tests.conftest import (
    PDF_BYTES,
    Team,
    body_of,
    client_for,
    make_internal_room,
    make_org,
    make_person,
    make_upload,
    png_bytes,
    post_file,
    send_files,
)

NOT_FOUND = b'{"error": {"code": "not_found", "detail": "Not found."}}'


def test_an_uploaded_image_gets_a_thumbnail_and_is_sent_with_a_message(team: Team) -> None:
    client = client_for(team.supplier_member)
    response = post_file(client, team.shared.id, png_bytes(800, 600), "defect 7.png")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["name"] == "defect 7.png"
    assert (data["type"], data["kind"], data["inline"]) == ("image/png", "image", True)
    assert (data["width"], data["height"]) == (800, 600)
    assert data["url"] == FILE_URL.format(key=data["id"])
    assert data["thumbnail"] == THUMBNAIL_URL.format(key=data["id"])
    assert len(data["id"]) >= 32

    message, created = check_send_message(
        team.supplier_member,
        room_id=team.shared.id,
        client_id=str(uuid.uuid4()),
        body="Crack on the flange",
        files=[data["id"]],
    )
    assert created
    history = client_for(team.client_member).get(f"/api/rooms/{team.shared.id}/messages/").json()
    shown = next(m for m in history["messages"] if m["id"] == message.pk)
    assert shown["files"] == [data]


def test_a_message_may_be_only_files(team: Team) -> None:
    upload = make_upload(team.client_member, team.shared)
    message = send_files(team.client_member, team.shared, [upload])
    assert message.body == ""
    with pytest.raises(Invalid, match="must not be empty"):
        check_send_message(
            team.client_member, room_id=team.shared.id, client_id="x", body="", files=[]
        )


def test_the_server_files_route_is_the_url_frames_carry() -> None:
    assert reverse("api:file", kwargs={"key": "abc"}) == FILE_URL.format(key="abc")
    assert reverse("api:file-thumbnail", kwargs={"key": "abc"}) == THUMBNAIL_URL.format(key="abc")


def test_an_upload_is_its_uploaders_alone_until_it_is_sent(team: Team) -> None:
    upload = make_upload(team.supplier_member, team.shared)
    url = FILE_URL.format(key=upload.key)
    assert client_for(team.supplier_member).get(url).status_code == 200
    colleague = client_for(team.supplier_admin).get(url)
    assert (colleague.status_code, colleague.content) == (404, NOT_FOUND)
    send_files(team.supplier_member, team.shared, [upload], "here")
    assert client_for(team.supplier_admin).get(url).status_code == 200
    assert client_for(team.client_member).get(url).status_code == 200


def test_only_the_uploader_sends_an_upload_and_only_in_its_room(team: Team) -> None:
    upload = make_upload(team.supplier_member, team.shared)
    with pytest.raises(NotFound):
        send_files(team.supplier_admin, team.shared, [upload], "not mine")
    with pytest.raises(NotFound):
        send_files(team.supplier_member, team.supplier_internal, [upload], "wrong room")
    with pytest.raises(NotFound):
        check_send_message(
            team.supplier_member,
            room_id=team.shared.id,
            client_id="y",
            body="x",
            files=["no-such-key-0123456789abcdefghijklmn"],
        )
    assert not Message.objects.filter(body__in=["not mine", "wrong room", "x"]).exists()


def test_a_resend_is_answered_with_the_first_message_and_a_second_use_is_not_found(
    team: Team,
) -> None:
    upload = make_upload(team.client_member, team.shared)
    args: dict[str, Any] = {"room_id": team.shared.id, "body": "spec", "files": [upload.key]}
    first, created = check_send_message(team.client_member, client_id="c-1", **args)
    again, created_again = check_send_message(team.client_member, client_id="c-1", **args)
    assert created and not created_again and again.pk == first.pk
    with pytest.raises(NotFound):
        check_send_message(team.client_member, client_id="c-2", **args)
    assert Message.objects.filter(body="spec").count() == 1


def test_resending_a_deleted_messages_file_says_nothing_of_a_partners_mirror(team: Team) -> None:
    """Whether the supplier kept a copy (a mirror) must not change the client's answer."""

    def resend_after_delete(mirrored: bool) -> str:
        upload = make_upload(team.client_member, team.shared)
        message = send_files(team.client_member, team.shared, [upload], "oops")
        if mirrored:
            mirror = check_create_mirror(
                team.supplier_admin,
                source_room_id=team.shared.id,
                root_id=message.pk,
                target_room_id=team.supplier_internal.id,
            )
            check_stop_mirror(team.supplier_admin, mirror_id=mirror.pk)
        check_delete_message(team.client_member, room_id=team.shared.id, message_id=message.pk)
        try:
            send_files(team.client_member, team.shared, [upload], "again")
        except (NotFound, Conflict) as error:
            return f"{error.code}: {error.detail}"
        return "sent"

    assert resend_after_delete(True) == resend_after_delete(False)
    assert resend_after_delete(False).startswith("not_found")


def test_limits_per_file_per_message_and_in_number(team: Team, settings: Any) -> None:
    settings.CAUSEWAY_FILE_MAX_BYTES = 1000
    client = client_for(team.client_member)
    response = post_file(client, team.shared.id, b"x" * 1001, "big.txt")
    assert response.status_code == 413
    assert response.json()["error"] == {
        "code": "too_large",
        "detail": "Files are limited to 1000 bytes.",
    }
    settings.CAUSEWAY_FILE_MAX_BYTES = 10_000
    settings.CAUSEWAY_MESSAGE_FILES_MAX_BYTES = 1500
    uploads = [make_upload(team.client_member, team.shared, b"y" * 1000, "a.txt") for _ in range(2)]
    with pytest.raises(TooLarge, match="message's files"):
        send_files(team.client_member, team.shared, uploads)
    settings.CAUSEWAY_MESSAGE_FILES_MAX = 1
    with pytest.raises(Invalid, match="At most 1 files"):
        send_files(team.client_member, team.shared, uploads)
    assert post_file(client, team.shared.id, b"", "empty.txt").status_code == 400


def test_a_form_instead_of_the_files_bytes_is_a_clear_error(team: Team) -> None:
    client = client_for(team.client_member)
    file = io.BytesIO(b"a,b\n")
    file.name = "parts.csv"
    response = client.post(f"/api/rooms/{team.shared.id}/files/", {"file": file})
    assert response.status_code == 400
    assert response.json()["error"]["detail"] == (
        "Send the file's bytes as the request body (not a form), its name in `?name=`."
    )
    unnamed = client.post(f"/api/rooms/{team.shared.id}/files/", b"a,b\n", content_type="text/csv")
    assert unnamed.status_code == 201 and unnamed.json()["name"] == "file"
    assert Upload.objects.count() == 1


def test_uploading_into_a_room_you_are_not_in_is_not_found(team: Team) -> None:
    stored_before = storages["files"].listdir("")[0]
    response = post_file(client_for(team.client_member), team.supplier_internal.id, b"x", "a.txt")
    assert (response.status_code, response.content) == (404, NOT_FOUND)
    response = post_file(client_for(team.client_member), 2**62, b"x", "a.txt")
    assert (response.status_code, response.content) == (404, NOT_FOUND)
    assert Upload.objects.count() == 0
    assert storages["files"].listdir("")[0] == stored_before


# --- download --------------------------------------------------------------------------------


def test_a_pdf_is_a_download_with_protective_headers(team: Team) -> None:
    upload = make_upload(team.client_member, team.shared, PDF_BYTES, "8D report.pdf")
    send_files(team.client_member, team.shared, [upload], "8D attached")
    response = client_for(team.supplier_member).get(FILE_URL.format(key=upload.key))
    assert response.status_code == 200
    assert body_of(response) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="8D report.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "private, no-cache"
    thumb = client_for(team.supplier_member).get(THUMBNAIL_URL.format(key=upload.key))
    assert (thumb.status_code, thumb.content) == (404, NOT_FOUND)


def test_an_image_is_shown_inline_and_its_thumbnail_is_small(team: Team) -> None:
    upload = make_upload(team.client_member, team.shared, png_bytes(2000, 1000), "line.png")
    send_files(team.client_member, team.shared, [upload])
    client = client_for(team.supplier_member)
    response = client.get(FILE_URL.format(key=upload.key))
    assert response["Content-Disposition"].startswith("inline")
    thumb = client.get(THUMBNAIL_URL.format(key=upload.key))
    assert thumb["Content-Type"] == "image/jpeg"
    from PIL import Image

    with Image.open(io.BytesIO(body_of(thumb))) as image:
        assert image.format == "JPEG" and image.size == (480, 240)
    # With transparency, the thumbnail keeps it (WebP).
    out = io.BytesIO()
    Image.new("RGBA", (900, 900), (0, 0, 0, 0)).save(out, "PNG")
    clear = make_upload(team.client_member, team.shared, out.getvalue(), "clear.png")
    send_files(team.client_member, team.shared, [clear])
    thumb = client.get(THUMBNAIL_URL.format(key=clear.key))
    assert thumb["Content-Type"] == "image/webp"
    with Image.open(io.BytesIO(body_of(thumb))) as image:
        assert image.mode == "RGBA" and image.size == (480, 480)


def test_a_browser_copy_is_revalidated_and_a_removed_member_loses_it(team: Team) -> None:
    upload = make_upload(team.client_member, team.shared)
    send_files(team.client_member, team.shared, [upload])
    client = client_for(team.supplier_member)
    first = client.get(THUMBNAIL_URL.format(key=upload.key))
    again = client.get(THUMBNAIL_URL.format(key=upload.key), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    from rooms.actions.members import check_remove_member

    check_remove_member(
        team.supplier_admin, room_id=team.shared.id, person_id=team.supplier_member.id
    )
    gone = client.get(THUMBNAIL_URL.format(key=upload.key), HTTP_IF_NONE_MATCH=first["ETag"])
    assert (gone.status_code, gone.content) == (404, NOT_FOUND)


def test_a_file_you_may_not_see_answers_exactly_like_one_that_does_not_exist(team: Team) -> None:
    internal = make_upload(team.supplier_member, team.supplier_internal, PDF_BYTES, "cost.pdf")
    send_files(team.supplier_member, team.supplier_internal, [internal], "our costs")
    partner = client_for(team.client_admin)
    hidden = partner.get(FILE_URL.format(key=internal.key))
    missing = partner.get(FILE_URL.format(key="A" * 32))
    assert (hidden.status_code, hidden.content) == (missing.status_code, missing.content)
    assert (hidden.status_code, hidden.content) == (404, NOT_FOUND)
    assert sorted(hidden.headers) == sorted(missing.headers)
    signed_out = Client().get(FILE_URL.format(key=internal.key))
    assert signed_out.status_code == 401


# --- the Files list --------------------------------------------------------------------------


def test_the_files_list_is_newest_first_with_who_and_when_and_filters_by_name(team: Team) -> None:
    older = make_upload(team.client_member, team.shared, PDF_BYTES, "Drawing 4711 rev B.pdf")
    send_files(team.client_member, team.shared, [older], "drawing")
    newer = [make_upload(team.supplier_member, team.shared, png_bytes(), f"photo {i}.png")
             for i in range(2)]  # fmt: skip
    reply_root = Message.objects.get(body="drawing")
    send_files(team.supplier_member, team.shared, newer, "photos", thread=reply_root.pk)
    client = client_for(team.client_admin)
    listed = client.get(f"/api/rooms/{team.shared.id}/files/").json()
    assert [f["file"]["name"] for f in listed["files"]] == [
        "photo 0.png",
        "photo 1.png",
        "Drawing 4711 rev B.pdf",
    ]
    first = listed["files"][0]
    assert first["by"]["id"] == team.supplier_member.id
    assert first["thread"] == reply_root.pk and first["at"]
    found = client.get(f"/api/rooms/{team.shared.id}/files/?q=4711").json()["files"]
    assert [f["file"]["name"] for f in found] == ["Drawing 4711 rev B.pdf"]
    assert listed["before"] is None


def test_a_page_of_the_files_list_never_splits_a_message(team: Team, settings: Any) -> None:
    settings.CAUSEWAY_PAGE_SIZE = 2
    for batch in range(2):
        uploads = [make_upload(team.client_member, team.shared, png_bytes(), f"{batch}-{i}.png")
                   for i in range(3)]  # fmt: skip
        send_files(team.client_member, team.shared, uploads)
    client = client_for(team.client_member)
    first = client.get(f"/api/rooms/{team.shared.id}/files/").json()
    assert [f["file"]["name"] for f in first["files"]] == ["1-0.png", "1-1.png", "1-2.png"]
    rest = client.get(f"/api/rooms/{team.shared.id}/files/?before={first['before']}").json()
    assert [f["file"]["name"] for f in rest["files"]] == ["0-0.png", "0-1.png", "0-2.png"]


def test_search_finds_a_message_by_its_files_name(team: Team) -> None:
    upload = make_upload(team.client_member, team.shared, PDF_BYTES, "Certificate 3.1 lot 9.pdf")
    message = send_files(team.client_member, team.shared, [upload])
    results = client_for(team.supplier_member).get("/api/search/?q=certificate").json()["results"]
    assert [r["message"]["id"] for r in results] == [message.pk]
    assert results[0]["message"]["files"][0]["name"] == "Certificate 3.1 lot 9.pdf"


# --- deletion and clean-up -------------------------------------------------------------------


def test_deleting_a_message_hides_its_files_at_once_and_the_worker_frees_the_storage(
    team: Team,
) -> None:
    upload = make_upload(team.client_member, team.shared)
    message = send_files(team.client_member, team.shared, [upload], "wrong photo")
    files = storages["files"]
    assert files.exists(upload.blob) and files.exists(upload.thumbnail)
    check_delete_message(team.client_member, room_id=team.shared.id, message_id=message.pk)
    response = client_for(team.supplier_member).get(FILE_URL.format(key=upload.key))
    assert (response.status_code, response.content) == (404, NOT_FOUND)
    listed = client_for(team.client_member).get(f"/api/rooms/{team.shared.id}/files/").json()
    assert listed["files"] == []
    history = client_for(team.client_member).get(f"/api/rooms/{team.shared.id}/messages/").json()
    assert next(m for m in history["messages"] if m["id"] == message.pk)["files"] == []
    assert tick()["uploads_purged"] == 1
    assert not files.exists(upload.blob) and not files.exists(upload.thumbnail)
    assert tick()["uploads_purged"] == 0


def test_an_upload_never_sent_is_removed_after_the_grace(team: Team, settings: Any) -> None:
    settings.CAUSEWAY_UPLOAD_GRACE_HOURS = 24
    upload = make_upload(team.client_member, team.shared)
    sent = make_upload(team.client_member, team.shared)
    send_files(team.client_member, team.shared, [sent])
    assert purge_released_uploads(timezone.now() + datetime.timedelta(hours=23)) == 0
    assert purge_released_uploads(timezone.now() + datetime.timedelta(hours=25)) == 1
    assert not storages["files"].exists(upload.blob)
    assert storages["files"].exists(sent.blob)
    with pytest.raises(NotFound):
        send_files(team.client_member, team.shared, [upload])


# --- policies --------------------------------------------------------------------------------


def put_policy(person: User, **policy: Any) -> Any:
    return client_for(person).put(
        "/api/organization/file-policy/", json.dumps(policy), content_type="application/json"
    )


def test_an_organization_governs_what_its_own_people_upload_into_shared_rooms(
    team: Team,
) -> None:
    response = put_policy(team.client_admin, uploads_allowed=True, kinds=["image", "pdf"], max_mb=1)
    assert response.status_code == 200, response.content
    assert response.json()["kinds"] == ["image", "pdf"]
    client = client_for(team.client_member)
    refused = post_file(client, team.shared.id, b"part,qty\n1,2\n", "parts.csv")
    assert refused.status_code == 403
    assert refused.json()["error"]["detail"] == (
        "Your organization allows only images, PDFs in shared rooms; this is a text file."
    )
    too_big = post_file(client, team.shared.id, b"x" * (1024 * 1024 + 1), "big.png")
    assert too_big.status_code == 413
    assert "Your organization allows files of at most 1 MB" in too_big.json()["error"]["detail"]
    assert post_file(client, team.shared.id, PDF_BYTES, "ok.pdf").status_code == 201
    # Its own internal rooms follow the server's limits; the partner is not governed by it.
    assert post_file(client, team.client_internal.id, b"a,b\n", "parts.csv").status_code == 201
    partner = client_for(team.supplier_member)
    assert post_file(partner, team.shared.id, b"a,b\n", "parts.csv").status_code == 201

    put_policy(team.client_admin, uploads_allowed=False)
    refused = post_file(client, team.shared.id, PDF_BYTES, "ok.pdf")
    assert refused.status_code == 403
    assert "does not allow uploading" in refused.json()["error"]["detail"]
    assert Upload.objects.filter(uploaded_by=team.client_member).count() == 2


def test_only_an_admin_changes_the_policy_and_the_change_is_audited(team: Team) -> None:
    refused = put_policy(team.client_member, uploads_allowed=False)
    assert refused.status_code == 403
    assert not FilePolicy.objects.exists()
    seen = client_for(team.client_member).get("/api/organization/file-policy/").json()
    assert seen["uploads_allowed"] is True and seen["can_change"] is False
    assert put_policy(team.client_admin, uploads_allowed=True, kinds=["nope"]).status_code == 400
    assert put_policy(team.client_admin, uploads_allowed=True, max_mb=10**6).status_code == 413
    assert put_policy(team.client_admin, uploads_allowed=False).status_code == 200
    entry = AuditEntry.objects.get(action="files.policy_changed")
    assert entry.actor_id == team.client_admin.pk and entry.organization_id == team.client.pk
    other = client_for(team.supplier_admin).get("/api/organization/file-policy/").json()
    assert other["uploads_allowed"] is True


# --- mirrors and share-back --------------------------------------------------------------------


def test_a_mirror_shows_the_shared_threads_files_without_a_second_upload(team: Team) -> None:
    upload = make_upload(team.client_member, team.shared, PDF_BYTES, "spec.pdf")
    root = send_files(team.client_member, team.shared, [upload], "the spec")
    # An internal-only colleague of the supplier sees it through the mirror alone.
    colleague = make_person(team.supplier)
    room = make_internal_room(team.supplier_admin, colleague, name="Quality")
    mirror = check_create_mirror(
        team.supplier_admin, source_room_id=team.shared.id, root_id=root.pk, target_room_id=room.pk
    )
    copy = Message.objects.get(pk=mirror.root_copy_id)
    assert [a.upload_id for a in copy.attachments.all()] == [upload.pk]
    assert Upload.objects.count() == 1
    response = client_for(colleague).get(FILE_URL.format(key=upload.key))
    assert response.status_code == 200 and body_of(response) == PDF_BYTES
    listed = client_for(colleague).get(f"/api/rooms/{room.id}/files/").json()["files"]
    assert [f["file"]["id"] for f in listed] == [upload.key]


def share_back_world(team: Team) -> tuple[Any, Message, Upload]:
    root = send_files(
        team.client_member, team.shared, [make_upload(team.client_member, team.shared)], "crack"
    )
    mirror = check_create_mirror(
        team.supplier_admin,
        source_room_id=team.shared.id,
        root_id=root.pk,
        target_room_id=team.supplier_internal.pk,
    )
    report = make_upload(team.supplier_member, team.supplier_internal, PDF_BYTES, "root cause.pdf")
    note = send_files(
        team.supplier_member,
        team.supplier_internal,
        [report],
        "root cause found",
        thread=mirror.root_copy_id,
    )
    return mirror, note, report


def test_a_note_with_files_is_shared_back_only_with_every_file_confirmed(team: Team) -> None:
    mirror, note, report = share_back_world(team)
    partner = client_for(team.client_member)
    assert partner.get(FILE_URL.format(key=report.key)).status_code == 404
    for confirmed in (None, [], ["someone-elses-file-key-0123456789"]):
        with pytest.raises(Conflict, match="every file"):
            check_share_back(
                team.supplier_admin,
                mirror_id=mirror.pk,
                message_id=note.pk,
                confirmed_body=note.body,
                confirmed_files=confirmed,
            )
    assert partner.get(FILE_URL.format(key=report.key)).status_code == 404
    shared = check_share_back(
        team.supplier_admin,
        mirror_id=mirror.pk,
        message_id=note.pk,
        confirmed_body=note.body,
        confirmed_files=[report.key],
    )
    # The shared room shows a copy: same name and bytes, its own key, made at the share.
    (copy,) = [a.upload for a in shared.attachments.all()]
    assert copy.key != report.key and copy.name == report.name
    assert copy.created_at >= shared.created_at - datetime.timedelta(seconds=5)
    response = partner.get(FILE_URL.format(key=copy.key))
    assert response.status_code == 200 and body_of(response) == PDF_BYTES
    assert partner.get(FILE_URL.format(key=report.key)).status_code == 404
    listed = partner.get(f"/api/rooms/{team.shared.id}/files/").json()["files"]
    assert listed[0]["file"]["id"] == copy.key
    # Who and when are the shared message's: the share, not the internal upload.
    assert listed[0]["by"]["id"] == team.supplier_admin.id
    assert listed[0]["at"] == shared.created_at.isoformat()


def test_sharing_back_a_file_follows_the_sharers_organizations_policy(team: Team) -> None:
    mirror, note, report = share_back_world(team)
    FilePolicy.objects.create(organization=team.supplier, kinds=["image"])
    with pytest.raises(Forbidden, match="does not allow PDFs"):
        check_share_back(
            team.supplier_admin,
            mirror_id=mirror.pk,
            message_id=note.pk,
            confirmed_body=note.body,
            confirmed_files=[report.key],
        )
    assert client_for(team.client_member).get(FILE_URL.format(key=report.key)).status_code == 404


def test_a_deleted_internal_note_keeps_the_file_its_share_made_visible(team: Team) -> None:
    mirror, note, report = share_back_world(team)
    check_share_back(
        team.supplier_admin,
        mirror_id=mirror.pk,
        message_id=note.pk,
        confirmed_body=note.body,
        confirmed_files=[report.key],
    )
    check_delete_message(
        team.supplier_member, room_id=team.supplier_internal.id, message_id=note.pk
    )
    tick()
    (copy,) = Upload.objects.filter(name=report.name).exclude(pk=report.pk)
    assert client_for(team.client_member).get(FILE_URL.format(key=copy.key)).status_code == 200


def test_someone_outside_both_organizations_never_fetches_a_file(team: Team) -> None:
    upload = make_upload(team.client_member, team.shared)
    send_files(team.client_member, team.shared, [upload])
    outsider = make_person(make_org("Elsewhere"))
    response = client_for(outsider).get(FILE_URL.format(key=upload.key))
    assert (response.status_code, response.content) == (404, NOT_FOUND)


# --- over the socket -------------------------------------------------------------------------


async def test_files_are_sent_over_the_socket_and_a_delete_removes_them_from_every_view(
    live_team: Team, connect: Any
) -> None:
    from asgiref.sync import sync_to_async

    t = live_team
    sender, watcher = await connect(t.client_member), await connect(t.supplier_member)
    for sock in (sender, watcher):
        await sock.send({"type": "subscribe", "room": t.shared.id})
        await sock.expect("subscribed")
    upload = await sync_to_async(make_upload)(t.client_member, t.shared, PDF_BYTES, "8D.pdf")
    frame = {"type": "message.send", "room": t.shared.id, "client_id": "f-1", "files": [upload.key]}
    await sender.send(frame)
    ack = await sender.expect("ack", client_id="f-1")
    new = await watcher.expect("message.new")
    assert new["message"]["body"] == ""
    assert [f["id"] for f in new["message"]["files"]] == [upload.key]
    assert new["message"]["files"][0]["name"] == "8D.pdf"

    await sender.send({**frame, "client_id": "f-2"})
    refused = await sender.expect("error")
    assert refused["code"] == "not_found"

    await sender.send({"type": "message.delete", "room": t.shared.id, "id": ack["id"]})
    deleted = await watcher.expect("message.deleted")
    assert deleted["id"] == ack["id"]
    # A client that missed it all replays the log: the files are gone there too.
    late = await connect(t.supplier_admin)
    await late.send({"type": "subscribe", "room": t.shared.id, "since": 0})
    replayed = [f async for f in _frames_until(late, "message.deleted")]
    stored = next(f for f in replayed if f.get("type") == "message.new")
    assert stored["message"]["files"] == [] and stored["message"]["deleted"] is True


async def _frames_until(sock: Any, last: str) -> Any:
    while True:
        frame = await sock.recv()
        yield frame
        if frame.get("type") == last:
            return
