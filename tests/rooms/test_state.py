"""Events against state (issue 13): a room's state kept from its events equals a fresh read.

``verify`` (Zulip's ``verify_action``): one person's client reads a room's
state (``tests/rooms/state.py``: the ``subscribed`` frame of a real socket
plus the HTTP reads of the web app), an action runs through the protocol (a
socket frame or an HTTP request, by that person or by someone else), the
room events that person's socket receives are applied to the old state by
the reducer, and the result must equal the state read fresh afterwards.

The same is checked for a resume: subscribing from the old head replays the
log's copies of the events, which must keep the state as well as the live ones.

Every room event type in ``RoomEventFrame`` has a case in the reducer and a
test here (``covers``; checked by the first two tests). Setup writes with the
``do_*`` actions (read markers and unfollowing straight on the rows); the
actions under test go through the wire, as a client's would. The findings
this test made (issue 13) are fixed, and their tests close the file.
"""

from __future__ import annotations

import contextvars
import datetime
import functools
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.utils import timezone

from hub.models import User
from rooms.actions.escalation_clock import run_escalation_clock
from rooms.actions.escalations import do_escalate
from rooms.actions.members import do_remove_member
from rooms.actions.messages import do_delete_message, do_send_message
from rooms.actions.reactions import check_set_reaction
from rooms.actions.workitems import do_create_work_item
from rooms.bridge.mirrors import do_create_mirror
from rooms.bridge.relay import relay_all
from rooms.models.messages import Message, ThreadFollow
from rooms.models.rooms import Membership, Room
from rooms.models.workitems import WorkItem
from tests.conftest import Socket, make_person
from tests.rooms.state import (
    REDUCERS,
    State,
    apply,
    build_state,
    differences,
    http_reads,
    resume,
    room_event_schemas,
    room_event_types,
    schema_problems,
)

pytestmark = pytest.mark.django_db(transaction=True)


# --- setup (committed, before the person's client reads anything) --------------------


def say(person: User, room: Room, body: str, thread: Message | None = None) -> Message:
    return do_send_message(person, room, client_id=uuid.uuid4().hex, body=body, thread_root=thread)[
        0
    ]


def read_up_to(person: User, room: Room, seq: int | None = None) -> None:
    """The person's room marker at ``seq`` (the room's head by default)."""
    room.refresh_from_db(fields=["last_seq"])
    Membership.objects.filter(room=room, user=person).update(
        last_read_seq=room.last_seq if seq is None else seq
    )


def make_work_item(creator: User, room: Room, title: str, **fields: Any) -> WorkItem:
    defaults: dict[str, Any] = {
        "description": "",
        "assignee": None,
        "priority": 3,
        "due_date": None,
        "labels": [],
        "source_message": None,
    }
    return do_create_work_item(creator, room, title=title, **{**defaults, **fields})


def mention(person: User) -> str:
    return f"@{person.handle}"


# --- people acting through the protocol ------------------------------------------------


class Actor:
    """One person's client: a socket (opened when first needed) and an HTTP session."""

    def __init__(self, connect: Callable[..., Awaitable[Socket]], person: User) -> None:
        self.connect = connect
        self.person = person
        self.sock: Socket | None = None
        self.refs = 0

    async def socket(self) -> Socket:
        if self.sock is None:
            self.sock = await self.connect(self.person)
        return self.sock

    async def frame(self, frame: dict[str, Any], reply: str = "ok") -> dict[str, Any]:
        """Send a frame and wait for its reply; frames that arrive meanwhile are kept."""
        sock = await self.socket()
        self.refs += 1
        ref = f"act-{self.refs}"
        await sock.send({**frame, "ref": ref})
        while True:
            got = await sock.recv(timeout=5)
            if got.get("ref") == ref:
                assert got["type"] == reply, got
                return got

    async def say(self, room: Room, body: str, thread: int | None = None) -> dict[str, Any]:
        frame = {"type": "message.send", "room": room.id, "client_id": uuid.uuid4().hex}
        return await self.frame({**frame, "body": body, "thread": thread}, reply="ack")

    async def http(self, method: str, path: str, body: Any = None) -> Any:
        def request() -> Any:
            client = Client()
            client.force_login(self.person)
            response = client.generic(
                method,
                path,
                json.dumps(body) if body is not None else "",
                content_type="application/json",
            )
            assert response.status_code in (200, 201), (path, response.content)
            return response.json()

        return await sync_to_async(request)()


@pytest.fixture
def actor(connect: Any) -> Callable[[User], Actor]:
    """``actor(person)``: that person's one client, the same object on every call."""
    actors: dict[int, Actor] = {}

    def get(person: User) -> Actor:
        return actors.setdefault(person.pk, Actor(connect, person))

    return get


# --- verify_action ------------------------------------------------------------------------

# The room event types each test verified, checked against what it declares (``covers``).
_verified: contextvars.ContextVar[set[str] | None] = contextvars.ContextVar(
    "verified", default=None
)


def covers(*event_types: str) -> Callable[[Any], Any]:
    """Declare the room event types a test verifies; the test fails if it did not verify them."""

    def decorate(test: Any) -> Any:
        @functools.wraps(test)
        async def run(*args: Any, **kwargs: Any) -> None:
            seen: set[str] = set()
            token = _verified.set(seen)
            try:
                await test(*args, **kwargs)
            finally:
                _verified.reset(token)
            assert set(event_types) <= seen, f"declares {event_types}, verified {sorted(seen)}"

        run.covers = frozenset(event_types)  # type: ignore[attr-defined]
        return run

    return decorate


