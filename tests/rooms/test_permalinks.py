"""Permalinks: ``GET /api/rooms/{room}/messages/{id}/`` opens the room around a message.

Marked ``embedded``: run on PostgreSQL and again on SQLite by ``make test``.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from hub.models import User
from rooms.actions.members import check_remove_member
from rooms.api.rooms import AROUND_EACH_SIDE
from rooms.models.rooms import Room
from tests.conftest import Team, say

pytestmark = pytest.mark.embedded


def open_link(viewer: User, room: Room, message_id: int) -> Any:
    client = Client()
    client.force_login(viewer)
    return client.get(f"/api/rooms/{room.pk}/messages/{message_id}/")


def test_a_message_deep_in_history_opens_with_the_room_around_it(team: Team) -> None:
    sent = [say(team.supplier_member, team.shared, f"message {n}") for n in range(120)]
    target = sent[30]
    body = open_link(team.client_member, team.shared, target.pk).json()
    bodies = [m["body"] for m in body["messages"]]
    assert bodies == [f"message {n}" for n in range(30 - AROUND_EACH_SIDE, 31 + AROUND_EACH_SIDE)]
    assert body["message"]["id"] == body["anchor"] == target.pk
    assert body["thread"] is None
    assert (body["older"], body["newer"]) == (True, True)
    assert body["head_seq"] == sent[-1].seq


def test_near_either_end_the_page_says_there_is_nothing_further(team: Team) -> None:
    sent = [say(team.supplier_member, team.shared, f"message {n}") for n in range(10)]
    body = open_link(team.client_member, team.shared, sent[2].pk).json()
    assert [m["body"] for m in body["messages"]] == [f"message {n}" for n in range(10)]
    assert (body["older"], body["newer"]) == (False, False)


def test_a_reply_opens_its_thread_in_the_room_around_the_threads_root(team: Team) -> None:
    say(team.supplier_member, team.shared, "before")
    root = say(team.supplier_member, team.shared, "the root")
    reply = say(team.client_member, team.shared, "a reply", thread=root)
    say(team.supplier_member, team.shared, "after")
    body = open_link(team.supplier_admin, team.shared, reply.pk).json()
    assert body["message"]["body"] == "a reply"
    assert (body["anchor"], body["thread"]) == (root.pk, root.pk)
    assert [m["body"] for m in body["messages"]] == ["before", "the root", "after"]


def test_a_link_you_may_not_open_answers_exactly_like_a_missing_one(team: Team) -> None:
    note = say(team.supplier_member, team.supplier_internal, "internal note")
    shared = say(team.supplier_member, team.shared, "shared")
    missing = open_link(team.client_member, team.supplier_internal, note.pk + 1)
    forbidden = open_link(team.client_member, team.supplier_internal, note.pk)
    # The right room's id with a message of another room: also missing.
    elsewhere = open_link(team.client_member, team.shared, note.pk)
    assert missing.status_code == forbidden.status_code == elsewhere.status_code == 404
    assert missing.json() == forbidden.json() == elsewhere.json()
    assert open_link(team.client_member, team.shared, shared.pk).status_code == 200
    check_remove_member(team.client_admin, room_id=team.shared.pk, person_id=team.client_member.pk)
    assert open_link(team.client_member, team.shared, shared.pk).json() == missing.json()
