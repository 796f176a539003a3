"""Permission-scoped reads: the write check on the message hot path."""

from __future__ import annotations

import pytest
from django.utils import timezone

from hub.errors import Archived, NotFound
from rooms.actions.members import do_add_member, do_remove_member
from rooms.actions.people import check_update_profile
from rooms.models.rooms import Membership, Room
from rooms.selectors.access import access_room_for_write
from rooms.selectors.snapshot import subscription_snapshot
from tests.conftest import make_person

pytestmark = pytest.mark.django_db


def test_a_member_gets_the_room_with_what_a_write_needs(team, django_assert_num_queries):
    with django_assert_num_queries(1):
        room = access_room_for_write(team.client_member, str(team.shared.pk))
        assert (room.pk, room.kind, room.name) == (
            team.shared.pk,
            Room.Kind.SHARED,
            team.shared.name,
        )
        assert room.partnership_id == team.partnership.pk
    assert room.get_deferred_fields()


@pytest.mark.parametrize("who", ["outsider", "removed", "inactive"])
def test_anyone_but_an_active_member_gets_not_found(team, who):
    person = {
        "outsider": team.supplier_member,  # not in the client's internal room
        "removed": team.client_member,
        "inactive": team.client_member,
    }[who]
    room = team.client_internal
    if who == "removed":
        membership = Membership.objects.get(room=room, user=person)
        do_remove_member(team.client_admin, membership)
    if who == "inactive":
        person.is_active = False
        person.save()
    with pytest.raises(NotFound):
        access_room_for_write(person, room.pk)


def test_an_archived_room_takes_no_writes(team):
    Room.objects.filter(pk=team.shared.pk).update(archived_at=timezone.now())
    # Its members are told why; everyone else still cannot tell it exists.
    with pytest.raises(Archived):
        access_room_for_write(team.client_member, team.shared.pk)
    with pytest.raises(NotFound):
        access_room_for_write(team.client_member, team.supplier_internal.pk)


def test_a_room_that_does_not_exist_is_not_found(team):
    with pytest.raises(NotFound):
        access_room_for_write(team.client_member, 10**12)


def test_a_subscription_snapshot_is_four_queries_and_names_every_member(
    team, django_assert_num_queries
):
    with django_assert_num_queries(4):
        snapshot = subscription_snapshot(team.client_member, team.shared.pk, None, 50, 1000)
    people = {m["person"]["id"]: m["person"] for m in snapshot["members"]}
    assert set(people) == {
        team.supplier_admin.pk,
        team.supplier_member.pk,
        team.client_admin.pk,
        team.client_member.pk,
    }
    cleo = people[team.client_member.pk]
    assert cleo["name"] == team.client_member.name
    assert cleo["org"] == {
        "id": team.client.pk,
        "name": team.client.name,
        "slug": team.client.slug,
    }
    assert snapshot["head"] == Room.objects.get(pk=team.shared.pk).last_seq


def test_subscribers_at_the_same_head_share_one_read_of_the_member_list(
    team, django_assert_num_queries
):
    """A reconnect storm reads each room's members once, not once per socket."""
    head = Room.objects.get(pk=team.shared.pk).last_seq
    first = subscription_snapshot(team.client_member, team.shared.pk, head, 50, 1000)
    with django_assert_num_queries(2):
        second = subscription_snapshot(team.supplier_member, team.shared.pk, head, 50, 1000)
    assert second["members"] == first["members"]


def test_the_member_list_after_a_join_or_a_profile_change_is_read_anew(team):
    before = subscription_snapshot(team.client_member, team.shared.pk, None, 50, 1000)
    newcomer = make_person(team.client, name="Newcomer")
    do_add_member(team.client_admin, team.shared, newcomer)
    check_update_profile(team.supplier_member, display_name="Renamed Supplier")
    after = subscription_snapshot(team.client_member, team.shared.pk, None, 50, 1000)
    names = {m["person"]["id"]: m["person"]["name"] for m in after["members"]}
    assert after["head"] > before["head"]
    assert newcomer.pk in names and newcomer.pk not in {
        m["person"]["id"] for m in before["members"]
    }
    assert names[team.supplier_member.pk].startswith("Renamed Supplier")


def test_a_client_that_missed_nothing_gets_an_empty_replay_without_reading_the_log(
    team, django_assert_num_queries
):
    head = Room.objects.get(pk=team.shared.pk).last_seq
    with django_assert_num_queries(3):
        snapshot = subscription_snapshot(team.client_member, team.shared.pk, head, 50, 1000)
    assert snapshot["replay"] == []
    assert snapshot["head"] == head
