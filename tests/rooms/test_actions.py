from __future__ import annotations

import uuid

import pytest

from hub.errors import Forbidden, Invalid, NotFound, TooLarge
from hub.models import AuditEntry
from hub.publish import room_group, user_group
from hub.schemas import parse
from rooms.actions.members import check_add_member, check_remove_member
from rooms.actions.messages import check_delete_message, check_edit_message, check_send_message
from rooms.actions.reading import check_mark_read
from rooms.actions.rooms import check_create_shared_room
from rooms.models.log import RoomEvent
from rooms.models.messages import Message, MessageEdit, ThreadFollow
from rooms.models.rooms import Membership, Room
from rooms.schemas import MessageSendFrame
from tests.conftest import make_org, make_person


def send(user, room, body="hello", client_id=None, thread=None):
    """A ``message.send`` frame, parsed and checked as the socket does."""
    frame = parse(
        MessageSendFrame,
        {
            "type": "message.send",
            "room": room if isinstance(room, int) else room.id,
            "client_id": uuid.uuid4().hex if client_id is None else client_id,
            "body": body,
            "thread": thread,
        },
    )
    message, _ = check_send_message(
        user, room_id=frame.room, client_id=frame.client_id, body=frame.body, thread=frame.thread
    )
    return message


def test_every_room_event_takes_the_next_seq_and_is_logged(team):
    room = team.shared
    head = Room.objects.get(pk=room.pk).last_seq
    first = send(team.supplier_member, room, "one")
    second = send(team.client_member, room, "two")
    check_edit_message(team.supplier_member, room_id=room.id, message_id=first.id, body="one!")
    check_delete_message(team.client_member, room_id=room.id, message_id=second.id)
    seqs = list(RoomEvent.objects.filter(room=room).values_list("seq", flat=True))
    assert seqs == list(range(1, head + 5))
    assert [first.seq, second.seq] == [head + 1, head + 2]
    assert Room.objects.get(pk=room.pk).last_seq == head + 4


def test_events_are_published_to_the_room_only_after_commit(team, published):
    with published.capture():
        message = send(team.supplier_member, team.shared, "**hi**")
        assert published == []
    assert [m["seq"] for m in published] == [message.seq]


def test_published_event_matches_the_logged_frame(team, published):
    with published.capture():
        message = send(team.supplier_member, team.shared, "**hi**")
    published_frames = [m for m in published if m["group"] == room_group(team.shared.id)]
    logged = RoomEvent.objects.get(room=team.shared, seq=message.seq).payload
    assert published_frames[-1]["seq"] == message.seq
    assert published.frames(room_group(team.shared.id))[-1] == logged
    assert logged["message"]["html"] == "<p><strong>hi</strong></p>"


def test_resending_a_client_id_stores_nothing_new_and_returns_the_same_message(team):
    first, created = check_send_message(
        team.client_member, room_id=team.shared.id, client_id="abc", body="once"
    )
    again, created_again = check_send_message(
        team.client_member, room_id=team.shared.id, client_id="abc", body="once"
    )
    assert created and not created_again
    assert (again.id, again.seq) == (first.id, first.seq)
    assert Message.objects.filter(room=team.shared, client_id="abc").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_resend_outside_any_transaction_takes_no_seq_and_stores_nothing(live_team):
    """The common message is one statement with no transaction around it."""
    t = live_team
    first, _ = check_send_message(t.client_member, room_id=t.shared.id, client_id="k", body="hi")
    again, created = check_send_message(
        t.client_member, room_id=t.shared.id, client_id="k", body="hi"
    )
    assert not created and (again.id, again.seq) == (first.id, first.seq)
    assert Room.objects.get(pk=t.shared.pk).last_seq == first.seq
    assert RoomEvent.objects.filter(room=t.shared, seq__gt=first.seq).count() == 0
    after, _ = check_send_message(t.client_member, room_id=t.shared.id, client_id="k2", body="x")
    assert after.seq == first.seq + 1


def test_markdown_is_sanitized_on_the_server(team):
    message = send(
        team.client_member, team.shared, "<script>alert(1)</script> [x](javascript:alert(1))"
    )
    assert "<script" not in message.body_html
    assert "javascript:" not in message.body_html.replace("[x](javascript:alert(1))", "")
    assert 'href="javascript' not in message.body_html


def test_body_limits_and_types_are_enforced(team, settings):
    settings.CAUSEWAY_MESSAGE_MAX_CHARS = 20
    with pytest.raises(TooLarge):
        send(team.client_member, team.shared, "x" * 21)
    with pytest.raises(Invalid):
        send(team.client_member, team.shared, "   ")
    with pytest.raises(Invalid):
        send(team.client_member, team.shared, ["not", "text"], client_id="c")
    with pytest.raises(Invalid):
        send(team.client_member, team.shared, "x", client_id="")
    assert not Message.objects.filter(room=team.shared).exists()


