"""Baseline 4: the floor of storing a message, a raw ASGI app on Daphne (no Django, no Channels).

For each text frame (the load generator's ``b <id> <time>``) it does the
least a durable chat must: one PostgreSQL statement that takes the room's
next seq and inserts the message with it (asynchronous psycopg, a pool, no
thread hop, autocommit), one Redis ``PUBLISH`` of the event, and the answer
to the sender (its own frame back, which the load generator reads as the
ack). What Causeway adds on top of this is its framework and its rules.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable
from typing import Any

from psycopg_pool import AsyncConnectionPool
from redis import asyncio as aioredis

Send = Callable[[dict[str, Any]], Awaitable[None]]

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS bench_floor_room (id bigint PRIMARY KEY, last_seq bigint NOT NULL)",
    "CREATE TABLE IF NOT EXISTS bench_floor_message (room bigint NOT NULL, seq bigint NOT NULL,"
    " client_id text NOT NULL, body text NOT NULL, created_at timestamptz NOT NULL,"
    " PRIMARY KEY (room, seq), UNIQUE (room, client_id))",
)
STORE = (
    "WITH s AS (INSERT INTO bench_floor_room AS r (id, last_seq) VALUES (%s, 1)"
    " ON CONFLICT (id) DO UPDATE SET last_seq = r.last_seq + 1 RETURNING last_seq)"
    " INSERT INTO bench_floor_message (room, seq, client_id, body, created_at)"
    " SELECT %s, s.last_seq, %s, %s, now() FROM s RETURNING seq"
)

_pool: AsyncConnectionPool | None = None
_redis: aioredis.Redis | None = None


async def _ready() -> tuple[AsyncConnectionPool, aioredis.Redis]:
    global _pool, _redis
    if _pool is None or _redis is None:
        pool = AsyncConnectionPool(
            os.environ["DATABASE_URL"], min_size=1, max_size=10, kwargs={"autocommit": True},
            open=False,
        )  # fmt: skip
        await pool.open()
        async with pool.connection() as conn:
            for statement in SCHEMA:
                await conn.execute(statement)
        _pool, _redis = pool, aioredis.from_url(os.environ["REDIS_URL"])
    return _pool, _redis


async def application(scope: dict[str, Any], receive: Any, send: Send) -> None:
    if scope["type"] != "websocket":
        return
    # Each socket writes to a room of its own, as the load generator's senders do.
    room = id(send)
    while True:
        event = await receive()
        if event["type"] == "websocket.connect":
            await _ready()
            await send({"type": "websocket.accept"})
        elif event["type"] == "websocket.receive":
            body = event.get("text") or ""
            pool, redis = await _ready()
            async with pool.connection() as conn:
                cursor = await conn.execute(STORE, (room, room, body.split()[1], body))
                row = await cursor.fetchone()
            seq = row[0] if row else 0
            await redis.publish(f"room.{room}", json.dumps({"type": "message.new", "seq": seq}))
            await send({"type": "websocket.send", "text": body})
        elif event["type"] == "websocket.disconnect":
            return