def room_heads(room_ids: list[int]) -> dict[int, int]:
    return dict(Room.objects.filter(pk__in=room_ids).values_list("pk", "last_seq"))


async def fetch_state(sock: Socket, person: User, room_id: int) -> State:
    """The room as a client starts it: history over HTTP, then ``subscribe`` from its head."""
    reads = await sync_to_async(http_reads)(person, room_id)
    head = reads["history"]["head_seq"]
    await sock.send({"type": "subscribe", "room": room_id, "since": head, "ref": f"s{room_id}"})
    subscribed = await sock.expect("subscribed", timeout=5, room=room_id)
    return build_state(reads, subscribed)


async def replay(sock: Socket, room_id: int, since: int) -> tuple[list[dict], dict]:
    """Subscribe from ``since``: the ``subscribed`` frame and the room events replayed after it."""
    await sock.send({"type": "subscribe", "room": room_id, "since": since, "ref": f"r{room_id}"})
    subscribed = await sock.expect("subscribed", timeout=5, room=room_id)
    start = len(sock.frames)
    last = since
    while last < subscribed["head_seq"]:
        frame = await sock.recv(timeout=5)
        if frame.get("room") == room_id and frame["type"] in room_event_types():
            last = frame["seq"]
    replayed = [
        f
        for f in sock.frames[start:]
        if f.get("room") == room_id and f["type"] in room_event_types()
    ]
    return replayed, subscribed


class Run:
    """What ``verify`` saw: the states before and after, and the frames in between."""

    def __init__(self, before: dict[int, State], after: dict[int, State], frames: list) -> None:
        self._before, self._after, self.frames = before, after, frames

    def before(self, room: Room) -> State:
        return self._before[room.id]

    def after(self, room: Room) -> State:
        return self._after[room.id]


# Something a person does through the wire (a socket frame, an HTTP request).
Action = Callable[[], Awaitable[Any]]


@pytest.fixture
def verify(actor: Callable[[User], Actor]) -> Callable[..., Awaitable[Run]]:
    async def verify_action(
        me: User,
        rooms: list[Room],
        action: Action,
        *,
        expect: list[str] | dict[Room, list[str]],
        ephemeral: tuple[str, ...] = (),
    ) -> Run:
        """Apply what ``me``'s socket receives during ``action`` to the state before it.

        ``expect``: the room event types each room receives, in order (a list
        for one room). ``ephemeral``: frames besides room events to wait for
        and apply (``unread``, ``thread.unread``).
        """
        expected = expect if isinstance(expect, dict) else {rooms[0]: expect}
        room_ids = [room.id for room in rooms]
        sock = await actor(me).socket()
        before = {room_id: await fetch_state(sock, me, room_id) for room_id in room_ids}
        start = len(sock.frames)
        await action()
        heads = await sync_to_async(room_heads)(room_ids)

        def received() -> list[dict[str, Any]]:
            return [
                f
                for f in sock.frames[start:]
                if f.get("room") in room_ids
                and (f["type"] in room_event_types() or f["type"] in ephemeral)
            ]

        def complete() -> bool:
            frames = received()
            last = {
                r: max([before[r]["head_seq"]] + [f.get("seq", 0) for f in frames])
                for r in room_ids
            }
            return all(last[r] >= heads[r] for r in room_ids) and all(
                any(f["type"] == t for f in frames) for t in ephemeral
            )

        while not complete():
            await sock.recv(timeout=5)
        await sock.drain(timeout=0.2)  # anything extra (a duplicate, a stray event) shows too
        frames = received()

        schemas = room_event_schemas()
        for frame in frames:
            if frame["type"] in schemas:
                assert schema_problems(frame, schemas[frame["type"]], frame["type"]) == []
        got = {
            room: [f["type"] for f in frames if f["room"] == room.id and f["type"] not in ephemeral]
            for room in rooms
        }
        assert got == {room: expected.get(room, []) for room in rooms}
        seen = _verified.get()
        if seen is not None:
            seen.update(t for types in got.values() for t in types)

        def compare(how: str, room_id: int, from_events: State, fresh: State) -> None:
            diffs = differences(from_events, fresh)
            assert not diffs, f"room {room_id}, {how} vs fresh:\n" + "\n".join(diffs)

        kept = dict(before)
        for frame in frames:
            kept[frame["room"]] = apply(kept[frame["room"]], frame, me.pk)
        after = {room_id: await fetch_state(sock, me, room_id) for room_id in room_ids}
        for room_id in room_ids:
            compare("kept from live events", room_id, kept[room_id], after[room_id])

        # Resume: had the client been away, it subscribes from its old head and
        # is replayed the log's copies (which a deletion blanks), not the live frames.
        for room_id in room_ids:
            replayed, subscribed = await replay(sock, room_id, before[room_id]["head_seq"])
            live = [f for f in frames if f["room"] == room_id and f["type"] not in ephemeral]
            assert [f["type"] for f in replayed] == [f["type"] for f in live]
            resumed = before[room_id]
            for frame in replayed:
                resumed = apply(resumed, frame, me.pk)
            resumed = resume(resumed, subscribed, me.pk)
            compare("resumed from the log", room_id, resumed, after[room_id])
        # Like Zulip's state_change_expected: a test whose action changed
        # nothing would pass whatever the events said.
        assert after != before, "the action changed nothing the state holds"
        return Run(before, after, frames)

    return verify_action


