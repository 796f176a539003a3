"""What a client keeps of a room, read fresh from the server, and kept up to date from events.

The Zulip idea (zerver/tests/test_events.py, ``verify_action``): a snapshot
taken before an action, with the events the action sent applied to it by a
reducer written from docs/protocol.md, must equal a snapshot taken after it.
If it does not, either the events do not carry enough to keep the client
right, or the reducer (the protocol doc) and the server disagree.

A room's state is what the web app reads to show a room, nothing ephemeral:

- ``head_seq`` and the reading state: ``last_read_seq``, ``unread`` and
  ``mentions`` (the room list), the followed ``threads`` with their unread
  replies (``subscribed``);
- ``room``: name, topic, kind, my role, member count, moderation, archived
  and who ended it (``GET /api/rooms/``);
- ``members`` with person and role (``subscribed``, ``GET .../members/``);
- ``messages``: every message, top-level and replies, by id
  (``GET .../messages/`` and ``GET .../threads/{root}/`` for each top-level one);
- ``work_items`` by id (``GET .../workitems/``, the board).

Presence and typing are left out: ephemeral, never stored.
"""

from __future__ import annotations

import copy
import types
import typing
from collections.abc import Callable
from typing import Any

from django.test import Client

from hub.models import User
from rooms.wire.types import ROOM_EVENT_TYPES, PersonRef, RoomEventFrame

State = dict[str, Any]
Frame = dict[str, Any]


def room_event_types() -> frozenset[str]:
    """The ``type`` of every room event: one per member of the ``RoomEventFrame`` union."""
    return ROOM_EVENT_TYPES


def room_event_schemas() -> dict[str, type]:
    return {
        typing.get_args(typing.get_type_hints(frame)["type"])[0]: frame
        for frame in typing.get_args(RoomEventFrame)
    }


# --- reading the state fresh ------------------------------------------------------


def http_reads(user: User, room_id: int) -> dict[str, Any]:
    """Everything the web app reads over HTTP for one room, as that person."""
    client = Client()
    client.force_login(user)

    def get(path: str) -> Any:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code, response.content)
        return response.json()

    entry = [r for r in get("/api/rooms/")["rooms"] if r["id"] == room_id]
    assert len(entry) == 1, f"room {room_id} is not in the person's room list"
    history = get(f"/api/rooms/{room_id}/messages/?limit=200")
    assert len(history["messages"]) < 200, "more history than one page: the state would be partial"
    threads = {
        m["id"]: get(f"/api/rooms/{room_id}/threads/{m['id']}/")["messages"]
        for m in history["messages"]
    }
    return {
        "room": entry[0],
        "history": history,
        "threads": threads,
        "members": get(f"/api/rooms/{room_id}/members/")["members"],
        "board": get(f"/api/rooms/{room_id}/workitems/"),
    }


ROOM_LIST_FIELDS = ("name", "topic", "kind", "role", "member_count", "moderation", "archived")


def build_state(reads: dict[str, Any], subscribed: Frame) -> State:
    """One room's state from the HTTP reads and the ``subscribed`` frame, checking they agree.

    Every figure two reads both give must be the same in both: a client may
    take it from either.
    """
    entry, history, board = reads["room"], reads["history"], reads["board"]
    head = subscribed["head_seq"]
    heads = {
        "subscribed": head,
        "room list": entry["head_seq"],
        "history": history["head_seq"],
        "board": board["head_seq"],
    }
    assert len(set(heads.values())) == 1, f"the reads disagree on the head: {heads}"
    assert entry["last_read_seq"] == subscribed["last_read_seq"], (
        "room list and subscribed disagree on the read marker",
        entry["last_read_seq"],
        subscribed["last_read_seq"],
    )
    assert entry["unread"] == subscribed["unread"], (
        "room list and subscribed disagree on unread",
        entry["unread"],
        subscribed["unread"],
    )
    assert reads["members"] == subscribed["members"], "GET members and subscribed disagree"
    assert entry["member_count"] == len(subscribed["members"]), "member_count is not the members"

    messages: dict[int, Frame] = {}
    for top in history["messages"]:
        messages[top["id"]] = top
        root, *replies = reads["threads"][top["id"]]
        assert root == top, f"history and the thread disagree on message {top['id']}"
        for reply in replies:
            messages[reply["id"]] = reply
    room = {field: entry[field] for field in ROOM_LIST_FIELDS}
    room["partner"] = entry.get("partner")
    room["ended"] = entry.get("ended")
    room["archived_cause"] = entry.get("archived_cause")
    return {
        "head_seq": head,
        "room": room,
        "read": {
            "last_read_seq": subscribed["last_read_seq"],
            "unread": subscribed["unread"],
            "mentions": entry["mentions"],
        },
        "members": {m["person"]["id"]: m for m in subscribed["members"]},
        "threads": {
            t["root"]: {"last_read_seq": t["last_read_seq"], "unread": t["unread"]}
            for t in subscribed["threads"]
        },
        "messages": messages,
        "work_items": {item["id"]: item for column in board["columns"].values() for item in column},
    }


