"""The bridge: mirror rules, live mirroring, internal notes, share-back, stop, loops."""

from __future__ import annotations

import json
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from hub.errors import Conflict, Invalid, NotFound
from hub.models import AuditEntry
from hub.publish import room_group
from hub.schemas import parse
from rooms.actions.messages import check_delete_message, check_edit_message, check_send_message
from rooms.actions.workitems import check_create_work_item, check_update_work_item
from rooms.bridge.mirrors import check_create_mirror, check_share_back, check_stop_mirror
from rooms.bridge.relay import relay_all
from rooms.models.bridge import OutboxEntry
from rooms.models.messages import Message
from rooms.schemas import WorkItemChanges
from tests.conftest import make_internal_room, make_org, make_person


def say(person, room, body, thread=None):
    return check_send_message(
        person, room_id=room.id, client_id=uuid.uuid4().hex, body=body, thread=thread
    )[0]


def mirror_of(team, root, person=None, target=None):
    return check_create_mirror(
        person or team.supplier_member,
        source_room_id=team.shared.id,
        root_id=root.id,
        target_room_id=(target or team.supplier_internal).id,
    )


def copies(mirror):
    return list(
        Message.objects.filter(room=mirror.target_room, thread_root=mirror.root_copy)
        .exclude(kind=Message.Kind.MESSAGE)
        .order_by("seq")
    )


# --- who may mirror what ----------------------------------------------------------


def test_a_member_mirrors_a_shared_thread_into_their_own_internal_room(team):
    root = say(team.client_member, team.shared, "Lot 7 is late")
    say(team.supplier_member, team.shared, "Checking", thread=root.id)
    mirror = mirror_of(team, root)
    assert mirror.organization_id == team.supplier.id
    assert mirror.root_copy.kind == Message.Kind.MIRROR
    assert mirror.root_copy.body == "Lot 7 is late"
    assert mirror.root_copy.provenance["room"] == team.shared.id
    assert mirror.root_copy.provenance["org"] == "Client"
    assert [c.body for c in copies(mirror)] == ["Checking"]
    entry = AuditEntry.objects.get(action="mirror.created")
    assert entry.organization_id == team.supplier.id


def test_nobody_mirrors_into_another_organizations_internal_room(team):
    root = say(team.client_member, team.shared, "x")
    with pytest.raises(NotFound):
        mirror_of(team, root, target=team.client_internal)
    with pytest.raises(NotFound):
        mirror_of(team, root, person=team.client_member, target=team.supplier_internal)


def test_only_threads_of_rooms_you_belong_to_and_only_into_rooms_you_are_in(team):
    root = say(team.client_member, team.shared, "x")
    outsider = make_person(make_org())
    with pytest.raises(NotFound):
        check_create_mirror(
            outsider,
            source_room_id=team.shared.id,
            root_id=root.id,
            target_room_id=team.supplier_internal.id,
        )
    other_internal = make_internal_room(team.supplier_admin, name="Admins only")
    with pytest.raises(NotFound):
        mirror_of(team, root, target=other_internal)  # supplier_member is not in it
    reply = say(team.client_member, team.shared, "reply", thread=root.id)
    with pytest.raises(Invalid):
        mirror_of(team, reply)
    internal_root = say(team.supplier_member, team.supplier_internal, "internal")
    with pytest.raises(Invalid):
        check_create_mirror(
            team.supplier_member,
            source_room_id=team.supplier_internal.id,
            root_id=internal_root.id,
            target_room_id=team.supplier_internal.id,
        )


def test_one_live_mirror_per_thread_and_room(team):
    root = say(team.client_member, team.shared, "x")
    mirror_of(team, root)
    with pytest.raises(Conflict):
        mirror_of(team, root)


# --- live mirroring ------------------------------------------------------------------