def unread(run: Run, room: Room) -> tuple[int, int]:
    return run.before(room)["read"]["unread"], run.after(room)["read"]["unread"]


def mentions(run: Run, room: Room) -> tuple[int, int]:
    return run.before(room)["read"]["mentions"], run.after(room)["read"]["mentions"]


# --- the reducer covers the protocol --------------------------------------------------


def test_the_reducer_has_a_case_for_every_room_event_type():
    assert set(REDUCERS) == room_event_types()


def test_every_room_event_type_is_verified_by_a_test():
    covered: set[str] = set()
    for name, test in globals().items():
        if name.startswith("test_"):
            covered |= getattr(test, "covers", frozenset())
    assert covered == room_event_types()


# --- message.new ------------------------------------------------------------------------


@covers("message.new")
async def test_a_message_from_the_other_side_is_unread_for_me(live_team, verify, actor):
    t = live_team
    run = await verify(
        t.client_member,
        [t.shared],
        lambda: actor(t.supplier_member).say(t.shared, "Lot 7 ships Friday"),
        expect=["message.new"],
    )
    assert unread(run, t.shared) == (0, 1)


@covers("message.new")
async def test_my_own_message_is_not_unread_for_me(live_team, verify, actor):
    t = live_team
    run = await verify(
        t.client_member,
        [t.shared],
        lambda: actor(t.client_member).say(t.shared, "Thanks, noted"),
        expect=["message.new"],
    )
    assert unread(run, t.shared) == (0, 0)


@covers("message.new")
async def test_a_message_mentioning_me_counts_as_unread_and_as_a_mention(live_team, verify, actor):
    t = live_team
    run = await verify(
        t.client_member,
        [t.shared],
        lambda: actor(t.supplier_member).say(
            t.shared, f"{mention(t.client_member)} can you check?"
        ),
        expect=["message.new"],
    )
    assert unread(run, t.shared) == (0, 1)
    assert mentions(run, t.shared) == (0, 1)


@covers("message.new")
async def test_a_reply_in_a_thread_i_follow_is_unread_in_the_thread_not_in_the_room(
    live_team, verify, actor
):
    t = live_team

    def setup() -> Message:
        root = say(t.client_member, t.shared, "Forecast for March?")
        say(t.supplier_member, t.shared, "Working on it", thread=root)  # I follow my root now
        read_up_to(t.client_member, t.shared)
        return root

    root = await sync_to_async(setup)()
    # The thread's own marker stays at 0: the earlier reply is unread in the thread.
    run = await verify(
        t.client_member,
        [t.shared],
        lambda: actor(t.supplier_admin).say(t.shared, "12k units", thread=root.id),
        expect=["message.new"],
    )
    assert run.before(t.shared)["threads"][root.id]["unread"] == 1
    assert run.after(t.shared)["threads"][root.id]["unread"] == 2
    assert run.after(t.shared)["messages"][root.id]["reply_count"] == 2
    # A reply counts in its thread, not in the room (UNREAD_RULE).
    assert unread(run, t.shared) == (0, 0)


@covers("message.new")
async def test_my_first_reply_follows_the_thread_with_the_earlier_replies_unread(
    live_team, verify, actor
):
    t = live_team

    def setup() -> Message:
        root = say(t.supplier_member, t.shared, "Lot 7 is late")
        say(t.supplier_admin, t.shared, "By two days", thread=root)
        say(t.client_admin, t.shared, "Noted", thread=root)
        return root

    root = await sync_to_async(setup)()
    run = await verify(
        t.client_member,
        [t.shared],
        lambda: actor(t.client_member).say(t.shared, "Which lines?", thread=root.id),
        expect=["message.new"],
    )
    assert root.id not in run.before(t.shared)["threads"]
    assert run.after(t.shared)["threads"][root.id] == {"last_read_seq": 0, "unread": 2}


@covers("message.new")
async def test_a_reply_to_my_root_follows_the_thread_for_me_again_after_i_unfollowed(
    live_team, verify, actor
):
    t = live_team

    def setup() -> Message:
        root = say(t.client_member, t.shared, "Drawings attached")
        say(t.supplier_member, t.shared, "Thanks", thread=root)
        ThreadFollow.objects.filter(user=t.client_member, root=root).delete()
        return root

    root = await sync_to_async(setup)()
    run = await verify(
        t.client_member,
        [t.shared],
        lambda: actor(t.client_admin).say(t.shared, "Rev B is current", thread=root.id),
        expect=["message.new"],
    )
    assert run.after(t.shared)["threads"][root.id] == {"last_read_seq": 0, "unread": 2}


# --- message.edited ---------------------------------------------------------------------


@covers("message.edited")
async def test_an_edit_that_mentions_me_in_an_unread_message_counts_as_a_mention(
    live_team, verify, actor
):
    t = live_team
    message = await sync_to_async(say)(t.supplier_member, t.shared, "Please check the drawing")
    body = f"{mention(t.client_member)} please check the drawing"
    run = await verify(
        t.client_member,
        [t.shared],
        lambda: actor(t.supplier_member).frame(
            {"type": "message.edit", "room": t.shared.id, "id": message.id, "body": body}
        ),
        expect=["message.edited"],
    )
    assert mentions(run, t.shared) == (0, 1)
    assert unread(run, t.shared) == (1, 1)