# --- keeping it from events -----------------------------------------------------------

Reducer = Callable[[State, Frame, int], None]
REDUCERS: dict[str, Reducer] = {}


def reduces(event_type: str) -> Callable[[Reducer], Reducer]:
    def register(reducer: Reducer) -> Reducer:
        REDUCERS[event_type] = reducer
        return reducer

    return register


def apply(state: State, frame: Frame, me: int) -> State:
    """The state after ``frame`` for ``me``: a room event of this room, or one of the
    person's own ``unread`` and ``thread.unread`` frames."""
    state = copy.deepcopy(state)
    if frame["type"] == "unread":
        _apply_unread(state, frame, me)
        return state
    if frame["type"] == "thread.unread":
        _apply_thread_unread(state, frame)
        return state
    # Resume rule 2: events come once each, in seq order, with no gap.
    assert frame["seq"] == state["head_seq"] + 1, (
        f"{frame['type']} at seq {frame['seq']} after head {state['head_seq']}"
    )
    REDUCERS[frame["type"]](state, frame, me)
    state["head_seq"] = frame["seq"]
    return state


def _unread_for(message: Frame, me: int, marker: int) -> bool:
    """The one unread rule (``UNREAD_RULE``, protocol ``subscribed.unread``): after the
    marker, not deleted, not mine. Which count it goes to (room or thread) is the caller's."""
    return message["author"]["id"] != me and not message["deleted"] and message["seq"] > marker


def _room_unread_for(message: Frame, me: int, marker: int) -> bool:
    """A thread reply counts in its thread, not in the room (``UNREAD_RULE``)."""
    return message["thread"] is None and _unread_for(message, me, marker)


def _mentions(state: State, me: int) -> int:
    marker = state["read"]["last_read_seq"]
    return sum(
        1
        for m in state["messages"].values()
        if me in m["mentions"] and not m["deleted"] and m["seq"] > marker
    )


def _thread_unread(state: State, root: int, me: int, marker: int) -> int:
    return sum(
        1 for m in state["messages"].values() if m["thread"] == root and _unread_for(m, me, marker)
    )


@reduces("message.new")
def _message_new(state: State, event: Frame, me: int) -> None:
    message = event["message"]
    assert message["id"] not in state["messages"], "message.new for a message already held"
    state["messages"][message["id"]] = message
    read = state["read"]
    if _room_unread_for(message, me, read["last_read_seq"]):
        read["unread"] += 1
    if me in message["mentions"] and _unread_for(message, me, read["last_read_seq"]):
        # A mention counts wherever it is, a thread reply too.
        read["mentions"] += 1
    root_id = message["thread"]
    if root_id is None:
        return
    # No event changes the root: count the replies yourself (protocol, message.new).
    root = state["messages"][root_id]
    root["reply_count"] += 1
    root["last_reply_at"] = message["created_at"]
    thread = state["threads"].get(root_id)
    if thread is None and me in (root["author"]["id"], message["author"]["id"]):
        # The root's author and the replier follow the thread automatically,
        # from its start: every earlier reply of someone else is unread.
        state["threads"][root_id] = {
            "last_read_seq": 0,
            "unread": _thread_unread(state, root_id, me, 0),
        }
    elif thread is not None and _unread_for(message, me, thread["last_read_seq"]):
        thread["unread"] += 1


