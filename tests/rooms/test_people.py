"""A person's card (GET /api/people/{id}/) and the profile's time zone: what a viewer learns
of someone, and never a room the viewer is not in."""

from __future__ import annotations

import datetime
import io
import zoneinfo
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image

from hub.models import User
from rooms.actions.notifications import settings_for, settings_of
from rooms.actions.partnerships import check_end_partnership
from rooms.actions.people import AVATAR_MAX_BYTES
from rooms.files.images import AVATAR_SIDE
from rooms.files.storage import files_storage
from rooms.models.log import RoomEvent
from rooms.models.rooms import Room
from tests.conftest import (
    PDF_BYTES,
    Team,
    make_internal_room,
    make_org,
    make_person,
    make_shared_room,
    png_bytes,
)


def client_for(person: User) -> Client:
    client = Client()
    client.force_login(person)
    return client


def card(viewer: User, person_id: int) -> Any:
    response = client_for(viewer).get(f"/api/people/{person_id}/")
    assert response.status_code == 200, response.content
    return response.json()["card"]


def test_a_card_shows_the_persons_organization_title_time_zone_and_the_rooms_you_both_are_in(
    team: Team,
) -> None:
    sue = team.supplier_member
    User.objects.filter(pk=sue.pk).update(title="Supply engineer", time_zone="Asia/Tokyo")
    shown = card(team.client_member, sue.pk)
    assert shown["person"]["name"] == "Sue Supplier"
    assert shown["person"]["title"] == "Supply engineer"
    assert shown["person"]["org"]["name"] == team.supplier.name
    assert shown["time_zone"] == "Asia/Tokyo"
    assert shown["rooms"] == [{"id": team.shared.pk, "name": "Shared", "kind": "shared"}]


def test_a_partners_card_never_names_their_internal_rooms(team: Team) -> None:
    """Sue is in her organization's internal rooms too; the client's people see only the
    shared room they are in with her, and a colleague sees the internal room they share."""
    make_internal_room(team.supplier_admin, team.supplier_member, name="Supplier pricing")
    assert [r["name"] for r in card(team.client_member, team.supplier_member.pk)["rooms"]] == [
        "Shared"
    ]
    seen_by_colleague = card(team.supplier_admin, team.supplier_member.pk)["rooms"]
    assert [r["name"] for r in seen_by_colleague] == [
        "Shared",
        "Supplier internal",
        "Supplier pricing",
    ]


def test_a_card_lists_only_rooms_the_viewer_is_in(team: Team) -> None:
    other_shared = make_shared_room(
        team.partnership, team.supplier_admin, team.client_admin, name="Admins only"
    )
    names = [r["name"] for r in card(team.client_member, team.supplier_admin.pk)["rooms"]]
    assert names == ["Shared"]
    assert "Admins only" in [
        r["name"] for r in card(team.client_admin, team.supplier_admin.pk)["rooms"]
    ]
    assert other_shared.pk not in [
        r["id"] for r in card(team.client_member, team.client_admin.pk)["rooms"]
    ]


def test_archived_rooms_are_not_on_the_card(team: Team) -> None:
    check_end_partnership(team.client_admin, partnership_id=team.partnership.pk, reason="Done.")
    assert card(team.client_member, team.client_admin.pk)["rooms"] == [
        {"id": team.client_internal.pk, "name": "Client internal", "kind": "internal"}
    ]


def test_someone_you_may_not_know_of_is_the_same_404_as_nobody(team: Team) -> None:
    stranger = make_person(team.supplier, name="Stan Nobody-Shares")
    outsider = make_person(make_org("Elsewhere"), name="Olga Outsider")
    viewer = client_for(team.client_member)
    answers = [
        viewer.get(f"/api/people/{person_id}/")
        for person_id in (stranger.pk, outsider.pk, stranger.pk + outsider.pk + 10**9)
    ]
    assert [a.status_code for a in answers] == [404, 404, 404]
    assert len({a.content for a in answers}) == 1
    assert answers[0].json()["error"]["code"] == "not_found"
    # Sharing a room makes the card appear.
    make_shared_room(team.partnership, team.supplier_admin, stranger, team.client_member)
    assert card(team.client_member, stranger.pk)["person"]["name"] == "Stan Nobody-Shares"


