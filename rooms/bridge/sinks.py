"""Where a followed thread's events go: the sinks the relay hands each outbox entry to.

A sink either writes to this database, inside the relay's transaction (its
writes and the entry's "done" mark commit together: exactly once), or talks
to something outside (a webhook, another chat network): then it is called
outside any transaction, so no row lock is held across a network round trip,
and delivery is at least once, each entry carrying a key the receiver uses to
apply it once (``rooms.bridge.relay``).

``RoomMirrorSink`` is the first: it copies a shared thread's events into the
internal rooms that mirror it.
"""

from __future__ import annotations

from typing import Any, ClassVar, Protocol

from rooms.actions.files import attached_uploads
from rooms.actions.messages import do_delete_message, do_edit_message, do_send_message
from rooms.actions.reactions import do_sync_relayed
from rooms.models.bridge import Mirror, MirrorDelivery, OutboxEntry
from rooms.models.log import RoomEvent
from rooms.models.messages import Message
from rooms.models.workitems import RETENTION_CHANGE
from rooms.wire.types import MirroredMessage


class Sink(Protocol):
    # True: called inside the relay's transaction; False: outside any.
    in_transaction: ClassVar[bool]

    def deliver(self, entry: OutboxEntry, event: RoomEvent) -> int:
        """Apply ``event`` (of ``entry``'s thread); returns how many targets changed.

        Must be safe to call again for the same entry: a retry after a crash,
        or after another sink failed, must not apply it twice.
        """
        ...


class RoomMirrorSink:
    """Copies a shared thread's events into every live mirror of it (internal rooms)."""

    in_transaction: ClassVar[bool] = True

    def deliver(self, entry: OutboxEntry, event: RoomEvent) -> int:
        applied = 0
        mirrors = Mirror.objects.select_related(
            "target_room", "source_room", "root_copy", "created_by"
        ).filter(
            source_root_id=entry.thread_root_id, stopped_at__isnull=True, start_seq__lt=event.seq
        )
        for mirror in mirrors.order_by("id"):
            delivery, created = MirrorDelivery.objects.get_or_create(event=event, mirror=mirror)
            if not created:
                continue  # applied before: a retry never duplicates
            delivery.target_message = apply_to_mirror(mirror, event)
            delivery.save(update_fields=["target_message"])
            applied += 1
        return applied


def _provenance(source: Message) -> MirroredMessage:
    author = source.author
    return {
        "room": source.room_id,
        "room_name": source.room.name,
        "message": source.pk,
        "author": author.name,
        "org": author.organization.name if author.organization else "",
        "at": source.created_at.isoformat(),
    }


def _copy(mirror: Mirror, source: Message, *, thread_root: Message | None) -> Message:
    """The internal room's copy of ``source``, showing the same files (no second upload)."""
    copy, _ = do_send_message(
        source.author,
        mirror.target_room,
        client_id=f"mirror-{mirror.pk}-{source.pk}",
        body=source.body,
        thread_root=thread_root,
        kind=Message.Kind.MIRROR,
        mirror_source=source,
        provenance=_provenance(source),
        uploads=attached_uploads(source),
        claim_uploads=False,
    )
    return copy


def _copy_of(mirror: Mirror, source: Message) -> Message | None:
    return Message.objects.filter(room=mirror.target_room, mirror_source=source).first()


def apply_to_mirror(mirror: Mirror, event: RoomEvent) -> Message | None:
    """What ``event`` of the shared thread becomes in ``mirror``'s internal room."""
    source = (
        Message.objects.select_related("author__organization", "room", "shared_from")
        .filter(events=event)
        .first()
    )
    if event.type == "message.new" and source is not None:
        if source.shared_from is not None and source.shared_from.room_id == mirror.target_room_id:
            # Shared back from this very room: the note is already here.
            return source.shared_from
        return _copy(mirror, source, thread_root=mirror.root_copy)
    if event.type == "message.edited" and source is not None:
        copy = _copy_of(mirror, source)
        if copy is not None and not source.is_deleted and not copy.is_deleted:
            return do_edit_message(source.author, copy, body=source.body)
        return copy
    if event.type == "message.deleted" and source is not None:
        copy = _copy_of(mirror, source)
        if copy is not None:
            # Removed by nobody (retention): the copy goes the same way, as the system.
            do_delete_message(source.deleted_by, copy)
        return copy
    if event.type == "reaction.updated" and source is not None:
        # The original's reactions as the event states them: applied in
        # order, each entry leaves the copy as the original was then.
        copy = _copy_of(mirror, source)
        if copy is not None:
            do_sync_relayed(copy, reactions_in(event.payload))
        return copy
    if event.type == "workitem.updated":
        if RETENTION_CHANGE in event.payload.get("changes", {}):
            # Retention rewrote this mirror's copies itself, in its own transaction
            # (rooms.actions.workitem_retention): nothing more to say here.
            return None
        notice, _ = do_send_message(
            mirror.created_by,
            mirror.target_room,
            client_id=f"mirror-{mirror.pk}-event-{event.pk}",
            body=workitem_notice(event.payload),
            thread_root=mirror.root_copy,
            kind=Message.Kind.NOTICE,
            provenance={
                "room": event.room_id,
                "event_seq": event.seq,
                "at": event.created_at.isoformat(),
            },
        )
        return notice
    return None


def workitem_notice(frame: Any) -> str:
    """A mirror's notice of a ``workitem.updated`` frame: who changed what, from what to what.

    Retention renders it again from the rewritten frame, so the notice never keeps
    text the frame no longer has."""
    by = frame.get("by") or {}
    who = f"{by.get('name', 'Causeway')}"
    if by.get("org"):
        who += f" ({by['org']['name']})"
    lines = [
        f"- {field}: {_show(old)} -> {_show(new)}"
        for field, (old, new) in frame.get("changes", {}).items()
    ]
    return f"**Work item updated** by {who}:\n" + "\n".join(lines)


def reactions_in(frame: Any) -> list[tuple[int, str]]:
    """(person id, emoji) of each reaction a ``reaction.updated`` frame lists."""
    return [(p["id"], r["emoji"]) for r in frame.get("reactions", []) for p in r["people"]]


def _show(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "none"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
