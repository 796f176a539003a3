"""Emoji reactions: add, remove, who sees them, the log, and the bridge's copies."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from hub.errors import Archived, Invalid, NotFound
from hub.publish import room_group
from hub.schemas import parse
from rooms.actions.messages import check_delete_message
from rooms.actions.reactions import check_set_reaction
from rooms.bridge.mirrors import check_create_mirror
from rooms.bridge.relay import relay_all
from rooms.models.bridge import OutboxEntry
from rooms.models.log import RoomEvent
from rooms.models.messages import Message
from rooms.models.reactions import REACTION_EMOJI, Reaction
from rooms.models.rooms import Room
from rooms.schemas import ReactionFrame
from rooms.wire.serializers import person_ref
from tests.conftest import make_person, say

THUMBS, PARTY = "👍", "🎉"


def react(person, message, emoji=THUMBS, on=True):
    return check_set_reaction(
        person, room_id=message.room_id, message_id=message.pk, emoji=emoji, on=on
    )


def head(room):
    return Room.objects.get(pk=room.pk).last_seq


def history(person, room):
    client = Client()
    client.force_login(person)
    return client.get(f"/api/rooms/{room.id}/messages/").json()["messages"]


# --- adding and removing -------------------------------------------------------------


def test_a_reaction_is_a_room_event_with_the_messages_reactions(team, published):
    message = say(team.client_member, team.shared, "Lot 7 shipped")
    before = head(team.shared)
    with published.capture():
        react(team.supplier_member, message)
    (frame,) = published.frames(room_group(team.shared.id))
    assert frame == {
        "type": "reaction.updated",
        "room": team.shared.id,
        "seq": before + 1,
        "message": message.id,
        "thread": None,
        "reactions": [
            {
                "emoji": THUMBS,
                "count": 1,
                "people": [person_ref(team.supplier_member)],
            }
        ],
    }
    logged = RoomEvent.objects.get(room=team.shared, seq=before + 1)
    assert logged.payload == frame


def test_history_carries_each_emoji_with_its_count_and_people_in_order(team):
    message = say(team.client_member, team.shared, "Lot 7 shipped")
    react(team.supplier_member, message, PARTY)
    react(team.client_admin, message, THUMBS)
    react(team.supplier_admin, message, PARTY)
    (shown,) = history(team.client_member, team.shared)
    assert [
        (r["emoji"], r["count"], [p["id"] for p in r["people"]]) for r in shown["reactions"]
    ] == [
        (PARTY, 2, [team.supplier_member.id, team.supplier_admin.id]),
        (THUMBS, 1, [team.client_admin.id]),
    ]


def test_removing_a_reaction_takes_only_that_persons_emoji(team, published):
    message = say(team.client_member, team.shared, "Lot 7 shipped")
    react(team.supplier_member, message)
    react(team.client_admin, message)
    with published.capture():
        react(team.supplier_member, message, on=False)
    (frame,) = published.frames(room_group(team.shared.id))
    assert frame["reactions"] == [
        {
            "emoji": THUMBS,
            "count": 1,
            "people": [person_ref(team.client_admin)],
        }
    ]
    react(team.client_admin, message, on=False)
    assert history(team.client_member, team.shared)[0]["reactions"] == []


def test_repeating_an_add_or_a_remove_changes_nothing_and_takes_no_seq(team, published):
    message = say(team.client_member, team.shared, "Lot 7 shipped")
    react(team.supplier_member, message)
    before = head(team.shared)
    with published.capture():
        react(team.supplier_member, message)
        react(team.client_member, message, PARTY, on=False)
    assert published.frames(room_group(team.shared.id)) == []
    assert head(team.shared) == before
    assert Reaction.objects.filter(message=message).count() == 1


def test_a_reaction_in_a_thread_names_its_thread(team, published):
    root = say(team.client_member, team.shared, "Lot 7")
    reply = say(team.supplier_member, team.shared, "Shipped", thread=root)
    with published.capture():
        react(team.client_member, reply)
    (frame,) = published.frames(room_group(team.shared.id))
    assert (frame["message"], frame["thread"]) == (reply.id, root.id)


# --- what is refused -------------------------------------------------------------------


@pytest.mark.parametrize("emoji", ["", "x", "👍👍", "🦄", "<b>", 5, None])
def test_only_the_servers_emoji_are_accepted(emoji):
    with pytest.raises(Invalid) as refused:
        parse(ReactionFrame, {"type": "reaction.add", "room": 1, "id": 2, "emoji": emoji})
    assert "emoji" in refused.value.detail


def test_every_listed_emoji_is_accepted(team):
    message = say(team.client_member, team.shared, "Lot 7 shipped")
    for emoji in REACTION_EMOJI:
        react(team.supplier_member, message, emoji)
    assert Reaction.objects.filter(message=message).count() == len(REACTION_EMOJI)


def test_someone_outside_the_room_gets_the_same_not_found_as_for_a_missing_message(team):
    message = say(team.supplier_member, team.supplier_internal, "Our margin is thin")
    with pytest.raises(NotFound) as forbidden:
        react(team.client_member, message)
    with pytest.raises(NotFound) as missing:
        check_set_reaction(
            team.supplier_member,
            room_id=team.supplier_internal.id,
            message_id=message.id + 10_000,
            emoji=THUMBS,
            on=True,
        )
    assert forbidden.value.detail == missing.value.detail
    assert not Reaction.objects.exists()


def test_a_message_named_with_another_room_is_not_found(team):
    message = say(team.supplier_member, team.supplier_internal, "Our margin is thin")
    with pytest.raises(NotFound):
        check_set_reaction(
            team.supplier_member,
            room_id=team.shared.id,
            message_id=message.id,
            emoji=THUMBS,
            on=True,
        )


def test_a_deleted_message_takes_no_reaction(team):
    message = say(team.client_member, team.shared, "Lot 7 shipped")
    check_delete_message(team.client_member, room_id=team.shared.id, message_id=message.id)
    with pytest.raises(NotFound):
        react(team.supplier_member, message)


def test_an_archived_room_refuses_reactions(team):
    message = say(team.client_member, team.shared, "Lot 7 shipped")
    Room.objects.filter(pk=team.shared.pk).update(archived_at=timezone.now())
    with pytest.raises(Archived):
        react(team.supplier_member, message)


def test_deleting_a_message_removes_its_reactions_from_it_and_from_the_log(team):
    message = say(team.client_member, team.shared, "Lot 7 shipped")
    react(team.supplier_member, message)
    check_delete_message(team.client_member, room_id=team.shared.id, message_id=message.id)
    assert not Reaction.objects.filter(message=message).exists()
    logged = RoomEvent.objects.get(room=team.shared, type="reaction.updated")
    assert logged.payload["reactions"] == []


# --- the bridge ------------------------------------------------------------------------


def mirror(team, root):
    return check_create_mirror(
        team.supplier_member,
        source_room_id=team.shared.id,
        root_id=root.id,
        target_room_id=team.supplier_internal.id,
    )


def copy_of(source):
    return Message.objects.get(mirror_source=source)


def reactions_on(message):
    return sorted(
        Reaction.objects.filter(message=message).values_list("user_id", "emoji", "relayed")
    )


def test_a_mirror_starts_with_the_reactions_the_thread_had(team):
    root = say(team.client_member, team.shared, "Lot 7 is late")
    reply = say(team.client_admin, team.shared, "Since Monday", thread=root)
    react(team.client_admin, root)
    react(team.supplier_member, reply, PARTY)
    mirror(team, root)
    assert reactions_on(copy_of(root)) == [(team.client_admin.id, THUMBS, True)]
    assert reactions_on(copy_of(reply)) == [(team.supplier_member.id, PARTY, True)]


def test_reactions_in_a_mirrored_thread_are_relayed_into_the_copies(team):
    root = say(team.client_member, team.shared, "Lot 7 is late")
    mirror(team, root)
    reply = say(team.client_admin, team.shared, "Since Monday", thread=root)
    react(team.client_admin, root)
    react(team.client_member, reply, PARTY)
    react(team.supplier_admin, reply, PARTY)
    relay_all()
    assert reactions_on(copy_of(root)) == [(team.client_admin.id, THUMBS, True)]
    assert reactions_on(copy_of(reply)) == sorted(
        [(team.client_member.id, PARTY, True), (team.supplier_admin.id, PARTY, True)]
    )
    react(team.client_member, reply, PARTY, on=False)
    relay_all()
    assert reactions_on(copy_of(reply)) == [(team.supplier_admin.id, PARTY, True)]
    (shown,) = [
        m
        for m in history(team.supplier_member, team.supplier_internal)
        if m["id"] == copy_of(root).id
    ]
    assert shown["reactions"][0]["people"] == [person_ref(team.client_admin)]


def test_a_relayed_reaction_is_a_room_event_of_the_internal_room(team, published):
    root = say(team.client_member, team.shared, "Lot 7 is late")
    mirror(team, root)
    react(team.client_admin, root)
    with published.capture():
        relay_all()
    (frame,) = published.frames(room_group(team.supplier_internal.id))
    assert frame["type"] == "reaction.updated" and frame["message"] == copy_of(root).id
    assert frame["seq"] == head(team.supplier_internal)


def test_a_reaction_on_a_copy_stays_in_the_internal_room(team, published):
    root = say(team.client_member, team.shared, "Lot 7 is late")
    mirror(team, root)
    react(team.client_admin, root)
    relay_all()
    shared_head, shared_events = (
        head(team.shared),
        RoomEvent.objects.filter(room=team.shared).count(),
    )
    with published.capture():
        react(team.supplier_member, copy_of(root), PARTY)
        relay_all()
    assert {m["group"] for m in published} == {room_group(team.supplier_internal.id)}
    assert head(team.shared) == shared_head
    assert RoomEvent.objects.filter(room=team.shared).count() == shared_events
    assert reactions_on(root) == [(team.client_admin.id, THUMBS, False)]
    assert not OutboxEntry.objects.filter(status=OutboxEntry.Status.PENDING).exists()
    (shown,) = [m for m in history(team.client_member, team.shared) if m["id"] == root.id]
    assert [r["emoji"] for r in shown["reactions"]] == [THUMBS]
    # And a later change in the shared room keeps the internal reaction.
    react(team.client_admin, root, on=False)
    relay_all()
    assert reactions_on(copy_of(root)) == [(team.supplier_member.id, PARTY, False)]


def test_someone_of_the_other_side_cannot_react_on_a_mirror_copy(team):
    root = say(team.client_member, team.shared, "Lot 7 is late")
    mirror(team, root)
    outsider = make_person(team.client, name="Olga Outsider")
    for person in (team.client_member, outsider):
        with pytest.raises(NotFound):
            react(person, copy_of(root))
