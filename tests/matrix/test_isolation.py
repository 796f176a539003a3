"""The frame recorder (tests/boundary.py) with a Matrix room on A's side.

In the internal twin, A's admin connects A's internal room to a room on A's own
homeserver (a real Synapse), Ben mirrors the shared thread into that internal
room, the thread's events go out to Matrix as puppets, and A's engineer answers
on Matrix: an internal note. In the plain twin none of that happens. Everything
B's people receive (socket frames, HTTP bodies, pages, e-mails) must be the same.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from rooms.bridge.relay import relay_all
from rooms.connectors.relay import do_relay_connectors
from rooms.models.matrix import MatrixEvent
from rooms.models.messages import Message
from tests import boundary
from tests.live import DaphneProcess
from tests.matrix.conftest import connect_room
from tests.matrix.synapse import MatrixUser, Synapse
from tests.rooms.test_isolation import mirror_into_a

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.timeout(600),
]


@pytest.fixture
def in_process(connect: Any, settings: Any) -> boundary.InProcess:
    settings.CAUSEWAY_PRESENCE_TICK_SECONDS = 3600
    return boundary.InProcess(connect)


def relay_out() -> int:
    """The worker's passes: mirror copies into the internal room, then out to Matrix."""
    relay_all()
    delivered = 0
    while (got := do_relay_connectors()) > 0:
        delivered += got
    return delivered


def wait_for_note(room_id: int, body: str) -> Message:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        note = Message.objects.filter(room_id=room_id, body=body).first()
        if note is not None:
            return note
        time.sleep(0.2)
    raise AssertionError(f"the note never arrived: {body}")


async def test_the_partner_cannot_tell_that_a_mirrored_thread_goes_to_a_matrix_room(
    in_process: boundary.InProcess, synapse: Synapse, causeway: DaphneProcess
) -> None:
    seen: dict[str, Any] = {}

    async def scenario(run: boundary.Run) -> None:
        w = run.world
        engineer: MatrixUser | None = None
        matrix_room = ""
        root = await run.say(w.dev, w.shared, "Can you ship 12k units by Friday?")
        await run.settle("dev opens a thread")
        if run.internal:
            _, engineer, matrix_room, _ = await sync_to_async(connect_room)(
                synapse, w.anna, w.a_internal, w.ben
            )
            mirror = await mirror_into_a(run, root["id"])
            await sync_to_async(relay_out)()
            seen["root_copy"] = mirror["root_copy"]
        await run.settle("anna connects A's room to Matrix; ben mirrors the thread there")
        reply = await run.say(w.dev, w.shared, "Friday noon at the latest", thread=root["id"])
        await run.settle("dev replies in the shared thread")
        if run.internal:
            assert engineer is not None
            await sync_to_async(relay_out)()
            root_event = await sync_to_async(
                lambda: MatrixEvent.objects.get(message_id=seen["root_copy"]).event_id
            )()
            await sync_to_async(engineer.say)(
                matrix_room,
                "Plant 2 can do 10k, not 12k: margin is thin",
                relates_to={"rel_type": "m.thread", "event_id": root_event},
            )
            await sync_to_async(wait_for_note)(
                w.a_internal.id, "Plant 2 can do 10k, not 12k: margin is thin"
            )
            await sync_to_async(relay_out)()
        await run.settle("A's engineer answers on Matrix: an internal note", checkpoint=True)
        await run.send(
            w.dev,
            {
                "type": "message.edit",
                "room": w.shared.id,
                "id": reply["id"],
                "body": "Thursday noon at the latest",
            },
        )
        await run.settle("dev edits his reply")
        if run.internal:
            await sync_to_async(relay_out)()
            seen["matrix"] = await sync_to_async(engineer.text_messages)(matrix_room)  # type: ignore[union-attr]
        await run.settle("the edit reaches Matrix")
        await run.say(w.ben, w.shared, "We will confirm 10k tomorrow", thread=root["id"])
        await run.settle("ben answers in the shared thread", checkpoint=True)

    recorded = await boundary.twins(in_process, scenario, name="matrix")
    boundary.assert_partner_sees_the_same("matrix", recorded)
    # Not vacuous: the Matrix room did get the thread, the edit and the engineer's note.
    bodies = [e["content"].get("body", "") for e in seen["matrix"]]
    assert any(b.startswith("Can you ship 12k units by Friday?") for b in bodies)
    assert "* Thursday noon at the latest" in bodies
    assert "Plant 2 can do 10k, not 12k: margin is thin" in bodies
