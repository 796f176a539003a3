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
import uuid
from typing import TYPE_CHECKING, Protocol

from django.conf import settings

if TYPE_CHECKING:
    from redis.asyncio import Redis

ACTIVE = "active"
AWAY = "away"
OFFLINE = "offline"
STATES = (ACTIVE, AWAY)


class PresenceStore(Protocol):
    async def connect(self, user_id: int, conn_id: str, ttl: float) -> bool:
        """Register a connection; True if the person was offline before (and is now active)."""
        ...

    async def refresh(self, entries: list[tuple[int, str]], ttl: float) -> bool:
        """Extend these connections' entries; True if the store had lost its state.

        (A Redis restarted empty: the caller announces its people again.)
        """
        ...

    async def disconnect(self, user_id: int, conn_id: str, linger: float = 0) -> bool:
        """Drop a connection; True if the person is now offline.

        With ``linger`` the entry is kept that long instead, as if its socket
        were still open, and then expires like a dead process's (the sweep
        tells who went offline): a socket back within it shows no change.
        """
        ...

    async def set_state(self, user_id: int, state: str) -> None: ...

    async def states(self, user_ids: list[int]) -> dict[int, str]:
        """Each person's state now."""
        ...

    async def announced(self, user_ids: list[int], viewer: int | None = None) -> dict[int, str]:
        """Each person's state as last announced (offline if never): what
        subscribers were told, so a subscribe's snapshot agrees with the
        ``presence`` frames that follow it. The ``viewer``'s own is their
        state now (they are connected; their arrival may not be announced yet).
        """
        ...

    async def sweep(self) -> list[int]:
        """Expire dead connections; the people who went offline because of it."""
        ...

    async def announce_changes(self, user_ids: list[int]) -> dict[int, str]:
        """Of these people, those whose state is not the one last announced: their state now.

        Records it as announced, in one atomic step shared by all processes,
        so one change is announced once however many processes saw it.
        """
        ...


class LocalPresenceStore:
    def __init__(self) -> None:
        self.conns: dict[int, dict[str, float]] = {}
        self.state: dict[int, str] = {}
        self.announced_states: dict[int, str] = {}

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
        if was_offline:
            self.state[user_id] = ACTIVE
        return was_offline

    async def refresh(self, entries: list[tuple[int, str]], ttl: float) -> bool:
        expires = time.time() + ttl
        for user_id, conn_id in entries:
            self.conns.setdefault(user_id, {})[conn_id] = expires
        return False  # this process's memory is never lost while it runs

    async def disconnect(self, user_id: int, conn_id: str, linger: float = 0) -> bool:
        conns = self.conns.get(user_id, {})
        if conn_id not in conns:
            return False
        if linger > 0:
            conns[conn_id] = min(conns[conn_id], time.time() + linger)
            return False
        del conns[conn_id]
        return not self._live(user_id, time.time())

    async def set_state(self, user_id: int, state: str) -> None:
        self.state[user_id] = state

    async def states(self, user_ids: list[int]) -> dict[int, str]:
        now = time.time()
        return {
            uid: (self.state.get(uid, ACTIVE) if self._live(uid, now) else OFFLINE)
            for uid in user_ids
        }

    async def announced(self, user_ids: list[int], viewer: int | None = None) -> dict[int, str]:
        seen = {uid: self.announced_states.get(uid, OFFLINE) for uid in user_ids}
        if viewer in seen:
            seen.update(await self.states([viewer]))
        return seen

    async def sweep(self) -> list[int]:
        now = time.time()
        gone = []
        for user_id, conns in list(self.conns.items()):
            if conns and not self._live(user_id, now):
                gone.append(user_id)
            if not conns:
                del self.conns[user_id]
        return gone

    async def announce_changes(self, user_ids: list[int]) -> dict[int, str]:
        changed = {}
        for user_id, state in (await self.states(user_ids)).items():
            if self.announced_states.get(user_id) != state:
                self.announced_states[user_id] = state
                changed[user_id] = state
        return changed


# Drop expired connections, count the live ones, add this one (to the person's
# set and the expiry index); an arriving person (none live before) is active.
CONNECT_SCRIPT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local before = redis.call('ZCARD', KEYS[1])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
if before == 0 then
  redis.call('SET', KEYS[3], ARGV[6], 'EX', 86400)