@reduces("message.edited")
def _message_edited(state: State, event: Frame, me: int) -> None:
    message = event["message"]
    old = state["messages"][message["id"]]
    assert (old["seq"], old["thread"], old["author"]) == (
        message["seq"],
        message["thread"],
        message["author"],
    ), "an edit changed what never changes"
    read = state["read"]
    if _unread_for(message, me, read["last_read_seq"]):
        read["mentions"] += (me in message["mentions"]) - (me in old["mentions"])
    state["messages"][message["id"]] = message


@reduces("message.deleted")
def _message_deleted(state: State, event: Frame, me: int) -> None:
    message = state["messages"][event["id"]]
    assert message["thread"] == event["thread"], (
        f"message.deleted names thread {event['thread']}, the message held {message['thread']}"
    )
    read = state["read"]
    if _room_unread_for(message, me, read["last_read_seq"]):
        read["unread"] -= 1
    if me in message["mentions"] and _unread_for(message, me, read["last_read_seq"]):
        read["mentions"] -= 1
    root_id = event["thread"]
    if root_id is not None:
        thread = state["threads"].get(root_id)
        if thread is not None and _unread_for(message, me, thread["last_read_seq"]):
            thread["unread"] -= 1
        root = state["messages"][root_id]
        root["reply_count"] = max(0, root["reply_count"] - 1)
    # Deleting blanks the body, HTML and mentions; everything else stays (protocol,
    # message.delete).
    message.update(body="", html="", deleted=True, mentions=[], reactions=[])


@reduces("reaction.updated")
def _reaction_updated(state: State, event: Frame, me: int) -> None:
    message = state["messages"][event["message"]]
    assert message["thread"] == event["thread"], "reaction.updated names another thread"
    # The message's reactions as they are now: replaced, not merged (protocol).
    message["reactions"] = event["reactions"]


@reduces("member.joined")
def _member_joined(state: State, event: Frame, me: int) -> None:
    person = event["member"]
    state["members"][person["id"]] = {"person": person, "role": event["role"]}
    state["room"]["member_count"] = len(state["members"])


PERSON_REF_KEYS = frozenset(PersonRef.__annotations__)


def _replace_person(value: Any, person: Frame) -> Any:
    """``value`` with every reference to ``person`` (a ``PersonRef`` with its id) replaced."""
    if isinstance(value, dict):
        if value.keys() == PERSON_REF_KEYS and value["id"] == person["id"]:
            return dict(person)
        return {key: _replace_person(item, person) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace_person(item, person) for item in value]
    return value


@reduces("member.updated")
def _member_updated(state: State, event: Frame, me: int) -> None:
    # The person as now shown, wherever shown: member list, authors, assignees.
    for part in ("members", "messages", "work_items"):
        state[part] = _replace_person(state[part], event["member"])


@reduces("member.left")
def _member_left(state: State, event: Frame, me: int) -> None:
    state["members"].pop(event["user"], None)
    state["room"]["member_count"] = len(state["members"])


@reduces("room.updated")
def _room_updated(state: State, event: Frame, me: int) -> None:
    state["room"].update(name=event["name"], topic=event["topic"])


@reduces("room.archived")
def _room_archived(state: State, event: Frame, me: int) -> None:
    by = event["by"]
    cause = event.get("cause", "partnership_ended")
    state["room"]["archived"] = True
    state["room"]["archived_cause"] = cause
    if cause == "owner":
        return  # no partnership ended: `ended` stays as it was (null)
    state["room"]["ended"] = {
        "by": by["name"] if by else None,
        "org": by["org"]["name"] if by and by["org"] else None,
        "reason": event["reason"],
        "at": event["archived_at"],
    }


@reduces("room.unarchived")
def _room_unarchived(state: State, event: Frame, me: int) -> None:
    state["room"].update(archived=False, archived_cause=None)


@reduces("member.role")
def _member_role(state: State, event: Frame, me: int) -> None:
    state["members"][event["user"]]["role"] = event["role"]
    if event["user"] == me:
        state["room"]["role"] = event["role"]
        if "moderation" in event:
            state["room"]["moderation"] = event["moderation"]


