"""One socket's rooms: where it is in each room's stream, and the replay merge.

The fanout delivers a room's live events to every socket of the process that
subscribed. A socket that is subscribing at that moment holds them back until
it has sent what it read from the database (the replay), then sends the held
events it has not sent yet, in seq order: nothing between the database read
and the live stream is missed or sent twice. Afterwards a socket sends only
events past the last seq it sent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from hub import publish
from hub.threads import db
from rooms.selectors.messages import events_after
from rooms.socket.fanout import Fanout, LocalSocket

Send = Callable[[str], Awaitable[None]]


class Subscriptions:
    def __init__(self, fanout: Fanout, socket: LocalSocket) -> None:
        self.fanout = fanout
        self.socket = socket
        self.last: dict[int, int] = {}  # room -> the last seq this socket sent
        self.held: dict[int, list[tuple[int, str]]] = {}  # rooms being subscribed

    def rooms(self) -> list[int]:
        """Every room this socket receives or is subscribing to."""
        return [*self.last, *self.held]

    def has(self, room_id: int) -> bool:
        return room_id in self.last or room_id in self.held

    def live(self, room_id: int) -> bool:
        return room_id in self.last

    async def begin(self, room_id: int) -> None:
        """Join the room's stream and hold its events, before reading the head."""
        if self.has(room_id):
            await self.drop(room_id)
        self.held[room_id] = []
        await self.fanout.join(publish.room_group(room_id), self.socket)

    async def abort(self, room_id: int) -> None:
        self.held.pop(room_id, None)
        await self.fanout.leave(publish.room_group(room_id), self.socket)

    async def between_heads(self, room_id: int, head: int) -> tuple[int, list[dict[str, Any]]]:
        """Where the process's stream of the room starts, and the events from ``head`` to there.

        Another socket of this process may have started the room's stream
        after a newer head than ours: what lies between comes from the
        database, or this socket would never see it.
        """
        passed = await self.fanout.note_head(room_id, head)
        caught_up = await db(events_after)(room_id, head, passed) if passed > head else []
        return max(head, passed), caught_up

    def still_subscribing(self, room_id: int) -> bool:
        """False if the room was revoked (or unsubscribed) while it was being read."""
        return room_id in self.held

    async def finish(
        self, room_id: int, start: int, replay: Iterable[dict[str, Any]], send: Send
    ) -> None:
        """Send the replay, then the held live events past it; then go live from there."""
        for payload in replay:
            await send(publish.encode(payload))
        last = start
        held = self.held.get(room_id)
        while held:
            held.sort()
            seq, text = held.pop(0)
            if seq > last:
                last = seq
                await send(text)
        if self.held.pop(room_id, None) is not None:
            self.last[room_id] = last

    def take(self, room_id: int, seq: int, text: str) -> bool:
        """A live event from the fanout: True if the socket should send it now."""
        held = self.held.get(room_id)
        if held is not None:
            held.append((seq, text))
            return False
        last = self.last.get(room_id)
        if last is not None and seq > last:
            self.last[room_id] = seq
            return True
        return False

    async def drop(self, room_id: int) -> None:
        self.last.pop(room_id, None)
        self.held.pop(room_id, None)
        await self.fanout.leave(publish.room_group(room_id), self.socket)

    async def drop_all(self) -> None:
        for room_id in self.rooms():
            await self.fanout.leave(publish.room_group(room_id), self.socket)
        self.last.clear()
        self.held.clear()
