"""The Redis cache backend: one pool and client per process, one round trip per count."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Iterator

import pytest
import redis
from django.conf import settings
from django.core.cache import caches

from hub.cache import CausewayRedisCache
from hub.threads import db
from tests.conftest import delete_redis_keys
from tests.live import RedisProcess

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_cache() -> CausewayRedisCache:
    # Under the run's own prefix, emptied key by key: ``clear()`` would
    # flush the Redis database that parallel workers share (tests/conftest.py).
    prefix = f"{settings.CACHES['default']['KEY_PREFIX']}-cache-test"
    delete_redis_keys(prefix)
    return CausewayRedisCache(settings.REDIS_URL, {"KEY_PREFIX": prefix})


def test_the_configured_cache_is_the_reusing_backend():
    assert isinstance(caches["default"], CausewayRedisCache)


def test_clients_are_made_once_per_pool(redis_cache):
    client = redis_cache._cache.get_client("a", write=True)
    assert redis_cache._cache.get_client("b", write=True) is client


def test_count_in_window_counts_and_expires_with_the_window(redis_cache):
    assert [redis_cache.count_in_window("rl:x", 7) for _ in range(3)] == [1, 2, 3]
    client = redis_cache._cache.get_client(write=True)
    ttl = client.ttl(redis_cache.make_key("rl:x"))
    assert 0 < ttl <= 7
    assert redis_cache.get("rl:x") == 3


@pytest.fixture
def private_redis(settings) -> Iterator[RedisProcess]:
    """The default cache on a Redis of the test's own: its connection count is this
    process's alone, not also that of parallel workers and their servers."""
    own = RedisProcess()
    settings.CACHES = {
        **settings.CACHES,
        "default": {**settings.CACHES["default"], "LOCATION": own.url},
    }
    yield own
    own.stop()


def test_database_threads_share_the_processs_connections(private_redis):
    """Each call in a database thread sees a fresh copy of Django's per-context caches.

    They must still share the process's pool: a new TCP connection per call
    (a session read, a rate-limit count) cost a socket handshake most of its time.
    """
    server = redis.Redis.from_url(private_redis.url)

    def connections_made() -> int:
        return int(server.info("stats")["total_connections_received"])

    async def many_reads() -> None:
        read = db(lambda: caches["default"].get("nothing-here"))
        for _ in range(5):
            await asyncio.gather(*(read() for _ in range(20)))

    # A context that never touched the cache, as a Daphne process's event loop.
    contextvars.Context().run(asyncio.run, many_reads())  # the pool's first connections
    before = connections_made()
    contextvars.Context().run(asyncio.run, many_reads())
    assert connections_made() - before < 10
