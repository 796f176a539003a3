"""Property-based fuzzing (hypothesis) of the socket protocol and the HTTP JSON endpoints.

Whatever a signed-in person sends:

- the socket answers every frame with an ``error`` frame or the frame's own
  reply, in order, never ``internal``, and stays open (a ``ping`` after each
  frame gets its ``pong``); room events arrive in seq order per subscription;
- every /api/ endpoint answers 2xx/4xx JSON, never 5xx;
- no record is corrupt or half-written: every message has exactly one
  ``message.new`` event at its own seq, each room's event log runs 1..last_seq
  without gaps, work item versions match their events and history, deleted
  messages are blank everywhere, and stored HTML is only what the sanitizer
  allows.

Strings include NUL and lone UTF-16 surrogates (``"\\ud800"``): both are
refused at the door (``hub.validation.check_text``) with ``invalid`` / 400.

The world is committed (sockets read the database from other threads) and the
module flushes the database at the end, like a transactional test.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.db.models import F
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.models import Partnership, User
from rooms.actions.bots import check_create_bot_token, check_create_incoming_webhook
from rooms.actions.escalations import check_escalate
from rooms.actions.exports import check_request_room_export, run_next_export
from rooms.actions.invitations import do_create_invitation
from rooms.actions.members import do_add_member
from rooms.actions.messages import do_delete_message, do_send_message
from rooms.actions.retention import do_place_hold
from rooms.actions.workitems import do_create_work_item
from rooms.bridge.mirrors import check_create_mirror
from rooms.connectors.actions import do_create_connector
from rooms.connectors.matrix.actions import do_create_matrix_bridge
from rooms.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS
from rooms.models.connectors import ConnectorDeadLetter
from rooms.models.files import Attachment, Upload
from rooms.models.log import RoomEvent
from rooms.models.messages import Message, MessageEdit
from rooms.models.rooms import Room
from rooms.models.workitems import WorkItem, WorkItemChange
from rooms.wire.types import ROOM_EVENT_TYPES
from tests.conftest import (
    PDF_BYTES,
    Team,
    make_internal_room,
    make_org,
    make_person,
    make_upload,
    png_bytes,
    send_files,
    session_cookie,
    socket_headers,
)
from tests.reliability.committed import committed, db  # noqa: F401

# Every test runs on the committed world, with no transaction around it.
pytestmark = pytest.mark.usefixtures("db")

MISSING = 2**62
DEEP = "nested too deeply to tell"
FRAME_MAX = 64 * 1024
SOCKET_ERRORS = {
    "bad_json",
    "invalid",
    "unknown_type",
    "too_large",
    "not_found",
    "forbidden",
    "conflict",
    "archived",
    "rate_limited",
}
HTTP_ERRORS = SOCKET_ERRORS - {"bad_json", "unknown_type"} | {
    "unauthenticated",
    "method_not_allowed",
    "organization_required",
    "confirmation_required",
}
# What each client frame is answered with, besides `error`. Empty: no reply.
REPLY_FOR: dict[str, set[str]] = {
    "subscribe": {"subscribed"},
    "unsubscribe": {"unsubscribed"},
    "message.send": {"ack"},
    "message.edit": {"ok"},
    "message.delete": {"ok"},
    "room.update": {"ok"},
    "workitem.create": {"ok"},
    "workitem.update": {"ok"},
    "typing": set(),
    "read": set(),
    "thread.follow": {"ok"},
    "thread.read": {"ok"},
    "presence.set": set(),
    "ping": {"pong"},
}
REPLIES = {"error", "subscribed", "unsubscribed", "ack", "ok", "pong"}
ROOM_EVENTS = ROOM_EVENT_TYPES
SERVER_FRAMES = (
    REPLIES
    | ROOM_EVENTS
    | {
        "hello",
        "resync",
        "typing",
        "presence",
        "unread",
        "thread.unread",
        "notification",
        # Reading a message reads its notification: the reader's other tabs are told.
        "notifications.updated",
        "room.removed",
        "session.ended",
    }
)


# --- the world ---------------------------------------------------------------------------


def say(author: User, room: Room, body: str, thread: Message | None = None) -> Message:
    message, _ = do_send_message(
        author, room, client_id=uuid.uuid4().hex, body=body, thread_root=thread
    )
    return message


def work_item(author: User, room: Room) -> WorkItem:
    return do_create_work_item(
        author,
        room,
        title="Fuzzed item",
        description="",
        assignee=None,
        priority=3,
        due_date=None,
        labels=[],
        source_message=None,
    )


class World:
    """Partners with messages, threads, work items, a mirror and an escalation. Committed."""

    def __init__(self) -> None:
        t = self.team = Team()
        self.own_room = make_internal_room(t.client_member, name="Cleo's own")
        # Fuzzed removals and deactivations land on these, not on the people fuzzing.
        self.expendable = [make_person(t.client), make_person(t.supplier)]
        for person in self.expendable:
            do_add_member(t.supplier_admin, t.shared, person)
        root = say(t.client_member, t.shared, "a root")
        other = say(t.supplier_member, t.shared, "theirs")
        reply = say(t.supplier_member, t.shared, "a reply", thread=root)
        gone = say(t.client_member, t.shared, "deleted")
        do_delete_message(t.client_member, gone)
        internal = say(t.client_admin, t.client_internal, "internal")
        hidden = say(t.supplier_member, t.supplier_internal, "the supplier's")
        items = [work_item(t.client_member, t.shared), work_item(t.client_admin, t.client_internal)]
        escalated = work_item(t.client_member, t.shared)
        self.escalation = check_escalate(
            t.client_member, room_id=t.shared.id, item_id=escalated.pk, severity="S2", reason="x"
        )
        self.mirror = check_create_mirror(
            t.client_admin,
            source_room_id=t.shared.id,
            root_id=other.id,
            target_room_id=t.client_internal.id,
        )
        self.invitation, _ = do_create_invitation(
            t.client_admin,
            organization=t.client,
            email=f"invited@{t.client.verified_domains[0]}",
            room=t.shared,
        )
        prospect = make_org("Prospect")
        self.proposal = Partnership.objects.create(
            supplier=prospect, client=t.client, proposed_by=make_person(prospect, admin=True)
        )
        self.hold = do_place_hold(
            t.client_admin, t.client.id, person=None, room=t.shared, reason=""
        )
        # An outgoing webhook of each side, and a dead letter of the client's.
        self.connectors = [
            do_create_connector(
                admin,
                organization=admin.organization,
                room=room,
                kind="webhook_out",
                name="Hook",
                config={"url": "http://93.184.216.34/hook"},
            )[0]
            for admin, room in (
                (t.client_admin, t.client_internal),
                (t.supplier_admin, t.supplier_internal),
            )
        ]
        self.dead_letter = ConnectorDeadLetter.objects.create(
            connector=self.connectors[0], seq=internal.seq, event=None, error="HTTP 500"
        )
        # A Matrix bridge of each side.
        self.bridges = [
            do_create_matrix_bridge(
                do_create_connector(
                    admin,
                    organization=admin.organization,
                    room=room,
                    kind="matrix",
                    name="Matrix",
                    config={"homeserver": "http://93.184.216.34", "matrix_room": "!ops:acme.test"},
                )[0]
            )
            for admin, room in (
                (t.client_admin, t.client_internal),
                (t.supplier_admin, t.supplier_internal),
            )
        ]
        # A bot token and an incoming webhook of the client's, in its internal room.
        self.bot_token = check_create_bot_token(
            t.client_admin, name="Deploy", rooms=[t.client_internal.id]
        ).credential.pk
        created_hook = check_create_incoming_webhook(
            t.client_admin, name="CI", room=t.client_internal.id
        )
        self.hook, self.hook_secret = created_hook.credential.pk, created_hook.secret

        # Uploads of the people fuzzing (one sent already) and one of the other side's room.
        sent = make_upload(t.client_member, t.shared, PDF_BYTES, "sent.pdf")
        send_files(t.client_member, t.shared, [sent], "with a file")
        hidden_file = make_upload(t.supplier_member, t.supplier_internal, png_bytes(), "x.png")
        send_files(t.supplier_member, t.supplier_internal, [hidden_file], "theirs")
        self.file_keys = [
            sent.key,
            hidden_file.key,
            make_upload(t.client_member, t.shared).key,
            make_upload(t.supplier_admin, t.shared).key,
            make_upload(t.client_member, t.client_internal).key,
        ]
        own = say(t.client_member, self.own_room, "mine")
        internal_own = say(t.client_member, t.client_internal, "my note")
        self.rooms = [t.shared.id, t.client_internal.id, self.own_room.id, t.supplier_internal.id]
        self.messages = [root.id, other.id, reply.id, gone.id, internal.id, hidden.id, own.id]
        self.messages.append(internal_own.id)
        self.items = [item.pk for item in [*items, escalated]]
        self.root, self.own_message, self.item = root.id, own.id, items[0].pk
        # Well-formed frames name messages and items of the room they name.
        self.in_room: dict[tuple[int, str], list[int]] = defaultdict(list)
        for m in Message.objects.filter(pk__in=self.messages):
            self.in_room[m.room_id, "message"].append(m.pk)
        for i in WorkItem.objects.filter(pk__in=self.items):
            self.in_room[i.room_id, "item"].append(i.pk)
        self.people = [t.client_member.id, t.supplier_member.id, t.client_admin.id]
        self.expendable_ids = [p.id for p in self.expendable]
        # Exports: the supplier admin's (built) and the client admin's (built).
        supplier_export = check_request_room_export(t.supplier_admin, room_id=t.shared.id)
        client_export = check_request_room_export(t.client_admin, room_id=t.shared.id)
        while run_next_export() is not None:
            pass
        self.exports = [supplier_export.pk, client_export.pk]
        self.sessions = {
            "client_member": session_cookie(t.client_member),
            "supplier_admin": session_cookie(t.supplier_admin),
        }


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    yield from committed(World, django_db_blocker)


# --- what must always hold ------------------------------------------------------------------


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))


def assert_safe_html(html: str) -> None:
    parser = _Tags()
    parser.feed(html)
    for tag, attrs in parser.found:
        assert tag in ALLOWED_TAGS, html
        for name, value in attrs:
            assert name in ALLOWED_ATTRIBUTES.get(tag, set()) | {"rel"}, html
            if name == "href":
                scheme = re.sub(r"[\s\x00-\x1f]", "", value or "").lower()
                assert not scheme.startswith(("javascript:", "data:", "vbscript:")), html


def assert_consistent() -> None:
    """No record is corrupt or half-written, whatever was sent."""
    events = list(RoomEvent.objects.values("room_id", "seq", "type", "message_id"))
    messages = list(
        Message.objects.values("id", "room_id", "seq", "deleted_at", "body", "body_html")
    )

    news = Counter(e["message_id"] for e in events if e["type"] == "message.new")
    assert None not in news, "a message.new event without its message"
    assert news == Counter(m["id"] for m in messages), "not one message.new per message"
    new_at = {
        e["message_id"]: (e["room_id"], e["seq"]) for e in events if e["type"] == "message.new"
    }
    for m in messages:
        assert new_at[m["id"]] == (m["room_id"], m["seq"]), m
        assert_safe_html(m["body_html"])

    seqs: dict[int, list[int]] = defaultdict(list)
    for e in events:
        seqs[e["room_id"]].append(e["seq"])
    for room_id, last_seq in Room.objects.values_list("id", "last_seq"):
        assert sorted(seqs[room_id]) == list(range(1, last_seq + 1)), f"room {room_id} log"

    # A file is shown only by messages it was sent with, and marked as sent.
    assert not Upload.objects.filter(attachments__isnull=False, attached_at__isnull=True).exists()
    assert not Attachment.objects.exclude(room_id=F("message__room_id")).exists()

    deleted = {m["id"] for m in messages if m["deleted_at"] is not None}
    for m in messages:
        if m["id"] in deleted:
            assert (m["body"], m["body_html"]) == ("", ""), m
    assert not MessageEdit.objects.filter(message_id__in=deleted).exists()
    for payload in RoomEvent.objects.filter(message_id__in=deleted).values_list(
        "payload", flat=True
    ):
        if "message" in payload:
            shown = payload["message"]
            assert (shown["body"], shown["html"], shown["deleted"]) == ("", "", True), payload
    edits = Counter(MessageEdit.objects.values_list("message_id", flat=True))
    edited = Counter(
        e["message_id"]
        for e in events
        if e["type"] == "message.edited" and e["message_id"] not in deleted
    )
    assert edits == edited, "an edit without its event, or an event without its edit"

    item_events = RoomEvent.objects.filter(type__startswith="workitem.")
    created = Counter(
        item_events.filter(type="workitem.created").values_list("payload__item__id", flat=True)
    )
    updated = Counter(
        item_events.filter(type="workitem.updated").values_list("payload__item__id", flat=True)
    )
    changes = Counter(WorkItemChange.objects.values_list("work_item_id", flat=True))
    for item in WorkItem.objects.select_related("thread_root"):
        assert created[item.pk] == 1, item.pk
        assert updated[item.pk] == item.version - 1 == changes[item.pk] - 1, item.pk
        assert item.thread_root.kind == "workitem" and item.thread_root.room_id == item.room_id
        assert_safe_html(item.description_html)


# --- generated input ---------------------------------------------------------------------------

# Every code point, NUL and lone surrogates included.
CHARS = st.characters()
TEXT = st.text(alphabet=CHARS, max_size=40)
CONTROL = st.text(alphabet=st.characters(min_codepoint=1, max_codepoint=0x1F), min_size=1)
PAYLOADS = st.sampled_from(
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        '<a href="javascript:alert(1)">x</a>',
        "<iframe src=//evil.example>",
        "**bold** <b onmouseover=alert(1)>x</b>",
        "![img](http://evil.example/x.png)",
        "<svg/onload=alert(1)>",
        "\u202etxt.exe",
        "' OR 1=1; --",
    ]
)
STRINGS = st.one_of(TEXT, CONTROL, PAYLOADS, st.integers(9_990, 10_010).map(lambda n: "y" * n))
NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
)
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, STRINGS)
ANY_JSON = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(TEXT, children, max_size=4)
    ),
    max_leaves=12,
)


def pick(pool: list[int]) -> st.SearchStrategy[Any]:
    """Mostly real ids (as numbers or digit strings), sometimes missing or malformed ones."""
    real = st.sampled_from(pool)
    return st.one_of(
        real,
        real,
        real.map(str),
        st.sampled_from([0, -1, MISSING, 2**63, 2**64, "", "1e3", " 7", "0x10", True]),
        ANY_JSON,
    )


def mostly(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Three in four well typed, the rest anything at all."""
    return st.one_of(valid, valid, valid, ANY_JSON)