def test_messages_edits_deletions_and_work_item_changes_follow_in_order(team):
    item = check_create_work_item(
        team.client_member, room_id=team.shared.id, title="Expedite lot 7"
    )
    mirror = mirror_of(team, item.thread_root)
    first = say(team.client_member, team.shared, "first", thread=item.thread_root_id)
    second = say(team.supplier_admin, team.shared, "second", thread=item.thread_root_id)
    check_edit_message(
        team.client_member, room_id=team.shared.id, message_id=first.id, body="first, edited"
    )
    check_delete_message(team.supplier_admin, room_id=team.shared.id, message_id=second.id)
    check_update_work_item(
        team.client_member,
        room_id=team.shared.id,
        item_id=item.id,
        changes=parse(WorkItemChanges, {"priority": 1}),
    )
    assert OutboxEntry.objects.filter(status="pending").count() == 5
    assert relay_all() == 5
    got = copies(mirror)
    assert [(c.kind, c.body, c.is_deleted) for c in got] == [
        ("mirror", "first, edited", False),
        ("mirror", "", True),
        ("notice", got[2].body, False),
    ]
    assert "priority: 3 -> 1" in got[2].body
    assert got[0].provenance["author"] == team.client_member.name
    assert got[0].mirror_source_id == first.id


def test_a_deletion_that_reaches_a_mirror_is_in_the_mirroring_sides_log_only(team):
    root = say(team.client_member, team.shared, "Lot 7 is late")
    reply = say(team.client_member, team.shared, "Truck left at 9", thread=root.id)
    mirror = mirror_of(team, root)
    check_delete_message(team.client_member, room_id=team.shared.id, message_id=reply.id)
    relay_all()
    deleted = AuditEntry.objects.filter(action="message.deleted").order_by("created_at")
    # The partner's own deletion in the shared room is the partner's; the copy's, made
    # by the bridge on its behalf in the supplier's internal room, the supplier's alone.
    assert [(e.organization_id, e.data["room"]) for e in deleted] == [
        (team.client.id, team.shared.id),
        (team.supplier.id, mirror.target_room_id),
    ]


def test_writes_to_unmirrored_threads_queue_nothing(team):
    root = say(team.client_member, team.shared, "x")
    say(team.client_member, team.shared, "y", thread=root.id)
    assert not OutboxEntry.objects.exists()


# --- internal notes and share-back ------------------------------------------------------


def test_internal_replies_under_the_mirror_never_reach_the_shared_room(team):
    root = say(team.client_member, team.shared, "Lot 7 is late")
    mirror = mirror_of(team, root)
    note = say(
        team.supplier_member,
        team.supplier_internal,
        "Our margin is thin",
        thread=mirror.root_copy_id,
    )
    relay_all()
    assert note.room_id == team.supplier_internal.id
    shared_bodies = list(Message.objects.filter(room=team.shared).values_list("body", flat=True))
    assert "Our margin is thin" not in shared_bodies
    client = Client()
    client.force_login(team.client_member)
    shared_history = client.get(f"/api/rooms/{team.shared.id}/messages/").content.decode()
    thread = client.get(f"/api/rooms/{team.shared.id}/threads/{root.id}/").content.decode()
    search = client.get("/api/search/", {"q": "margin"}).json()
    internal = client.get(f"/api/rooms/{team.supplier_internal.id}/messages/")
    mirrors = client.get("/api/mirrors/").json()
    assert "margin" not in shared_history and "margin" not in thread
    assert search["results"] == []
    assert internal.status_code == 404
    assert mirrors == {"mirrors": []}  # the client never learns of the supplier's mirror


