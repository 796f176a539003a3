"""Django's Redis cache, made cheap enough for the message hot path.

Django's ``RedisCacheClient`` builds a new redis-py client for every call;
with redis-py 8 that costs about half a millisecond of CPU (its response
callback table is rebuilt each time), more than the round trip itself. And
Django keeps its cache objects per context (``caches`` is an asgiref
``Local``): every ``database_sync_to_async`` call runs in a fresh copy of the
context, so each call built a new cache, a new pool and a new connection
(a TCP connect and a version lookup each, the bulk of a socket handshake).
Here the pools, and one client per pool, are per process: redis-py clients
are thread-safe, the pool hands each command its own connection.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

# (server URL, pool options) -> (pool, client), for the whole process.
_CLIENTS: dict[tuple[str, str], tuple[Any, Any]] = {}
_CLIENTS_LOCK = threading.Lock()


class ReusingRedisCacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Once per cache object, not on every command.
        self._options_key = repr(sorted(self._pool_options.items()))  # type: ignore[attr-defined]

    def _shared(self, write: bool) -> tuple[Any, Any]:
        server = self._servers[self._get_connection_pool_index(write)]  # type: ignore[attr-defined]
        key = (server, self._options_key)
        shared = _CLIENTS.get(key)
        if shared is None:
            with _CLIENTS_LOCK:
                shared = _CLIENTS.get(key)
                if shared is None:
                    pool = self._pool_class.from_url(server, **self._pool_options)  # type: ignore[attr-defined]
                    shared = _CLIENTS[key] = (pool, self._client(connection_pool=pool))  # type: ignore[attr-defined]
        return shared

    def _get_connection_pool(self, write: bool) -> Any:
        return self._shared(write)[0]

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        return self._shared(write)[1]


class CausewayRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient

    def count_in_window(self, key: str, timeout: int) -> int:
        """Add one to ``key`` (created with ``timeout`` seconds to live); the new count.

        One round trip, where ``add`` + ``incr`` take three.
        """
        full_key = self.make_and_validate_key(key)
        client = self._cache.get_client(full_key, write=True)
        count = int(client.incr(full_key))
        if count == 1:
            client.expire(full_key, timeout)
        return count
