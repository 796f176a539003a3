"""Per-person rate limits on a shared cache (Redis when REDIS_URL is set).

A fixed window counter: cheap (one INCR), shared by all of a person's sockets
and all server processes, which is what "per person" has to mean.
"""

from __future__ import annotations

import math
import time
from typing import Literal

from django.conf import settings
from django.core.cache import caches

from hub.cache import CausewayRedisCache
from hub.errors import RateLimited


def hit(user_id: int, bucket: Literal["writes", "frames"]) -> None:
    """Count one use of ``bucket``; raise RateLimited past the limit."""
    limit, window = getattr(settings, f"CAUSEWAY_RATE_LIMIT_{bucket.upper()}")
    now = time.time()
    key = f"rl:{bucket}:{user_id}:{int(now // window)}"
    if count(key, window + 1) > limit:
        raise RateLimited(
            f"At most {limit} per {window} s; slow down.",
            retry_after=math.ceil(window - now % window),
        )


def count(key: str, timeout: int) -> int:
    """One more use of ``key`` in its window; how many there have been."""
    cache = caches["default"]
    if isinstance(cache, CausewayRedisCache):
        return cache.count_in_window(key, timeout)
    if cache.add(key, 1, timeout=timeout):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=timeout)
        return 1