def test_share_back_posts_the_note_as_the_sharer_with_an_audit_entry(team):
    root = say(team.client_member, team.shared, "Can you expedite?")
    mirror = mirror_of(team, root)
    note = say(
        team.supplier_admin, team.supplier_internal, "Yes, by Friday", thread=mirror.root_copy_id
    )
    shared = check_share_back(
        team.supplier_member, mirror_id=mirror.id, message_id=note.id, confirmed_body=note.body
    )
    assert (shared.room_id, shared.thread_root_id) == (team.shared.id, root.id)
    assert (shared.author_id, shared.body) == (team.supplier_member.id, "Yes, by Friday")
    audit = AuditEntry.objects.get(action="mirror.shared_back")
    assert audit.actor_id == team.supplier_member.id
    assert audit.data["note"] == note.id
    # What crosses carries no trace of the internal room.
    frame = shared.events.get().payload
    plain, _ = check_send_message(
        team.client_member, room_id=team.shared.id, client_id="plain", body="plain"
    )
    assert set(frame["message"]) == set(plain.events.get().payload["message"])
    # The same client_id form as the web app (crypto.randomUUID()): nothing
    # tells the partner that the message came from an internal note.
    client_id = frame["message"]["client_id"]
    assert str(uuid.UUID(client_id)) == client_id and uuid.UUID(client_id).version == 4
    with pytest.raises(Conflict):
        check_share_back(
            team.supplier_member, mirror_id=mirror.id, message_id=note.id, confirmed_body=note.body
        )


def test_sharing_a_note_back_needs_the_exact_text_the_person_confirmed(team):
    root = say(team.client_member, team.shared, "Can you expedite?")
    mirror = mirror_of(team, root)
    note = say(
        team.supplier_admin, team.supplier_internal, "Yes, by Friday", thread=mirror.root_copy_id
    )
    with pytest.raises(Invalid):
        check_share_back(team.supplier_member, mirror_id=mirror.id, message_id=note.id)
    # Edited after the dialog showed it: the person confirmed other words.
    with pytest.raises(Conflict):
        check_share_back(
            team.supplier_member,
            mirror_id=mirror.id,
            message_id=note.id,
            confirmed_body="Yes, by Monday",
        )
    assert not Message.objects.filter(room=team.shared, thread_root=root).exists()
    check_share_back(
        team.supplier_member, mirror_id=mirror.id, message_id=note.id, confirmed_body=note.body
    )
    assert Message.objects.filter(room=team.shared, body="Yes, by Friday").exists()


def test_a_shared_back_note_says_so_to_everyone_in_the_internal_room_live(team, published):
    root = say(team.client_member, team.shared, "Can you expedite?")
    mirror = mirror_of(team, root)
    note = say(
        team.supplier_admin, team.supplier_internal, "Yes, by Friday", thread=mirror.root_copy_id
    )
    with published.capture():
        check_share_back(
            team.supplier_member, mirror_id=mirror.id, message_id=note.id, confirmed_body=note.body
        )
    internal = published.frames(room_group(team.supplier_internal.id))
    assert [f["type"] for f in internal] == ["message.edited"]
    shared_back = internal[0]["message"]["shared_back"]
    assert internal[0]["message"]["id"] == note.id
    assert shared_back["by"]["id"] == team.supplier_member.id and shared_back["at"]
    assert internal[0]["message"]["edited_at"] is None  # shared, not edited
    # The shared room hears the message, never that it was a note.
    shared = published.frames(room_group(team.shared.id))
    assert [f["type"] for f in shared] == ["message.new"]
    assert "shared_back" not in json.dumps(shared)
    # Colleagues who open the thread later see it too.
    client = Client()
    client.force_login(team.supplier_admin)
    thread = client.get(
        f"/api/rooms/{team.supplier_internal.id}/threads/{mirror.root_copy_id}/"
    ).json()
    by_id = {m["id"]: m for m in thread["messages"]}
    assert by_id[note.id]["shared_back"]["by"]["name"] == team.supplier_member.name


def test_a_new_message_can_be_shared_back_too(team):
    root = say(team.client_member, team.shared, "Status?")
    mirror = mirror_of(team, root)
    shared = check_share_back(team.supplier_member, mirror_id=mirror.id, body="On track")
    assert shared.room_id == team.shared.id and shared.body == "On track"