end
return before
"""


# A person's state, the one rule of the scripts below (LocalPresenceStore
# keeps the same in Python): offline without a live connection, otherwise
# the state they set, active if none.
_STATE_OF = """
local function state_of(conns, state, now)
  if redis.call('ZCOUNT', conns, now, '+inf') > 0 then
    return redis.call('GET', state) or 'active'
  end
  return 'offline'
end
"""

# KEYS: per person their connections and state; ARGV: now. Each one's state.
STATES_SCRIPT = (
    _STATE_OF
    + """
local out = {}
for j = 1, #KEYS / 2 do
  out[j] = state_of(KEYS[2 * j - 1], KEYS[2 * j], ARGV[1])
end
return out
"""
)

# KEYS: the announced-states hash, then per person their connections and state;
# ARGV: now, then the people. Returns person, state, person, state... of changes.
ANNOUNCE_SCRIPT = (
    _STATE_OF
    + """
local out = {}
for j = 1, #ARGV - 1 do
  local person = ARGV[j + 1]
  local state = state_of(KEYS[2 * j], KEYS[2 * j + 1], ARGV[1])
  if redis.call('HGET', KEYS[1], person) ~= state then
    redis.call('HSET', KEYS[1], person, state)
    table.insert(out, person)
    table.insert(out, state)
  end
end
return out
"""
)


# KEYS: the announced-states hash, then maybe the viewer's connections and
# state; ARGV: now, then the people. Returns the viewer's state now (or
# false), then each one's as last announced.
ANNOUNCED_SCRIPT = (
    _STATE_OF
    + """
local out = {false}
if #KEYS == 3 then
  out[1] = state_of(KEYS[2], KEYS[3], ARGV[1])
end
for j = 2, #ARGV do
  out[j] = redis.call('HGET', KEYS[1], ARGV[j]) or 'offline'
end
return out
"""
)

# KEYS: the expiry index; ARGV: now, the connections keys' prefix. Expires
# every entry due, returns the people left with no live connection.
SWEEP_SCRIPT = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local gone = {}
for _, member in ipairs(due) do
  redis.call('ZREM', KEYS[1], member)
  local sep = string.find(member, ':', 1, true)
  local person = string.sub(member, 1, sep - 1)
  local conns = ARGV[2] .. person
  redis.call('ZREM', conns, string.sub(member, sep + 1))
  if redis.call('ZCOUNT', conns, ARGV[1], '+inf') == 0 then
    table.insert(gone, person)
  end
end
return gone
"""


