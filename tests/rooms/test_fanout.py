"""The per-process fanout: ordering, duplicates and gaps."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from asgiref.sync import sync_to_async
from channels.layers import InMemoryChannelLayer

from hub import publish
from rooms.actions.messages import check_send_message
from rooms.models.log import RoomEvent
from rooms.socket.fanout import Fanout

pytestmark = pytest.mark.django_db(transaction=True)


class FakeSocket:
    def __init__(self) -> None:
        self.seqs: list[int] = []
        self.texts: list[str] = []

    async def deliver_room_event(self, room_id: int, seq: int, text: str) -> None:
        self.seqs.append(seq)

    async def deliver_ephemeral(self, group: str, text: str) -> None:
        self.texts.append(text)

    async def control(self, kind: str, data: dict) -> None:
        self.texts.append(kind)


@pytest.fixture
async def fanout():
    fan = Fanout(InMemoryChannelLayer())
    await fan.start()
    yield fan
    await fan.stop()


def event(room_id: int, seq: int) -> dict:
    return publish.deliver_message(
        publish.room_group(room_id), {"type": "x", "room": room_id, "seq": seq}, seq
    )


async def test_early_events_wait_for_the_missing_one_and_go_out_in_order(fanout, live_team):
    room = live_team.shared.id
    sock = FakeSocket()
    await fanout.join(publish.room_group(room), sock)
    await fanout.note_head(room, 10)
    await fanout.dispatch(event(room, 12))
    await fanout.dispatch(event(room, 13))
    await fanout.dispatch(event(room, 11))
    assert sock.seqs == [11, 12, 13]


async def test_old_and_duplicate_events_are_not_delivered_twice(fanout, live_team):
    room = live_team.shared.id
    sock = FakeSocket()
    await fanout.join(publish.room_group(room), sock)
    await fanout.note_head(room, 10)
    for seq in (11, 11, 9, 12, 12):
        await fanout.dispatch(event(room, seq))
    assert sock.seqs == [11, 12]


async def test_a_lost_event_is_filled_from_the_database(fanout, live_team):
    room = live_team.shared.id

    def write(n: int) -> None:
        for _ in range(n):
            check_send_message(
                live_team.client_member, room_id=room, client_id=uuid.uuid4().hex, body="x"
            )

    await sync_to_async(write)(3)
    head = await RoomEvent.objects.filter(room_id=room).acount()
    sock = FakeSocket()
    await fanout.join(publish.room_group(room), sock)
    await fanout.note_head(room, head - 3)
    await fanout.dispatch(event(room, head))  # head-2 and head-1 never arrive
    await asyncio.sleep(0.6)
    assert sock.seqs == [head - 2, head - 1, head]


async def test_a_lost_last_event_is_found_by_reconcile(fanout, live_team):
    room = live_team.shared.id
    sock = FakeSocket()
    await fanout.join(publish.room_group(room), sock)
    head = await RoomEvent.objects.filter(room_id=room).acount()
    await fanout.note_head(room, head)
    await sync_to_async(check_send_message)(
        live_team.client_member, room_id=room, client_id="tail", body="x"
    )
    await fanout.reconcile()
    assert sock.seqs == [head + 1]


async def test_leaving_the_last_socket_leaves_the_group(fanout, live_team):
    room = live_team.shared.id
    sock = FakeSocket()
    await fanout.join(publish.room_group(room), sock)
    await fanout.leave(publish.room_group(room), sock)
    assert publish.room_group(room) not in fanout.groups
    assert room not in fanout.next_seq


async def test_a_later_subscriber_does_not_make_earlier_sockets_skip_events(fanout, live_team):
    room = live_team.shared.id
    early, late = FakeSocket(), FakeSocket()
    await fanout.join(publish.room_group(room), early)
    await fanout.note_head(room, 4)
    # Events 5-7 are still on their way when a second socket reads head 7.
    await fanout.join(publish.room_group(room), late)
    await fanout.note_head(room, 7)
    for seq in (5, 6, 7, 8):
        await fanout.dispatch(event(room, seq))
    assert early.seqs == [5, 6, 7, 8]


async def test_note_head_tells_a_socket_with_an_older_head_where_the_stream_starts(
    fanout, live_team
):
    room = live_team.shared.id
    older, newer = FakeSocket(), FakeSocket()
    await fanout.join(publish.room_group(room), older)
    await fanout.join(publish.room_group(room), newer)
    for seq in (5, 6):
        await fanout.dispatch(event(room, seq))
    assert await fanout.note_head(room, 6) == 6
    assert await fanout.note_head(room, 4) == 6
    await fanout.dispatch(event(room, 7))
    assert older.seqs == newer.seqs == [7]


async def test_groups_whose_sockets_vanished_without_leaving_are_dropped(fanout, live_team):
    import gc

    room = live_team.shared.id
    sock = FakeSocket()
    await fanout.join(publish.room_group(room), sock)
    await fanout.note_head(room, 0)
    del sock
    gc.collect()
    await fanout.rejoin_groups()
    assert publish.room_group(room) not in fanout.groups
    assert room not in fanout.next_seq


class ClosedSocket(FakeSocket):
    async def deliver_room_event(self, room_id: int, seq: int, text: str) -> None:
        raise ConnectionError("Attempt to send on a closed protocol")


async def test_a_socket_that_fails_does_not_cost_the_others_the_event(fanout, live_team):
    room = live_team.shared.id
    sockets = [FakeSocket(), ClosedSocket(), FakeSocket()]
    for sock in sockets:
        await fanout.join(publish.room_group(room), sock)
    await fanout.note_head(room, 0)
    for seq in (1, 2):
        await fanout.dispatch(event(room, seq))
    assert [sockets[0].seqs, sockets[2].seqs] == [[1, 2], [1, 2]]