def test_control_characters_are_stripped(team):
    message = send(team.client_member, team.shared, "a\x00b\x07c\nd")
    assert message.body == "abc\nd"


def test_bidirectional_overrides_cannot_disguise_text_and_rtl_marks_stay(team):
    # Shown as written, "file<RLO>gnp.exe" reads "fileexe.png".
    disguised = send(team.client_member, team.shared, "open file\u202egnp.exe now")
    assert disguised.body == "open filegnp.exe now"
    isolated = send(team.client_member, team.shared, "a\u2066b\u2067c\u2068d\u2069e\u202ab\u202c")
    assert isolated.body == "abcdeb"
    hebrew = send(team.client_member, team.shared, "\u05e9\u05dc\u05d5\u05dd\u200f PO-12")
    assert hebrew.body == "\u05e9\u05dc\u05d5\u05dd\u200f PO-12"


def test_non_members_get_not_found_exactly_like_a_missing_room(team):
    outsider = make_person(make_org())
    with pytest.raises(NotFound) as forbidden:
        send(outsider, team.shared)
    with pytest.raises(NotFound) as missing:
        check_send_message(outsider, room_id=999_999, client_id="x", body="x")
    assert str(forbidden.value) == str(missing.value)
    with pytest.raises(NotFound):
        send(team.client_member, team.supplier_internal)


def test_only_the_author_edits_and_history_is_kept(team):
    message = send(team.supplier_member, team.shared, "v1")
    with pytest.raises(Forbidden):
        check_edit_message(
            team.client_member, room_id=team.shared.id, message_id=message.id, body="hack"
        )
    check_edit_message(
        team.supplier_member, room_id=team.shared.id, message_id=message.id, body="v2"
    )
    message.refresh_from_db()
    assert message.body == "v2" and message.edited_at is not None
    assert list(
        MessageEdit.objects.filter(message=message).values_list("previous_body", flat=True)
    ) == ["v1"]


def test_in_a_shared_room_nobody_on_the_other_side_deletes_your_words(team):
    promise = send(team.client_member, team.shared, "We accept the 2-day slip, no penalty")
    # The supplier admin owns the shared room, and still may not.
    for other_side in (team.supplier_admin, team.supplier_member):
        with pytest.raises(Forbidden):
            check_delete_message(other_side, room_id=team.shared.id, message_id=promise.id)
        with pytest.raises(Forbidden):
            check_edit_message(
                other_side, room_id=team.shared.id, message_id=promise.id, body="No deal"
            )
    promise.refresh_from_db()
    assert not promise.is_deleted and promise.body.startswith("We accept")


def test_in_a_shared_room_an_owner_who_is_no_admin_cannot_moderate_colleagues(team):
    Membership.objects.filter(room=team.shared, user=team.supplier_member).update(role="owner")
    colleague = send(team.supplier_admin, team.shared, "Our offer stands")
    with pytest.raises(Forbidden):
        check_delete_message(team.supplier_member, room_id=team.shared.id, message_id=colleague.id)


def test_the_author_and_an_admin_of_the_authors_organization_delete_with_an_audit_entry(team):
    own = send(team.client_member, team.shared, "typo")
    check_delete_message(team.client_member, room_id=team.shared.id, message_id=own.id)
    moderated = send(team.client_member, team.shared, "off-topic")
    check_delete_message(team.client_admin, room_id=team.shared.id, message_id=moderated.id)
    for message in (own, moderated):
        message.refresh_from_db()
        assert message.is_deleted
    entry = AuditEntry.objects.get(target_type="message", target_id=moderated.id)
    assert (entry.action, entry.actor_id, entry.organization_id) == (
        "message.moderated",
        team.client_admin.id,
        team.client.id,
    )
    assert entry.data["author"] == team.client_member.id
    assert AuditEntry.objects.get(target_type="message", target_id=own.id).action == (
        "message.deleted"
    )


def test_in_an_internal_room_its_owner_moderates(team):
    note = send(team.supplier_member, team.supplier_internal, "draft")
    check_delete_message(team.supplier_admin, room_id=team.supplier_internal.id, message_id=note.id)
    note.refresh_from_db()
    assert note.is_deleted


def test_the_room_list_tells_the_client_whom_you_may_moderate(team):
    from rooms.selectors.rooms import room_list

    def scope(person, room):
        return {r["id"]: r["moderation"] for r in room_list(person)}[room.id]

    assert scope(team.supplier_admin, team.shared) == "own_org"  # owner and admin
    assert scope(team.supplier_member, team.shared) == "none"
    assert scope(team.client_admin, team.shared) == "own_org"
    assert scope(team.supplier_admin, team.supplier_internal) == "all"
    assert scope(team.supplier_member, team.supplier_internal) == "none"