# Text that survives cleaning (control characters stripped, then trimmed).
WORDS = st.one_of(TEXT, PAYLOADS).filter(lambda s: re.sub(r"[\x00-\x1f\x7f]", "", s).strip())


def frame_fields(w: World) -> dict[str, dict[str, st.SearchStrategy[Any]]]:
    """The documented fields of each client frame, with values the server accepts."""
    # Mostly rooms the person is in; the supplier's internal room is not one.
    room = st.one_of(*[st.sampled_from(w.rooms[:3])] * 3, st.sampled_from(w.rooms))
    message, person, item = (st.sampled_from(p) for p in (w.messages, w.people, w.items))
    seq = st.integers(0, 80)
    labels = st.lists(WORDS.filter(lambda s: len(s) <= 40), max_size=3)
    statuses = st.sampled_from(["open", "in_progress", "blocked", "done", "cancelled"])
    changes = st.fixed_dictionaries(
        {},
        optional={
            "title": WORDS,
            "description": st.one_of(TEXT, PAYLOADS),
            "status": statuses,
            "assignee": st.one_of(st.none(), person),
            "priority": st.integers(1, 4),
            "due_date": st.one_of(st.none(), st.dates().map(str)),
            "labels": labels,
        },
    ).filter(bool)
    return {
        "subscribe": {"room": room, "since": seq},
        "unsubscribe": {"room": room},
        "message.send": {
            "room": room,
            "client_id": st.one_of(st.uuids().map(str), st.sampled_from(["again", "twice"])),
            "body": WORDS,
            "thread": message,
            "files": st.lists(st.sampled_from(w.file_keys), max_size=2, unique=True),
        },
        "message.edit": {"room": room, "id": message, "body": WORDS},
        "message.delete": {"room": room, "id": message},
        "room.update": {"room": room, "name": WORDS, "topic": st.one_of(TEXT, PAYLOADS)},
        "workitem.create": {
            "room": room,
            "title": WORDS,
            "description": st.one_of(TEXT, PAYLOADS),
            "assignee": st.one_of(st.none(), person),
            "priority": st.integers(1, 4),
            "due_date": st.one_of(st.none(), st.dates().map(str)),
            "labels": labels,
            "from_message": message,
        },
        "workitem.update": {"room": room, "id": item, "changes": changes, "version": seq},
        "typing": {"room": room, "thread": message},
        "read": {"room": room, "seq": seq},
        "thread.follow": {"room": room, "root": message, "follow": st.booleans()},
        "thread.read": {"room": room, "root": message, "seq": seq},
        "presence.set": {"state": st.sampled_from(["active", "away"])},
        "ping": {},
    }


