"""Presence stores: the in-process one and the Redis one behave alike."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from django.conf import settings

from presence.store import LocalPresenceStore, RedisPresenceStore


@pytest.fixture(params=["local", pytest.param("redis", marks=pytest.mark.redis)])
def store(request):
    if request.param == "local":
        return LocalPresenceStore()
    return RedisPresenceStore(settings.REDIS_URL, f"test-{uuid.uuid4().hex[:8]}")


async def test_a_person_is_online_while_any_connection_lives(store):
    assert await store.connect(1, "tab-a", ttl=30) is True
    assert await store.connect(1, "tab-b", ttl=30) is False
    assert await store.states([1, 2]) == {1: "active", 2: "offline"}
    assert await store.disconnect(1, "tab-a") is False
    assert await store.disconnect(1, "tab-b") is True
    assert await store.states([1]) == {1: "offline"}


async def test_away_state_is_kept_while_online(store):
    await store.connect(5, "c", ttl=30)
    await store.set_state(5, "away")
    assert await store.states([5]) == {5: "away"}


async def test_connections_that_stop_refreshing_expire_in_the_sweep(store):
    await store.connect(7, "dead-process-conn", ttl=0.3)
    await store.connect(8, "live-conn", ttl=0.3)
    await asyncio.sleep(0.2)
    await store.refresh([(8, "live-conn")], ttl=30)
    await asyncio.sleep(0.2)
    assert await store.sweep() == [7]
    assert await store.states([7, 8]) == {7: "offline", 8: "active"}
    assert await store.sweep() == []


async def test_disconnecting_an_unknown_connection_changes_nothing(store):
    await store.connect(9, "real", ttl=30)
    assert await store.disconnect(9, "never-connected") is False
    assert await store.states([9]) == {9: "active"}


async def test_a_change_is_announced_once_however_many_processes_saw_it(store):
    await store.connect(11, "tab", ttl=30)
    assert await store.announce_changes([11]) == {11: "active"}
    assert await store.announce_changes([11]) == {}
    await store.set_state(11, "away")
    await store.connect(11, "second-tab", ttl=30)
    assert await store.announce_changes([11]) == {11: "away"}
    await store.disconnect(11, "tab")
    await store.disconnect(11, "second-tab")
    assert await store.announce_changes([11]) == {11: "offline"}
    assert await store.announce_changes([11]) == {}


async def test_a_person_arriving_is_active_again_after_being_away(store):
    await store.connect(12, "tab", ttl=30)
    await store.set_state(12, "away")
    await store.disconnect(12, "tab")
    assert await store.connect(12, "tab-2", ttl=30) is True
    assert await store.states([12]) == {12: "active"}


async def test_subscribers_are_shown_the_state_last_announced_not_the_live_one(store):
    await store.connect(13, "tab", ttl=30)
    assert await store.announced([13, 14]) == {13: "offline", 14: "offline"}
    await store.announce_changes([13])
    await store.disconnect(13, "tab")
    assert await store.announced([13]) == {13: "active"}
    await store.announce_changes([13])
    assert await store.announced([13]) == {13: "offline"}


async def test_a_lingering_connection_keeps_its_person_online_until_it_expires(store):
    await store.connect(15, "tab", ttl=30)
    assert await store.disconnect(15, "tab", linger=0.3) is False
    assert await store.states([15]) == {15: "active"}
    await asyncio.sleep(0.4)
    assert await store.sweep() == [15]
    assert await store.states([15]) == {15: "offline"}


async def test_a_connection_back_within_the_linger_keeps_its_person_online(store):
    await store.connect(16, "tab", ttl=30)
    await store.disconnect(16, "tab", linger=0.2)
    assert await store.connect(16, "tab-again", ttl=30) is False
    await asyncio.sleep(0.3)
    assert await store.sweep() == []
    assert await store.states([16]) == {16: "active"}


async def test_a_refresh_says_when_the_store_lost_its_state(store):
    await store.connect(17, "tab", ttl=30)
    await store.refresh([(17, "tab")], ttl=30)
    assert await store.refresh([(17, "tab")], ttl=30) is False
    if isinstance(store, RedisPresenceStore):
        # What a Redis restart does to this process's marker (and everything else).
        await store._redis().delete(store.marker_key)
        assert await store.refresh([(17, "tab")], ttl=30) is True


@pytest.mark.redis
async def test_a_departure_in_its_grace_is_swept_by_another_process_if_its_own_dies():
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    dying, other = (RedisPresenceStore(settings.REDIS_URL, prefix) for _ in range(2))
    await dying.connect(18, "tab", ttl=30)
    await dying.disconnect(18, "tab", linger=0.2)
    # The process that saw the socket close is gone before its grace ends.
    await asyncio.sleep(0.3)
    assert await other.sweep() == [18]
    assert await other.states([18]) == {18: "offline"}