class RedisPresenceStore:
    def __init__(self, url: str, prefix: str) -> None:
        self.url = url
        self.prefix = prefix
        self.index_key = f"{prefix}:presence:expiry"
        self.announced_key = f"{prefix}:presence:announced"
        self.marker_key = f"{prefix}:presence:process:{uuid.uuid4().hex}"
        # A person's connections are at this prefix + their id (the sweep
        # script builds the same keys from it).
        self.conns_prefix = f"{prefix}:presence:conns:"
        self._clients: dict[asyncio.AbstractEventLoop, Redis] = {}

    def _redis(self) -> Redis:
        # redis.asyncio connections belong to one event loop.
        from redis import asyncio as aioredis

        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            # A bounded pool whose callers wait for a free connection: redis-py
            # 8's default pool opens a new connection whenever none is free
            # (each costs a TCP connect and a package-metadata lookup), and a
            # burst of handshakes would open hundreds; its default cap of 100
            # fails beyond that (django/channels_redis#422). A round trip is
            # short, so a few dozen connections serve any burst.
            pool = aioredis.BlockingConnectionPool.from_url(
                self.url,
                max_connections=64,
                timeout=5,
                socket_timeout=5,
                socket_connect_timeout=5,
                health_check_interval=15,
            )
            client = aioredis.Redis(connection_pool=pool)
            self._clients[loop] = client
        return client

    def _conns(self, user_id: int) -> str:
        return f"{self.conns_prefix}{user_id}"

    def _state(self, user_id: int) -> str:
        return f"{self.prefix}:presence:state:{user_id}"

    def _person_keys(self, user_ids: list[int]) -> list[str]:
        """Each person's connections and state keys, in turn (the scripts' KEYS)."""
        return [key for user_id in user_ids for key in (self._conns(user_id), self._state(user_id))]

    async def connect(self, user_id: int, conn_id: str, ttl: float) -> bool:
        # One round trip, also on arrival (when the state is set too): a
        # reconnect storm makes one per socket.
        now = time.time()
        before = await self._redis().eval(
            CONNECT_SCRIPT,
            3,
            self._conns(user_id),
            self.index_key,
            self._state(user_id),
            now,
            now + ttl,
            conn_id,
            f"{user_id}:{conn_id}",
            int(ttl * 4),
            ACTIVE,
        )  # fmt: skip
        return int(before) == 0

    async def refresh(self, entries: list[tuple[int, str]], ttl: float) -> bool:
        expires = time.time() + ttl
        async with self._redis().pipeline(transaction=False) as pipe:
            # This process's marker: gone means Redis lost everything (a
            # restart; it keeps nothing on disk), the announced states too.
            pipe.exists(self.marker_key)
            pipe.set(self.marker_key, 1, ex=int(ttl * 4))
            for user_id, conn_id in entries:
                pipe.zadd(self._conns(user_id), {conn_id: expires})
                pipe.expire(self._conns(user_id), int(ttl * 4))
            if entries:
                pipe.zadd(self.index_key, {f"{u}:{c}": expires for u, c in entries})
            marker_was_there, *_ = await pipe.execute()
        return not marker_was_there

    async def disconnect(self, user_id: int, conn_id: str, linger: float = 0) -> bool:
        key = self._conns(user_id)
        if linger > 0:
            # The entry stays until the linger ends (never later than it would
            # have), and the sweep of whichever process comes first expires it.
            expires = time.time() + linger
            async with self._redis().pipeline(transaction=False) as pipe:
                pipe.zadd(key, {conn_id: expires}, xx=True, lt=True)
                pipe.zadd(self.index_key, {f"{user_id}:{conn_id}": expires}, xx=True, lt=True)
                await pipe.execute()
            return False
        async with self._redis().pipeline(transaction=True) as pipe:
            pipe.zrem(key, conn_id)
            pipe.zrem(self.index_key, f"{user_id}:{conn_id}")
            pipe.zcount(key, time.time(), "+inf")
            removed, _, live = await pipe.execute()
        return bool(removed) and int(live) == 0

    async def set_state(self, user_id: int, state: str) -> None:
        await self._redis().set(self._state(user_id), state, ex=86400)

    async def states(self, user_ids: list[int]) -> dict[int, str]:
        # One script, not two commands per person: a subscribe asks for every
        # member, and a reconnect storm subscribes thousands of times.
        if not user_ids:
            return {}
        keys = self._person_keys(user_ids)
        reply = await self._redis().eval(STATES_SCRIPT, len(keys), *keys, time.time())
        return {user_id: state.decode() for user_id, state in zip(user_ids, reply, strict=True)}

    async def announced(self, user_ids: list[int], viewer: int | None = None) -> dict[int, str]:
        if not user_ids:
            return {}
        own = self._person_keys([viewer]) if viewer in user_ids else []
        reply = await self._redis().eval(
            ANNOUNCED_SCRIPT, 1 + len(own), self.announced_key, *own, time.time(), *user_ids
        )  # fmt: skip
        seen = {user_id: state.decode() for user_id, state in zip(user_ids, reply[1:], strict=True)}
        if viewer is not None and own:
            seen[viewer] = reply[0].decode()
        return seen

    async def sweep(self) -> list[int]:
        # One script: after a storm's grace there are thousands of entries,
        # and every live process sweeps (the script runs atomically, so each
        # entry is expired, and its person reported, once).
        reply = await self._redis().eval(
            SWEEP_SCRIPT, 1, self.index_key, time.time(), self.conns_prefix
        )  # fmt: skip
        return sorted({int(user_id) for user_id in reply})

    async def announce_changes(self, user_ids: list[int]) -> dict[int, str]:
        if not user_ids:
            return {}
        keys = [self.announced_key, *self._person_keys(user_ids)]
        reply = await self._redis().eval(
            ANNOUNCE_SCRIPT, len(keys), *keys, time.time(), *user_ids
        )  # fmt: skip
        return {int(reply[i]): reply[i + 1].decode() for i in range(0, len(reply), 2)}


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