def wrong_fields(w: World) -> dict[str, st.SearchStrategy[Any]]:
    """Per field name: badly typed, out of range, oversized or hostile values."""
    ids = pick(w.rooms + w.messages + w.items + w.people)
    return {
        "room": ids,
        "id": ids,
        "thread": ids,
        "root": ids,
        "from_message": ids,
        "assignee": ids,
        "since": st.one_of(st.sampled_from([-1, 2**63, 2**64, 1.5, "3", True]), ANY_JSON),
        "seq": st.one_of(st.sampled_from([-1, 2**63, 2**64, 1.5, "3", True]), ANY_JSON),
        "version": st.one_of(st.sampled_from([-1, 2**64, 1.5, "1", True]), ANY_JSON),
        "priority": st.one_of(st.sampled_from([0, 5, -1, 1.0, "1", True]), ANY_JSON),
        "client_id": st.one_of(st.just(""), st.text(alphabet=CHARS, min_size=65), ANY_JSON),
        "due_date": st.one_of(st.sampled_from(["2026-02-30", "tomorrow", "", 20261204]), ANY_JSON),
        "labels": st.one_of(st.lists(STRINGS, min_size=1, max_size=22), ANY_JSON),
        "changes": st.one_of(
            st.just({}),
            st.dictionaries(
                st.sampled_from([*WORK_ITEM_FIELDS, "version", "room", "x"]), ANY_JSON, min_size=1
            ),
            ANY_JSON,
        ),
        "state": st.one_of(st.sampled_from(["offline", "ACTIVE", ""]), ANY_JSON),
        "follow": st.one_of(st.sampled_from([0, 1, "true", None]), ANY_JSON),
    }


