"""HTTP JSON: room list, history pages, threads, members (search: test_search.py)."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from rooms.actions.members import check_add_member
from rooms.actions.messages import check_send_message
from rooms.actions.reading import check_mark_read
from rooms.actions.rooms import (
    check_create_internal_room,
    check_create_shared_room,
    check_update_room,
)
from tests.conftest import make_org, make_person


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def send(user, room, body, thread=None):
    return check_send_message(
        user, room_id=room.id, client_id=uuid.uuid4().hex, body=body, thread=thread
    )[0]


def test_rooms_list_has_unread_counts_and_partner(team):
    send(team.supplier_member, team.shared, "one")
    last = send(team.supplier_member, team.shared, "two")
    send(team.client_member, team.shared, "mine do not count")
    check_mark_read(team.client_member, room_id=team.shared.id, seq=last.seq - 1)
    body = login(team.client_member).get("/api/rooms/").json()
    by_id = {r["id"]: r for r in body["rooms"]}
    assert set(by_id) == {team.shared.id, team.client_internal.id}
    assert by_id[team.shared.id]["unread"] == 1
    assert by_id[team.shared.id]["partner"]["id"] == team.supplier.id
    assert by_id[team.client_internal.id]["kind"] == "internal"


def test_history_pages_backwards_and_forwards_by_seq(team):
    messages = [send(team.supplier_member, team.shared, f"m{i}") for i in range(7)]
    client = login(team.client_member)
    url = f"/api/rooms/{team.shared.id}/messages/"
    latest = client.get(url, {"limit": 3}).json()
    assert [m["body"] for m in latest["messages"]] == ["m4", "m5", "m6"]
    older = client.get(url, {"limit": 3, "before": latest["messages"][0]["seq"]}).json()
    assert [m["body"] for m in older["messages"]] == ["m1", "m2", "m3"]
    newer = client.get(url, {"limit": 2, "after": messages[2].seq}).json()
    assert [m["body"] for m in newer["messages"]] == ["m3", "m4"]
    assert latest["head_seq"] == messages[-1].seq


def test_history_rejects_bad_parameters(team):
    response = login(team.client_member).get(
        f"/api/rooms/{team.shared.id}/messages/", {"before": "soon"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_thread_view_returns_root_and_replies(team):
    root = send(team.supplier_member, team.shared, "root")
    send(team.client_member, team.shared, "reply", thread=root.id)
    body = login(team.client_admin).get(f"/api/rooms/{team.shared.id}/threads/{root.id}/").json()
    assert [m["body"] for m in body["messages"]] == ["root", "reply"]
    assert body["messages"][0]["reply_count"] == 1


@pytest.mark.parametrize(
    "path",
    [
        "/api/rooms/{room}/messages/",
        "/api/rooms/{room}/members/",
        "/api/rooms/{room}/threads/{message}/",
    ],
)
def test_other_organizations_rooms_look_exactly_like_missing_ones(team, path):
    secret = send(team.supplier_member, team.supplier_internal, "internal")
    outsider = login(make_person(make_org()))
    client_side = login(team.client_member)
    forbidden = client_side.get(path.format(room=team.supplier_internal.id, message=secret.id))
    missing = client_side.get(path.format(room=999_999, message=999_999))
    unrelated = outsider.get(path.format(room=team.shared.id, message=secret.id))
    assert forbidden.status_code == missing.status_code == unrelated.status_code == 404
    assert forbidden.json() == missing.json() == unrelated.json()


def test_signed_out_api_calls_get_401_json(db):
    response = Client().get("/api/rooms/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_members_list_shows_both_sides_with_their_organization(team):
    body = login(team.client_member).get(f"/api/rooms/{team.shared.id}/members/").json()
    orgs = {m["person"]["org"]["id"] for m in body["members"]}
    assert orgs == {team.supplier.id, team.client.id}


def test_create_rooms_over_http(team):
    client = login(team.client_member)
    shared = client.post(
        "/api/rooms/",
        {"partnership": team.partnership.id, "name": "Logistics"},
        content_type="application/json",
    )
    internal = client.post(
        "/api/rooms/", {"kind": "internal", "name": "Our side"}, content_type="application/json"
    )
    bad = client.post("/api/rooms/", b"[not json", content_type="application/json")
    assert shared.status_code == internal.status_code == 201
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid"


def test_room_owner_renames_the_room_over_http_and_others_cannot(team):
    url = f"/api/rooms/{team.shared.id}/"
    owner = login(team.supplier_admin).patch(
        url, {"name": "Q2 ramp"}, content_type="application/json"
    )
    member = login(team.client_member).patch(
        url, {"name": "hijack"}, content_type="application/json"
    )
    assert owner.status_code == 200 and owner.json()["name"] == "Q2 ramp"
    assert member.status_code == 403


def test_oversized_json_bodies_get_413(team):
    response = login(team.client_member).post(
        "/api/rooms/", {"name": "x" * 70_000}, content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_an_admin_deactivates_a_colleague_who_then_leaves_every_room(team):
    from rooms.models import Membership

    other_side = login(team.supplier_admin).post(
        f"/api/people/{team.client_member.id}/deactivate/", content_type="application/json"
    )
    own_admin = login(team.client_admin).post(
        f"/api/people/{team.client_member.id}/deactivate/", content_type="application/json"
    )
    assert other_side.status_code == 404
    assert own_admin.status_code == 200
    team.client_member.refresh_from_db()
    assert not team.client_member.is_active
    assert not Membership.objects.active().filter(user=team.client_member).exists()


def test_two_owners_renaming_and_retopicking_keep_both_changes(team):
    check_update_room(team.supplier_admin, room_id=team.shared.id, name="New name")
    check_update_room(team.supplier_admin, room_id=team.shared.id, topic="New topic")
    team.shared.refresh_from_db()
    assert (team.shared.name, team.shared.topic) == ("New name", "New topic")


def test_bodies_beyond_djangos_upload_limit_also_get_413_json(team):
    response = login(team.client_member).post(
        "/api/rooms/", b"x" * 3_000_000, content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_adding_someone_you_cannot_see_answers_exactly_like_a_missing_person(team):
    # A supplier employee who shares no room with the client's people.
    stranger = make_person(team.supplier, name="Stella Stranger")
    client = login(team.client_member)  # not an owner of the shared room
    url = f"/api/rooms/{team.shared.id}/members/"
    unseen = client.post(url, {"person": stranger.id}, content_type="application/json")
    missing = client.post(url, {"person": 2**52}, content_type="application/json")
    assert (unseen.status_code, unseen.content) == (missing.status_code, missing.content)
    assert unseen.status_code == 404
    # Someone they share a room with is visible: the answer may say why it is refused.
    seen = client.post(url, {"person": team.supplier_member.id}, content_type="application/json")
    assert seen.status_code in (200, 201, 403)


def test_the_room_list_counts_each_rooms_members_for_the_mirror_picker(team):
    check_create_internal_room(team.supplier_member, name="Just me")
    rooms = {r["name"]: r for r in login(team.supplier_member).get("/api/rooms/").json()["rooms"]}
    assert rooms["Just me"]["member_count"] == 1
    assert rooms[team.supplier_internal.name]["member_count"] == 2
    assert rooms[team.shared.name]["member_count"] == 4


def test_add_people_offers_colleagues_and_for_owners_partner_people_they_know(team):
    second = check_create_shared_room(
        team.supplier_admin, partnership_id=team.partnership.id, name="Second"
    )
    stranger = make_person(team.client, name="Stella Stranger")  # in no room
    gone = make_person(team.supplier, name="Gone Person")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    url = f"/api/rooms/{second.id}/members/candidates/"

    def names(person, query=""):
        body = login(person).get(url + (f"?q={query}" if query else "")).json()
        return {c["person"]["name"]: c["colleague"] for c in body["candidates"]}

    owner_sees = names(team.supplier_admin)
    # A colleague, and the client people the owner shares "Shared" with.
    assert owner_sees == {
        team.supplier_member.name: True,
        team.client_admin.name: False,
        team.client_member.name: False,
    }
    assert stranger.name not in owner_sees and gone.name not in owner_sees
    assert names(team.supplier_admin, "cleo") == {team.client_member.name: False}
    # Adding one takes them off the list.
    check_add_member(team.supplier_admin, room_id=second.id, person_id=team.supplier_member.id)
    assert team.supplier_member.name not in names(team.supplier_admin)
    # A member who is not an owner only brings colleagues.
    member_sees = names(team.supplier_member)
    assert set(member_sees) <= {team.supplier_admin.name} | {
        p.name for p in team.supplier.people.filter(is_active=True)
    }
    assert all(member_sees.values())
    # A room you are not in answers like a missing one.
    other = login(team.client_member).get(url)
    missing = login(team.client_member).get(f"/api/rooms/{2**52}/members/candidates/")
    assert (
        (other.status_code, other.content)
        == (missing.status_code, missing.content)
        == (
            404,
            missing.content,
        )
    )


def test_a_write_over_the_limit_gets_429_with_retry_after(team, settings):
    settings.CAUSEWAY_RATE_LIMIT_WRITES = (1, 60)
    client = login(team.client_member)
    first = client.post(
        f"/api/rooms/{team.shared.id}/workitems/", {"title": "One"}, content_type="application/json"
    )
    over = client.post(
        f"/api/rooms/{team.shared.id}/workitems/", {"title": "Two"}, content_type="application/json"
    )
    assert first.status_code == 201
    assert over.status_code == 429
    error = over.json()["error"]
    assert error["code"] == "rate_limited"
    assert 1 <= error["retry_after"] <= 60
    assert over["Retry-After"] == str(error["retry_after"])
