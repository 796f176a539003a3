"""Every presence write: a socket arriving or leaving, a state set, a typing notice.

Presence is best effort: a failure here is logged and the socket carries on;
the heartbeat registers a live connection again, and expiry removes a dead
one (``presence.heartbeat``).
"""

from __future__ import annotations

import logging

from presence.announce import RoomsOf, announce_changes, announce_typing
from presence.heartbeat import PresenceKeeper
from presence.store import get_store

logger = logging.getLogger("causeway.presence")


async def do_connect(user_id: int, conn_id: str, socket: object, rooms_of: RoomsOf) -> None:
    """A socket of the person opened: online, and told if they were offline."""
    keeper = PresenceKeeper.get(rooms_of)
    keeper.add(conn_id, user_id, socket)
    try:
        if await get_store().connect(user_id, conn_id, keeper.ttl()):
            await announce_changes([user_id], rooms_of)
    except Exception:
        # The heartbeat registers this socket again; the socket must not fail for it.
        logger.warning("presence connect failed", exc_info=True)


async def do_disconnect(user_id: int, conn_id: str, rooms_of: RoomsOf) -> None:
    """A socket closed: offline once the person has no other."""
    PresenceKeeper.get(rooms_of).remove(conn_id)
    try:
        if await get_store().disconnect(user_id, conn_id):
            await announce_changes([user_id], rooms_of)
    except Exception:
        # The heartbeat expiry cleans up what we could not.
        logger.warning("presence disconnect failed", exc_info=True)


async def do_set_state(user_id: int, state: str, rooms_of: RoomsOf) -> None:
    """``active`` or ``away``, as the person's client says."""
    await get_store().set_state(user_id, state)
    await announce_changes([user_id], rooms_of)


async def do_typing(user_id: int, room_id: int, thread: int | None, ttl: int) -> None:
    """Precondition: the caller checked that the person is subscribed to (so in) the room."""
    await announce_typing(user_id, room_id, thread, ttl)


async def states(user_ids: list[int]) -> dict[int, str]:
    """The presence of these people, for a subscribe snapshot."""
    return await get_store().states(user_ids)