WORK_ITEM_FIELDS = ["title", "description", "status", "assignee", "priority", "due_date", "labels"]
IN_ROOM = {"id": "message", "thread": "message", "root": "message", "from_message": "message"}
REQUIRED = {"room", "client_id", "body", "id", "title", "changes", "root", "seq", "state"}


@st.composite
def protocol_frame(draw: Any, w: World) -> dict[str, Any]:
    """A frame of a documented type: well formed, or each field kept, dropped or spoiled."""
    kind = draw(st.sampled_from(sorted(REPLY_FOR)))
    well_formed = draw(st.booleans())
    wrong = wrong_fields(w)
    frame: dict[str, Any] = {"type": kind}
    for name, valid in frame_fields(w)[kind].items():
        if well_formed:
            if name in REQUIRED or draw(st.booleans()):
                frame[name] = draw(valid)
                what = "item" if kind == "workitem.update" else IN_ROOM.get(name, "")
                same_room = w.in_room.get((frame.get("room"), what))
                if same_room and draw(st.integers(0, 3)):
                    frame[name] = draw(st.sampled_from(same_room))
            continue
        how = draw(st.sampled_from(["keep", "drop", "spoil", "spoil"]))
        if how == "keep":
            frame[name] = draw(valid)
        elif how == "spoil":
            frame[name] = draw(wrong.get(name, STRINGS) if draw(st.booleans()) else ANY_JSON)
    if draw(st.booleans()):
        frame["ref"] = draw(
            st.one_of(TEXT, st.integers(), st.text(alphabet=CHARS, min_size=65), ANY_JSON)
        )
    if not well_formed:
        frame.update(draw(st.dictionaries(TEXT, ANY_JSON, max_size=2)))
        frame["type"] = draw(st.one_of(st.just(kind), st.just(kind), ANY_JSON))
    return frame


JUNK = st.one_of(
    st.binary(max_size=40).map(lambda b: ("bytes", b)),  # binary, often not UTF-8
    st.just(("bytes", b"\xff\xfe\xc3\x28{")),
    # A text frame is UTF-8 on the wire: lone surrogates exist only as JSON escapes.
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=40).map(
        lambda s: ("text", s)
    ),  # rarely JSON
    ANY_JSON.map(lambda v: ("text", json.dumps(v))),  # JSON, rarely an object with a type
    st.integers(10, 3_000).map(
        lambda n: ("text", '{"type": "ping", "x": ' + "[" * n + "]" * n + "}")
    ),
    st.integers(FRAME_MAX - 40, FRAME_MAX + 40).map(
        lambda n: ("text", json.dumps({"type": "ping", "pad": "z" * n}))
    ),
    st.integers(FRAME_MAX // 2, FRAME_MAX // 2 + 40).map(  # multi-byte: over the limit in bytes
        lambda n: ("text", json.dumps({"type": "ping", "pad": "é" * n}, ensure_ascii=False))
    ),
    TEXT.map(lambda s: ("text", json.dumps({"type": s}))),  # unknown types
)


def wire_frames(w: World) -> st.SearchStrategy[list[tuple[str, Any]]]:
    frame = protocol_frame(w).map(lambda f: ("text", json.dumps(f)))
    # Three in four frames are of a documented type (flatmap: one_of would
    # flatten JUNK's own branches and let them outnumber these).
    one = st.integers(0, 3).flatmap(lambda n: frame if n else JUNK)
    return st.lists(one, min_size=1, max_size=8)


# --- the socket --------------------------------------------------------------------------------


def expected_ref(text: str) -> tuple[str | None, Any]:
    """(frame type or None if it never parses as a typed frame, the ref its reply carries)."""
    if len(text.encode()) > FRAME_MAX:
        return None, None
    try:
        frame = json.loads(text)
    except ValueError:
        return None, None
    except RecursionError:
        # How deep a parse goes depends on the caller's stack: the server may
        # still parse a frame this test cannot, or the other way round.
        return DEEP, None
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        return None, None
    ref = frame.get("ref", frame.get("client_id"))
    if not ((isinstance(ref, str) and len(ref) <= 64 and not bad_text(ref)) or type(ref) is int):
        ref = None
    return frame["type"], ref


def bad_text(text: str) -> bool:
    """A NUL or a lone surrogate: refused text, so never echoed as a ref (protocol.md)."""
    return "\x00" in text or any(0xD800 <= ord(c) <= 0xDFFF for c in text)


def check_answer(wire: tuple[str, Any], got: list[dict[str, Any]]) -> None:
    """What came back between a frame and the ping sent right after it."""
    for frame in got:
        assert frame.get("type") in SERVER_FRAMES, frame
    replies = [f for f in got if f["type"] in REPLIES]
    kind, ref = expected_ref(wire[1]) if wire[0] == "text" else (None, None)
    allowed = REPLY_FOR.get(kind or "", set()) | {"error"}
    if kind == DEEP:
        allowed = REPLIES
    if kind in REPLY_FOR and not REPLY_FOR[kind]:
        assert len(replies) <= 1, got  # typing, read, presence.set: no reply unless an error
    else:
        assert len(replies) == 1, got
    for reply in replies:
        assert reply["type"] in allowed, (wire, reply)
        if reply["type"] == "error":
            assert reply["code"] in SOCKET_ERRORS, (wire, reply)
            assert isinstance(reply["detail"], str) and reply["detail"], reply
        assert reply["ref"] == ref, (wire, reply)


def check_room_order(frames: list[dict[str, Any]]) -> None:
    """Per room, events come in seq order without repeats, from each subscribe on."""
    last: dict[int, int] = {}
    for frame in frames:
        if frame["type"] == "subscribed":
            last[frame["room"]] = -1
        elif frame["type"] in ROOM_EVENTS:
            room = frame["room"]
            assert frame["seq"] > last.get(room, -1), (frame, last)
            last[room] = frame["seq"]


