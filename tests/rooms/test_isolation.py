"""Record every frame each person receives; none may be about a room they are not in."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async

from rooms import actions
from tests.conftest import make_internal_room, make_org, make_person

pytestmark = pytest.mark.django_db(transaction=True)


async def test_no_frame_about_a_room_reaches_anyone_outside_its_membership(live_team, connect):
    t = live_team

    def third_org():
        org = make_org("Unrelated")
        person = make_person(org, admin=True, name="Una Unrelated")
        room = make_internal_room(person, name="Unrelated internal")
        return person, room

    outsider, outsider_room = await sync_to_async(third_org)()
    people = {
        "supplier_admin": t.supplier_admin,
        "supplier_member": t.supplier_member,
        "client_admin": t.client_admin,
        "client_member": t.client_member,
        "outsider": outsider,
    }
    rooms = {
        "shared": (
            t.shared,
            {"supplier_admin", "supplier_member", "client_admin", "client_member"},
        ),
        "supplier_internal": (t.supplier_internal, {"supplier_admin", "supplier_member"}),
        "client_internal": (t.client_internal, {"client_admin", "client_member"}),
        "outsider_internal": (outsider_room, {"outsider"}),
    }
    sockets = {name: await connect(person) for name, person in people.items()}
    # Everyone tries every room; only members may get in.
    for name, sock in sockets.items():
        for room, members in rooms.values():
            await sock.send({"type": "subscribe", "room": room.id})
            reply = await sock.expect("subscribed" if name in members else "error")
            assert reply.get("code", "ok") == ("ok" if name in members else "not_found")

    secrets = {}
    for room_name, (room, members) in rooms.items():
        author_name = sorted(members)[0]
        author = sockets[author_name]
        secret = f"secret-of-{room_name}"
        secrets[room_name] = secret
        await author.send(
            {"type": "message.send", "room": room.id, "client_id": room_name, "body": secret}
        )
        ack = await author.expect("ack")
        await author.send(
            {"type": "message.edit", "room": room.id, "id": ack["id"], "body": secret + "-edited"}
        )
        await author.send({"type": "typing", "room": room.id})
        await author.send({"type": "read", "room": room.id, "seq": ack["seq"]})
        await author.send(
            {"type": "message.send", "room": room.id, "client_id": room_name + "-2", "body": secret}
        )
        second = await author.expect("ack")
        await author.send({"type": "message.delete", "room": room.id, "id": second["id"]})
    await sockets["supplier_member"].send({"type": "presence.set", "state": "away"})
    newcomer = await sync_to_async(make_person)(t.supplier, name="Newt Newcomer")
    await sync_to_async(actions.check_add_member)(
        t.supplier_admin, room_id=t.supplier_internal.id, person_id=newcomer.id
    )
    await sync_to_async(actions.check_remove_member)(
        t.supplier_admin, room_id=t.supplier_internal.id, person_id=newcomer.id
    )
    await sync_to_async(actions.check_update_room)(
        t.client_admin, room_id=t.client_internal.id, topic="our plans"
    )

    received = {}
    for name, sock in sockets.items():
        await sock.drain(0.5)
        received[name] = sock.frames
    room_members = {room.id: members for room, members in rooms.values()}
    for name, frames in received.items():
        assert frames, name
        for frame in frames:
            if "room" in frame and frame["room"] in room_members:
                assert name in room_members[frame["room"]], (name, frame)
        raw = json.dumps(frames)
        for room_name, (room, members) in rooms.items():
            if name not in members:
                assert secrets[room_name] not in raw, (name, room_name)
                assert f'"room": {room.id},' not in raw, (name, room_name)
    # And members did get their rooms' events (the check above is not vacuous).
    for room, members in rooms.values():
        for name in members:
            assert any(
                f.get("room") == room.id and f["type"] == "message.new" for f in received[name]
            )
    assert "our plans" not in json.dumps(received["supplier_member"])
