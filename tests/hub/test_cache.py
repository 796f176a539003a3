"""The Redis cache backend: one client per pool, one round trip per rate-limit count."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import caches

from hub.cache import CausewayRedisCache

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_cache() -> CausewayRedisCache:
    backend = CausewayRedisCache(settings.REDIS_URL, {"KEY_PREFIX": "cache-test"})
    backend.clear()
    return backend


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
