"""The room event log: per-room sequence numbers and the events stored with them.

Every room event takes ``Room.last_seq + 1`` while holding the room row's
lock (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's IMMEDIATE
transactions serialize writers), and stores the frame in ``RoomEvent`` in the
same transaction. So the log never has a gap or a duplicate, and the live
push, sent after commit, is only ever a copy of it.

The bridge learns of events in threads it follows through ``thread_hooks``,
called in the writing transaction (``rooms.bridge.outbox`` registers itself
at start-up): the log knows nothing of mirrors.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.db.models import Field

from hub import publish
from hub.errors import Archived, NotFound
from rooms.models.log import RoomEvent
from rooms.models.messages import Message
from rooms.models.rooms import Room
from rooms.wire.types import RoomEventFrame

ThreadHook = Callable[[RoomEvent, int], None]

# Called with each event that changes a thread, in the writing transaction.
thread_hooks: list[ThreadHook] = []


def on_thread_event(hook: ThreadHook) -> ThreadHook:
    """Register ``hook(event, thread_root_id)``; for an app's ``ready()`` (see rooms.apps)."""
    if hook not in thread_hooks:
        thread_hooks.append(hook)
    return hook


def next_seq(room_id: int, *, archived_ok: bool = False) -> int:
    """Lock the room's row and take its next sequence number, in one statement.

    The row lock is held until the transaction ends, so seqs are allocated
    one writer at a time and a rolled-back write gives its number back. An
    archived room's log takes nothing more (``Archived``), whatever path a
    write came by, unless ``archived_ok`` (archiving itself, and a person
    leaving it when deactivated).
    """
    table = connection.ops.quote_name(Room._meta.db_table)
    live = "" if archived_ok else " AND archived_at IS NULL"
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_seq = last_seq + 1 WHERE id = %s{live} RETURNING last_seq",
            [room_id],
        )
        row = cursor.fetchone()
    if row is None:
        raise _no_seq(room_id)
    return int(row[0])


def _no_seq(room_id: int) -> Exception:
    """Why a live room's seq could not be taken: archived, or no such room."""
    if Room.objects.filter(pk=room_id, archived_at__isnull=False).exists():
        return Archived()
    return NotFound()


@functools.cache
def _message_append_sql() -> tuple[str, list[Field[object, object]]]:
    """One statement: the room's next seq, the message with it, the event with it.

    Built once per process from the models' metadata; the message's fields
    come as parameters in the model's order, its ``seq`` from the room row.
    """
    q = connection.ops.quote_name
    room, message, event = Room._meta, Message._meta, RoomEvent._meta
    fields = [f for f in message.concrete_fields if f.name != "seq"]
    columns = ", ".join(q(str(f.column)) for f in fields)
    values = ", ".join(f"CAST(%s AS {f.cast_db_type(connection)})" for f in fields)

    def col(meta: object, name: str) -> str:
        return q(str(meta.get_field(name).column))  # type: ignore[attr-defined]

    seq, last_seq = col(message, "seq"), col(room, "last_seq")
    sql = (
        f"WITH s AS (UPDATE {q(room.db_table)} SET {last_seq} = {last_seq} + 1"
        f" WHERE {col(room, 'id')} = %s AND {col(room, 'archived_at')} IS NULL"
        f" RETURNING {last_seq} AS seq),"
        f" m AS (INSERT INTO {q(message.db_table)} ({columns}, {seq})"
        f" SELECT {values}, s.seq FROM s)"
        f" INSERT INTO {q(event.db_table)} ({col(event, 'room')}, {col(event, 'seq')},"
        f" {col(event, 'type')}, {col(event, 'message')}, {col(event, 'payload')},"
        f" {col(event, 'created_at')})"
        " SELECT %s, s.seq, %s, %s, jsonb_set(jsonb_set(CAST(%s AS jsonb), '{seq}',"
        " to_jsonb(s.seq)), '{message,seq}', to_jsonb(s.seq)), CAST(%s AS timestamptz) FROM s"
        f" RETURNING {col(event, 'seq')}"
    )
    return sql, fields


# Whether ``append_message`` can be used: its statement is PostgreSQL's.
APPENDS_IN_ONE_STATEMENT = connection.vendor == "postgresql"


def append_message(message: Message, build: Callable[[int], RoomEventFrame]) -> RoomEventFrame:
    """Store a new top-level ``message`` with the room's next seq, and its event ``build(seq)``.

    One statement (PostgreSQL only, ``APPENDS_IN_ONE_STATEMENT``), atomic on
    its own: outside a transaction it commits as it ends, and the room's row
    lock is held for that one round trip, not for three and the Python
    between them (twenty people writing into one room at once queue on that
    lock). The frame ``build`` returns must carry the message under
    ``"message"``. Not for thread replies: the thread hooks need the event
    row (``append_event``). Publishes on commit (at once, outside a
    transaction). A ``client_id`` used before raises ``IntegrityError`` and
    stores nothing, as a separate insert would.
    """
    sql, fields = _message_append_sql()
    message.seq = 0  # a placeholder until the statement has taken the real one
    draft = build(0)
    params: list[Any] = [message.room_id]
    params += [f.get_db_prep_save(f.pre_save(message, True), connection) for f in fields]
    params += [message.room_id, draft["type"], message.pk, json.dumps(draft)]
    params.append(message.created_at)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        raise _no_seq(message.room_id)
    message.seq = int(row[0])
    message._state.adding = False
    message._state.db = connection.alias
    frame = build(message.seq)
    publish.publish_on_commit(publish.room_group(message.room_id), frame, message.seq)
    return frame


def lock_order(kind: str, room_id: int) -> tuple[bool, int]:
    """Where a room comes when one transaction writes to several: shared rooms
    before internal ones (as mirror creation and share-back lock them), each
    kind by id. Sort by it, and no two such writes wait on each other in a cycle."""
    return (kind != Room.Kind.SHARED, room_id)


def lock_room(room_id: int) -> None:
    """Take the room's row lock first: every writer locks room, then message, in that order."""
    Room.objects.select_for_update().only("id").get(pk=room_id)


def append_event(
    room_id: int,
    build: Callable[[int], RoomEventFrame],
    *,
    seq: int | None = None,
    message: Message | None = None,
    thread_root_id: int | None = None,
    archived_ok: bool = False,
) -> tuple[int, RoomEventFrame]:
    """Allocate the room's next seq, store the frame ``build(seq)`` returns, publish on commit.

    ``thread_root_id`` names the thread the event changes: the thread hooks
    (the bridge's outbox, if the thread is mirrored) write in this same
    transaction.
    ``seq``, if given, was taken with ``next_seq`` in this transaction.
    Must run inside ``transaction.atomic``.
    """
    if seq is None:
        seq = next_seq(room_id, archived_ok=archived_ok)
    frame = build(seq)
    event = RoomEvent.objects.create(
        room_id=room_id, seq=seq, type=frame["type"], message=message, payload=frame
    )
    if thread_root_id is not None:
        for hook in thread_hooks:
            hook(event, thread_root_id)
    publish.publish_on_commit(publish.room_group(room_id), frame, seq)
    return seq, frame
