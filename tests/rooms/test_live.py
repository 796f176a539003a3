"""Two real Daphne processes on real Redis and real PostgreSQL."""

from __future__ import annotations

import asyncio
import time

import pytest
from asgiref.sync import sync_to_async

from rooms.actions.messages import check_send_message
from tests.conftest import session_cookie
from tests.live import Client, DaphneProcess

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.live,
    pytest.mark.django_db(transaction=True),
]

# Short presence expiry so a crashed process's ghosts go quickly in tests.
FAST_PRESENCE = {"CAUSEWAY_PRESENCE_TTL": "3", "CAUSEWAY_PRESENCE_HEARTBEAT": "1"}


@pytest.fixture
def servers(live_team):
    started = [DaphneProcess(FAST_PRESENCE), DaphneProcess(FAST_PRESENCE)]
    yield started
    for server in started:
        server.stop()


async def client(server, user) -> Client:
    key = await sync_to_async(session_cookie)(user)
    return await Client(server, key).open()


async def test_people_on_two_processes_get_each_others_messages_in_order(live_team, servers):
    a_proc, b_proc = servers
    alice = await client(a_proc, live_team.supplier_member)
    bob = await client(b_proc, live_team.client_member)
    for sock in (alice, bob):
        await sock.send({"type": "subscribe", "room": live_team.shared.id})
        head = (await sock.expect("subscribed"))["head_seq"]
    await asyncio.sleep(0.2)
    for i in range(20):
        sender = alice if i % 2 == 0 else bob
        await sender.send(
            {
                "type": "message.send",
                "room": live_team.shared.id,
                "client_id": f"x{i}",
                "body": f"m{i}",
            }
        )
    for sock in (alice, bob):
        got = []
        while len(got) < 20:
            frame = await sock.expect("message.new")
            got.append(frame)
        assert [f["seq"] for f in got] == list(range(head + 1, head + 21))
        assert sorted(f["message"]["body"] for f in got) == sorted(f"m{i}" for i in range(20))
    await alice.close()
    await bob.close()


async def test_typing_and_presence_cross_processes(live_team, servers):
    a_proc, b_proc = servers
    watcher = await client(a_proc, live_team.client_member)
    await watcher.send({"type": "subscribe", "room": live_team.shared.id})
    sub = await watcher.expect("subscribed")
    assert sub["presence"][str(live_team.supplier_member.id)] == "offline"
    typist = await client(b_proc, live_team.supplier_member)
    assert await watcher.presence(live_team.supplier_member.id) == "active"
    await typist.send({"type": "subscribe", "room": live_team.shared.id})
    await typist.expect("subscribed")
    await typist.send({"type": "typing", "room": live_team.shared.id})
    typing = await watcher.expect("typing")
    assert typing["user"] == live_team.supplier_member.id
    await typist.send({"type": "presence.set", "state": "away"})
    assert await watcher.presence(live_team.supplier_member.id) == "away"
    await watcher.close()
    await typist.close()


async def test_a_killed_process_leaves_no_ghost_presence(live_team, servers):
    a_proc, b_proc = servers
    watcher = await client(a_proc, live_team.client_member)
    await watcher.send({"type": "subscribe", "room": live_team.shared.id})
    await watcher.expect("subscribed")
    doomed = await client(b_proc, live_team.supplier_member)
    await watcher.presence(live_team.supplier_member.id, state="active")
    killed_at = time.monotonic()
    b_proc.kill()  # no disconnect() runs
    offline = await watcher.presence(live_team.supplier_member.id, timeout=15, state="offline")
    # TTL 3 s + sweep interval: gone well within the minute the product promises.
    assert offline and time.monotonic() - killed_at < 15
    await watcher.send({"type": "subscribe", "room": live_team.shared.id})
    sub = await watcher.expect("subscribed")
    assert sub["presence"][str(live_team.supplier_member.id)] == "offline"
    await watcher.close()
    _ = doomed


async def test_people_of_a_killed_process_resume_on_another_with_nothing_missing(
    live_team, servers
):
    a_proc, b_proc = servers
    reader = await client(b_proc, live_team.client_member)
    await reader.send({"type": "subscribe", "room": live_team.shared.id})
    last = (await reader.expect("subscribed"))["head_seq"]
    await reader.drain()
    b_proc.kill()
    for i in range(30):
        await sync_to_async(check_send_message)(
            live_team.supplier_member, room_id=live_team.shared.id, client_id=f"k{i}", body=f"k{i}"
        )
    back = await client(a_proc, live_team.client_member)
    await back.send({"type": "subscribe", "room": live_team.shared.id, "since": last})
    await back.expect("subscribed")
    got = [await back.expect("message.new") for _ in range(30)]
    assert [f["message"]["body"] for f in got] == [f"k{i}" for i in range(30)]
    assert [f["seq"] for f in got] == list(range(last + 1, last + 31))
    await back.close()


