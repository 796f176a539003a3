"""Ids the other organization sees count nothing of what happens elsewhere."""

from __future__ import annotations

import itertools
import uuid

from rooms.actions.messages import check_send_message
from rooms.actions.workitems import check_create_work_item
from tests.conftest import Team


def say(person, room, body):
    return check_send_message(person, room_id=room.id, client_id=uuid.uuid4().hex, body=body)[0]


def test_message_ids_do_not_count_internal_messages(team: Team):
    shared_ids = []
    for n in range(12):
        shared_ids.append(say(team.client_member, team.shared, f"shared {n}").id)
        for note in range(3):
            say(team.supplier_member, team.supplier_internal, f"internal {n}.{note}")
    # From a global counter the partner would see each step grow by four:
    # three internal notes between two of its messages.
    steps = {b - a for a, b in itertools.pairwise(shared_ids)}
    assert steps != {4}
    assert shared_ids != sorted(shared_ids)
    assert all(0 < i < 2**53 for i in shared_ids)  # exact in a browser's numbers


def test_rooms_people_and_work_items_get_unpredictable_ids_too(team: Team):
    from tests.conftest import make_internal_room, make_person

    rooms = [make_internal_room(team.supplier_admin, name=f"r{n}").id for n in range(8)]
    people = [make_person(team.supplier).id for _ in range(8)]
    items = [
        check_create_work_item(
            team.supplier_admin, room_id=team.supplier_internal.id, title=f"t{n}"
        ).id
        for n in range(8)
    ]
    for ids in (rooms, people, items):
        assert ids != sorted(ids)