@covers("message.edited")
async def test_an_edit_that_mentions_me_in_a_message_i_have_read_counts_nothing(
    live_team, verify, actor
):
    t = live_team

    def setup() -> Message:
        message = say(t.supplier_member, t.shared, "Please check the drawing")
        read_up_to(t.client_member, t.shared)
        return message

    message = await sync_to_async(setup)()
    body = f"{mention(t.client_member)} please check the drawing"
    run = await verify(
        t.client_member,
        [t.shared],
        lambda: actor(t.supplier_member).frame(
            {"type": "message.edit", "room": t.shared.id, "id": message.id, "body": body}
        ),
        expect=["message.edited"],
    )
    assert mentions(run, t.shared) == (0, 0)
    assert run.after(t.shared)["messages"][message.id]["mentions"] == [t.client_member.id]


@covers("message.edited")
async def test_editing_my_thread_root_carries_its_reply_count(live_team, verify, actor):
    t = live_team

    def setup() -> Message:
        root = say(t.client_member, t.shared, "Forecast fro March")
        say(t.supplier_member, t.shared, "On it", thread=root)
        gone = say(t.supplier_admin, t.shared, "Wrong thread", thread=root)
        do_delete_message(t.supplier_admin, gone)
        return root

    root = await sync_to_async(setup)()
    run = await verify(
        t.client_member,
        [t.shared],
        lambda: actor(t.client_member).frame(
            {
                "type": "message.edit",
                "room": t.shared.id,
                "id": root.id,
                "body": "Forecast for March",
            }
        ),
        expect=["message.edited"],
    )
    edited = run.after(t.shared)["messages"][root.id]
    assert edited["reply_count"] == 1 and edited["edited_at"] is not None


# --- message.deleted --------------------------------------------------------------------


@covers("message.deleted")
async def test_deleting_an_unread_message_that_mentions_me_uncounts_it_and_the_mention(
    live_team, verify, actor
):
    t = live_team
    message = await sync_to_async(say)(
        t.supplier_member, t.shared, f"{mention(t.client_member)} wrong room, sorry"
    )
    run = await verify(
        t.client_member,
        [t.shared],
        lambda: actor(t.supplier_member).frame(
            {"type": "message.delete", "room": t.shared.id, "id": message.id}
        ),
        expect=["message.deleted"],
    )
    assert unread(run, t.shared) == (1, 0)
    assert mentions(run, t.shared) == (1, 0)
    assert run.after(t.shared)["messages"][message.id]["deleted"] is True


@covers("message.deleted")
async def test_deleting_an_unread_reply_lowers_the_reply_count_and_the_threads_unread(
    live_team, verify, actor
):
    t = live_team

    def setup() -> tuple[Message, Message]:
        root = say(t.client_member, t.shared, "Forecast for March?")
        reply = say(t.supplier_member, t.shared, "Ignore this", thread=root)
        return root, reply

    root, reply = await sync_to_async(setup)()
    run = await verify(
        t.client_member,
        [t.shared],
        lambda: actor(t.supplier_member).frame(
            {"type": "message.delete", "room": t.shared.id, "id": reply.id}
        ),
        expect=["message.deleted"],
    )
    assert run.before(t.shared)["threads"][root.id]["unread"] == 1
    assert run.after(t.shared)["threads"][root.id]["unread"] == 0
    assert run.after(t.shared)["messages"][root.id]["reply_count"] == 0
    assert unread(run, t.shared) == (0, 0)  # a reply never counted in the room


@covers("message.deleted")
async def test_an_admin_removing_a_colleagues_message_in_the_shared_room(live_team, verify, actor):
    t = live_team
    message = await sync_to_async(say)(t.supplier_member, t.shared, "Internal price list attached")
    run = await verify(
        t.client_member,
        [t.shared],
        lambda: actor(t.supplier_admin).frame(
            {"type": "message.delete", "room": t.shared.id, "id": message.id}
        ),
        expect=["message.deleted"],
    )
    assert unread(run, t.shared) == (1, 0)


@covers("message.deleted")
async def test_deleting_my_own_message_leaves_my_unread_alone(live_team, verify, actor):
    t = live_team

    def setup() -> Message:
        say(t.supplier_member, t.shared, "Lot 7 ships Friday")
        return say(t.client_member, t.shared, "Wrong room")

    message = await sync_to_async(setup)()
    run = await verify(
        t.client_member,
        [t.shared],
        lambda: actor(t.client_member).frame(
            {"type": "message.delete", "room": t.shared.id, "id": message.id}
        ),
        expect=["message.deleted"],
    )
    assert unread(run, t.shared) == (1, 1)


# --- members ------------------------------------------------------------------------------


@covers("member.joined")
async def test_a_colleague_someone_adds_joins_the_member_list(live_team, verify, actor):
    t = live_team
    newcomer = await sync_to_async(make_person)(t.client, name="Nia Newcomer")
    run = await verify(
        t.client_member,
        [t.shared],
        lambda: actor(t.client_admin).http(
            "POST", f"/api/rooms/{t.shared.id}/members/", {"person": newcomer.id}
        ),
        expect=["member.joined"],
    )
    assert (
        run.before(t.shared)["room"]["member_count"],
        run.after(t.shared)["room"]["member_count"],
    ) == (4, 5)


@covers("member.joined")
async def test_a_person_who_left_and_is_added_again_rejoins(live_team, verify, actor):
    t = live_team

    def setup() -> None:
        membership = Membership.objects.get(room=t.shared, user=t.client_admin)
        do_remove_member(t.client_admin, membership)

    await sync_to_async(setup)()
    run = await verify(
        t.client_member,
        [t.shared],
        lambda: actor(t.client_member).http(
            "POST", f"/api/rooms/{t.shared.id}/members/", {"person": t.client_admin.id}
        ),
        expect=["member.joined"],
    )
    assert run.after(t.shared)["members"][t.client_admin.id]["role"] == "member"