async def exchange(session_key: str, frames: list[tuple[str, Any]]) -> list[list[dict]]:
    """Send each frame, then a ping; what came back before each pong. Fails if the socket closes."""
    from config.asgi import application
    from presence.heartbeat import PresenceKeeper
    from presence.store import reset_store
    from rooms.socket.fanout import Fanout

    reset_store()
    comm = WebsocketCommunicator(application, "/ws/", headers=socket_headers(session_key))
    try:
        connected, _ = await comm.connect()
        assert connected
        answers = []
        assert (await comm.receive_json_from())["type"] == "hello"
        for kind, data in frames:
            # send_input, not send_to: an empty frame is a frame too.
            await comm.send_input({"type": "websocket.receive", kind: data})
            probe = f"probe-{uuid.uuid4().hex[:8]}"
            await comm.send_json_to({"type": "ping", "ref": probe})
            got = []
            while True:
                output = await comm.receive_output(timeout=5)
                assert output["type"] == "websocket.send", output  # the socket must stay open
                frame = json.loads(output["text"])
                if frame == {"type": "pong", "ref": probe}:
                    break
                got.append(frame)
            answers.append(got)
        return answers
    finally:
        await comm.disconnect()
        await Fanout.shutdown_all()
        await PresenceKeeper.shutdown_all()
        reset_store()