async def test_events_the_layer_drops_are_filled_from_the_database(live_team, servers, monkeypatch):
    """Redis pub/sub drops what a process misses while cut off; simulate exactly that.

    Two of every three publishes never reach the layer, the last one included.
    The server process notices the gaps (and, for the tail, the room's head in
    the database) and delivers every event, in order.
    """
    from hub import publish

    reader = await client(servers[0], live_team.client_member)
    await reader.send({"type": "subscribe", "room": live_team.shared.id})
    head = (await reader.expect("subscribed"))["head_seq"]
    await reader.drain()
    real_send = publish.send
    sent = []

    def lossy_send(message):
        sent.append(message)
        if len(sent) % 3 == 0:
            real_send(message)

    monkeypatch.setattr(publish, "send", lossy_send)

    def burst():
        for i in range(100):
            check_send_message(
                live_team.supplier_member,
                room_id=live_team.shared.id,
                client_id=f"b{i}",
                body=f"b{i}",
            )

    await sync_to_async(burst)()
    got = [await reader.expect("message.new", timeout=15) for _ in range(100)]
    assert [f["seq"] for f in got] == list(range(head + 1, head + 101))
    assert [f["message"]["body"] for f in got] == [f"b{i}" for i in range(100)]
    await reader.close()


async def test_resume_after_missing_events_the_layer_dropped(live_team, servers, monkeypatch):
    """A client that was away while the layer lost events still gets exactly what it missed."""
    from hub import publish

    sock = await client(servers[0], live_team.client_member)
    await sock.send({"type": "subscribe", "room": live_team.shared.id})
    last = (await sock.expect("subscribed"))["head_seq"]
    await sock.drain()
    await sock.close()
    monkeypatch.setattr(publish, "send", lambda message: None)  # the layer loses everything

    def burst():
        for i in range(100):
            check_send_message(
                live_team.supplier_member,
                room_id=live_team.shared.id,
                client_id=f"r{i}",
                body=f"r{i}",
            )

    await sync_to_async(burst)()
    back = await client(servers[1], live_team.client_member)
    await back.send({"type": "subscribe", "room": live_team.shared.id, "since": last})
    await back.expect("subscribed")
    got = [await back.expect("message.new") for _ in range(100)]
    assert [f["seq"] for f in got] == list(range(last + 1, last + 101))
    assert [f["message"]["body"] for f in got] == [f"r{i}" for i in range(100)]
    assert [f for f in await back.drain(0.5) if f["type"] == "message.new"] == []
    await back.close()


async def test_a_mirror_follows_the_shared_thread_live_through_the_bridge_worker(
    live_team, servers
):
    from rooms.bridge.mirrors import check_create_mirror
    from tests.live import BridgeWorker

    t = live_team
    root, _ = await sync_to_async(check_send_message)(
        t.client_member, room_id=t.shared.id, client_id="root", body="Is lot 7 shipping?"
    )
    mirror = await sync_to_async(check_create_mirror)(
        t.supplier_member,
        source_room_id=t.shared.id,
        root_id=root.id,
        target_room_id=t.supplier_internal.id,
    )
    worker = BridgeWorker()
    try:
        internal = await client(servers[0], t.supplier_admin)
        await internal.send({"type": "subscribe", "room": t.supplier_internal.id, "since": 10**6})
        await internal.expect("subscribed")
        await internal.drain()
        shared = await client(servers[1], t.client_member)
        await shared.send(
            {
                "type": "message.send",
                "room": t.shared.id,
                "client_id": "q",
                "body": "Any news?",
                "thread": root.id,
            }
        )
        await shared.expect("ack")
        copy = await internal.expect("message.new", timeout=10, room=t.supplier_internal.id)
        assert copy["message"]["body"] == "Any news?"
        assert copy["message"]["kind"] == "mirror"
        assert copy["message"]["thread"] == mirror.root_copy_id
        await internal.close()
        await shared.close()
    finally:
        worker.stop()