def test_a_bad_person_id_is_a_clear_error_not_a_500(team: Team) -> None:
    response = client_for(team.client_member).get("/api/people/not-a-number/")
    assert response.status_code == 404


# --- the time zone: one per person, on the profile ------------------------------------------


def test_the_time_zone_is_set_on_the_profile_and_checked_against_zoneinfo(team: Team) -> None:
    client = client_for(team.client_member)
    changed = client.patch(
        "/api/me/", {"time_zone": "America/Chicago"}, content_type="application/json"
    )
    assert changed.status_code == 200 and changed.json()["me"]["time_zone"] == "America/Chicago"
    team.client_member.refresh_from_db()
    assert team.client_member.time_zone == "America/Chicago"
    for bad in ("Mars/Olympus", "", "europe/berlin", 5):
        refused = client.patch("/api/me/", {"time_zone": bad}, content_type="application/json")
        assert refused.status_code == 400, bad
        assert "IANA time zone" in refused.json()["error"]["detail"]


def test_changing_only_the_time_zone_tells_no_room(team: Team) -> None:
    heads = dict(Room.objects.values_list("pk", "last_seq"))
    client_for(team.supplier_member).patch(
        "/api/me/", {"time_zone": "Europe/Berlin"}, content_type="application/json"
    )
    assert not RoomEvent.objects.filter(type="member.updated").exists()
    assert dict(Room.objects.values_list("pk", "last_seq")) == heads


def test_the_profile_page_saves_the_time_zone(team: Team) -> None:
    client = client_for(team.client_member)
    page = client.get("/profile/")
    assert b'<option value="Europe/Lisbon">' in page.content
    saved = client.post(
        "/profile/",
        {
            "display_name": "Cleo Client",
            "title": "",
            "handle": team.client_member.handle,
            "time_zone": "Europe/Lisbon",
        },
    )
    assert saved.status_code == 302
    team.client_member.refresh_from_db()
    assert team.client_member.time_zone == "Europe/Lisbon"
    refused = client.post(
        "/profile/",
        {"display_name": "Cleo", "handle": team.client_member.handle, "time_zone": "Nowhere/Land"},
    )
    assert refused.status_code == 400 and b"IANA time zone" in refused.content


def test_quiet_hours_follow_the_profiles_time_zone(team: Team) -> None:
    cleo = team.client_member
    choices = settings_for(cleo)
    choices.quiet_enabled = True
    choices.quiet_from, choices.quiet_to = datetime.time(22, 0), datetime.time(7, 0)
    choices.save()
    eleven_pm_in_tokyo = datetime.datetime(
        2026, 12, 1, 23, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Tokyo")
    )
    assert not settings_for(cleo).is_quiet(eleven_pm_in_tokyo)  # 14:00 UTC, her zone
    User.objects.filter(pk=cleo.pk).update(time_zone="Asia/Tokyo")
    assert settings_for(cleo).is_quiet(eleven_pm_in_tokyo)
    assert client_for(cleo).get("/api/me/notifications/").json()["settings"]["time_zone"] == (
        "Asia/Tokyo"
    )


@pytest.mark.parametrize("people", [1, 5])
def test_settings_of_many_people_is_one_query(
    team: Team, people: int, django_assert_num_queries: Any
) -> None:
    ids = [make_person(team.client).pk for _ in range(people)]
    with django_assert_num_queries(1):
        found = settings_of(ids)
        zones = {found[i].person.time_zone for i in ids}
        [found[i].is_quiet(datetime.datetime.now(datetime.UTC)) for i in ids]
    assert zones == {"UTC"}


# --- the avatar: a square JPEG the server made, shown only to who may know of the person ---


def photo_with_metadata() -> bytes:
    """A 600x400 phone photo, turned a quarter by its EXIF (red on the left, blue on the
    right: upright, red on top), carrying GPS and a comment."""
    image = Image.new("RGB", (600, 400), "blue")
    image.paste((255, 0, 0), (0, 0, 300, 400))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: turned 90 degrees
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0)}  # GPS
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"Taken at the Berlin plant")
    return out.getvalue()


def put_avatar(person: User, data: bytes, content_type: str = "image/jpeg") -> Any:
    return client_for(person).put("/api/me/avatar/", data, content_type=content_type)