@pytest.mark.timeout(120)
def test_no_frame_sequence_breaks_the_socket_or_the_records(world: World) -> None:
    @settings(
        max_examples=80,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(frames=wire_frames(world))
    def run(frames: list[tuple[str, Any]]) -> None:
        answers = async_to_sync(exchange)(world.sessions["client_member"], frames)
        for wire, got in zip(frames, answers, strict=True):
            check_answer(wire, got)
        check_room_order([f for got in answers for f in got])
        assert_consistent()

    run()


WRONG = [None, True, -1, 1.5, 2**64, "", "x", "9" * 5_000, [], {"a": 1}]


def valid_frames(w: World) -> list[dict[str, Any]]:
    """One well-formed frame of each documented type, every optional field filled in."""
    t = w.team
    shared, root = t.shared.id, w.root
    return [
        {"type": "subscribe", "room": shared, "since": 0, "ref": "r"},
        {"type": "unsubscribe", "room": shared, "ref": "r"},
        {
            "type": "message.send",
            "room": shared,
            "client_id": "sweep",
            "body": "hi",
            "thread": root,
        },
        {"type": "message.edit", "room": w.own_room.id, "id": w.own_message, "body": "v2"},
        {"type": "message.delete", "room": shared, "id": w.messages[1], "ref": "r"},
        {"type": "room.update", "room": w.own_room.id, "name": "Mine", "topic": "t", "ref": "r"},
        {
            "type": "workitem.create",
            "room": shared,
            "title": "Swept",
            "description": "d",
            "assignee": t.client_member.id,
            "priority": 2,
            "due_date": "2026-12-04",
            "labels": ["a"],
            "from_message": root,
            "ref": "r",
        },
        {
            "type": "workitem.update",
            "room": shared,
            "id": w.item,
            "changes": {"priority": 2},
            "version": 1,
            "ref": "r",
        },
        {"type": "typing", "room": shared, "thread": root},
        {"type": "read", "room": shared, "seq": 1},
        {"type": "thread.follow", "room": shared, "root": root, "follow": True, "ref": "r"},
        {"type": "thread.read", "room": shared, "root": root, "seq": 1, "ref": "r"},
        {"type": "presence.set", "state": "away"},
        {"type": "ping", "ref": "r"},
    ]


def test_every_field_of_every_frame_type_with_each_wrong_value(world: World) -> None:
    """Deterministic: each field of each frame (type and ref too) replaced by each bad value."""
    assert {f["type"] for f in valid_frames(world)} == set(REPLY_FOR)
    frames = [
        {**frame, field: wrong}
        for frame in valid_frames(world)
        for field in [*frame, "ref"]
        for wrong in WRONG
    ]
    wire = [("text", json.dumps(frame)) for frame in frames]
    answers = async_to_sync(exchange)(world.sessions["client_member"], wire)
    for sent, got in zip(wire, answers, strict=True):
        check_answer(sent, got)
    check_room_order([f for got in answers for f in got])
    assert_consistent()


# --- HTTP ----------------------------------------------------------------------------------------

METHODS = ["GET", "POST", "PATCH", "DELETE"]


def request_bodies(w: World) -> dict[str, st.SearchStrategy[dict[str, Any]]]:
    """For each route that reads a body: bodies the server accepts (for the right ids)."""
    t = w.team
    fields = frame_fields(w)
    room, message = st.sampled_from(w.rooms), st.sampled_from(w.messages)
    person = st.sampled_from(w.people + w.expendable_ids)
    severity = st.sampled_from(["S1", "S2", "S3"])
    slug = st.sampled_from([t.supplier.slug, t.client.slug, w.proposal.supplier.slug, "nobody"])
    domain = st.sampled_from([*t.client.verified_domains, *t.supplier.verified_domains, "x.test"])

    def without_room(kind: str) -> st.SearchStrategy[dict[str, Any]]:
        parts = {k: v for k, v in fields[kind].items() if k not in ("room", "id")}
        return st.fixed_dictionaries({"title": parts.pop("title")}, optional=parts)

    return {
        "rooms": st.one_of(
            st.fixed_dictionaries(
                {"kind": st.just("internal"), "name": WORDS}, optional={"topic": TEXT}
            ),
            st.fixed_dictionaries(
                {"partnership": st.sampled_from([t.partnership.id, w.proposal.id]), "name": WORDS}
            ),
        ),
        "room": st.fixed_dictionaries({}, optional={"name": WORDS, "topic": TEXT}),
        "history": st.fixed_dictionaries(
            {"client_id": st.uuids().map(str), "body": WORDS},
            optional={"thread": message, "also_to_room": st.booleans()},
        ),
        "message": st.fixed_dictionaries({"body": WORDS}),
        "bot-tokens": st.fixed_dictionaries(
            {"name": WORDS, "rooms": st.lists(room, min_size=1, max_size=3)}
        ),
        "incoming-webhooks": st.fixed_dictionaries({"name": WORDS, "room": room}),
        "members": st.fixed_dictionaries({"person": person}),
        "work-items": without_room("workitem.create"),
        "work-item": st.fixed_dictionaries(
            {"changes": fields["workitem.update"]["changes"]},
            optional={"version": st.integers(0, 9)},
        ),
        "escalate": st.fixed_dictionaries({"severity": severity, "reason": WORDS}),
        "escalation-action": st.fixed_dictionaries(
            {}, optional={"person": person, "severity": severity, "reason": TEXT, "note": TEXT}
        ),
        "mirrors": st.fixed_dictionaries(
            {"source_room": room, "thread": message, "target_room": room}
        ),
        "share-back": st.one_of(
            st.fixed_dictionaries({"message": message}), st.fixed_dictionaries({"body": WORDS})
        ),
        "notifications": st.fixed_dictionaries(
            {"ids": st.one_of(st.just("all"), st.lists(st.integers(1, 50), max_size=5))}
        ),
        "escalation-contacts": st.fixed_dictionaries({"people": st.lists(person, max_size=3)}),
        "ack-targets": st.fixed_dictionaries(
            {
                "targets": st.dictionaries(
                    st.sampled_from(["S1", "S2", "S3"]), st.integers(1, 43_200)
                )
            }
        ),
        "partnerships": st.fixed_dictionaries(
            {"partner": slug, "as_side": st.sampled_from(["supplier", "client"])}
        ),
        "invitations": st.fixed_dictionaries(
            {
                "room": room,
                "email": st.tuples(st.uuids(), domain).map(lambda p: f"{p[0].hex[:8]}@{p[1]}"),
            },
            optional={"organization": slug, "confirm_outside_domain": st.booleans()},
        ),
        "partnership-end": st.fixed_dictionaries({}, optional={"reason": TEXT}),
        "me": st.fixed_dictionaries(
            {},
            optional={
                "display_name": WORDS,
                "title": TEXT,
                "handle": WORDS,
                "time_zone": st.sampled_from(["Europe/Berlin", "UTC", "Mars/Olympus", ""]),
            },
        ),
        "notification-settings": st.fixed_dictionaries(
            {},
            optional={
                "time_zone": st.sampled_from(["Europe/Berlin", "UTC", "Mars/Olympus", ""]),
                "quiet": st.fixed_dictionaries(
                    {
                        "enabled": st.booleans(),
                        "start": st.sampled_from(["22:00", "07:30", "25:00", "7"]),
                        "end": st.sampled_from(["07:00", "23:59", "x"]),
                    }
                ),
                "email": st.dictionaries(
                    st.sampled_from(["mention", "reply", "assigned", "escalation", "spam"]),
                    st.booleans(),
                    max_size=3,
                ),
            },
        ),
        "room-notify": st.fixed_dictionaries(
            {"level": st.sampled_from(["all", "mentions", "none", "loud"])}
        ),
        "organization-retention": st.fixed_dictionaries(
            {
                "shared_days": st.one_of(
                    st.none(), st.integers(-5, 40_000), st.just("7"), st.just(True)
                ),
                "internal_days": st.one_of(
                    st.none(), st.integers(-5, 40_000), st.just("7"), st.just(True)
                ),
            }
        ),
        "organization-holds": st.fixed_dictionaries(
            {}, optional={"person": person, "room": room, "reason": TEXT}
        ),
        "organization-connectors": st.fixed_dictionaries(
            {
                "room": room,
                "name": WORDS,
                "url": st.one_of(
                    st.just("http://93.184.216.34/hook"),
                    st.just("http://127.0.0.1:9/"),
                    st.just("ftp://nope"),
                    WORDS,
                ),
            },
            optional={"kind": st.sampled_from(["webhook_out", "matrix", "x"])},
        ),
        "organization-connector": st.fixed_dictionaries({"paused": st.booleans()}),
        "matrix-bridges": st.fixed_dictionaries(
            {
                "room": room,
                "homeserver": st.one_of(
                    st.just("http://93.184.216.34"), st.just("http://127.0.0.1:9/"), WORDS
                ),
                "matrix_room": st.one_of(
                    st.just("!ops:acme.test"), st.just("#ops:acme.test"), st.just("!x"), WORDS
                ),
            },
            optional={"name": WORDS},
        ),
        "matrix-links": st.fixed_dictionaries(
            {"matrix_user": st.one_of(st.just("@sue:acme.test"), WORDS)},
            optional={"person": person},
        ),
        "organization-domains": st.fixed_dictionaries(
            {"domain": st.one_of(domain, st.just("fuzzed.test"), st.just("@Fuzzed.Test."))}
        ),
        "organization-person": st.fixed_dictionaries(
            {"role": st.sampled_from(["admin", "member", "owner"])}
        ),
        "organization-identity-provider": st.fixed_dictionaries(
            {
                "issuer": st.one_of(
                    st.just("https://login.fuzzed.test"),
                    st.just("http://127.0.0.1:9"),
                    st.just("ftp://nope"),
                    WORDS,
                ),
                "client_id": st.one_of(WORDS, st.just("")),
            },
            optional={"client_secret": st.one_of(WORDS, st.none()), "require_sso": st.booleans()},
        ),
        "file-policy": st.fixed_dictionaries(
            {"uploads_allowed": st.booleans()},
            optional={
                "kinds": st.lists(st.sampled_from(["image", "pdf", "text"]), max_size=2),
                "max_mb": st.integers(1, 25),
            },
        ),
    }


@st.composite
def spoiled(draw: Any, valid: dict[str, Any], wrong: dict[str, st.SearchStrategy[Any]]) -> Any:
    """``valid`` with fields dropped, replaced by hostile values, or added."""
    body: dict[str, Any] = {}
    for key, value in valid.items():
        how = draw(st.sampled_from(["keep", "drop", "spoil"]))
        if how == "keep":
            body[key] = value
        elif how == "spoil":
            body[key] = draw(wrong.get(key, STRINGS) if draw(st.booleans()) else ANY_JSON)
    body.update(draw(st.dictionaries(st.sampled_from([*valid, "x"]), ANY_JSON, max_size=2)))
    return body


def query_params(w: World) -> st.SearchStrategy[dict[str, str]]:
    number = st.one_of(st.integers(0, 100), st.integers(-(2**70), 2**70)).map(str)
    return st.fixed_dictionaries(
        {},
        optional={
            "before": st.one_of(number, TEXT),
            "after": st.one_of(number, TEXT),
            "limit": st.one_of(number, TEXT),
            "q": st.one_of(WORDS, TEXT, st.text(alphabet=CHARS, min_size=190, max_size=210)),
            "unread": st.sampled_from(["1", "0", "yes", ""]),
            # The audit log's filters and its export's format.
            "action": st.one_of(st.sampled_from(["room.created", "audit.exported", ""]), TEXT),
            "person": st.one_of(number, TEXT),
            "since": st.one_of(DAYS, TEXT),
            "until": st.one_of(DAYS, TEXT),
            "format": st.sampled_from(["csv", "json", "jsonl", "xlsx", ""]),
        },
    )


# Days and moments as a person types them or a client sends them, valid or nearly.
DAYS = st.sampled_from(
    [
        "2026-12-01",
        "0001-01-01",
        "9999-12-31",
        "2026-02-30",
        "2026-12-01T09:00:00+01:00",
        "2026-12-01T09:00:00",
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:59:59-12:00",
    ]
)


def routes(w: World) -> dict[str, tuple[dict[str, st.SearchStrategy[Any]], list[str]]]:
    """Every /api/ route: how to fill its path, and the methods it takes."""
    t = w.team
    url_id = st.one_of(st.sampled_from([MISSING, 1, 2**63 - 1]), st.integers(1, 10**6))

    def ids(pool: list[int]) -> st.SearchStrategy[int]:
        return st.one_of(st.sampled_from(pool), st.sampled_from(pool), url_id)

    room, message, item = ids(w.rooms), ids(w.messages), ids(w.items)
    # Never the people fuzzing: a small random id could be one of them.
    people = st.sampled_from([*w.expendable_ids, MISSING, 2**63 - 1])
    partnership = ids([t.partnership.id, w.proposal.id])
    word = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=12)
    file_key = st.one_of(st.sampled_from(w.file_keys), word)
    return {
        "rooms": ({}, ["GET", "POST"]),
        "room": ({"room_id": room}, ["PATCH"]),
        "history": ({"room_id": room}, ["GET", "POST"]),
        "message": ({"room_id": room, "message_id": message}, ["GET", "PATCH", "DELETE"]),
        "people": ({}, ["GET"]),
        "threads": ({}, ["GET"]),
        "thread": ({"room_id": room, "root_id": message}, ["GET"]),
        "members": ({"room_id": room}, ["GET", "POST"]),
        "member-candidates": ({"room_id": room}, ["GET"]),
        "member": ({"room_id": room, "person_id": people}, ["PATCH", "DELETE"]),
        "room-archive": ({"room_id": room}, ["POST"]),
        "room-unarchive": ({"room_id": room}, ["POST"]),
        "room-leave": ({"room_id": room}, ["POST"]),
        "direct": ({}, ["POST"]),
        "direct-people": ({}, ["GET"]),
        "markdown-preview": ({}, ["POST"]),
        "work-items": ({"room_id": room}, ["GET", "POST"]),
        "work-item": ({"room_id": room, "item_id": item}, ["GET", "PATCH"]),
        "escalate": ({"room_id": room, "item_id": item}, ["POST"]),
        "escalation-action": (
            {
                "escalation_id": ids([w.escalation.pk]),
                "action": st.one_of(
                    st.sampled_from(["acknowledge", "reassign", "downgrade", "resolve"]), word
                ),
            },
            ["POST"],
        ),
        "my-work": ({}, ["GET"]),
        "open-escalations": ({}, ["GET"]),
        "mirrors": ({}, ["GET", "POST"]),
        "mirror": ({"mirror_id": ids([w.mirror.pk])}, ["DELETE"]),
        "share-back": ({"mirror_id": ids([w.mirror.pk])}, ["POST"]),
        "notifications": ({}, ["GET", "POST"]),
        "escalation-contacts": ({"partnership_id": partnership}, ["POST"]),
        "ack-targets": ({"partnership_id": partnership}, ["POST"]),
        "search": ({}, ["GET"]),
        "partnerships": ({}, ["GET", "POST"]),
        "partnership-decision": (
            {
                "partnership_id": partnership,
                "decision": st.one_of(st.sampled_from(["accept", "decline", "end"]), word),
            },
            ["POST"],
        ),
        "partnership-end": ({"partnership_id": partnership}, ["POST"]),
        "invitations": ({}, ["GET", "POST"]),
        "invitation": ({"invitation_id": ids([w.invitation.pk])}, ["DELETE"]),
        "deactivate-person": ({"person_id": people}, ["POST"]),
        "me": ({}, ["GET", "PATCH"]),
        "my-avatar": ({}, ["PUT", "DELETE"]),
        "person": ({"person_id": people}, ["GET"]),
        "avatar": ({"person_id": people, "version": word}, ["GET"]),
        "room-files": ({"room_id": room}, ["GET", "POST"]),
        "file": ({"key": file_key}, ["GET"]),
        "file-thumbnail": ({"key": file_key}, ["GET"]),
        "file-policy": ({}, ["GET", "PUT"]),
        "organization": ({}, ["GET"]),
        "organization-domains": ({}, ["POST"]),
        "organization-domain": (
            {
                "domain": st.one_of(
                    st.sampled_from([*t.client.verified_domains, *t.supplier.verified_domains]),
                    word,
                )
            },
            ["DELETE"],
        ),
        "organization-person": ({"person_id": people}, ["PUT"]),
        "organization-identity-provider": ({}, ["GET", "PUT", "DELETE"]),
        "audit-log": ({}, ["GET"]),
        "audit-export": ({}, ["GET"]),
        "notification-settings": ({}, ["GET", "PUT"]),
        "room-notify": ({"room_id": room}, ["PUT"]),
        "organization-retention": ({}, ["GET", "PUT"]),
        "organization-holds": ({}, ["GET", "POST"]),
        "organization-hold": ({"hold_id": ids([w.hold.pk])}, ["DELETE"]),
        "organization-connectors": ({}, ["GET", "POST"]),
        "organization-connector": (
            {"connector_id": ids([c.pk for c in w.connectors])},
            ["GET", "PUT", "DELETE"],
        ),
        "matrix-bridges": ({}, ["POST"]),
        "matrix-bridge": ({"connector_id": ids([b.pk for b in w.bridges])}, ["GET"]),
        "matrix-registration": ({"connector_id": ids([b.pk for b in w.bridges])}, ["GET"]),
        "matrix-links": (
            {"connector_id": ids([b.pk for b in w.bridges])},
            ["POST", "DELETE"],
        ),
        "organization-connector-dead-letter": (
            {
                "connector_id": ids([c.pk for c in w.connectors]),
                "letter_id": ids([w.dead_letter.pk]),
            },
            ["POST", "DELETE"],
        ),
        "room-exports": ({"room_id": room}, ["GET", "POST"]),
        "bot-tokens": ({}, ["GET", "POST"]),
        "bot-token": ({"token_id": ids([w.bot_token])}, ["DELETE"]),
        "incoming-webhooks": ({}, ["POST"]),
        "incoming-webhook": ({"hook_id": ids([w.hook])}, ["DELETE"]),
        "incoming-webhook-regenerate": ({"hook_id": ids([w.hook])}, ["POST"]),
        "room-export": ({"export_id": ids(w.exports)}, ["GET"]),
        "room-export-download": ({"export_id": ids(w.exports)}, ["GET"]),
    }


