"""People: handles, profiles, and what of a person the other organization learns."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from hub.errors import Conflict, Invalid
from hub.models import User
from hub.schemas import ProfileChange, parse
from rooms.actions.messages import check_send_message
from rooms.actions.partnerships import check_end_partnership
from rooms.actions.people import check_update_profile as check_profile
from rooms.models.log import RoomEvent
from rooms.models.messages import Mention
from rooms.models.rooms import Room
from tests.conftest import Team, make_person


def check_update_profile(person, **fields):
    """A profile change, parsed and checked as PATCH /api/me/ does."""
    change = parse(ProfileChange, fields)
    return check_profile(
        person, display_name=change.display_name, title=change.title, handle=change.handle
    )


def test_handles_come_from_the_display_name_never_from_the_email(team: Team):
    person = make_person(team.supplier, name="Anna Berg", email="a.k.b-1979@supplier-mail.test")
    assert person.handle == "anna.berg"
    same_name = make_person(team.client, name="Anna Berg")
    assert same_name.handle == "anna.berg2"
    accented = make_person(team.client, name="Zoë Müller-Lüdenscheidt")
    assert accented.handle == "zoe.muller.ludenscheidt"
    nameless = make_person(team.client, name="王伟", email="wang.wei@client.test")
    assert "wang" not in nameless.handle and nameless.handle.startswith("person")


def test_a_handle_stays_when_the_display_name_changes(team: Team):
    person = make_person(team.supplier, name="Anna Berg")
    check_update_profile(person, display_name="Anna Berg-Okafor")
    person.refresh_from_db()
    assert (person.display_name, person.handle) == ("Anna Berg-Okafor", "anna.berg")


def test_a_person_changes_their_handle_and_is_mentioned_by_it(team: Team):
    check_update_profile(team.client_member, handle="Cleo.D")
    team.client_member.refresh_from_db()
    assert team.client_member.handle == "cleo.d"
    message, _ = check_send_message(
        team.supplier_member,
        room_id=team.shared.id,
        client_id=uuid.uuid4().hex,
        body="@cleo.d can you check?",
    )
    assert list(Mention.objects.filter(message=message).values_list("user_id", flat=True)) == [
        team.client_member.id
    ]


@pytest.mark.parametrize(
    "handle", ["", "a", "-lead", "trailing.", "has space", "x" * 33, "émile", "all", "here"]
)
def test_bad_or_reserved_handles_are_refused(team: Team, handle: str):
    with pytest.raises(Invalid):
        check_update_profile(team.client_member, handle=handle)


def test_a_taken_handle_conflicts_whatever_its_case(team: Team):
    with pytest.raises(Conflict):
        check_update_profile(team.client_member, handle=team.supplier_member.handle.upper())


def test_the_profile_api_updates_name_title_and_handle(team: Team):
    client = Client()
    client.force_login(team.client_member)
    response = client.patch(
        "/api/me/",
        {"display_name": "Cleo Diaz", "title": "Buyer", "handle": "cleo"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    me = response.json()["me"]
    assert (me["name"], me["title"], me["handle"]) == ("Cleo Diaz", "Buyer", "cleo")
    assert "email" not in me
    refused = client.patch("/api/me/", {"handle": "x y"}, content_type="application/json")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid"


def test_the_partner_never_receives_any_part_of_an_email_address(team: Team):
    person = User.objects.get(pk=team.supplier_member.pk)
    person.email = "zq7private@supplier-mail.test"
    person.display_name = ""
    person.save(update_fields=["email", "display_name"])
    check_send_message(person, room_id=team.shared.id, client_id=uuid.uuid4().hex, body="hello")
    client = Client()
    client.force_login(team.client_member)
    bodies = [
        client.get(path).content.decode()
        for path in (
            "/api/rooms/",
            f"/api/rooms/{team.shared.id}/messages/",
            f"/api/rooms/{team.shared.id}/members/",
            "/api/search/?q=hello",
            "/api/people/",
            f"/rooms/{team.shared.id}/",
        )
    ]
    for body in bodies:
        assert "zq7private" not in body
        assert "supplier-mail" not in body


def test_the_people_list_has_colleagues_and_those_you_share_a_room_with_only(team: Team):
    stranger = make_person(team.supplier, name="Stan Nobody-Shares")
    unrelated_partner = make_person(team.client, name="Cora Elsewhere")
    client = Client()
    client.force_login(team.client_member)
    names = [p["name"] for p in client.get("/api/people/").json()["people"]]
    # The partner's people appear once they share a room with you, never before.
    assert "Sam Supplier-Admin" in names and "Sue Supplier" in names
    assert stranger.name not in names
    assert unrelated_partner.name in names  # a colleague
    found = client.get("/api/people/", {"q": "sue"}).json()["people"]
    assert [p["name"] for p in found] == ["Sue Supplier"]
    assert found[0]["org"]["id"] == team.supplier.pk


def test_a_profile_change_is_a_member_updated_event_in_every_room_of_the_person(team: Team):
    """Everyone who shows the person (member lists, authors) is in one of their rooms,
    archived ones included; nobody else's room gets an event."""
    check_end_partnership(team.client_admin, partnership_id=team.partnership.id, reason="Done.")
    heads = {room.id: room.last_seq for room in Room.objects.all()}
    check_update_profile(team.supplier_member, display_name="Sue S.", title="Planner")
    events = {
        e.room_id: e.payload
        for e in RoomEvent.objects.filter(type="member.updated").order_by("room_id", "seq")
    }
    assert set(events) == {team.shared.id, team.supplier_internal.id}
    assert events[team.shared.id]["seq"] == heads[team.shared.id] + 1
    member = events[team.shared.id]["member"]
    assert (member["id"], member["name"], member["title"]) == (
        team.supplier_member.id,
        "Sue S.",
        "Planner",
    )
    assert Room.objects.get(pk=team.client_internal.id).last_seq == heads[team.client_internal.id]


def test_a_refused_profile_change_appends_nothing(team: Team):
    with pytest.raises(Conflict):
        check_update_profile(team.client_member, handle=team.supplier_member.handle)
    assert not RoomEvent.objects.filter(type="member.updated").exists()


def test_saving_an_unchanged_profile_tells_nobody(team: Team):
    person = team.supplier_member
    check_update_profile(person, display_name=person.display_name, handle=person.handle)
    assert not RoomEvent.objects.filter(type="member.updated").exists()