@covers("member.left")
async def test_a_person_leaving_leaves_the_member_list(live_team, verify, actor):
    t = live_team
    run = await verify(
        t.client_member,
        [t.shared],
        lambda: actor(t.supplier_member).http(
            "DELETE", f"/api/rooms/{t.shared.id}/members/{t.supplier_member.id}/"
        ),
        expect=["member.left"],
    )
    assert t.supplier_member.id not in run.after(t.shared)["members"]


@covers("member.left")
async def test_a_deactivated_person_leaves_every_room_they_were_in(live_team, verify, actor):
    t = live_team
    run = await verify(
        t.supplier_admin,
        [t.shared, t.supplier_internal],
        lambda: actor(t.supplier_admin).http(
            "POST", f"/api/people/{t.supplier_member.id}/deactivate/"
        ),
        expect={t.shared: ["member.left"], t.supplier_internal: ["member.left"]},
    )
    assert t.supplier_member.id not in run.after(t.supplier_internal)["members"]


# --- the room -------------------------------------------------------------------------------


@covers("room.updated")
async def test_the_owner_renaming_the_room_over_their_socket(live_team, verify, actor):
    t = live_team
    run = await verify(
        t.supplier_admin,
        [t.shared],
        lambda: actor(t.supplier_admin).frame(
            {"type": "room.update", "room": t.shared.id, "name": "Q1 ramp", "topic": "NW-220"}
        ),
        expect=["room.updated"],
    )
    assert run.after(t.shared)["room"]["name"] == "Q1 ramp"


@covers("room.updated")
async def test_a_topic_change_reaches_the_other_side(live_team, verify, actor):
    t = live_team
    run = await verify(
        t.client_member,
        [t.shared],
        lambda: actor(t.supplier_admin).http(
            "PATCH", f"/api/rooms/{t.shared.id}/", {"topic": "NW-220 forecast"}
        ),
        expect=["room.updated"],
    )
    assert run.after(t.shared)["room"]["topic"] == "NW-220 forecast"


@covers("room.archived")
async def test_ending_the_partnership_archives_the_room_for_both_sides(live_team, verify, actor):
    t = live_team
    await sync_to_async(say)(t.supplier_member, t.shared, "Last shipment left today")
    run = await verify(
        t.client_member,
        [t.shared],
        lambda: actor(t.client_admin).http(
            "POST", f"/api/partnerships/{t.partnership.id}/end/", {"reason": "Not renewed."}
        ),
        expect=["room.archived"],
    )
    room = run.after(t.shared)["room"]
    assert room["archived"] is True
    assert (room["ended"]["by"], room["ended"]["reason"]) == (t.client_admin.name, "Not renewed.")


@covers("room.archived", "room.unarchived")
async def test_an_owner_archiving_and_reopening_an_internal_room(live_team, verify, actor):
    t = live_team
    base = f"/api/rooms/{t.supplier_internal.id}/"
    run = await verify(
        t.supplier_member,
        [t.supplier_internal],
        lambda: actor(t.supplier_admin).http("POST", base + "archive/"),
        expect=["room.archived"],
    )
    room = run.after(t.supplier_internal)["room"]
    assert (room["archived"], room["archived_cause"], room["ended"]) == (True, "owner", None)
    run = await verify(
        t.supplier_member,
        [t.supplier_internal],
        lambda: actor(t.supplier_admin).http("POST", base + "unarchive/"),
        expect=["room.unarchived"],
    )
    assert run.after(t.supplier_internal)["room"]["archived"] is False


@covers("member.role")
async def test_being_made_owner_of_an_internal_room_lets_me_moderate(live_team, verify, actor):
    t = live_team
    run = await verify(
        t.supplier_member,
        [t.supplier_internal],
        lambda: actor(t.supplier_admin).http(
            "PATCH",
            f"/api/rooms/{t.supplier_internal.id}/members/{t.supplier_member.id}/",
            {"role": "owner"},
        ),
        expect=["member.role"],
    )
    before, after = run.before(t.supplier_internal), run.after(t.supplier_internal)
    assert (before["room"]["moderation"], after["room"]["moderation"]) == ("none", "all")


@covers("member.role", "member.left")
async def test_the_last_owner_leaving_a_shared_room_hands_it_to_the_partner(
    live_team, verify, actor
):
    t = live_team
    run = await verify(
        t.client_member,
        [t.shared],
        lambda: actor(t.supplier_admin).http(
            "POST", f"/api/rooms/{t.shared.id}/leave/", {"new_owner": t.client_member.id}
        ),
        expect=["member.role", "member.left"],
    )
    after = run.after(t.shared)
    assert after["room"]["role"] == "owner" and t.supplier_admin.id not in after["members"]


# --- work items ------------------------------------------------------------------------------


