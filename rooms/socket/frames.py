"""A client frame at the socket's edge: decoded, sized, and paced, before any schema.

What the consumer does with a frame is its own business; what makes a text
a frame (JSON object, a string ``type``, within the size limit), which
``ref`` an answer echoes, and how fast a socket may send are here.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

from django.conf import settings

from hub.errors import ActionError, Invalid, RateLimited, TooLarge
from hub.validation import text_problem

Ref = str | int | None


class ProtocolError(ActionError):
    pass


class BadJson(ProtocolError):
    code = "bad_json"


class UnknownType(ProtocolError):
    code = "unknown_type"


def frame_ref(frame: dict[str, Any]) -> Ref:
    """The frame's ``ref`` (or a send's ``client_id``) to echo; None if it is unusable."""
    ref = frame.get("ref", frame.get("client_id"))
    if isinstance(ref, str) and len(ref) <= 64 and not text_problem(ref):
        return ref
    if isinstance(ref, int) and not isinstance(ref, bool):
        return ref
    return None


def decode_frame(text_data: str | None) -> dict[str, Any]:
    """The frame as a JSON object with a string ``type``, or the error to answer with."""
    if text_data is None:
        raise BadJson("Frames must be JSON text; binary frames are not accepted.")
    limit = settings.CAUSEWAY_FRAME_MAX_BYTES
    # Characters never outnumber UTF-8 bytes; encode only when it can matter.
    if len(text_data) > limit or (len(text_data) * 4 > limit and len(text_data.encode()) > limit):
        raise TooLarge(f"Frames are limited to {settings.CAUSEWAY_FRAME_MAX_BYTES} bytes.")
    try:
        frame = json.loads(text_data)
    except (ValueError, RecursionError):
        raise BadJson("The frame is not valid JSON.") from None
    if not isinstance(frame, dict):
        raise Invalid("A frame must be a JSON object.")
    if not isinstance(frame.get("type"), str):
        raise Invalid("A frame needs a string `type`.")
    return frame


class FrameBucket:
    """A socket's frame allowance: ``limit`` frames, refilled over ``window`` seconds.

    Per socket and in memory: it costs nothing per frame but a subtraction,
    where the per-person write limits (``hub.ratelimit``) cost a cache trip.
    """

    def __init__(self, limit: int, window: float) -> None:
        self.capacity = float(limit)
        self.rate = limit / window
        self.tokens = float(limit)
        self.at = time.monotonic()

    def take(self) -> None:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            raise RateLimited(
                "Too many frames; slow down.",
                retry_after=math.ceil((1 - self.tokens) / self.rate),
            )
        self.tokens -= 1
