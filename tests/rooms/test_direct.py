"""Direct conversations: two or three people, one organization or across a partnership."""

from __future__ import annotations

import pytest
from django.test import Client

from hub.errors import Forbidden, Invalid, NotFound
from rooms.actions.archiving import check_archive_room
from rooms.actions.direct import check_start_direct, direct_candidates
from rooms.actions.invitations import check_create_invitation
from rooms.actions.members import check_add_member, check_leave_room, check_set_member_role
from rooms.actions.partnerships import check_end_partnership
from rooms.actions.rooms import check_update_room
from rooms.actions.workitems import check_create_work_item
from rooms.bridge.mirrors import check_create_mirror
from rooms.models.rooms import Membership, Room
from rooms.selectors.rooms import room_list
from tests.conftest import make_org, make_partnership, make_person, make_shared_room, say


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def entry(person, room):
    (found,) = room_list(person, room_id=room.pk)
    return found


def test_a_supplier_and_a_client_person_start_one_conversation_held_by_their_partnership(team):
    room = check_start_direct(team.supplier_member, people=[team.client_member.pk])
    assert (room.kind, room.partnership_id, room.organization_id) == (
        "direct",
        team.partnership.pk,
        None,
    )
    people = set(Membership.objects.active().filter(room=room).values_list("user_id", "role"))
    assert people == {(team.supplier_member.pk, "member"), (team.client_member.pk, "member")}
    # Either of them starting it again opens the same one.
    assert check_start_direct(team.client_member, people=[team.supplier_member.pk]) == room
    assert entry(team.supplier_member, room)["name"] == "Cleo Client"
    assert entry(team.client_member, room)["name"] == "Sue Supplier"
    assert entry(team.client_member, room)["partner"]["name"] == "Supplier"


def test_a_conversation_of_three_colleagues_is_held_by_their_organization(team):
    room = check_start_direct(
        team.supplier_admin, people=[team.supplier_member.pk, team.supplier_member.pk]
    )
    assert room.organization_id == team.supplier.pk and room.partnership_id is None
    third = make_person(team.supplier, name="Tom Third")
    trio = check_start_direct(team.supplier_admin, people=[team.supplier_member.pk, third.pk])
    assert trio != room
    assert entry(third, trio)["name"] == "Sam Supplier-Admin, Sue Supplier"
    assert "partner" not in entry(third, trio)


def test_only_people_you_may_know_of_in_your_organization_or_an_active_partner(team):
    stranger = make_person(make_org(), name="Otto Other")
    unknown_partner = make_person(team.client, name="Uma Unknown")
    for person in (stranger, unknown_partner):
        with pytest.raises(NotFound):
            check_start_direct(team.supplier_member, people=[person.pk])
    assert unknown_partner not in direct_candidates(team.supplier_member)
    with pytest.raises(Invalid):
        check_start_direct(team.supplier_member, people=[])
    with pytest.raises(Invalid):
        check_start_direct(
            team.supplier_member,
            people=[team.client_member.pk, team.client_admin.pk, team.supplier_admin.pk],
        )


def test_a_conversation_spans_at_most_one_partnership(team):
    third_org = make_org("Third")
    make_partnership(team.supplier, third_org)
    third = make_person(third_org, name="Theo Third")
    # Sue knows Theo from a shared room of that partnership.
    make_shared_room(third_org.partnerships_as_client.get(), team.supplier_member, third)
    assert third in direct_candidates(team.supplier_member)
    with pytest.raises(Invalid):
        check_start_direct(team.supplier_member, people=[team.client_member.pk, third.pk])


def test_when_the_partnership_ends_its_conversations_are_archived_and_its_people_gone(team):
    room = check_start_direct(team.supplier_member, people=[team.client_member.pk])
    check_end_partnership(team.client_admin, partnership_id=team.partnership.pk, reason="Done.")
    assert Room.objects.get(pk=room.pk).archived_at is not None
    assert team.client_member not in direct_candidates(team.supplier_member)


def test_its_people_are_fixed_and_it_has_no_owners_no_name_and_no_work_items(team):
    room = check_start_direct(team.supplier_member, people=[team.client_member.pk])
    refused = [
        lambda: check_add_member(
            team.supplier_member, room_id=room.pk, person_id=team.supplier_admin.pk
        ),
        lambda: check_update_room(team.supplier_member, room_id=room.pk, name="Ours"),
        lambda: check_archive_room(team.supplier_member, room_id=room.pk),
        lambda: check_set_member_role(
            team.supplier_member, room_id=room.pk, person_id=team.client_member.pk, role="owner"
        ),
        lambda: check_create_work_item(team.supplier_member, room_id=room.pk, title="Do it"),
        lambda: check_create_invitation(
            team.supplier_member, room_id=room.pk, email="new@supplier.test"
        ),
    ]
    for attempt in refused:
        with pytest.raises(Forbidden):
            attempt()
    root = say(team.client_member, room, "Can we talk about March?")
    with pytest.raises(Invalid):
        check_create_mirror(
            team.supplier_member,
            source_room_id=room.pk,
            root_id=root.pk,
            target_room_id=team.supplier_internal.pk,
        )


def test_leaving_and_starting_again_brings_you_back(team):
    room = check_start_direct(team.supplier_member, people=[team.client_member.pk])
    say(team.client_member, room, "Are you there?")
    check_leave_room(team.supplier_member, room_id=room.pk)
    assert not Membership.objects.active().filter(room=room, user=team.supplier_member).exists()
    assert check_start_direct(team.supplier_member, people=[team.client_member.pk]) == room
    assert Membership.objects.active().filter(room=room, user=team.supplier_member).exists()


def test_the_admins_of_both_organizations_see_nothing_of_a_conversation_they_are_not_in(team):
    room = check_start_direct(team.supplier_member, people=[team.client_member.pk])
    say(team.client_member, room, "The forecast is wrong by 20 percent")
    for admin in (team.supplier_admin, team.client_admin):
        client = login(admin)
        listed = [r["id"] for r in client.get("/api/rooms/").json()["rooms"]]
        assert room.pk not in listed
        for path in ("messages/", "members/", "files/", "workitems/"):
            assert client.get(f"/api/rooms/{room.pk}/{path}").status_code == 404
        found = client.get("/api/search/?q=forecast").json()["results"]
        assert found == []
        assert client.get(f"/rooms/{room.pk}/").status_code == 404


def test_in_a_conversation_across_the_partnership_the_shared_rules_hold(team):
    room = check_start_direct(team.supplier_admin, people=[team.client_member.pk])
    # An admin moderates only their own organization's people, as in a shared room.
    assert entry(team.supplier_admin, room)["moderation"] == "own_org"
    assert entry(team.client_member, room)["moderation"] == "none"


def test_the_endpoints_start_a_conversation_and_offer_whom_you_may_start_one_with(team):
    client = login(team.supplier_member)
    people = client.get("/api/direct/people/?q=cleo").json()["people"]
    assert [(p["person"]["id"], p["colleague"]) for p in people] == [(team.client_member.pk, False)]
    started = client.post(
        "/api/direct/", {"people": [team.client_member.pk]}, content_type="application/json"
    )
    assert started.status_code == 200 and started.json()["kind"] == "direct"
    bad = client.post("/api/direct/", {"people": "all"}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid"