@st.composite
def api_request(draw: Any, w: World) -> tuple[str, str, str, bytes, str]:
    table = routes(w)
    name = draw(st.sampled_from(sorted(table)))
    path_parts, methods = table[name]
    kwargs = {key: draw(strategy) for key, strategy in path_parts.items()}
    url = reverse(f"api:{name}", kwargs=kwargs)
    method = draw(
        st.one_of(st.sampled_from(methods), st.sampled_from(methods), st.sampled_from(METHODS))
    )
    valid = draw(request_bodies(w).get(name, st.just({})))
    shape = draw(st.sampled_from(["valid", "valid", "spoiled", "spoiled", "junk"]))
    if shape == "valid":
        body = json.dumps(valid).encode()
    elif shape == "spoiled":
        body = json.dumps(draw(spoiled(valid, wrong_fields(w)))).encode()
    else:
        body = draw(
            st.one_of(
                ANY_JSON.map(lambda v: json.dumps(v).encode()),
                st.binary(max_size=30),
                st.just(b'{"name": "' + b"x" * (64 * 1024) + b'"}'),
                st.just(b"[" * 5_000 + b"]" * 5_000),
                st.just(b""),
            )
        )
    # A URL is UTF-8 on the wire: lone surrogates cannot be in a query string.
    params = {
        k: v.encode("utf-8", "replace").decode("utf-8") if isinstance(v, str) else v
        for k, v in draw(query_params(w)).items()
    }
    query = urlencode(params)
    content_type = draw(
        st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded"])
    )
    return method, f"{url}?{query}" if query else url, content_type, body, name


