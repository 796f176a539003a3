"""The Threads view: ``GET /api/threads/``, the threads a person follows.

Marked ``embedded``: run on PostgreSQL and again on SQLite by ``make test``.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from hub.errors import Invalid
from hub.models import User
from rooms.actions.members import check_remove_member
from rooms.actions.messages import check_delete_message, check_send_message
from rooms.actions.reading import check_follow_thread, check_mark_thread_read
from rooms.models.messages import Message
from rooms.selectors.reading import THREADS_PAGE
from tests.conftest import Team, say

pytestmark = pytest.mark.embedded


def threads(viewer: User, **params: Any) -> dict[str, Any]:
    client = Client()
    client.force_login(viewer)
    response = client.get("/api/threads/", params)
    assert response.status_code == 200, response.content
    result: dict[str, Any] = response.json()
    return result


def test_followed_threads_come_latest_activity_first_with_unread_replies(team: Team) -> None:
    older = say(team.supplier_member, team.shared, "Thread about gaskets")
    newer = say(team.client_member, team.shared, "Thread about flanges")
    say(team.client_member, team.shared, "gasket reply 1", thread=older)
    say(team.client_member, team.shared, "flange reply 1", thread=newer)
    say(team.supplier_member, team.shared, "flange reply 2 (mine)", thread=newer)
    # The gasket thread has the latest reply now.
    say(team.client_admin, team.shared, "gasket reply 2", thread=older)

    listed = threads(team.supplier_member)["threads"]
    assert [t["root"]["body"] for t in listed] == ["Thread about gaskets", "Thread about flanges"]
    # Your own replies never count as unread (the one rule, as in the room);
    # the flange thread's first reply does until you read it.
    assert [t["unread"] for t in listed] == [2, 1]
    assert listed[0]["last_reply"]["body"] == "gasket reply 2"
    assert listed[0]["room"] == {"id": team.shared.pk, "name": team.shared.name, "kind": "shared"}

    check_mark_thread_read(
        team.supplier_member, room_id=team.shared.pk, root_id=older.pk, seq=10**6
    )
    assert threads(team.supplier_member)["threads"][0]["unread"] == 0


def test_unfollowed_deleted_and_left_threads_are_not_listed(team: Team) -> None:
    kept = say(team.supplier_member, team.shared, "kept")
    unfollowed = say(team.supplier_member, team.shared, "unfollowed")
    deleted = say(team.supplier_member, team.shared, "deleted")
    internal = say(team.client_member, team.client_internal, "internal")
    for root in (kept, unfollowed, deleted):
        check_follow_thread(
            team.client_member, room_id=team.shared.pk, root_id=root.pk, follow=True
        )
    check_follow_thread(
        team.client_member, room_id=team.client_internal.pk, root_id=internal.pk, follow=True
    )
    check_follow_thread(
        team.client_member, room_id=team.shared.pk, root_id=unfollowed.pk, follow=False
    )
    check_delete_message(team.supplier_member, room_id=team.shared.pk, message_id=deleted.pk)
    assert [t["root"]["body"] for t in threads(team.client_member)["threads"]] == [
        "internal",
        "kept",
    ]
    # Nobody else learns of them: the partner follows none of these.
    assert threads(team.supplier_admin)["threads"] == []
    check_remove_member(team.client_admin, room_id=team.shared.pk, person_id=team.client_member.pk)
    assert [t["root"]["body"] for t in threads(team.client_member)["threads"]] == ["internal"]


def test_threads_come_in_pages(team: Team) -> None:
    for n in range(THREADS_PAGE + 3):
        say(team.supplier_member, team.shared, f"thread {n}")
    roots = Message.objects.filter(room=team.shared)
    for root in roots:
        check_follow_thread(
            team.client_member, room_id=team.shared.pk, root_id=root.pk, follow=True
        )
    first = threads(team.client_member)
    assert len(first["threads"]) == THREADS_PAGE and first["next"] == THREADS_PAGE
    rest = threads(team.client_member, offset=first["next"])
    assert len(rest["threads"]) == 3 and rest["next"] is None
    ids = {t["root"]["id"] for t in first["threads"] + rest["threads"]}
    assert len(ids) == THREADS_PAGE + 3


def test_a_reply_also_sent_to_the_room_shows_and_counts_in_the_room_too(team: Team) -> None:
    root = say(team.client_member, team.shared, "Which pallet size?")
    reply, _ = check_send_message(
        team.supplier_member,
        room_id=team.shared.pk,
        client_id="also",
        body="EUR pallets, decided",
        thread=root.pk,
        also_to_room=True,
    )
    say(team.supplier_member, team.shared, "a reply only in the thread", thread=root)
    client = Client()
    client.force_login(team.client_admin)
    history = client.get(f"/api/rooms/{team.shared.pk}/messages/").json()["messages"]
    assert [(m["body"], m["thread"], m["in_room"]) for m in history] == [
        ("Which pallet size?", None, False),
        ("EUR pallets, decided", root.pk, True),
    ]
    rooms = {r["id"]: r for r in client.get("/api/rooms/").json()["rooms"]}
    assert rooms[team.shared.pk]["unread"] == 2  # the root and the reply sent to the room
    # Its permalink centres the room on the reply itself, and names its thread.
    linked = client.get(f"/api/rooms/{team.shared.pk}/messages/{reply.pk}/").json()
    assert (linked["anchor"], linked["thread"]) == (reply.pk, root.pk)


def test_also_to_room_needs_a_thread(team: Team) -> None:
    with pytest.raises(Invalid, match="for a reply"):
        check_send_message(
            team.supplier_member,
            room_id=team.shared.pk,
            client_id="x",
            body="not a reply",
            also_to_room=True,
        )
