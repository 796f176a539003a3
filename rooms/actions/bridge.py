"""The bridge: a side follows a shared thread live in one of its internal rooms.

Writes that change a mirrored thread put an ``OutboxEntry`` in their own
transaction (``messages.record_outbox``). The relay (``relay_next``, run by
``manage.py run_bridge`` or in the web process on the embedded default)
applies each entry to the thread's live mirrors, in order per thread. Every
(event, mirror) pair is applied at most once (``MirrorDelivery``'s unique
key), and an entry is marked done in the same transaction that applied it, so
a crash anywhere means a retry, never a duplicate. Failing entries back off
and end as visible dead letters.

Only this direction exists: shared thread -> internal room. What a side says
under its mirror stays in its internal room unless someone shares it back
explicitly (``check_share_back``).
"""

from __future__ import annotations

import datetime
import logging
import os
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from hub import audit, ratelimit
from hub.errors import Conflict, Invalid, NotFound
from hub.models import User
from rooms import events
from rooms.actions.messages import (
    append_event,
    clean_text,
    do_delete_message,
    do_edit_message,
    do_send_message,
    lock_room,
)
from rooms.models import (
    Membership,
    Message,
    Mirror,
    MirrorDelivery,
    OutboxEntry,
    Room,
    RoomEvent,
)
from rooms.selectors import access_membership, access_message, parse_id

logger = logging.getLogger("causeway.bridge")

MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_MAX_SECONDS = 300.0


def failpoint(name: str) -> None:
    """Crash here when ``CAUSEWAY_FAILPOINTS`` names this point (fault tests only)."""
    if name in os.environ.get("CAUSEWAY_FAILPOINTS", "").split(","):
        logger.error("failpoint %s: exiting", name)
        os._exit(137)


def _provenance(source: Message) -> dict[str, Any]:
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
    copy, _ = do_send_message(
        source.author,
        mirror.target_room,
        client_id=f"mirror-{mirror.pk}-{source.pk}",
        body=source.body,
        thread_root=thread_root,
        kind=Message.Kind.MIRROR,
        mirror_source=source,
        provenance=_provenance(source),
    )
    return copy


def _copy_of(mirror: Mirror, source: Message) -> Message | None:
    return Message.objects.filter(room=mirror.target_room, mirror_source=source).first()


# --- creating, stopping, sharing back -------------------------------------------


def do_create_mirror(actor: User, source_root: Message, target_room: Room) -> Mirror:
    """Follow ``source_root``'s thread in ``target_room``, starting with a copy of it so far."""
    with transaction.atomic():
        # The source room's lock orders this against every write to the
        # thread: each is either in the snapshot or queued for the relay.
        lock_room(source_root.room_id)
        if Mirror.objects.filter(
            source_root=source_root, target_room=target_room, stopped_at__isnull=True
        ).exists():
            raise Conflict("This thread is already mirrored into that room.")
        head = Room.objects.values_list("last_seq", flat=True).get(pk=source_root.room_id)
        assert target_room.organization is not None  # internal rooms belong to one org
        mirror = Mirror.objects.create(
            organization=target_room.organization,
            source_room_id=source_root.room_id,
            source_root=source_root,
            target_room=target_room,
            start_seq=head,
            created_by=actor,
        )
        thread = (
            Message.objects.filter(pk=source_root.pk)
            | Message.objects.filter(thread_root=source_root, deleted_at__isnull=True)
        ).select_related("author__organization", "room")
        root_copy = None
        for source in thread.order_by("seq"):
            copy = _copy(mirror, source, thread_root=root_copy)
            root_copy = root_copy or copy
        mirror.root_copy = root_copy
        mirror.save(update_fields=["root_copy"])
        audit.record(
            actor,
            "mirror.created",
            mirror,
            organization=target_room.organization,
            source_room=source_root.room_id,
            thread=source_root.pk,
            target_room=target_room.pk,
        )
    return mirror


def check_create_mirror(
    actor: User, *, source_room_id: Any, root_id: Any, target_room_id: Any
) -> Mirror:
    """Mirror a thread of a shared room you are in into an internal room of your organization."""
    source_membership = access_membership(actor, source_room_id)
    if not source_membership.room.is_shared:
        raise Invalid("Only shared threads are mirrored.")
    root = access_message(actor, source_membership.room_id, root_id)
    if root.thread_root_id is not None or root.is_deleted:
        raise Invalid("Mirror a thread by its first message.")
    target = access_membership(actor, target_room_id).room
    # Only the actor's own organization's internal rooms: never another's.
    if target.is_shared or target.organization_id != actor.organization_id:
        raise NotFound()
    return do_create_mirror(actor, root, target)


