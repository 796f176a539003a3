"""One channel-layer subscription per server process, fanned out locally.

Channels' usual shape gives every socket its own channel and sends one layer
message per socket (``group_send`` to a group of sockets): 170-320 us of CPU
per delivery here. Instead each process (each event loop) owns one channel,
which joins the group of every room and person that has a socket in this
process. A room event is then one layer message per process, carrying the
frame already encoded as JSON; the process writes that same string to each of
its local sockets.

Ordering and gaps: events are published after commit, so two writers can
publish seq 6 before seq 5, and Redis pub/sub delivers at most once (a
process cut off from Redis misses what was published meanwhile). The process
keeps the next expected seq per room, holds back early arrivals briefly, and
fills any gap from the database (the source of truth). A periodic check
compares each room's ``last_seq`` with what was delivered, so a dropped
*last* event is found too.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable
from typing import Any, Protocol, TypeVar

from channels.layers import BaseChannelLayer, get_channel_layer

from hub import publish
from hub.threads import db
from rooms.models.rooms import Room
from rooms.selectors.access import revoked_access
from rooms.selectors.messages import events_after

logger = logging.getLogger("causeway.fanout")
T = TypeVar("T")

GAP_WAIT_SECONDS = 0.25
RECONCILE_SECONDS = 5.0
REJOIN_SECONDS = 30.0
AUDIT_SECONDS = 10.0


class LocalSocket(Protocol):
    """What the fanout needs from a socket (implemented by the consumer)."""

    async def deliver_room_event(self, room_id: int, seq: int, text: str) -> None: ...

    async def deliver_ephemeral(self, group: str, text: str) -> None: ...

    async def control(self, kind: str, data: dict[str, Any]) -> None: ...

    def access_held(self) -> tuple[int, str | None, list[int]]:
        """(person, session key, subscribed rooms) for the revocation backstop."""
        ...


class Fanout:
    _by_loop: dict[asyncio.AbstractEventLoop, Fanout] = {}

    def __init__(self, layer: BaseChannelLayer) -> None:
        self.layer = layer
        self.channel = ""
        # Weak: a socket whose disconnect() never ran (django/channels#892)
        # drops out once its consumer is gone instead of living on here.
        self.groups: dict[str, weakref.WeakSet[LocalSocket]] = {}
        self.next_seq: dict[int, int] = {}
        self.held: dict[int, dict[int, str]] = {}
        self.gap_fills: dict[int, asyncio.Task[None]] = {}
        self.tasks: list[asyncio.Task[None]] = []
        self.lock = asyncio.Lock()
        self.lost_layer = False

    @classmethod
    async def get(cls) -> Fanout:
        loop = asyncio.get_running_loop()
        fanout = cls._by_loop.get(loop)
        if fanout is None:
            layer = get_channel_layer()
            assert layer is not None, "Causeway needs a channel layer"
            fanout = cls(layer)
            cls._by_loop[loop] = fanout
            await fanout.start()
        return fanout

    @classmethod
    async def shutdown_all(cls) -> None:
        """Stop this loop's fanout (tests; a server process simply exits)."""
        fanout = cls._by_loop.pop(asyncio.get_running_loop(), None)
        if fanout is not None:
            await fanout.stop()

    async def start(self) -> None:
        self.channel = await self.layer.new_channel("fanout.")
        self.tasks = [
            asyncio.create_task(self._read_loop(), name="fanout-read"),
            asyncio.create_task(self._maintain_loop(), name="fanout-maintain"),
        ]

    async def stop(self) -> None:
        for task in [*self.tasks, *self.gap_fills.values()]:
            task.cancel()
        await asyncio.gather(*self.tasks, *self.gap_fills.values(), return_exceptions=True)
        for group in list(self.groups):
            try:
                await self.layer.group_discard(group, self.channel)
            except Exception:
                logger.warning("could not leave %s on stop", group)
        self.groups.clear()

    # --- membership of local sockets ---------------------------------------

    async def join(self, group: str, socket: LocalSocket) -> None:
        members = self.groups.get(group)
        if members is None:
            members = self.groups[group] = weakref.WeakSet()
            try:
                await self.layer.group_add(group, self.channel)
            except Exception:
                # Redis restarting: the socket still joins locally; the read
                # loop re-joins every group once the layer answers again, and
                # the database fills what the group missed meanwhile.
                logger.warning("could not join %s; will re-join", group, exc_info=True)
                self.lost_layer = True
        members.add(socket)

    async def leave(self, group: str, socket: LocalSocket) -> None:
        members = self.groups.get(group)
        if members is None:
            return
        members.discard(socket)
        if not members:
            await self._drop_group(group)

    async def _drop_group(self, group: str) -> None:
        del self.groups[group]
        if group.startswith("room."):
            room_id = int(group[5:])
            self.next_seq.pop(room_id, None)
            self.held.pop(room_id, None)
            task = self.gap_fills.pop(room_id, None)
            if task is not None:
                task.cancel()
        try:
            await self.layer.group_discard(group, self.channel)
        except Exception:
            logger.warning("could not leave %s", group)

    async def note_head(self, room_id: int, head_seq: int) -> int:
        """A subscriber read ``head_seq`` from the database after joining the room's group.

        Returns the last seq this process has passed on (or dropped as
        covered) for the room. The first subscriber to report starts the
        process's stream after its head. Sockets that joined at the same time
        but read an older head never see the events between their head and
        the returned seq from the stream: they read those from the database
        (``CausewayConsumer.on_subscribe`` does).
        """
        async with self.lock:
            if room_id not in self.next_seq:
                self.next_seq[room_id] = head_seq + 1
                held = self.held.get(room_id)
                if held:
                    for seq in [s for s in held if s <= head_seq]:
                        del held[seq]
                    await self._drain_held(room_id)
                    if self.held.get(room_id):
                        self._schedule_gap_fill(room_id)
            return self.next_seq[room_id] - 1

    # --- incoming ---------------------------------------------------------------

    async def _read_loop(self) -> None:
        while True:
            try:
                if self.lost_layer:
                    # A restarted Redis has forgotten our groups: join them
                    # again before anything else, then catch up from the DB.
                    await self.rejoin_groups()
                    self.lost_layer = False
                    await self.reconcile()
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("fanout lost the channel layer; retrying", exc_info=True)
                self.lost_layer = True
                await asyncio.sleep(0.5)
                continue
            try:
                await self.dispatch(message)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("fanout dispatch failed")

    async def dispatch(self, message: dict[str, Any]) -> None:
        group = message.get("group", "")
        if message["type"] == "fanout.control":
            for socket in list(self.groups.get(group, ())):
                await self._safely(socket.control(message["kind"], message.get("data") or {}))
            return
        seq = message.get("seq")
        text = message["text"]
        if seq is None:
            for socket in list(self.groups.get(group, ())):
                await self._safely(socket.deliver_ephemeral(group, text))
            return
        room_id = int(group[5:])
        async with self.lock:
            await self._ordered(room_id, int(seq), text)

    async def _ordered(self, room_id: int, seq: int, text: str) -> None:
        if room_id not in self.next_seq:
            # No subscriber has read the head yet: hold until one does.
            self.held.setdefault(room_id, {})[seq] = text
            return
        expected = self.next_seq[room_id]
        if seq < expected:
            return
        if seq > expected:
            self.held.setdefault(room_id, {})[seq] = text
            self._schedule_gap_fill(room_id)
            return
        await self._deliver(room_id, seq, text)
        await self._drain_held(room_id)

    async def _deliver(self, room_id: int, seq: int, text: str) -> None:
        self.next_seq[room_id] = seq + 1
        for socket in list(self.groups.get(publish.room_group(room_id), ())):
            await self._safely(socket.deliver_room_event(room_id, seq, text))

    @staticmethod
    async def _safely(delivery: Awaitable[None]) -> None:
        """One socket's failure (closed under us, say) must not cost the others the event."""
        try:
            await delivery
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.info("delivery to a socket failed; it is closing", exc_info=True)

    async def _drain_held(self, room_id: int) -> None:
        held = self.held.get(room_id)
        while held:
            expected = self.next_seq[room_id]
            text = held.pop(expected, None)
            if text is None:
                for stale in [s for s in held if s < expected]:
                    del held[stale]
                break
            await self._deliver(room_id, expected, text)

    def _schedule_gap_fill(self, room_id: int, wait: float = GAP_WAIT_SECONDS) -> None:
        if room_id in self.gap_fills:
            return
        self.gap_fills[room_id] = asyncio.create_task(self._gap_fill(room_id, wait))

    async def _gap_fill(self, room_id: int, wait: float) -> None:
        try:
            await asyncio.sleep(wait)
            await self.fill_from_database(room_id)
        finally:
            self.gap_fills.pop(room_id, None)

    async def fill_from_database(self, room_id: int, until: int | None = None) -> None:
        expected = self.next_seq.get(room_id)
        if expected is None or publish.room_group(room_id) not in self.groups:
            return
        held = self.held.get(room_id, {})
        upto = until if until is not None else max(held, default=expected - 1)
        if upto < expected:
            return
        payloads = await db(events_after)(room_id, expected - 1, upto)
        # One deliverer at a time, or a socket could see seq 6 before 5.
        async with self.lock:
            for payload in payloads:
                seq = payload["seq"]
                if seq == self.next_seq.get(room_id):
                    await self._deliver(room_id, seq, publish.encode(payload))
            if room_id in self.next_seq:
                await self._drain_held(room_id)

    # --- upkeep -------------------------------------------------------------------

    async def _maintain_loop(self) -> None:
        since_rejoin = since_audit = 0.0
        while True:
            await asyncio.sleep(RECONCILE_SECONDS)
            since_rejoin += RECONCILE_SECONDS
            since_audit += RECONCILE_SECONDS
            try:
                if since_rejoin >= REJOIN_SECONDS:
                    since_rejoin = 0.0
                    await self.rejoin_groups()
                await self.reconcile()
                if since_audit >= AUDIT_SECONDS:
                    since_audit = 0.0
                    await self.audit_access()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("fanout upkeep failed", exc_info=True)

    async def rejoin_groups(self) -> None:
        """Re-add our channel to every group: survives a Redis restart and group expiry.

        Groups whose sockets all went away without ``leave()`` are dropped here.
        """
        for group, members in list(self.groups.items()):
            if not members:
                await self._drop_group(group)
                continue
            await self.layer.group_add(group, self.channel)

    def local_sockets(self) -> list[LocalSocket]:
        found: dict[int, LocalSocket] = {}
        for group, members in self.groups.items():
            if group.startswith("user."):
                for socket in members:
                    found[id(socket)] = socket
        return list(found.values())

    async def audit_access(self) -> None:
        """Revoke what open sockets lost access to, in case a control message was dropped."""
        sockets = self.local_sockets()
        if not sockets:
            return
        held = [socket.access_held() for socket in sockets]
        inactive, ended, revoked = await db(revoked_access)(held)
        for socket, (user_id, session_key, rooms) in zip(sockets, held, strict=True):
            if user_id in inactive or (session_key is not None and session_key in ended):
                await socket.control("auth.recheck", {"ended_session": session_key})
                continue
            for room_id in rooms:
                if (user_id, room_id) in revoked:
                    await socket.control("room.revoked", {"room": room_id})

    async def reconcile(self) -> None:
        """Deliver from the database whatever the layer lost, including a room's last event."""
        room_ids = list(self.next_seq)
        if not room_ids:
            return
        heads = await db(
            lambda: dict(Room.objects.filter(pk__in=room_ids).values_list("pk", "last_seq"))
        )()
        for room_id, head in heads.items():
            if head >= self.next_seq.get(room_id, head + 1):
                await self.fill_from_database(room_id, until=head)
