"""Per-person rate limits on the configured cache (Redis in CI, local memory without it)."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from hub import ratelimit
from hub.errors import RateLimited
from tests.conftest import clear_cache


@pytest.fixture
def three_writes_per_minute(settings, monkeypatch):
    settings.CAUSEWAY_RATE_LIMIT_WRITES = (3, 60)
    clear_cache()
    # One fixed window, whatever the wall clock does during the test.
    now = time.time()
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: now))


def test_the_limit_allows_its_count_then_refuses(three_writes_per_minute):
    for _ in range(3):
        ratelimit.hit(1, "writes")
    with pytest.raises(RateLimited):
        ratelimit.hit(1, "writes")


def test_each_person_has_their_own_count(three_writes_per_minute):
    for _ in range(3):
        ratelimit.hit(1, "writes")
    ratelimit.hit(2, "writes")


def test_a_new_window_starts_a_new_count(three_writes_per_minute, monkeypatch):
    for _ in range(3):
        ratelimit.hit(1, "writes")
    later = ratelimit.time.time() + 60
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: later))
    ratelimit.hit(1, "writes")


def test_a_refusal_says_how_many_seconds_remain_of_the_window(settings, monkeypatch):
    settings.CAUSEWAY_RATE_LIMIT_WRITES = (1, 10)
    clear_cache()
    # 3.2 s into a 10-second window: it reopens in 6.8 s, said as 7.
    start = (time.time() // 10) * 10 + 3.2
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: start))
    ratelimit.hit(1, "writes")
    with pytest.raises(RateLimited) as refused:
        ratelimit.hit(1, "writes")
    assert refused.value.retry_after == 7