def access_mirror(actor: User, mirror_id: Any) -> Mirror:
    """A mirror in an internal room the actor is in; NotFound for anyone else."""
    mirror = (
        Mirror.objects.select_related("target_room", "source_room", "source_root", "root_copy")
        .filter(pk=parse_id(mirror_id, "mirror"), organization=actor.organization)
        .first()
    )
    if (
        mirror is None
        or not Membership.objects.active()
        .filter(room_id=mirror.target_room_id, user=actor)
        .exists()
    ):
        raise NotFound()
    return mirror


def check_stop_mirror(actor: User, *, mirror_id: Any) -> Mirror:
    """Stop new copies. What was mirrored stays in the internal room."""
    mirror = access_mirror(actor, mirror_id)
    with transaction.atomic():
        lock_room(mirror.source_room_id)
        mirror.refresh_from_db(fields=["stopped_at"])
        if mirror.stopped_at is not None:
            raise Conflict("This mirror is already stopped.")
        mirror.stopped_at = timezone.now()
        mirror.stopped_by = actor
        mirror.save(update_fields=["stopped_at", "stopped_by"])
        audit.record(actor, "mirror.stopped", mirror, organization=mirror.target_room.organization)
    return mirror


def do_stop_mirrors_of(rooms: list[Room], *, reason: str) -> int:
    """Stop every live mirror of these shared rooms' threads; their copies stay.

    Each mirror is audited in its own organization's log, with no actor:
    the stop is a consequence (``reason``), not something the other side did
    to it. Call while holding the rooms' locks. Returns how many stopped.
    """
    stopped = 0
    now = timezone.now()
    for mirror in Mirror.objects.select_for_update().filter(
        source_room__in=rooms, stopped_at__isnull=True
    ):
        mirror.stopped_at = now
        mirror.save(update_fields=["stopped_at"])
        audit.record(
            None, "mirror.stopped", mirror, organization=mirror.organization, reason=reason
        )
        stopped += 1
    return stopped


def check_share_back(
    actor: User,
    *,
    mirror_id: Any,
    message_id: Any = None,
    body: Any = None,
    confirmed_body: Any = None,
) -> Message:
    """Post an internal note (or a new message) to the shared thread, as the actor.

    The one deliberate way anything crosses from the internal room. Sharing a
    note needs ``confirmed_body``: the exact text the person was shown and
    agreed to share. A note edited since then is refused (``Conflict``), so
    what crosses is always what the person saw.
    """
    mirror = access_mirror(actor, mirror_id)
    access_membership(actor, mirror.source_room_id)
    if mirror.stopped_at is not None:
        raise Conflict("This mirror is stopped.")
    note = None
    if message_id is not None:
        note = access_message(actor, mirror.target_room_id, message_id)
        if (
            note.thread_root_id != mirror.root_copy_id
            or note.kind != Message.Kind.MESSAGE
            or note.is_deleted
        ):
            raise Invalid("Share back an internal reply under this mirror.")
        if not isinstance(confirmed_body, str):
            raise Invalid("`confirmed_body` must repeat the exact text you agreed to share.")
        text = note.body
    else:
        text = clean_text(body, "body", max_chars=settings.CAUSEWAY_MESSAGE_MAX_CHARS)
    ratelimit.hit(actor.pk, "writes")
    with transaction.atomic():
        # Lock order: the shared room before anything in the internal room.
        lock_room(mirror.source_room_id)
        if note is not None:
            # Then the internal room, then the note (rooms before messages,
            # as an edit of the note takes them). The note's row lock makes
            # "shared once" hold under concurrent clicks, and "what was
            # confirmed" hold under a concurrent edit.
            lock_room(mirror.target_room_id)
            note = Message.objects.select_for_update().get(pk=note.pk)
            if note.shared_back_at is not None or note.shared_as.exists():
                raise Conflict("That note has been shared already.")
            if note.is_deleted or note.body != confirmed_body:
                raise Conflict("The note changed since you confirmed it; review it again.")
        shared, _ = do_send_message(
            actor,
            mirror.source_room,
            # Exactly the form the web app gives a typed message (a random
            # UUID4): the shared room must learn nothing of the internal note.
            client_id=str(uuid.uuid4()),
            body=text,
            thread_root=mirror.source_root,
            shared_from=note,
        )
        if note is not None:
            do_mark_shared_back(note, actor, when=shared.created_at)
        audit.record(
            actor,
            "mirror.shared_back",
            shared,
            organization=mirror.target_room.organization,
            mirror=mirror.pk,
            note=note.pk if note else None,
        )
    return shared