@covers("message.new", "workitem.created")
async def test_a_work_item_the_other_side_creates_posts_its_thread_root_then_the_item(
    live_team, verify, actor
):
    t = live_team
    source = await sync_to_async(say)(t.client_member, t.shared, "We need 12k units in March")
    run = await verify(
        t.client_member,
        [t.shared],
        lambda: actor(t.supplier_member).http(
            "POST",
            f"/api/rooms/{t.shared.id}/workitems/",
            {
                "title": "Confirm March allocation",
                "description": "**4k** from buffer stock",
                "assignee": t.client_member.id,
                "priority": 2,
                "due_date": "2026-12-04",
                "labels": ["allocation"],
                "from_message": source.id,
            },
        ),
        expect=["message.new", "workitem.created"],
    )
    (item,) = run.after(t.shared)["work_items"].values()
    assert item["assignee"]["id"] == t.client_member.id
    assert run.after(t.shared)["messages"][item["thread"]]["kind"] == "workitem"
    assert unread(run, t.shared) == (0, 1)


@covers("message.new", "workitem.created")
async def test_a_work_item_i_create_over_my_socket_is_not_unread_for_me(live_team, verify, actor):
    t = live_team
    run = await verify(
        t.client_member,
        [t.shared],
        lambda: actor(t.client_member).frame(
            {"type": "workitem.create", "room": t.shared.id, "title": "Send drawings rev C"}
        ),
        expect=["message.new", "workitem.created"],
    )
    assert unread(run, t.shared) == (0, 0)


@covers("workitem.updated")
async def test_a_work_item_update_over_my_socket_replaces_it_on_the_board(live_team, verify, actor):
    t = live_team
    item = await sync_to_async(make_work_item)(t.supplier_member, t.shared, "Confirm allocation")
    changes = {
        "status": "in_progress",
        "assignee": t.supplier_admin.id,
        "labels": ["allocation", "march"],
        "due_date": "2026-12-04",
    }
    run = await verify(
        t.client_member,
        [t.shared],
        lambda: actor(t.client_member).frame(
            {
                "type": "workitem.update",
                "room": t.shared.id,
                "id": item.id,
                "changes": changes,
                "version": 1,
            }
        ),
        expect=["workitem.updated"],
    )
    after = run.after(t.shared)["work_items"][item.id]
    assert (after["status"], after["version"]) == ("in_progress", 2)


@covers("workitem.updated")
async def test_escalating_a_work_item_updates_it_with_its_escalation(live_team, verify, actor):
    t = live_team
    item = await sync_to_async(make_work_item)(t.client_member, t.shared, "Line stop risk")
    run = await verify(
        t.supplier_member,
        [t.shared],
        lambda: actor(t.client_member).http(
            "POST",
            f"/api/rooms/{t.shared.id}/workitems/{item.id}/escalate/",
            {"severity": "S1", "reason": "Line stops Monday"},
        ),
        expect=["workitem.updated"],
    )
    escalation = run.after(t.shared)["work_items"][item.id]["escalation"]
    assert (escalation["severity"], escalation["status"]) == ("S1", "open")


@covers("workitem.updated")
async def test_the_escalation_clock_flagging_a_breach_updates_the_item_by_nobody(
    live_team, verify, actor
):
    t = live_team
    raised = datetime.datetime(2026, 11, 22, 11, 0, tzinfo=datetime.UTC)

    def setup() -> WorkItem:
        item = make_work_item(t.client_member, t.shared, "Line stop risk")
        do_escalate(t.client_member, item, severity="S1", reason="Line stops", now=raised)
        return item

    item = await sync_to_async(setup)()
    late = raised + datetime.timedelta(minutes=31)
    run = await verify(
        t.supplier_member,
        [t.shared],
        lambda: sync_to_async(run_escalation_clock)(now=late),
        expect=["workitem.updated"],
    )
    assert run.frames[0]["by"] is None
    assert run.after(t.shared)["work_items"][item.id]["escalation"]["breached"] is True


@covers("workitem.updated")
async def test_an_escalations_life_keeps_the_item_on_the_board(live_team, verify, actor):
    t = live_team

    def setup() -> tuple[WorkItem, int]:
        item = make_work_item(t.client_member, t.shared, "Line stop risk")
        escalation = do_escalate(
            t.client_member, item, severity="S1", reason="Line stops", now=timezone.now()
        )
        return item, escalation.id

    item, escalation = await sync_to_async(setup)()

    async def acknowledge_reassign_downgrade_resolve() -> None:
        sue = actor(t.supplier_member)
        await sue.http("POST", f"/api/escalations/{escalation}/acknowledge/")
        await sue.http(
            "POST", f"/api/escalations/{escalation}/reassign/", {"person": sue.person.id}
        )
        await sue.http("POST", f"/api/escalations/{escalation}/downgrade/", {"severity": "S2"})
        await sue.http("POST", f"/api/escalations/{escalation}/resolve/", {"note": "Shipped"})

    run = await verify(
        t.client_member,
        [t.shared],
        acknowledge_reassign_downgrade_resolve,
        # Acknowledging and resolving each post a notice in the room after the change.
        expect=["workitem.updated", "message.new"] + ["workitem.updated"] * 3 + ["message.new"],
    )
    after = run.after(t.shared)["work_items"][item.id]
    assert (after["escalation"], after["assignee"]["id"]) == (None, t.supplier_member.id)


# --- the bridge --------------------------------------------------------------------------------


def mirrored_thread(t: Any) -> tuple[Message, Any]:
    """A client's thread in the shared room, mirrored into the supplier's internal room."""
    root = say(t.client_member, t.shared, "Lot 7 is late")
    say(t.supplier_admin, t.shared, "Checking", thread=root)
    root = Message.objects.select_related("author__organization", "room").get(pk=root.pk)
    return root, do_create_mirror(t.supplier_member, root, t.supplier_internal)


