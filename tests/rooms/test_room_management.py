"""Owners manage their rooms: archive and reopen, roles, leaving; being added reaches you live."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from hub.errors import Archived, Conflict, Forbidden, Invalid, NotFound
from hub.models import AuditEntry
from hub.publish import room_group, user_group
from rooms.actions.archiving import check_archive_room, check_unarchive_room
from rooms.actions.members import (
    check_add_member,
    check_leave_room,
    check_remove_member,
    check_set_member_role,
)
from rooms.actions.partnerships import check_end_partnership
from rooms.actions.rooms import check_update_room
from rooms.bridge.mirrors import check_create_mirror
from rooms.models.bridge import Mirror
from rooms.models.log import RoomEvent
from rooms.models.rooms import Membership, Room
from rooms.selectors.rooms import room_list
from tests.conftest import make_internal_room, make_person, say


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def last_event(room):
    event = RoomEvent.objects.filter(room=room).order_by("seq").last()
    assert event is not None
    return event.payload


def role_of(room, person):
    return Membership.objects.get(room=room, user=person).role


# --- archive and reopen ------------------------------------------------------------------


def test_an_owner_archives_and_reopens_a_room_each_a_room_event_and_audited(team, published):
    room = team.supplier_internal
    head = Room.objects.get(pk=room.pk).last_seq
    with published.capture():
        check_archive_room(team.supplier_admin, room_id=room.pk)
    archived = last_event(room)
    assert archived["type"] == "room.archived" and archived["seq"] == head + 1
    assert archived["cause"] == "owner" and archived["by"]["id"] == team.supplier_admin.pk
    assert published.frames(room_group(room.pk))[-1] == archived
    with pytest.raises(Archived):
        say(team.supplier_member, room, "still here?")
    (entry,) = room_list(team.supplier_member, room_id=room.pk)
    assert entry["archived"] and entry["archived_cause"] == "owner"

    with published.capture():
        check_unarchive_room(team.supplier_admin, room_id=room.pk)
    reopened = last_event(room)
    assert reopened == {
        "type": "room.unarchived",
        "room": room.pk,
        "seq": head + 2,
        "by": reopened["by"],
    }
    assert reopened["by"]["id"] == team.supplier_admin.pk
    say(team.supplier_member, room, "back in business")
    actions = set(AuditEntry.objects.filter(target_id=room.pk).values_list("action", flat=True))
    assert {"room.archived", "room.unarchived"} <= actions


def test_members_cannot_archive_or_reopen_and_outsiders_cannot_tell_the_room_exists(team):
    with pytest.raises(Forbidden):
        check_archive_room(team.supplier_member, room_id=team.supplier_internal.pk)
    with pytest.raises(NotFound):
        check_archive_room(team.client_admin, room_id=team.supplier_internal.pk)
    check_archive_room(team.supplier_admin, room_id=team.supplier_internal.pk)
    with pytest.raises(Forbidden):
        check_unarchive_room(team.supplier_member, room_id=team.supplier_internal.pk)
    with pytest.raises(NotFound):
        check_unarchive_room(team.client_admin, room_id=team.supplier_internal.pk)
    with pytest.raises(Conflict):
        check_archive_room(team.supplier_admin, room_id=team.supplier_internal.pk)


def test_a_room_whose_partnership_ended_cannot_be_reopened_and_the_owner_is_told_why(team):
    check_end_partnership(team.client_admin, partnership_id=team.partnership.pk, reason="Done.")
    with pytest.raises(Forbidden) as refused:
        check_unarchive_room(team.supplier_admin, room_id=team.shared.pk)
    assert "partnership with Client ended" in refused.value.detail
    assert Room.objects.get(pk=team.shared.pk).archived_at is not None
    (entry,) = room_list(team.supplier_admin, room_id=team.shared.pk)
    assert entry["archived_cause"] == "partnership_ended"
    assert last_event(team.shared)["cause"] == "partnership_ended"


def test_a_room_an_owner_archived_is_archived_again_when_its_partnership_ends(team):
    check_archive_room(team.supplier_admin, room_id=team.shared.pk)
    check_end_partnership(team.client_admin, partnership_id=team.partnership.pk, reason="Done.")
    causes = [
        e.payload.get("cause")
        for e in RoomEvent.objects.filter(room=team.shared, type="room.archived").order_by("seq")
    ]
    assert causes == ["owner", "partnership_ended"]
    with pytest.raises(Forbidden):
        check_unarchive_room(team.supplier_admin, room_id=team.shared.pk)


def test_archiving_a_room_stops_the_mirrors_into_it(team):
    root = say(team.client_member, team.shared, "Shall we move the audit?")
    mirror = check_create_mirror(
        team.supplier_member, source_room_id=team.shared.pk, root_id=root.pk,
        target_room_id=team.supplier_internal.pk,
    )  # fmt: skip
    check_archive_room(team.supplier_admin, room_id=team.supplier_internal.pk)
    assert Mirror.objects.get(pk=mirror.pk).stopped_at is not None


# --- roles ---------------------------------------------------------------------------


def test_an_owner_makes_a_member_an_owner_on_the_room_seq(team, published):
    room = team.shared
    with published.capture():
        check_set_member_role(
            team.supplier_admin, room_id=room.pk, person_id=team.client_member.pk, role="owner"
        )
    event = last_event(room)
    assert event["type"] == "member.role"
    assert (event["user"], event["role"]) == (team.client_member.pk, "owner")
    assert event["by"]["id"] == team.supplier_admin.pk
    assert role_of(room, team.client_member) == "owner"
    assert AuditEntry.objects.filter(action="membership.role_changed").exists()
    head = Room.objects.get(pk=room.pk).last_seq
    # Their role already: nothing is logged.
    check_set_member_role(
        team.supplier_admin, room_id=room.pk, person_id=team.client_member.pk, role="owner"
    )
    assert Room.objects.get(pk=room.pk).last_seq == head


def test_only_owners_change_roles_and_the_last_owner_cannot_be_demoted(team):
    room = team.shared
    with pytest.raises(Forbidden):
        check_set_member_role(
            team.client_member, room_id=room.pk, person_id=team.client_member.pk, role="owner"
        )
    with pytest.raises(Invalid) as last:
        check_set_member_role(
            team.supplier_admin, room_id=room.pk, person_id=team.supplier_admin.pk, role="member"
        )
    assert "last owner" in last.value.detail
    alone = make_internal_room(team.supplier_member, name="Alone")
    with pytest.raises(Invalid):  # the only person in it, too
        check_set_member_role(
            team.supplier_member, room_id=alone.pk, person_id=team.supplier_member.pk, role="member"
        )
    stranger = make_person(team.supplier, name="Stella Stranger")
    with pytest.raises(NotFound):
        check_set_member_role(
            team.supplier_admin, room_id=room.pk, person_id=stranger.pk, role="owner"
        )


# --- leaving -------------------------------------------------------------------------


def test_a_member_leaves_and_their_sockets_lose_the_room(team, published):
    with published.capture():
        check_leave_room(team.client_member, room_id=team.shared.pk)
    assert last_event(team.shared) == {
        "type": "member.left", "room": team.shared.pk, "seq": last_event(team.shared)["seq"],
        "user": team.client_member.pk,
    }  # fmt: skip
    controls = [m for m in published if m["group"] == user_group(team.client_member.pk)]
    assert controls[-1]["kind"] == "room.revoked"
    with pytest.raises(NotFound):
        say(team.client_member, team.shared, "hello?")


def test_the_last_owner_leaves_only_by_naming_the_next_owner(team):
    for room in (team.shared, team.supplier_internal):  # the same rule in both
        with pytest.raises(Invalid) as refused:
            check_leave_room(team.supplier_admin, room_id=room.pk)
        assert "last owner" in refused.value.detail
        # Removing yourself is leaving: the same rule.
        with pytest.raises(Invalid):
            check_remove_member(
                team.supplier_admin, room_id=room.pk, person_id=team.supplier_admin.pk
            )
        check_leave_room(team.supplier_admin, room_id=room.pk, new_owner=team.supplier_member.pk)
        assert role_of(room, team.supplier_member) == "owner"
        types = list(
            RoomEvent.objects.filter(room=room).order_by("-seq").values_list("type", flat=True)[:2]
        )
        assert types == ["member.left", "member.role"]


def test_the_next_owner_must_be_in_the_room_and_only_owners_name_one(team):
    outsider = make_person(team.supplier, name="Otto Outside")
    with pytest.raises(NotFound):
        check_leave_room(team.supplier_admin, room_id=team.shared.pk, new_owner=outsider.pk)
    with pytest.raises(Forbidden):
        check_leave_room(team.client_member, room_id=team.shared.pk, new_owner=team.client_admin.pk)


def test_the_last_person_in_a_room_may_leave_it_empty(team):
    room = team.supplier_internal
    check_remove_member(team.supplier_admin, room_id=room.pk, person_id=team.supplier_member.pk)
    check_leave_room(team.supplier_admin, room_id=room.pk)
    assert not Membership.objects.active().filter(room=room).exists()


def test_an_admin_cannot_remove_the_last_owner_of_a_room_with_people_in_it(team):
    room = team.client_internal
    check_set_member_role(
        team.client_admin, room_id=room.pk, person_id=team.client_member.pk, role="owner"
    )
    check_leave_room(team.client_admin, room_id=room.pk)
    # Someone in the room, the admin came back as a member: not the owner's remover.
    check_add_member(team.client_member, room_id=room.pk, person_id=team.client_admin.pk)
    with pytest.raises(Invalid):
        check_remove_member(team.client_admin, room_id=room.pk, person_id=team.client_member.pk)


# --- being added ----------------------------------------------------------------------


def test_being_added_tells_only_that_persons_sockets_with_their_own_room_entry(team, published):
    newcomer = make_person(team.client, name="Nia New")
    with published.capture():
        check_add_member(team.client_admin, room_id=team.shared.pk, person_id=newcomer.pk)
    (frame,) = [f for f in published.frames() if f["type"] == "room.added"]
    assert published.frames(user_group(newcomer.pk)) == [frame]
    assert frame["room"]["id"] == team.shared.pk
    assert frame["room"]["partner"]["name"] == "Supplier"  # the newcomer's partner
    assert frame["room"]["role"] == "member" and frame["by"]["id"] == team.client_admin.pk


async def test_an_open_socket_gains_the_room_it_is_added_to_and_loses_it_on_leaving(
    live_team, connect
):
    t = live_team
    newcomer = await sync_to_async(make_person)(t.client, name="Nia New")
    socket = await connect(newcomer)
    await sync_to_async(check_add_member)(
        t.client_admin, room_id=t.shared.pk, person_id=newcomer.pk
    )
    added = await socket.expect("room.added")
    assert added["room"]["id"] == t.shared.pk and added["by"]["name"] == "Cal Client-Admin"
    await socket.send({"type": "subscribe", "room": t.shared.pk})
    await socket.expect("subscribed", room=t.shared.pk)
    await sync_to_async(check_leave_room)(newcomer, room_id=t.shared.pk)
    assert (await socket.expect("room.removed"))["room"] == t.shared.pk


async def test_subscribers_hear_renames_roles_and_archiving_live(live_team, connect):
    t = live_team
    socket = await connect(t.client_member)
    await socket.send({"type": "subscribe", "room": t.shared.pk})
    await socket.expect("subscribed", room=t.shared.pk)
    await sync_to_async(check_update_room)(
        t.supplier_admin, room_id=t.shared.pk, name="Q3 ramp", topic="NW-220"
    )
    assert (await socket.expect("room.updated"))["topic"] == "NW-220"
    await sync_to_async(check_set_member_role)(
        t.supplier_admin, room_id=t.shared.pk, person_id=t.client_member.pk, role="owner"
    )
    assert (await socket.expect("member.role"))["role"] == "owner"
    await sync_to_async(check_archive_room)(t.supplier_admin, room_id=t.shared.pk)
    assert (await socket.expect("room.archived"))["cause"] == "owner"
    await sync_to_async(check_unarchive_room)(t.client_member, room_id=t.shared.pk)
    assert (await socket.expect("room.unarchived"))["by"]["id"] == t.client_member.pk


# --- HTTP ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("post", "archive/", {}),
        ("post", "unarchive/", {}),
        ("post", "leave/", {}),
        ("patch", "members/{person}/", {"role": "owner"}),
    ],
)
def test_other_organizations_internal_rooms_answer_404_to_every_management_endpoint(
    team, method, path, data
):
    client = login(team.client_admin)
    url = f"/api/rooms/{team.supplier_internal.pk}/" + path.format(person=team.supplier_member.pk)
    response = getattr(client, method)(url, data, content_type="application/json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_endpoints_archive_reopen_change_roles_and_leave(team):
    owner = login(team.supplier_admin)
    base = f"/api/rooms/{team.shared.pk}/"
    assert owner.post(base + "archive/").json() == {"id": team.shared.pk, "archived": True}
    assert owner.post(base + "archive/").status_code == 409
    assert owner.post(base + "unarchive/").json()["archived"] is False
    bad = owner.patch(
        base + f"members/{team.client_member.pk}/",
        {"role": "king"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid"
    made = owner.patch(
        base + f"members/{team.client_member.pk}/",
        {"role": "owner"},
        content_type="application/json",
    )
    assert made.json() == {"room": team.shared.pk, "person": team.client_member.pk, "role": "owner"}
    refused = owner.post(base + "leave/", {"new_owner": "x"}, content_type="application/json")
    assert refused.status_code == 400
    left = owner.post(base + "leave/", {}, content_type="application/json")
    assert left.json() == {"ok": True}  # Cleo owns it now
    assert owner.get(base + "messages/").status_code == 404


def test_two_owners_leaving_at_once_leave_the_room_one_owner(live_team):
    import threading

    from django.db import connection

    t = live_team
    check_set_member_role(
        t.supplier_admin, room_id=t.shared.pk, person_id=t.client_admin.pk, role="owner"
    )
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def leave(person) -> None:
        barrier.wait()
        try:
            check_leave_room(person, room_id=t.shared.pk)
            outcomes[person.name] = "left"
        except Invalid:
            outcomes[person.name] = "refused"
        finally:
            connection.close()

    threads = [
        threading.Thread(target=leave, args=(p,)) for p in (t.supplier_admin, t.client_admin)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()) == ["left", "refused"]
    owners = Membership.objects.active().filter(room=t.shared, role="owner")
    assert owners.count() == 1
