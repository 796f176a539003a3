"""Faults with real processes: Redis restarted during traffic, a locked database."""

from __future__ import annotations

import asyncio

import psycopg
import pytest
from asgiref.sync import sync_to_async

from rooms.models.messages import Message
from tests.conftest import session_cookie
from tests.live import Client, DaphneProcess, RedisProcess, database_url

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.live,
    pytest.mark.django_db(transaction=True),
]

FAST = {"CAUSEWAY_PRESENCE_TTL": "4", "CAUSEWAY_PRESENCE_HEARTBEAT": "1"}


async def client(server, user) -> Client:
    return await Client(server, await sync_to_async(session_cookie)(user)).open()


async def subscribe(sock: Client, room: int, since: int | None = None) -> dict:
    frame = {"type": "subscribe", "room": room}
    if since is not None:
        frame["since"] = since
    await sock.send(frame)
    return await sock.expect("subscribed", timeout=10)


async def send(sock: Client, room: int, client_id: str) -> dict:
    await sock.send(
        {"type": "message.send", "room": room, "client_id": client_id, "body": client_id}
    )
    return await sock.expect("ack", timeout=10, client_id=client_id)


async def test_redis_restarted_during_traffic_loses_nothing_and_rebuilds_presence(live_team):
    t = live_team
    redis = RedisProcess()
    env = {**FAST, "REDIS_URL": redis.url}
    servers = [DaphneProcess(env), DaphneProcess(env)]
    try:
        writer = await client(servers[0], t.supplier_member)
        reader = await client(servers[1], t.client_member)
        head = (await subscribe(reader, t.shared.id))["head_seq"]
        await reader.drain()
        acks = [await send(writer, t.shared.id, f"before-{i}") for i in range(10)]
        redis.restart()
        for i in range(10):
            acks.append(await send(writer, t.shared.id, f"after-{i}"))
        # Live delivery resumes once each process has re-joined its groups;
        # anything the layer lost meanwhile comes from the database.
        seqs = []
        while len(seqs) < 20:
            frame = await reader.expect("message.new", timeout=20)
            seqs.append(frame["seq"])
        assert seqs == list(range(head + 1, head + 21))
        assert [a["seq"] for a in acks] == seqs
        # A reconnecting client gets exactly what it missed, too.
        again = await client(servers[0], t.client_member)
        await subscribe(again, t.shared.id, since=head)
        replayed = [await again.expect("message.new") for _ in range(20)]
        assert [f["seq"] for f in replayed] == seqs
        # Presence was wiped with Redis and is rebuilt by the heartbeat.
        await asyncio.sleep(2.5)
        sub = await subscribe(again, t.shared.id)
        assert sub["presence"][str(t.supplier_member.id)] == "active"
        for sock in (writer, reader, again):
            await sock.close()
    finally:
        for server in servers:
            server.stop()
        redis.stop()


async def test_a_locked_database_answers_unavailable_and_a_retry_stores_exactly_one(live_team):
    t = live_team
    server = DaphneProcess({"CAUSEWAY_DB_LOCK_TIMEOUT_MS": "300"})
    try:
        writer = await client(server, t.supplier_member)
        reader = await client(server, t.client_member)
        await subscribe(reader, t.shared.id)
        await reader.drain()
        # Another session holds the room's row: every write to it must wait.
        blocker = await psycopg.AsyncConnection.connect(database_url())
        await blocker.execute("BEGIN")
        await blocker.execute("SELECT id FROM rooms_room WHERE id = %s FOR UPDATE", [t.shared.id])
        await writer.send(
            {"type": "message.send", "room": t.shared.id, "client_id": "locked", "body": "hello"}
        )
        error = await writer.expect("error", timeout=10)
        assert error["code"] == "unavailable" and error["ref"] == "locked"
        assert not [f for f in await reader.drain(0.5) if f["type"] == "message.new"]
        assert await Message.objects.filter(client_id="locked").acount() == 0
        await blocker.execute("ROLLBACK")
        await blocker.close()
        for _ in range(2):  # the retry, and an over-eager second retry
            await writer.send(
                {
                    "type": "message.send",
                    "room": t.shared.id,
                    "client_id": "locked",
                    "body": "hello",
                }
            )
            await writer.expect("ack", timeout=10, client_id="locked")
        delivered = await reader.expect("message.new", timeout=10)
        assert delivered["message"]["client_id"] == "locked"
        assert await Message.objects.filter(client_id="locked").acount() == 1
        assert not [f for f in await reader.drain(0.5) if f["type"] == "message.new"]
        await writer.close()
        await reader.close()
    finally:
        server.stop()