@reduces("workitem.created")
def _workitem_created(state: State, event: Frame, me: int) -> None:
    item = event["item"]
    assert item["id"] not in state["work_items"], "workitem.created for an item already held"
    assert item["thread"] in state["messages"], "workitem.created before its thread root"
    state["work_items"][item["id"]] = item


@reduces("workitem.updated")
def _workitem_updated(state: State, event: Frame, me: int) -> None:
    item = event["item"]
    held = state["work_items"][item["id"]]
    assert item["version"] == held["version"] + 1, (
        f"workitem.updated to version {item['version']} of an item held at {held['version']}"
    )
    state["work_items"][item["id"]] = item


def _apply_unread(state: State, frame: Frame, me: int) -> None:
    """``unread`` (after a ``read`` from any of my sockets): the new marker and counts."""
    read = state["read"]
    read["last_read_seq"] = frame["last_read_seq"]
    read["unread"] = frame["count"]
    read["mentions"] = frame["mentions"]
    assert read["mentions"] == _mentions(state, me), "unread.mentions is not the mentions held"


def _apply_thread_unread(state: State, frame: Frame) -> None:
    """``thread.unread`` (after ``thread.follow`` or ``thread.read`` from any of my sockets)."""
    if frame["following"]:
        state["threads"][frame["root"]] = {
            "last_read_seq": frame["last_read_seq"],
            "unread": frame["count"],
        }
    else:
        state["threads"].pop(frame["root"], None)


def resume(state: State, subscribed: Frame, me: int) -> State:
    """The state after a resume: replayed events applied, then the new ``subscribed`` frame.

    The reading figures of ``subscribed`` are as of its ``head_seq``, so they
    already count the events replayed after it: a client takes them as they
    are (the mentions it recounts from the messages it holds).
    """
    state = copy.deepcopy(state)
    assert state["head_seq"] == subscribed["head_seq"]
    read = state["read"]
    read["last_read_seq"], read["unread"] = subscribed["last_read_seq"], subscribed["unread"]
    read["mentions"] = _mentions(state, me)
    state["threads"] = {
        t["root"]: {"last_read_seq": t["last_read_seq"], "unread": t["unread"]}
        for t in subscribed["threads"]
    }
    return state


# --- comparing ----------------------------------------------------------------------


def differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Where two states differ, as ``path: expected != actual`` lines (empty if equal)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        lines = []
        for key in sorted(set(expected) | set(actual), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in actual:
                lines.append(f"{where}: only in the state kept from events")
            elif key not in expected:
                lines.append(f"{where}: only in the fresh state")
            else:
                lines.extend(differences(expected[key], actual[key], where))
        return lines
    if expected != actual:
        return [f"{path}: from events {expected!r} != fresh {actual!r}"]
    return []


def schema_problems(value: Any, schema: Any, path: str) -> list[str]:
    """Keys a frame has that its ``TypedDict`` does not name, or lacks that it requires.

    Recurses into fields typed as another ``TypedDict``, or a union of them (the
    value must fit one of them) and None.
    """
    if typing.is_typeddict(schema):
        if not isinstance(value, dict):
            return [f"{path}: {type(value).__name__}, not an object"]
        hints = typing.get_type_hints(schema)
        # Not ``__required_keys__``: on Python 3.11 it counts NotRequired keys as
        # required when the module uses ``from __future__ import annotations``.
        extras = typing.get_type_hints(schema, include_extras=True)
        required = {k for k, h in extras.items() if typing.get_origin(h) is not typing.NotRequired}
        problems = [f"{path}.{k}: not in {schema.__name__}" for k in set(value) - set(hints)]
        problems += [f"{path}.{k}: missing ({schema.__name__})" for k in required - set(value)]
        for key, hint in hints.items():
            if key in value:
                problems += schema_problems(value[key], hint, f"{path}.{key}")
        return problems
    if isinstance(schema, types.UnionType) or typing.get_origin(schema) is typing.Union:
        options = [a for a in typing.get_args(schema) if typing.is_typeddict(a)]
        if options and value is not None:
            tried = [schema_problems(value, option, path) for option in options]
            return [] if [] in tried else min(tried, key=len)
    return []
