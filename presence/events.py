"""Presence's frames: who is online, and who is typing. Ephemeral, never stored, no seq."""

from __future__ import annotations

from typing import Literal, TypedDict


class TypingEvent(TypedDict):
    type: Literal["typing"]
    room: int
    user: int
    thread: int | None
    expires_in: int


class PresenceEvent(TypedDict):
    type: Literal["presence"]
    room: int
    # person id (as text, a JSON object's key) -> "active", "away" or "offline"
    people: dict[str, str]