def test_a_shared_back_note_is_not_mirrored_back_as_a_second_message(team):
    root = say(team.client_member, team.shared, "Status?")
    mirror = mirror_of(team, root)
    note = say(team.supplier_member, team.supplier_internal, "On track", thread=mirror.root_copy_id)
    check_share_back(
        team.supplier_member, mirror_id=mirror.id, message_id=note.id, confirmed_body=note.body
    )
    relay_all()
    relay_all()
    in_mirror = Message.objects.filter(room=team.supplier_internal, thread_root=mirror.root_copy)
    assert [m.body for m in in_mirror.order_by("seq")] == ["On track"]


def test_only_your_own_sides_mirror_can_be_shared_back_or_stopped(team):
    root = say(team.client_member, team.shared, "x")
    mirror = mirror_of(team, root)
    for person in (team.client_member, team.client_admin, make_person(make_org())):
        with pytest.raises(NotFound):
            check_share_back(person, mirror_id=mirror.id, body="sneaky")
        with pytest.raises(NotFound):
            check_stop_mirror(person, mirror_id=mirror.id)


def test_internal_notes_elsewhere_cannot_be_shared_through_a_mirror(team):
    root = say(team.client_member, team.shared, "x")
    mirror = mirror_of(team, root)
    unrelated = say(team.supplier_member, team.supplier_internal, "unrelated internal talk")
    with pytest.raises(Invalid):
        check_share_back(
            team.supplier_member,
            mirror_id=mirror.id,
            message_id=unrelated.id,
            confirmed_body=unrelated.body,
        )
    relay_all()
    copy = copies(mirror)
    assert copy == []


# --- stop ----------------------------------------------------------------------------------


def test_stopping_a_mirror_stops_new_copies_and_keeps_the_old_ones(team):
    root = say(team.client_member, team.shared, "x")
    mirror = mirror_of(team, root)
    say(team.client_member, team.shared, "before stop", thread=root.id)
    relay_all()
    check_stop_mirror(team.supplier_member, mirror_id=mirror.id)
    say(team.client_member, team.shared, "after stop", thread=root.id)
    relay_all()
    assert [c.body for c in copies(mirror)] == ["before stop"]
    assert AuditEntry.objects.filter(action="mirror.stopped").count() == 1
    with pytest.raises(Conflict):
        check_share_back(team.supplier_member, mirror_id=mirror.id, body="late")


# --- over the socket --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_the_mirror_is_live_for_the_mirroring_side_only(live_team, connect):
    t = live_team
    root = await sync_to_async(say)(t.client_member, t.shared, "Lot 7?")
    mirror = await sync_to_async(mirror_of)(t, root)
    supplier = await connect(t.supplier_admin)
    client = await connect(t.client_member)
    await supplier.send({"type": "subscribe", "room": t.supplier_internal.id})
    await supplier.expect("subscribed")
    await supplier.drain()  # the latest page, which holds the mirror's first copy
    await client.send({"type": "subscribe", "room": t.shared.id})
    await client.expect("subscribed")
    await sync_to_async(say)(t.client_member, t.shared, "any news?", thread=root.id)
    await sync_to_async(relay_all)()
    copied = await supplier.expect("message.new", room=t.supplier_internal.id)
    assert copied["message"]["kind"] == "mirror"
    assert copied["message"]["mirror"]["room"] == t.shared.id
    assert copied["message"]["thread"] == mirror.root_copy_id
    await sync_to_async(say)(
        t.supplier_admin, t.supplier_internal, "internal: hold it", thread=mirror.root_copy_id
    )
    await sync_to_async(relay_all)()
    frames = json.dumps(await client.drain(0.5) + client.frames)
    assert "internal: hold it" not in frames
    assert f'"room": {t.supplier_internal.id},' not in frames
