"""The frame recorder itself: what it treats as content and what as scheduling."""

from __future__ import annotations

from typing import Any, cast

from hub.models import User
from tests.boundary import Peer, Wire

OK = {"type": "ok", "op": "thread.read", "ref": "dev-4"}
NOTIFICATIONS = {"type": "notifications.updated", "read": [7], "removed": []}
EVENT = {"type": "message.new", "room": 3, "seq": 9}


def taken(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    peer = Peer("dev", cast(User, None), cast(Wire, None), {"type": "hello"}, recorded=True)
    peer.pending = list(frames)
    return peer.take()


def test_a_reply_and_a_frame_of_the_persons_group_may_arrive_in_either_order():
    # The reply goes straight down the socket; the person's frame comes back
    # through the channel layer after the commit: which is first is scheduling.
    assert taken([OK, NOTIFICATIONS, EVENT]) == taken([NOTIFICATIONS, OK, EVENT])


def test_the_order_within_the_persons_group_is_content():
    other = {**NOTIFICATIONS, "read": [8]}
    assert taken([NOTIFICATIONS, other]) != taken([other, NOTIFICATIONS])


def test_the_order_of_replies_is_content():
    other = {**OK, "ref": "dev-5"}
    assert taken([OK, other]) != taken([other, OK])
