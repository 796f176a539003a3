"""Every client frame and every error code, over a real ASGI socket (WebsocketCommunicator).

Runs on the configured channel layer: Redis in CI, in-memory locally without it.
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from config.asgi import application
from hub import publish
from hub.models import User
from rooms.actions.members import check_add_member, check_remove_member
from rooms.actions.messages import check_send_message
from rooms.actions.rooms import check_update_room
from rooms.models.messages import Message
from rooms.socket import consumer
from tests.conftest import make_person, session_cookie, socket_headers

pytestmark = pytest.mark.django_db(transaction=True)


async def subscribed(sock, room, **extra):
    await sock.send({"type": "subscribe", "room": room.id, **extra})
    return await sock.expect("subscribed", room=room.id)


# --- handshake ----------------------------------------------------------------


async def handshake(headers):
    comm = WebsocketCommunicator(application, "/ws/", headers=headers)
    connected, _code = await comm.connect()
    await comm.disconnect()
    return connected


async def test_anonymous_handshake_is_refused(live_team):
    assert not await handshake(socket_headers(None))


async def test_cross_origin_and_origin_less_handshakes_are_refused(live_team):
    key = await sync_to_async(session_cookie)(live_team.client_member)
    assert not await handshake(socket_headers(key, origin="https://evil.example"))
    assert not await handshake(socket_headers(key, origin=None))
    assert await handshake(socket_headers(key))


async def test_hello_names_the_person_and_the_limits(live_team, connect):
    sock = await connect(live_team.client_member, hello=False)
    hello = await sock.recv()
    assert hello["type"] == "hello" and hello["protocol"] == 2
    assert hello["me"]["id"] == live_team.client_member.id
    assert hello["limits"]["message_max_chars"] > 0


# --- subscribe, send, ack ------------------------------------------------------------


async def test_subscribe_returns_head_members_presence_then_the_latest_page(live_team, connect):
    sock = await connect(live_team.client_member)
    sub = await subscribed(sock, live_team.shared)
    member_ids = {m["person"]["id"] for m in sub["members"]}
    assert live_team.supplier_member.id in member_ids
    assert sub["presence"][str(live_team.client_member.id)] == "active"
    replay = [await sock.recv() for _ in range(sub["head_seq"])]
    assert [f["seq"] for f in replay] == list(range(1, sub["head_seq"] + 1))
    assert {f["type"] for f in replay} == {"member.joined"}


async def test_message_send_acks_the_sender_and_reaches_the_other_side(live_team, connect):
    a = await connect(live_team.supplier_member)
    b = await connect(live_team.client_member)
    head = (await subscribed(a, live_team.shared, since=0))["head_seq"]
    await subscribed(b, live_team.shared, since=head)
    await a.send(
        {"type": "message.send", "room": live_team.shared.id, "client_id": "k1", "body": "hi"}
    )
    ack = await a.expect("ack")
    event = await b.expect("message.new")
    assert ack == {
        "type": "ack",
        "room": live_team.shared.id,
        "client_id": "k1",
        "id": ack["id"],
        "seq": head + 1,
        "ref": "k1",
    }
    assert event["seq"] == head + 1 and event["message"]["body"] == "hi"
    assert event["message"]["author"]["org"]["id"] == live_team.supplier.id


async def test_resending_a_client_id_answers_the_same_ack_and_stores_one(live_team, connect):
    a = await connect(live_team.supplier_member)
    frame = {"type": "message.send", "room": live_team.shared.id, "client_id": "dup", "body": "x"}
    await a.send(frame)
    first = await a.expect("ack")
    await a.send(frame)
    second = await a.expect("ack")
    assert first == second
    assert await Message.objects.filter(client_id="dup").acount() == 1


async def test_resume_with_since_replays_exactly_what_was_missed(live_team, connect):
    a = await connect(live_team.supplier_member)
    head = (await subscribed(a, live_team.shared, since=0))["head_seq"]
    await a.drain()
    await a.close()
    for i in range(100):
        await sync_to_async(check_send_message)(
            live_team.client_member, room_id=live_team.shared.id, client_id=f"m{i}", body=f"n{i}"
        )
    back = await connect(live_team.supplier_member)
    await subscribed(back, live_team.shared, since=head)
    got = [await back.recv() for _ in range(100)]
    assert [f["seq"] for f in got] == list(range(head + 1, head + 101))
    assert [f["message"]["body"] for f in got] == [f"n{i}" for i in range(100)]
    # Nothing more of the room's log (their own arrival is announced a tick later).
    assert [f for f in await back.drain() if "seq" in f] == []


async def test_sockets_subscribing_together_each_get_everything_after_their_own_head(
    live_team, connect, monkeypatch
):
    """Two sockets of one process subscribe while messages arrive.

    The one that read the older head reports it last; the process stream has
    already started after the newer head, so what lies between must reach it
    from the database.
    """
    from rooms.socket.fanout import Fanout

    real_note_head = Fanout.note_head
    first_report = asyncio.Event()
    release = asyncio.Event()

    async def note_head_first_one_late(self, room_id, head_seq):
        if not first_report.is_set():
            first_report.set()
            await release.wait()
        return await real_note_head(self, room_id, head_seq)

    monkeypatch.setattr(Fanout, "note_head", note_head_first_one_late)
    room = live_team.shared
    early = await connect(live_team.supplier_member)
    late = await connect(live_team.client_member)
    await early.send({"type": "subscribe", "room": room.id, "since": 0})
    await asyncio.wait_for(first_report.wait(), 3)
    for i in range(2):
        await sync_to_async(check_send_message)(
            live_team.client_member, room_id=room.id, client_id=f"r{i}", body=f"r{i}"
        )
    await asyncio.sleep(0.3)  # the two events reach the process while no head is known
    newer_head = (await subscribed(late, room, since=0))["head_seq"]
    release.set()
    older_head = (await early.expect("subscribed", room=room.id))["head_seq"]
    assert older_head == newer_head - 2
    await sync_to_async(check_send_message)(
        live_team.client_member, room_id=room.id, client_id="after", body="after"
    )
    got = [await early.recv() for _ in range(newer_head + 1)]
    assert [f["seq"] for f in got] == list(range(1, newer_head + 2))
    assert [f["message"]["body"] for f in got[-3:]] == ["r0", "r1", "after"]
    await early.nothing()


async def test_too_large_a_gap_answers_resync(live_team, connect, settings):
    settings.CAUSEWAY_REPLAY_LIMIT = 3
    for i in range(5):
        await sync_to_async(check_send_message)(
            live_team.client_member, room_id=live_team.shared.id, client_id=f"g{i}", body="x"
        )
    sock = await connect(live_team.supplier_member)
    sub = await subscribed(sock, live_team.shared, since=0)
    resync = await sock.recv()
    assert resync == {"type": "resync", "room": live_team.shared.id, "head_seq": sub["head_seq"]}


async def test_unsubscribe_stops_delivery(live_team, connect):
    a = await connect(live_team.supplier_member)
    await subscribed(a, live_team.shared, since=0)
    await a.drain()
    await a.send({"type": "unsubscribe", "room": live_team.shared.id})
    await a.expect("unsubscribed", room=live_team.shared.id)
    await sync_to_async(check_send_message)(
        live_team.client_member, room_id=live_team.shared.id, client_id="u", body="x"
    )
    await a.nothing(0.5)


# --- edit, delete, threads, read --------------------------------------------------------


async def test_edit_and_delete_are_room_events(live_team, connect):
    a = await connect(live_team.supplier_member)
    b = await connect(live_team.client_member)
    room = live_team.shared.id
    await subscribed(a, live_team.shared)
    await subscribed(b, live_team.shared)
    await a.send({"type": "message.send", "room": room, "client_id": "e", "body": "v1"})
    ack = await a.expect("ack")
    await a.send({"type": "message.edit", "room": room, "id": ack["id"], "body": "v2", "ref": "r1"})
    assert (await a.expect("ok"))["ref"] == "r1"
    edited = await b.expect("message.edited")
    assert edited["message"]["body"] == "v2" and edited["seq"] == ack["seq"] + 1
    await a.send({"type": "message.delete", "room": room, "id": ack["id"]})
    await a.expect("ok", op="message.delete")
    deleted = await b.expect("message.deleted")
    assert deleted == {
        "type": "message.deleted",
        "room": room,
        "seq": ack["seq"] + 2,
        "id": ack["id"],
        "thread": None,
    }


async def test_reactions_reach_both_sides_live_and_a_resume_replays_them(live_team, connect):
    t, room = live_team, live_team.shared.id
    a = await connect(t.supplier_member)
    b = await connect(t.client_member)
    await subscribed(a, t.shared)
    head = (await subscribed(b, t.shared))["head_seq"]
    await b.drain()
    await a.send({"type": "message.send", "room": room, "client_id": "r", "body": "Shipped"})
    ack = await a.expect("ack")
    await b.send({"type": "reaction.add", "room": room, "id": ack["id"], "emoji": "🎉", "ref": "x"})
    assert await b.expect("ok", ref="x") == {
        "type": "ok",
        "op": "reaction.add",
        "id": ack["id"],
        "ref": "x",
    }
    live = await a.expect("reaction.updated")
    assert live["seq"] == ack["seq"] + 1 and live["message"] == ack["id"]
    assert live["reactions"][0]["emoji"] == "🎉"
    assert live["reactions"][0]["people"][0]["id"] == t.client_member.id
    await b.close()
    await a.send({"type": "reaction.add", "room": room, "id": ack["id"], "emoji": "🎉"})
    await a.expect("ok", op="reaction.add")
    await a.send({"type": "reaction.remove", "room": room, "id": ack["id"], "emoji": "🎉"})
    await a.expect("ok", op="reaction.remove")
    back = await connect(t.client_member)
    await subscribed(back, t.shared, since=head)
    replay = [await back.recv() for _ in range(4)]
    assert [(f["type"], f["seq"]) for f in replay] == [
        ("message.new", ack["seq"]),
        ("reaction.updated", ack["seq"] + 1),
        ("reaction.updated", ack["seq"] + 2),
        ("reaction.updated", ack["seq"] + 3),
    ]
    assert [r["count"] for r in replay[2]["reactions"]] == [2]
    assert [p["id"] for p in replay[3]["reactions"][0]["people"]] == [t.client_member.id]


async def test_a_reaction_with_an_unknown_emoji_or_message_gets_an_error_frame(live_team, connect):
    t, room = live_team, live_team.shared.id
    a = await connect(t.supplier_member)
    await subscribed(a, t.shared)
    await a.send({"type": "message.send", "room": room, "client_id": "u", "body": "x"})
    ack = await a.expect("ack")
    await a.send({"type": "reaction.add", "room": room, "id": ack["id"], "emoji": "🦄", "ref": 1})
    assert (await a.expect("error", ref=1))["code"] == "invalid"
    internal = t.client_internal.id
    await a.send(
        {"type": "reaction.add", "room": internal, "id": ack["id"], "emoji": "👍", "ref": 2}
    )
    assert (await a.expect("error", ref=2))["code"] == "not_found"


async def test_editing_someone_elses_message_is_forbidden(live_team, connect):
    a = await connect(live_team.supplier_member)
    b = await connect(live_team.client_member)
    await a.send(
        {"type": "message.send", "room": live_team.shared.id, "client_id": "f", "body": "x"}
    )
    ack = await a.expect("ack")
    await b.send(
        {"type": "message.edit", "room": live_team.shared.id, "id": ack["id"], "body": "y"}
    )
    error = await b.expect("error")
    assert error["code"] == "forbidden"


async def test_thread_reply_follow_and_read(live_team, connect):
    a = await connect(live_team.supplier_member)
    b = await connect(live_team.client_member)
    room = live_team.shared.id
    await subscribed(a, live_team.shared)
    await a.send({"type": "message.send", "room": room, "client_id": "root", "body": "root"})
    root = await a.expect("ack")
    await b.send({"type": "thread.follow", "room": room, "root": root["id"], "ref": "f"})
    await b.expect("ok", op="thread.follow")
    await b.send(
        {"type": "message.send", "room": room, "client_id": "r", "body": "re", "thread": root["id"]}
    )
    reply = await b.expect("ack")
    event = await a.expect("message.new", seq=reply["seq"])
    assert event["message"]["thread"] == root["id"]
    sub = await subscribed(a, live_team.shared)
    assert sub["threads"] == [{"root": root["id"], "last_read_seq": 0, "unread": 1}]
    await a.send({"type": "thread.read", "room": room, "root": root["id"], "seq": reply["seq"]})
    await a.expect("ok", op="thread.read")
    sub = await subscribed(a, live_team.shared)
    assert sub["threads"][0]["unread"] == 0


async def test_read_moves_the_marker_and_updates_the_persons_other_sockets(live_team, connect):
    writer = await connect(live_team.supplier_member)
    tab1 = await connect(live_team.client_member)
    tab2 = await connect(live_team.client_member)
    for i in range(3):
        await writer.send(
            {"type": "message.send", "room": live_team.shared.id, "client_id": f"r{i}", "body": "x"}
        )
        last = await writer.expect("ack")
    sub = await subscribed(tab2, live_team.shared)
    assert sub["unread"] == 3
    await tab1.send({"type": "read", "room": live_team.shared.id, "seq": last["seq"] - 1})
    unread = await tab2.expect("unread")
    assert unread == {
        "type": "unread",
        "room": live_team.shared.id,
        "count": 1,
        "mentions": 0,
        "last_read_seq": last["seq"] - 1,
    }
    assert (await tab1.expect("unread"))["count"] == 1


# --- ephemeral: typing, presence, ping -----------------------------------------------------


async def test_typing_reaches_subscribers_and_is_throttled(live_team, connect):
    a = await connect(live_team.supplier_member)
    b = await connect(live_team.client_member)
    await subscribed(a, live_team.shared)
    await subscribed(b, live_team.shared)
    await b.drain()
    await a.send({"type": "typing", "room": live_team.shared.id})
    typing = await b.expect("typing")
    assert typing["user"] == live_team.supplier_member.id and typing["expires_in"] > 0
    await a.send({"type": "typing", "room": live_team.shared.id})
    await b.nothing(0.4)


async def test_erasing_the_text_takes_the_typing_notice_back_at_once(live_team, connect):
    a = await connect(live_team.supplier_member)
    b = await connect(live_team.client_member)
    await subscribed(a, live_team.shared)
    await subscribed(b, live_team.shared)
    await b.drain()
    room = live_team.shared.id
    # A stop with nothing showing says nothing to anyone.
    await a.send({"type": "typing", "room": room, "stop": True})
    await b.nothing(0.4)
    await a.send({"type": "typing", "room": room})
    assert (await b.expect("typing"))["expires_in"] > 0
    await a.send({"type": "typing", "room": room, "stop": True})
    stopped = await b.expect("typing")
    assert (stopped["user"], stopped["expires_in"]) == (live_team.supplier_member.id, 0)
    # Typing again right after is a new notice, not throttled by the old one.
    await a.send({"type": "typing", "room": room})
    assert (await b.expect("typing"))["expires_in"] > 0


async def test_typing_in_a_room_you_are_not_subscribed_to_is_not_found(live_team, connect):
    a = await connect(live_team.supplier_member)
    await a.send({"type": "typing", "room": live_team.client_internal.id})
    assert (await a.expect("error"))["code"] == "not_found"


async def test_presence_set_and_disconnect_reach_room_members(live_team, connect):
    watcher = await connect(live_team.client_member)
    await subscribed(watcher, live_team.shared)
    other = await connect(live_team.supplier_member)
    assert await watcher.presence(live_team.supplier_member.id) == "active"
    await other.send({"type": "presence.set", "state": "away"})
    assert await watcher.presence(live_team.supplier_member.id) == "away"
    await other.send({"type": "presence.set", "state": "sleeping"})
    assert (await other.expect("error"))["code"] == "invalid"
    await other.close()
    assert await watcher.presence(live_team.supplier_member.id) == "offline"


async def test_someone_who_comes_back_is_shown_online_to_whoever_saw_them_gone(live_team, connect):
    """Found in Chromium: a page change closes a socket and opens another; a
    watcher who subscribed in between saw them offline and must see them back."""
    supplier = live_team.supplier_member.id
    first = await connect(live_team.supplier_member)
    await first.close()
    watcher = await connect(live_team.client_member)
    sub = await subscribed(watcher, live_team.shared)
    assert sub["presence"][str(supplier)] == "offline"
    await connect(live_team.supplier_member)
    assert await watcher.presence(supplier) == "active"


async def supplier_seen_leaving(team, connect):
    """A client watching the shared room sees the supplier arrive, then close their socket."""
    watcher = await connect(team.client_member)
    await subscribed(watcher, team.shared)
    first = await connect(team.supplier_member)
    assert await watcher.presence(team.supplier_member.id) == "active"
    await first.close()
    return watcher


async def test_a_socket_that_drops_and_comes_back_within_the_grace_shows_nobody_offline(
    live_team, connect, settings
):
    """A network blip or a deploy must not flash everyone offline and back."""
    settings.CAUSEWAY_PRESENCE_GRACE_SECONDS = 1.0
    supplier = live_team.supplier_member.id
    watcher = await supplier_seen_leaving(live_team, connect)
    # Within the grace a subscribe still shows them: what was announced.
    again = await connect(live_team.client_member)
    assert (await subscribed(again, live_team.shared))["presence"][str(supplier)] == "active"
    await connect(live_team.supplier_member)
    frames = await watcher.drain(2.0)  # past the grace and a sweep
    assert [f for f in frames if f["type"] == "presence" and str(supplier) in f["people"]] == []


async def test_someone_who_does_not_come_back_is_shown_offline_after_the_grace(
    live_team, connect, settings
):
    settings.CAUSEWAY_PRESENCE_GRACE_SECONDS = 0.5
    supplier = live_team.supplier_member.id
    watcher = await supplier_seen_leaving(live_team, connect)
    assert await watcher.presence(supplier, timeout=3) == "offline"


async def test_people_arriving_in_one_tick_are_announced_in_one_frame_per_room(
    live_team, connect, settings
):
    """A crowd arriving in a big room costs each member a frame, not one per arrival."""
    from presence.heartbeat import PresenceKeeper

    settings.CAUSEWAY_PRESENCE_TICK_SECONDS = 3600  # announced by the flush below only
    watcher = await connect(live_team.client_member)
    await subscribed(watcher, live_team.shared)
    await PresenceKeeper.flush_all()
    await watcher.drain(0.2)
    await connect(live_team.supplier_member)
    await connect(live_team.supplier_admin)
    await PresenceKeeper.flush_all()
    frame = await watcher.expect("presence", room=live_team.shared.id)
    assert frame["people"] == {
        str(live_team.supplier_member.id): "active",
        str(live_team.supplier_admin.id): "active",
    }
    await watcher.nothing(0.3)


async def test_ping_answers_pong_with_the_ref(live_team, connect):
    a = await connect(live_team.client_member)
    await a.send({"type": "ping", "ref": 7})
    assert await a.recv() == {"type": "pong", "ref": 7}


# --- membership changes while connected ----------------------------------------------------


async def test_member_joined_left_and_room_updated_are_room_events(live_team, connect):
    newcomer = await sync_to_async(make_person)(live_team.client, name="New Person")
    a = await connect(live_team.supplier_admin)
    head = (await subscribed(a, live_team.shared, since=0))["head_seq"]
    await a.drain()
    await sync_to_async(check_add_member)(
        live_team.client_admin, room_id=live_team.shared.id, person_id=newcomer.id
    )
    joined = await a.expect("member.joined")
    assert joined["seq"] == head + 1 and joined["member"]["id"] == newcomer.id
    await sync_to_async(check_remove_member)(
        live_team.client_admin, room_id=live_team.shared.id, person_id=newcomer.id
    )
    assert (await a.expect("member.left"))["user"] == newcomer.id
    await sync_to_async(check_update_room)(
        live_team.supplier_admin, room_id=live_team.shared.id, name="Renamed"
    )
    assert (await a.expect("room.updated"))["name"] == "Renamed"


async def test_removed_member_stops_receiving_the_room_at_once(live_team, connect):
    victim = await connect(live_team.client_member)
    await subscribed(victim, live_team.shared)
    await sync_to_async(check_remove_member)(
        live_team.client_admin, room_id=live_team.shared.id, person_id=live_team.client_member.id
    )
    removed = await victim.expect("room.removed", timeout=1)
    assert removed["room"] == live_team.shared.id
    await sync_to_async(check_send_message)(
        live_team.supplier_member, room_id=live_team.shared.id, client_id="after", body="secret"
    )
    frames = await victim.drain(0.5)
    assert all(f.get("room") != live_team.shared.id for f in frames)
    await victim.send({"type": "subscribe", "room": live_team.shared.id})
    assert (await victim.expect("error"))["code"] == "not_found"


async def test_deactivation_closes_open_sockets(live_team, connect):
    from rooms.actions.people import check_deactivate_person

    sock = await connect(live_team.client_member)
    await sync_to_async(check_deactivate_person)(
        live_team.client_admin, person_id=live_team.client_member.id
    )
    await sock.expect("session.ended", timeout=1)
    closed = await sock.comm.receive_output(timeout=1)
    assert closed == {"type": "websocket.close", "code": 4403}


# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{not json", "bad_json"),
        ("[1, 2]", "invalid"),
        ('"text"', "invalid"),
        ("{}", "invalid"),
        ('{"type": 5}', "invalid"),
        ('{"type": "launch.missiles"}', "unknown_type"),
        ('{"type": "subscribe"}', "invalid"),
        ('{"type": "subscribe", "room": "abc"}', "invalid"),
        ('{"type": "subscribe", "room": true}', "invalid"),
        ('{"type": "subscribe", "room": 1, "since": -1}', "invalid"),
        ('{"type": "subscribe", "room": 99999999}', "not_found"),
        ('{"type": "message.send", "room": 99999999, "client_id": "x", "body": "x"}', "not_found"),
        ('{"type": "message.edit", "room": "x", "id": 1, "body": "x"}', "invalid"),
        # A malformed field is refused before anything is looked up (rooms.schemas).
        ('{"type": "read", "room": 1, "seq": "x"}', "invalid"),
        ("[" * 100_000 + "]" * 100_000, "too_large"),
        ('{"type": "ping", "x": ' + "[" * 5000 + "]" * 5000 + "}", "bad_json"),
    ],
)
async def test_bad_frames_get_an_error_frame_and_the_socket_lives_on(live_team, connect, raw, code):
    sock = await connect(live_team.client_member)
    await sock.comm.send_to(text_data=raw)
    error = await sock.expect("error")
    assert error["code"] == code and error["detail"]
    await sock.send({"type": "ping"})
    await sock.expect("pong")


async def test_binary_frames_get_bad_json(live_team, connect):
    sock = await connect(live_team.client_member)
    await sock.comm.send_to(bytes_data=b"\xff\xfe")
    assert (await sock.expect("error"))["code"] == "bad_json"


async def test_oversized_body_is_refused_with_too_large_and_nothing_stored(
    live_team, connect, settings
):
    settings.CAUSEWAY_MESSAGE_MAX_CHARS = 100
    sock = await connect(live_team.client_member)
    await sock.send(
        {"type": "message.send", "room": live_team.shared.id, "client_id": "big", "body": "x" * 101}
    )
    error = await sock.expect("error")
    assert error == {"type": "error", "code": "too_large", "detail": error["detail"], "ref": "big"}
    assert not await Message.objects.filter(client_id="big").aexists()


async def test_flooding_is_rate_limited_per_person(live_team, connect, settings, monkeypatch):
    from types import SimpleNamespace

    from hub import ratelimit

    settings.CAUSEWAY_RATE_LIMIT_WRITES = (5, 10)
    # One fixed window: the six sends must not straddle a window boundary.
    now = time.time()
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: now))
    tab1 = await connect(live_team.client_member)
    tab2 = await connect(live_team.client_member)
    for i in range(5):
        await (tab1 if i % 2 else tab2).send(
            {
                "type": "message.send",
                "room": live_team.shared.id,
                "client_id": f"fl{i}",
                "body": "x",
            }
        )
    for tab in (tab1, tab2):
        await tab.drain(0.3)
    await tab1.send(
        {"type": "message.send", "room": live_team.shared.id, "client_id": "fl-over", "body": "x"}
    )
    refused = await tab1.expect("error")
    assert refused["code"] == "rate_limited" and refused["ref"] == "fl-over"
    # When to send again: what is left of the 10-second window.
    assert 1 <= refused["retry_after"] <= 10
    assert await Message.objects.filter(client_id__startswith="fl").acount() == 5
    # Other people are not affected.
    other = await connect(live_team.supplier_member)
    await other.send(
        {"type": "message.send", "room": live_team.shared.id, "client_id": "ok", "body": "x"}
    )
    await other.expect("ack")


async def test_frame_flood_is_rate_limited_per_socket(live_team, connect, settings):
    settings.CAUSEWAY_RATE_LIMIT_FRAMES = (10, 10)
    sock = await connect(live_team.client_member)
    for _ in range(12):
        await sock.send({"type": "ping"})
    frames = [await sock.recv() for _ in range(12)]
    assert [f["type"] for f in frames].count("pong") == 10
    refusals = [f for f in frames if f["type"] == "error"]
    assert [f["code"] for f in refusals] == ["rate_limited", "rate_limited"]
    # A token comes back every second (10 per 10 s).
    assert [f["retry_after"] for f in refusals] == [1, 1]


async def test_an_unexpected_failure_answers_internal_and_keeps_the_socket(
    live_team, connect, monkeypatch
):
    def boom(*args, **kwargs):
        raise RuntimeError("database exploded")

    monkeypatch.setattr(consumer, "check_send_message", boom)
    sock = await connect(live_team.client_member)
    await sock.send(
        {"type": "message.send", "room": live_team.shared.id, "client_id": "z", "body": "x"}
    )
    error = await sock.expect("error")
    assert error["code"] == "internal" and "exploded" not in error["detail"]
    await sock.send({"type": "ping"})
    await sock.expect("pong")


async def test_logout_ends_the_sockets_of_that_session(live_team, connect):
    from django.test import AsyncClient

    client = AsyncClient()
    await sync_to_async(client.force_login)(live_team.client_member)
    key = client.cookies["sessionid"].value
    comm = WebsocketCommunicator(application, "/ws/", headers=socket_headers(key))
    assert (await comm.connect())[0]
    assert json.loads(await comm.receive_from())["type"] == "hello"
    other_session = await connect(live_team.client_member)
    await client.post("/accounts/logout/")
    assert json.loads(await comm.receive_from(timeout=1))["type"] == "session.ended"
    await other_session.send({"type": "ping"})
    await other_session.expect("pong")
    await comm.disconnect()
    await asyncio.sleep(0)


async def test_access_is_revoked_even_when_the_control_message_is_lost(
    live_team, connect, monkeypatch
):
    from rooms.socket.fanout import Fanout

    member = await connect(live_team.client_member)
    leaver = await connect(live_team.client_admin)
    await subscribed(member, live_team.shared)
    monkeypatch.setattr(publish, "send", lambda message: None)  # the layer loses everything
    await sync_to_async(check_remove_member)(
        live_team.supplier_admin, room_id=live_team.shared.id, person_id=live_team.client_member.id
    )
    await User.objects.filter(pk=live_team.client_admin.pk).aupdate(is_active=False)
    assert "room.removed" not in [f["type"] for f in await member.drain(0.3)]
    await (await Fanout.get()).audit_access()
    assert (await member.expect("room.removed", timeout=1))["room"] == live_team.shared.id
    await leaver.expect("session.ended", timeout=1)


async def test_an_ended_partnerships_room_tells_subscribers_and_refuses_writes(live_team, connect):
    from rooms.actions.partnerships import check_end_partnership

    t = live_team
    sock = await connect(t.client_member)
    head = (await subscribed(sock, t.shared))["head_seq"]
    await sync_to_async(check_end_partnership)(
        t.supplier_admin, partnership_id=t.partnership.id, reason="Contract ended"
    )
    archived = await sock.expect("room.archived", room=t.shared.id)
    assert archived["seq"] == head + 1 and archived["reason"] == "Contract ended"
    await sock.send(
        {"type": "message.send", "room": t.shared.id, "client_id": "late-1", "body": "hello?"}
    )
    error = await sock.expect("error")
    assert (error["code"], error["ref"]) == ("archived", "late-1")
    # Still readable: a fresh subscribe with since replays the archive event.
    other = await connect(t.supplier_member)
    await other.send({"type": "subscribe", "room": t.shared.id, "since": head})
    await other.expect("subscribed", room=t.shared.id)
    replayed = await other.expect("room.archived", room=t.shared.id)
    assert replayed["seq"] == head + 1
    assert not await sync_to_async(
        Message.objects.filter(room=t.shared, client_id="late-1").exists
    )()


async def test_a_frame_that_needs_no_database_costs_no_database_thread(
    live_team, connect, monkeypatch
):
    """Channels hops to a thread to close old database connections before every
    handler and after a disconnect; every database call of ours closes them
    itself (hub.threads.db), so a ping, a presence change or a close must not
    queue for a thread."""
    import channels.consumer
    import channels.generic.websocket

    hops = []

    async def counted() -> None:
        hops.append(1)

    for module in (channels.consumer, channels.generic.websocket):
        monkeypatch.setattr(module, "aclose_old_connections", counted)
    sock = await connect(live_team.client_member)
    await subscribed(sock, live_team.shared)
    for i in range(5):
        await sock.send({"type": "ping", "ref": i})
        await sock.expect("pong", ref=i)
    await sock.send({"type": "presence.set", "state": "away"})
    await sock.close()
    assert hops == []


async def test_closing_sockets_notes_when_people_were_last_here_in_one_write(live_team, connect):
    from rooms.socket.seen import LastSeen

    sockets = [
        await connect(person) for person in (live_team.supplier_member, live_team.client_member)
    ]
    for socket in sockets:
        await socket.close()
    seen = LastSeen.get()
    assert seen.pending == {live_team.supplier_member.pk, live_team.client_member.pk}
    await LastSeen.flush_all()
    assert seen.pending == set()
    noted = await sync_to_async(
        lambda: dict(
            User.objects.filter(
                pk__in=[live_team.supplier_member.pk, live_team.client_member.pk]
            ).values_list("pk", "last_seen_at")
        )
    )()
    # Batched: one UPDATE for both (one moment), as the closes of a storm are.
    assert len(set(noted.values())) == 1 and None not in noted.values()
