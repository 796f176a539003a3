"""Who is online: per person, across tabs, devices and server processes.

A person is online while at least one of their connections has an unexpired
entry. Each process refreshes its connections' entries on a heartbeat; a
process that dies stops refreshing, and the sweep (run by every live process)
expires its entries, so no ghost outlives ``PRESENCE_TTL_SECONDS`` plus one
sweep interval. Nothing relies on ``disconnect()`` being called.

With ``REDIS_URL`` the entries live in Redis and all processes share them;
otherwise in this process's memory (the single-process embedded default).
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Protocol, cast

from django.conf import settings

if TYPE_CHECKING:
    from redis.asyncio import Redis

ACTIVE = "active"
AWAY = "away"
OFFLINE = "offline"
STATES = (ACTIVE, AWAY)


class PresenceStore(Protocol):
    async def connect(self, user_id: int, conn_id: str, ttl: float) -> bool:
        """Register a connection; True if the person was offline before."""
        ...

    async def refresh(self, entries: list[tuple[int, str]], ttl: float) -> None: ...

    async def disconnect(self, user_id: int, conn_id: str) -> bool:
        """Drop a connection; True if the person is now offline."""
        ...

    async def set_state(self, user_id: int, state: str) -> None: ...

    async def states(self, user_ids: list[int]) -> dict[int, str]: ...

    async def sweep(self) -> list[int]:
        """Expire dead connections; the people who went offline because of it."""
        ...


class LocalPresenceStore:
    def __init__(self) -> None:
        self.conns: dict[int, dict[str, float]] = {}
        self.state: dict[int, str] = {}

    def _live(self, user_id: int, now: float) -> dict[str, float]:
        conns = self.conns.get(user_id, {})
        for conn_id in [c for c, exp in conns.items() if exp <= now]:
            del conns[conn_id]
        return conns

    async def connect(self, user_id: int, conn_id: str, ttl: float) -> bool:
        now = time.time()
        conns = self.conns.setdefault(user_id, {})
        was_offline = not self._live(user_id, now)
        conns[conn_id] = now + ttl
        return was_offline

    async def refresh(self, entries: list[tuple[int, str]], ttl: float) -> None:
        expires = time.time() + ttl
        for user_id, conn_id in entries:
            self.conns.setdefault(user_id, {})[conn_id] = expires

    async def disconnect(self, user_id: int, conn_id: str) -> bool:
        conns = self.conns.get(user_id, {})
        if conns.pop(conn_id, None) is None:
            return False
        return not self._live(user_id, time.time())

    async def set_state(self, user_id: int, state: str) -> None:
        self.state[user_id] = state

    async def states(self, user_ids: list[int]) -> dict[int, str]:
        now = time.time()
        return {
            uid: (self.state.get(uid, ACTIVE) if self._live(uid, now) else OFFLINE)
            for uid in user_ids
        }

    async def sweep(self) -> list[int]:
        now = time.time()
        gone = []
        for user_id, conns in list(self.conns.items()):
            if conns and not self._live(user_id, now):
                gone.append(user_id)
            if not conns:
                del self.conns[user_id]
        return gone


class RedisPresenceStore:
    def __init__(self, url: str, prefix: str) -> None:
        self.url = url
        self.prefix = prefix
        self.index_key = f"{prefix}:presence:expiry"
        self._clients: dict[asyncio.AbstractEventLoop, Redis] = {}

    def _redis(self) -> Redis:
        # redis.asyncio connections belong to one event loop.
        from redis import asyncio as aioredis

        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            # redis-py 8's pool holds 100 by default and fails bursts of
            # connects beyond that (django/channels_redis#422).
            client = aioredis.Redis.from_url(
                self.url,
                socket_timeout=5,
                socket_connect_timeout=5,
                health_check_interval=15,
                max_connections=2000,
            )
            self._clients[loop] = client
        return client

    def _conns(self, user_id: int) -> str:
        return f"{self.prefix}:presence:conns:{user_id}"

    def _state(self, user_id: int) -> str:
        return f"{self.prefix}:presence:state:{user_id}"

    async def connect(self, user_id: int, conn_id: str, ttl: float) -> bool:
        now = time.time()
        key = self._conns(user_id)
        async with self._redis().pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(key, "-inf", now)
            pipe.zcard(key)
            pipe.zadd(key, {conn_id: now + ttl})
            pipe.zadd(self.index_key, {f"{user_id}:{conn_id}": now + ttl})
            pipe.expire(key, int(ttl * 4))
            _, before, *_ = await pipe.execute()
        return int(before) == 0

    async def refresh(self, entries: list[tuple[int, str]], ttl: float) -> None:
        if not entries:
            return
        expires = time.time() + ttl
        async with self._redis().pipeline(transaction=False) as pipe:
            for user_id, conn_id in entries:
                pipe.zadd(self._conns(user_id), {conn_id: expires})
                pipe.expire(self._conns(user_id), int(ttl * 4))
            pipe.zadd(self.index_key, {f"{u}:{c}": expires for u, c in entries})
            await pipe.execute()

    async def disconnect(self, user_id: int, conn_id: str) -> bool:
        key = self._conns(user_id)
        async with self._redis().pipeline(transaction=True) as pipe:
            pipe.zrem(key, conn_id)
            pipe.zrem(self.index_key, f"{user_id}:{conn_id}")
            pipe.zcount(key, time.time(), "+inf")
            removed, _, live = await pipe.execute()
        return bool(removed) and int(live) == 0

    async def set_state(self, user_id: int, state: str) -> None:
        await self._redis().set(self._state(user_id), state, ex=86400)

    async def states(self, user_ids: list[int]) -> dict[int, str]:
        if not user_ids:
            return {}
        now = time.time()
        async with self._redis().pipeline(transaction=False) as pipe:
            for uid in user_ids:
                pipe.zcount(self._conns(uid), now, "+inf")
                pipe.get(self._state(uid))
            replies = await pipe.execute()
        result = {}
        for i, uid in enumerate(user_ids):
            live, state = replies[2 * i], replies[2 * i + 1]
            result[uid] = (state.decode() if state else ACTIVE) if int(live) else OFFLINE
        return result

    async def sweep(self) -> list[int]:
        redis = self._redis()
        now = time.time()
        # Members only, no scores asked for: each is the bytes of "user:conn".
        expired = cast(list[bytes], await redis.zrangebyscore(self.index_key, "-inf", now))
        gone = []
        for member in expired:
            # Every live process sweeps; ZREM decides which one owns an entry.
            if not await redis.zrem(self.index_key, member):
                continue
            user_id_text, conn_id = member.decode().split(":", 1)
            user_id = int(user_id_text)
            key = self._conns(user_id)
            await redis.zrem(key, conn_id)
            if int(await redis.zcount(key, time.time(), "+inf")) == 0:
                gone.append(user_id)
        return gone


_store: PresenceStore | None = None


def get_store() -> PresenceStore:
    global _store
    if _store is None:
        if settings.REDIS_URL:
            _store = RedisPresenceStore(
                settings.REDIS_URL, settings.CACHES["default"].get("KEY_PREFIX", "causeway")
            )
        else:
            _store = LocalPresenceStore()
    return _store


def reset_store() -> None:
    """Forget the store (tests switch settings between runs)."""
    global _store
    _store = None