FILE_ANSWERS = {
    (name, "GET", status) for name in ("file", "file-thumbnail") for status in (200, 304)
}
# What may answer as a stream: files, and the audit log's and a room export's downloads.
STREAMED = FILE_ANSWERS | {("audit-export", "GET", 200), ("room-export-download", "GET", 200)}


@pytest.mark.timeout(120)
def test_no_request_to_the_api_answers_5xx_or_breaks_the_records(world: World) -> None:
    clients = {}
    for role, key in world.sessions.items():
        clients[role] = Client(raise_request_exception=False)
        clients[role].cookies[django_settings.SESSION_COOKIE_NAME] = key

    @settings(
        max_examples=300,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(role=st.sampled_from(sorted(clients)), request=api_request(world))
    def run(role: str, request: tuple[str, str, str, bytes, str]) -> None:
        method, path, content_type, body, _name = request
        response = clients[role].generic(method, path, body, content_type=content_type)
        if response.streaming:  # a file that may be seen, or an admin's audit log download
            assert (_name, method, response.status_code) in STREAMED, (method, path)
            return
        shown = (method, path, body[:200], response.status_code, response.content[:300])
        assert response.status_code < 500, shown
        if (_name, method, response.status_code) in FILE_ANSWERS:
            return  # 304: the browser's copy is still good
        if (_name, method, response.status_code) == ("matrix-registration", "GET", 200):
            assert response["Content-Type"].startswith("application/yaml"), shown
            return  # the application-service registration: a file to install
        assert response["Content-Type"] == "application/json", shown
        answer = json.loads(response.content)
        if response.status_code >= 400:
            assert answer["error"]["code"] in HTTP_ERRORS, shown
        assert_consistent()

    run()


def test_the_fuzzer_knows_every_api_route(world: World) -> None:
    from config.urls import api

    assert set(routes(world)) == {pattern.name for pattern in api}


@pytest.mark.timeout(120)
def test_no_post_to_an_incoming_webhook_answers_5xx(world: World) -> None:
    """The webhook's address takes anything from anyone: answers are JSON, never a 5xx."""
    secrets = st.sampled_from([world.hook_secret, world.hook_secret, "A" * 43, "x"])
    payload = st.fixed_dictionaries(
        {}, optional={"text": st.one_of(WORDS, ANY_JSON), "username": st.one_of(WORDS, ANY_JSON)}
    )
    client = Client(raise_request_exception=False)

    @settings(
        max_examples=150,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        secret=secrets,
        method=st.sampled_from(["POST", "POST", "GET", "PUT"]),
        body=st.one_of(
            payload.map(lambda v: ("application/json", json.dumps(v).encode())),
            payload.map(
                lambda v: (
                    "application/x-www-form-urlencoded",
                    urlencode({"payload": json.dumps(v)}).encode(),
                )
            ),
            st.binary(max_size=40).map(lambda b: ("application/json", b)),
            st.binary(max_size=40).map(lambda b: ("application/x-www-form-urlencoded", b)),
            st.just(("multipart/form-data; boundary=x", b"--x--")),
            st.just(("application/json", b"[" * 5_000 + b"]" * 5_000)),
        ),
    )
    def run(secret: str, method: str, body: tuple[str, bytes]) -> None:
        content_type, data = body
        response = client.generic(method, f"/hooks/in/{secret}/", data, content_type=content_type)
        shown = (method, secret[:5], data[:200], response.status_code, response.content[:300])
        assert response.status_code < 500, shown
        assert response["Content-Type"] == "application/json", shown
        if response.status_code >= 400:
            assert json.loads(response.content)["error"]["code"] in HTTP_ERRORS, shown
        assert_consistent()

    run()
