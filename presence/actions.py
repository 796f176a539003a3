"""Every presence write: a socket arriving or leaving, a state set, a typing notice.

Presence is best effort: a failure here is logged and the socket carries on;
the heartbeat registers a live connection again, and expiry removes a dead
one (``presence.heartbeat``).
"""

from __future__ import annotations

import logging

from django.conf import settings

from presence.announce import RoomsOf, announce_typing
from presence.heartbeat import PresenceKeeper
from presence.store import get_store

logger = logging.getLogger("causeway.presence")


async def do_connect(user_id: int, conn_id: str, socket: object, rooms_of: RoomsOf) -> None:
    """A socket of the person opened: online, and told (at the tick) if they were offline."""
    keeper = PresenceKeeper.get(rooms_of)
    keeper.add(conn_id, user_id, socket)
    try:
        if await get_store().connect(user_id, conn_id, keeper.ttl()):
            keeper.announcer.note([user_id])
    except Exception:
        # The heartbeat registers this socket again; the socket must not fail for it.
        logger.warning("presence connect failed", exc_info=True)


async def do_disconnect(user_id: int, conn_id: str, rooms_of: RoomsOf) -> None:
    """A socket closed: offline once the person has no other, after the grace.

    The connection's entry stays for ``CAUSEWAY_PRESENCE_GRACE_SECONDS`` as if
    open, so a network blip or a deploy whose sockets come back within it
    shows nobody offline, and a reconnect storm announces nothing. Then it
    expires like a crashed process's, and the sweep announces who is gone.
    """
    keeper = PresenceKeeper.get(rooms_of)
    keeper.remove(conn_id)
    grace = float(settings.CAUSEWAY_PRESENCE_GRACE_SECONDS)
    try:
        if await get_store().disconnect(user_id, conn_id, linger=grace):
            keeper.announcer.note([user_id])
    except Exception:
        # The heartbeat expiry cleans up what we could not.
        logger.warning("presence disconnect failed", exc_info=True)


async def do_set_state(user_id: int, state: str, rooms_of: RoomsOf) -> None:
    """``active`` or ``away``, as the person's client says."""
    await get_store().set_state(user_id, state)
    PresenceKeeper.get(rooms_of).announcer.note([user_id])


async def do_typing(user_id: int, room_id: int, thread: int | None, ttl: int) -> None:
    """Precondition: the caller checked that the person is subscribed to (so in) the room."""
    await announce_typing(user_id, room_id, thread, ttl)


async def states(viewer: int, user_ids: list[int]) -> dict[int, str]:
    """The presence of these people, for ``viewer``'s subscribe snapshot: as last announced."""
    return await get_store().announced(user_ids, viewer)
