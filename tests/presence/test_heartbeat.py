from __future__ import annotations

import gc

from presence.heartbeat import PresenceKeeper


class Socket:
    pass


def test_heartbeat_only_refreshes_connections_whose_socket_still_exists():
    keeper = PresenceKeeper()
    alive, gone = Socket(), Socket()
    keeper.add("a", 1, alive)
    keeper.add("b", 2, gone)
    del gone
    gc.collect()
    assert keeper.live_entries() == [(1, "a")]
    keeper.remove("a")
    assert keeper.live_entries() == []