@covers("message.new", "message.edited")
async def test_sharing_a_note_back_marks_it_internally_and_replies_in_the_shared_thread(
    live_team, verify, actor
):
    t = live_team

    def setup() -> tuple[Any, Message]:
        _root, mirror = mirrored_thread(t)
        note = say(
            t.supplier_member, t.supplier_internal, "Ships Thursday", thread=mirror.root_copy
        )
        return mirror, note

    mirror, note = await sync_to_async(setup)()
    run = await verify(
        t.supplier_admin,
        [t.shared, t.supplier_internal],
        lambda: actor(t.supplier_member).http(
            "POST",
            f"/api/mirrors/{mirror.id}/share-back/",
            {"message": note.id, "confirmed_body": "Ships Thursday"},
        ),
        expect={t.shared: ["message.new"], t.supplier_internal: ["message.edited"]},
    )
    shared_back = run.after(t.supplier_internal)["messages"][note.id]["shared_back"]
    assert shared_back["by"]["id"] == t.supplier_member.id


@covers("message.new")
async def test_a_partners_reply_relayed_into_a_mirror_is_unread_in_the_internal_room(
    live_team, verify, actor
):
    t = live_team
    root, _mirror = await sync_to_async(mirrored_thread)(t)

    async def reply_and_relay() -> None:
        await actor(t.client_member).say(t.shared, "Thursday at the latest", thread=root.id)
        await sync_to_async(relay_all)()

    run = await verify(
        t.supplier_admin,
        [t.shared, t.supplier_internal],
        reply_and_relay,
        expect={t.shared: ["message.new"], t.supplier_internal: ["message.new"]},
    )
    # The root's copy (the client's words) was already unread; the reply's copy is a
    # reply under it, so it counts in its thread, not in the room.
    assert unread(run, t.supplier_internal) == (1, 1)


@covers("workitem.updated", "message.new")
async def test_a_work_item_change_relayed_into_a_mirror_is_a_notice_under_its_copy(
    live_team, verify, actor
):
    t = live_team

    def setup() -> WorkItem:
        item = make_work_item(t.client_member, t.shared, "Confirm allocation")
        root = Message.objects.select_related("author__organization", "room").get(
            pk=item.thread_root_id
        )
        do_create_mirror(t.supplier_member, root, t.supplier_internal)
        return item

    item = await sync_to_async(setup)()

    async def update_and_relay() -> None:
        await actor(t.client_member).frame(
            {
                "type": "workitem.update",
                "room": t.shared.id,
                "id": item.id,
                "changes": {"priority": 1},
            }
        )
        await sync_to_async(relay_all)()

    run = await verify(
        t.supplier_admin,
        [t.shared, t.supplier_internal],
        update_and_relay,
        expect={t.shared: ["workitem.updated"], t.supplier_internal: ["message.new"]},
    )
    (notice,) = [f["message"] for f in run.frames if f["type"] == "message.new"]
    assert notice["kind"] == "notice"
    assert notice["thread"] is not None
    assert unread(run, t.supplier_internal) == (1, 1)


# --- reading --------------------------------------------------------------------------------------


async def test_reading_on_another_socket_reaches_this_one_through_unread(
    live_team, verify, actor, connect
):
    t = live_team

    def setup() -> Message:
        say(t.supplier_member, t.shared, f"{mention(t.client_member)} drawings?")
        read_to = say(t.supplier_member, t.shared, "Rev B")
        say(t.supplier_admin, t.shared, "Rev C is coming")
        return read_to

    read_to = await sync_to_async(setup)()

    async def read_on_another_tab() -> None:
        tab = await connect(t.client_member)
        await tab.send({"type": "read", "room": t.shared.id, "seq": read_to.seq})
        await tab.expect("unread", room=t.shared.id)

    run = await verify(
        t.client_member, [t.shared], read_on_another_tab, expect=[], ephemeral=("unread",)
    )
    assert unread(run, t.shared) == (3, 1)
    assert mentions(run, t.shared) == (1, 0)


# --- reaction.updated -------------------------------------------------------------------


@covers("reaction.updated")
async def test_reactions_from_both_sides_keep_the_messages_reactions(live_team, verify, actor):
    t = live_team

    def setup() -> tuple[Message, Message]:
        root = say(t.client_member, t.shared, "Drawings attached")
        return root, say(t.supplier_member, t.shared, "Thanks", thread=root)

    root, reply = await sync_to_async(setup)()

    async def react() -> None:
        sue, cal = actor(t.supplier_member), actor(t.client_admin)
        for who, message, emoji in ((sue, root, "👍"), (cal, root, "👍"), (cal, reply, "🎉")):
            await who.frame(
                {"type": "reaction.add", "room": t.shared.id, "id": message.id, "emoji": emoji}
            )
        await sue.frame(
            {"type": "reaction.remove", "room": t.shared.id, "id": root.id, "emoji": "👍"}
        )

    run = await verify(t.client_member, [t.shared], react, expect=["reaction.updated"] * 4)
    assert [r["count"] for r in run.after(t.shared)["messages"][root.id]["reactions"]] == [1]


@covers("message.deleted")
async def test_deleting_a_message_takes_its_reactions_away(live_team, verify, actor):
    t = live_team

    def setup() -> Message:
        message = say(t.supplier_member, t.shared, "Wrong room")
        check_set_reaction(
            t.client_admin, room_id=t.shared.id, message_id=message.id, emoji="👀", on=True
        )
        return message

    message = await sync_to_async(setup)()
    run = await verify(
        t.client_member,
        [t.shared],
        lambda: actor(t.supplier_member).frame(
            {"type": "message.delete", "room": t.shared.id, "id": message.id}
        ),
        expect=["message.deleted"],
    )
    assert run.after(t.shared)["messages"][message.id]["reactions"] == []