def do_mark_shared_back(note: Message, actor: User, *, when: datetime.datetime) -> None:
    """Record on the note who shared it back and when, and tell the internal room.

    A ``message.edited`` of the note carries its ``shared_back``; it goes to
    the internal room only (the note's room). Call inside the share's
    transaction, after the shared room's lock (lock order: shared, then internal).
    """
    note.shared_back_by = actor
    note.shared_back_at = when
    note.save(update_fields=["shared_back_by", "shared_back_at"])
    note = Message.objects.select_related(
        "author__organization", "shared_back_by__organization"
    ).get(pk=note.pk)
    data = events.message_data(note)
    append_event(
        note.room_id,
        lambda seq: events.MessageEditedEvent(
            type="message.edited", room=note.room_id, seq=seq, message=data
        ),
        message=note,
        thread_root_id=note.thread_root_id,
    )


# --- the relay ---------------------------------------------------------------------


def _apply(mirror: Mirror, event: RoomEvent) -> Message | None:
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
            do_delete_message(source.deleted_by or mirror.created_by, copy)
        return copy
    if event.type == "workitem.updated":
        by = event.payload.get("by") or {}
        who = f"{by.get('name', 'Causeway')}"
        if by.get("org"):
            who += f" ({by['org']['name']})"
        lines = [
            f"- {field}: {_show(old)} -> {_show(new)}"
            for field, (old, new) in event.payload.get("changes", {}).items()
        ]
        notice, _ = do_send_message(
            mirror.created_by,
            mirror.target_room,
            client_id=f"mirror-{mirror.pk}-event-{event.pk}",
            body=f"**Work item updated** by {who}:\n" + "\n".join(lines),
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


def _show(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "none"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def apply_entry(entry: OutboxEntry) -> int:
    """Apply one outbox entry to every live mirror of its thread; returns how many it changed."""
    event = RoomEvent.objects.get(outbox=entry)
    applied = 0
    mirrors = Mirror.objects.select_related(
        "target_room", "source_room", "root_copy", "created_by"
    ).filter(source_root_id=entry.thread_root_id, stopped_at__isnull=True, start_seq__lt=event.seq)
    for mirror in mirrors.order_by("id"):
        delivery, created = MirrorDelivery.objects.get_or_create(event=event, mirror=mirror)
        if not created:
            continue  # applied before: a retry never duplicates
        delivery.target_message = _apply(mirror, event)
        delivery.save(update_fields=["target_message"])
        applied += 1
    return applied


def relay_next(now: datetime.datetime | None = None) -> OutboxEntry | None:
    """Relay the oldest ready entry whose thread has nothing earlier pending.

    Several workers may run: ``SKIP LOCKED`` gives each its own entry, and an
    entry waits while an earlier one of its thread is pending (being relayed
    or backing off), so each thread is relayed in order.
    """
    now = now or timezone.now()
    earlier = OutboxEntry.objects.filter(
        thread_root_id=OuterRef("thread_root_id"),
        status=OutboxEntry.Status.PENDING,
        pk__lt=OuterRef("pk"),
    )
    with transaction.atomic():
        entry = (
            OutboxEntry.objects.select_for_update(skip_locked=True)
            .filter(status=OutboxEntry.Status.PENDING, next_attempt_at__lte=now)
            .exclude(Exists(earlier))
            .order_by("id")
            .first()
        )
        if entry is None:
            return None
        try:
            with transaction.atomic():
                apply_entry(entry)
                failpoint("bridge.after_relay")
        except Exception as error:
            entry.attempts += 1
            entry.last_error = f"{type(error).__name__}: {error}"[:2000]
            if entry.attempts >= MAX_ATTEMPTS:
                entry.status = OutboxEntry.Status.DEAD
                logger.error("outbox %s is a dead letter: %s", entry.pk, entry.last_error)
            else:
                delay = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (entry.attempts - 1))
                entry.next_attempt_at = now + datetime.timedelta(seconds=delay)
                logger.warning("outbox %s failed, retry in %s s: %s", entry.pk, delay, error)
            entry.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
            return entry
        entry.status = OutboxEntry.Status.DONE
        entry.done_at = timezone.now()
        entry.save(update_fields=["status", "done_at"])
    return entry


def relay_all(now: datetime.datetime | None = None, limit: int = 10_000) -> int:
    """Relay until nothing is ready; returns how many entries were handled."""
    handled = 0
    while handled < limit and relay_next(now) is not None:
        handled += 1
    return handled