def test_deleting_scrubs_the_text_from_the_message_its_edits_and_the_event_log(team):
    message = send(team.supplier_member, team.shared, "secret v1")
    check_edit_message(
        team.supplier_member, room_id=team.shared.id, message_id=message.id, body="secret v2"
    )
    check_delete_message(team.supplier_member, room_id=team.shared.id, message_id=message.id)
    message.refresh_from_db()
    assert message.body == "" and message.body_html == ""
    assert not MessageEdit.objects.filter(message=message).exists()
    logged = list(RoomEvent.objects.filter(room=team.shared).values_list("payload", flat=True))
    assert "secret" not in str(logged)
    assert logged[-1]["type"] == "message.deleted"


def test_replies_update_the_root_and_followers(team):
    root = send(team.supplier_member, team.shared, "root")
    reply = send(team.client_member, team.shared, "reply", thread=root.id)
    nested = send(team.client_admin, team.shared, "reply to reply", thread=reply.id)
    root.refresh_from_db()
    assert nested.thread_root_id == root.id  # threads are one level deep
    assert root.reply_count == 2 and root.last_reply_at == nested.created_at
    followers = set(ThreadFollow.objects.filter(root=root).values_list("user_id", flat=True))
    assert followers == {team.supplier_member.id, team.client_member.id, team.client_admin.id}


def test_cannot_reply_into_a_thread_of_another_room(team):
    other_root = send(team.supplier_member, team.supplier_internal, "internal")
    with pytest.raises(NotFound):
        send(team.supplier_member, team.shared, "x", thread=other_root.id)


def test_read_marker_only_moves_forward_and_reaches_the_persons_sockets(team, published):
    send(team.supplier_member, team.shared, "one")
    last = send(team.supplier_member, team.shared, "two")
    with published.capture():
        frame = check_mark_read(team.client_member, room_id=team.shared.id, seq=last.seq - 1)
    assert frame["count"] == 1
    with published.capture():
        frame = check_mark_read(team.client_member, room_id=team.shared.id, seq=1)
    assert frame["last_read_seq"] == last.seq - 1
    pushed = published.frames(user_group(team.client_member.id))
    assert [f["type"] for f in pushed] == ["unread", "unread"]


def test_removing_a_member_logs_member_left_and_revokes_their_sockets(team, published):
    with published.capture():
        check_remove_member(
            team.supplier_admin, room_id=team.shared.id, person_id=team.client_member.id
        )
    controls = [m for m in published if m["group"] == user_group(team.client_member.id)]
    assert controls[-1]["kind"] == "room.revoked"
    assert controls[-1]["data"] == {"room": team.shared.id}
    last = RoomEvent.objects.filter(room=team.shared).last()
    assert last is not None and last.payload["type"] == "member.left"
    with pytest.raises(NotFound):
        send(team.client_member, team.shared)


def test_a_member_cannot_remove_someone_else_unless_owner_or_their_admin(team):
    with pytest.raises(Forbidden):
        check_remove_member(
            team.client_member, room_id=team.shared.id, person_id=team.supplier_member.id
        )
    check_remove_member(team.client_admin, room_id=team.shared.id, person_id=team.client_member.id)


def test_people_you_share_no_room_with_are_not_found_when_added(team):
    stranger = make_person(team.supplier, name="Stella Stranger")
    other_org = make_person(make_org(), name="Otto Other")
    for actor in (team.client_member, team.client_admin):  # client_admin owns nothing here
        for person in (stranger, other_org):
            with pytest.raises(NotFound):
                check_add_member(actor, room_id=team.shared.id, person_id=person.id)


def test_owners_add_partner_people_they_know_and_members_are_told_to_ask_an_owner(team):
    # Both sides' people share the room "Shared"; the supplier admin owns it.
    second = check_create_shared_room(
        team.client_admin, partnership_id=team.partnership.id, name="Second"
    )
    with pytest.raises(NotFound):
        # A stranger to the client admin: same answer as a missing person.
        check_add_member(
            team.client_admin,
            room_id=second.id,
            person_id=make_person(team.supplier, name="Stella Stranger").id,
        )
    check_add_member(team.client_admin, room_id=second.id, person_id=team.client_member.id)
    with pytest.raises(Forbidden):
        check_add_member(team.client_member, room_id=second.id, person_id=team.supplier_member.id)
    membership = check_add_member(
        team.client_admin, room_id=second.id, person_id=team.supplier_member.id
    )
    assert membership.user_id == team.supplier_member.id