# --- many events in a row ------------------------------------------------------------


@covers(
    "message.new",
    "message.edited",
    "message.deleted",
    "member.joined",
    "member.left",
    "room.updated",
    "workitem.created",
    "workitem.updated",
)
async def test_a_burst_of_events_from_both_sides_keeps_the_state(live_team, verify, actor):
    t = live_team
    newcomer = await sync_to_async(make_person)(t.supplier, name="Nils Newcomer")
    me = t.client_member

    async def burst() -> None:
        sue, sam, cal = actor(t.supplier_member), actor(t.supplier_admin), actor(t.client_admin)
        root = await sue.say(t.shared, f"{mention(me)} forecast for March?")
        await actor(me).say(t.shared, "12k", thread=root["id"])
        reply = await sam.say(t.shared, "Noted", thread=root["id"])
        await cal.say(t.shared, "Also 2k spare", thread=root["id"])
        await sue.frame(
            {"type": "message.edit", "room": t.shared.id, "id": root["id"], "body": "?"}
        )
        await sam.frame({"type": "message.delete", "room": t.shared.id, "id": reply["id"]})
        ok = await cal.frame({"type": "workitem.create", "room": t.shared.id, "title": "Spares"})
        await sue.frame(
            {
                "type": "workitem.update",
                "room": t.shared.id,
                "id": ok["id"],
                "changes": {"priority": 1},
            }
        )
        await sam.http("POST", f"/api/rooms/{t.shared.id}/members/", {"person": newcomer.id})
        await cal.http("DELETE", f"/api/rooms/{t.shared.id}/members/{t.client_admin.id}/")
        await sam.frame({"type": "room.update", "room": t.shared.id, "name": "Q1"})
        await sue.frame({"type": "message.delete", "room": t.shared.id, "id": root["id"]})

    run = await verify(
        me,
        [t.shared],
        burst,
        expect=[
            "message.new",
            "message.new",
            "message.new",
            "message.new",
            "message.edited",
            "message.deleted",
            "message.new",
            "workitem.created",
            "workitem.updated",
            "member.joined",
            "member.left",
            "room.updated",
            "message.deleted",
        ],
    )
    assert unread(run, t.shared) == (0, 1)  # the work item (the admin's reply is in a thread)


# --- what the events did not carry (findings, issue 13, now fixed) ----------------------


async def test_the_room_lists_end_time_is_the_one_room_archived_carries(live_team, verify, actor):
    t = live_team
    await verify(
        t.client_member,
        [t.shared],
        lambda: actor(t.client_admin).http(
            "POST", f"/api/partnerships/{t.partnership.id}/end/", {"reason": "Not renewed."}
        ),
        expect=["room.archived"],
    )


async def test_reading_a_thread_on_another_socket_reaches_this_one(
    live_team, verify, actor, connect
):
    t = live_team

    def setup() -> tuple[Message, Message]:
        root = say(t.client_member, t.shared, "Forecast for March?")
        return root, say(t.supplier_member, t.shared, "12k", thread=root)

    root, reply = await sync_to_async(setup)()

    async def read_thread_on_another_tab() -> None:
        tab = Actor(connect, t.client_member)
        await tab.frame(
            {"type": "thread.read", "room": t.shared.id, "root": root.id, "seq": reply.seq}
        )

    run = await verify(
        t.client_member,
        [t.shared],
        read_thread_on_another_tab,
        expect=[],
        ephemeral=("thread.unread",),
    )
    assert run.after(t.shared)["threads"][root.id] == {"last_read_seq": reply.seq, "unread": 0}


async def test_following_a_thread_on_another_socket_reaches_this_one(
    live_team, verify, actor, connect
):
    t = live_team

    def setup() -> Message:
        root = say(t.supplier_member, t.shared, "Lot 7 is late")
        say(t.supplier_admin, t.shared, "By two days", thread=root)
        return root

    root = await sync_to_async(setup)()

    async def follow_on_another_tab() -> None:
        tab = Actor(connect, t.client_member)
        await tab.frame({"type": "thread.follow", "room": t.shared.id, "root": root.id})

    run = await verify(
        t.client_member, [t.shared], follow_on_another_tab, expect=[], ephemeral=("thread.unread",)
    )
    # Following from the start: the reply already there is unread.
    assert run.after(t.shared)["threads"][root.id] == {"last_read_seq": 0, "unread": 1}


@covers("member.updated")
async def test_a_member_changing_their_name_reaches_the_rooms_they_are_in(live_team, verify, actor):
    t = live_team
    await sync_to_async(say)(t.supplier_member, t.shared, "Lot 7 ships Friday")
    run = await verify(
        t.client_member,
        [t.shared, t.client_internal],
        lambda: actor(t.supplier_member).http("PATCH", "/api/me/", {"display_name": "Sue S."}),
        # The client's internal room is not the supplier member's: nothing there.
        expect={t.shared: ["member.updated"]},
    )
    (message,) = run.after(t.shared)["messages"].values()
    assert message["author"]["name"] == "Sue S."
    assert run.after(t.shared)["members"][t.supplier_member.id]["person"]["name"] == "Sue S."