def test_an_avatar_is_an_upright_square_jpeg_without_the_uploads_metadata(team: Team) -> None:
    sent = put_avatar(team.supplier_member, photo_with_metadata())
    assert sent.status_code == 200, sent.content
    url = sent.json()["me"]["avatar"]
    served = client_for(team.client_member).get(url)
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert served["X-Content-Type-Options"] == "nosniff"
    picture = Image.open(io.BytesIO(served.content))
    assert (picture.format, picture.size) == ("JPEG", (AVATAR_SIDE, AVATAR_SIDE))
    assert not picture.getexif() and "comment" not in picture.info
    assert b"Berlin" not in served.content
    pixels = picture.convert("RGB")
    top, bottom = pixels.getpixel((AVATAR_SIDE // 2, 10)), pixels.getpixel((128, 245))
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert top[0] > 200 and top[2] < 60  # upright: the red half on top
    red, blue = bottom[0], bottom[2]
    assert blue > 200 and red < 60


def test_an_avatar_is_the_same_404_as_nobody_to_whoever_may_not_know_of_the_person(
    team: Team,
) -> None:
    url = put_avatar(team.supplier_member, png_bytes(300, 300)).json()["me"]["avatar"]
    outsider = make_person(make_org("Elsewhere"), name="Olga Outsider")
    stranger_view = client_for(outsider).get(url)
    missing = client_for(outsider).get(url.replace(str(team.supplier_member.pk), "4294967297"))
    assert stranger_view.status_code == missing.status_code == 404
    assert stranger_view.content == missing.content
    assert client_for(team.supplier_admin).get(url).status_code == 200  # a colleague


def test_a_new_avatar_replaces_the_old_one_whose_address_is_gone(
    team: Team, django_capture_on_commit_callbacks: Any
) -> None:
    first = put_avatar(team.supplier_member, png_bytes(300, 300, "red")).json()["me"]["avatar"]
    old_blob = User.objects.get(pk=team.supplier_member.pk).avatar
    with django_capture_on_commit_callbacks(execute=True):
        replaced = put_avatar(team.supplier_member, png_bytes(300, 300, "green"))
    second = replaced.json()["me"]["avatar"]
    assert first != second
    viewer = client_for(team.client_member)
    assert viewer.get(first).status_code == 404
    assert viewer.get(second).status_code == 200
    assert not files_storage().exists(old_blob)
    removed = client_for(team.supplier_member).delete("/api/me/avatar/")
    assert removed.status_code == 200 and removed.json()["me"]["avatar"] is None
    assert viewer.get(second).status_code == 404


def test_an_avatar_change_is_a_member_updated_event_with_its_address(team: Team) -> None:
    url = put_avatar(team.client_member, png_bytes(100, 100)).json()["me"]["avatar"]
    events = RoomEvent.objects.filter(type="member.updated")
    assert {e.room_id for e in events} == {team.shared.pk, team.client_internal.pk}
    assert {e.payload["member"]["avatar"] for e in events} == {url}
    members = client_for(team.supplier_member).get(f"/api/rooms/{team.shared.pk}/members/")
    shown = {m["person"]["id"]: m["person"]["avatar"] for m in members.json()["members"]}
    assert shown[team.client_member.pk] == url and shown[team.supplier_member.pk] is None


@pytest.mark.parametrize(
    ("data", "content_type", "status", "detail"),
    [
        (PDF_BYTES, "application/pdf", 400, "JPEG, PNG, GIF or WebP"),
        (b"", "image/png", 400, "request body"),
        (b"\0" * (AVATAR_MAX_BYTES + 1), "image/png", 413, "limited to 8 MB"),
    ],
)
def test_what_is_no_picture_is_a_clear_error(
    team: Team, data: bytes, content_type: str, status: int, detail: str
) -> None:
    refused = put_avatar(team.client_member, data, content_type)
    assert refused.status_code == status and detail in refused.json()["error"]["detail"]
    assert User.objects.get(pk=team.client_member.pk).avatar == ""
    assert not RoomEvent.objects.filter(type="member.updated").exists()


def test_the_avatar_address_is_the_routed_one(team: Team) -> None:
    person = User(pk=4294967297, avatar="avatars/AbC-9_xYz.jpg")
    routed = reverse("api:avatar", kwargs={"person_id": person.pk, "version": "AbC-9_xYz"})
    assert person.avatar_url == routed
    assert User(pk=4294967297).avatar_url is None
