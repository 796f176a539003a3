"""Writes to rooms. ``do_*`` writes and publishes on commit; ``check_*`` validates first.

Sequence numbers: every room event takes ``Room.last_seq + 1`` while holding
the room row's lock (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's
IMMEDIATE transactions serialize writers), and stores the frame in
``RoomEvent`` in the same transaction. So the log never has a gap or a
duplicate, and the live push, sent after commit, is only ever a copy of it.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from hub import audit, ratelimit
from hub.errors import Forbidden, Invalid, NotFound, RateLimited
from hub.models import User
from rooms.actions.files import do_attach, do_release_uploads_of, uploads_to_send
from rooms.actions.notifications import do_forget_message, do_notify_message
from rooms.log import (
    APPENDS_IN_ONE_STATEMENT,
    append_event,
    append_message,
    lock_room,
    next_seq,
)
from rooms.markdown import render_markdown
from rooms.models.files import Upload
from rooms.models.log import RoomEvent
from rooms.models.messages import Mention, Message, MessageEdit, ThreadFollow
from rooms.models.rooms import Membership, Room
from rooms.moderation import may_delete
from rooms.selectors.access import access_membership, access_message, access_room_for_write
from rooms.wire.serializers import file_data, message_data
from rooms.wire.types import (
    MessageData,
    MessageDeletedEvent,
    MessageEditedEvent,
    MessageNewEvent,
    MirrorProvenance,
)

_MENTION = re.compile(r"(?<![\w.])@([a-z0-9._+-]{1,64})", re.IGNORECASE)


def may_mention(message: Message) -> bool:
    """Whether ``message`` can mention anyone (a cheap test, before any query)."""
    return "@" in message.body and message.kind == Message.Kind.MESSAGE


def record_mentions(message: Message, *, replace: bool = False) -> list[int]:
    """Store who ``message`` mentions: active room members named by their @handle.

    ``replace`` (edits) first forgets the mentions of the earlier body.
    """
    if replace:
        Mention.objects.filter(message=message).delete()
    if not may_mention(message):
        return []
    handles = {h.lower().rstrip(".") for h in _MENTION.findall(message.body)}
    if not handles:
        return []
    members = [
        m.user
        for m in Membership.objects.active().select_related("user").filter(room_id=message.room_id)
        if m.user.handle in handles and m.user_id != message.author_id and not m.user.is_bot
    ]
    Mention.objects.bulk_create(
        Mention(message=message, user=u, room_id=message.room_id, seq=message.seq) for u in members
    )
    return sorted(u.pk for u in members)


def do_send_message(
    author: User,
    room: Room,
    *,
    client_id: str,
    body: str,
    thread_root: Message | None,
    kind: str = Message.Kind.MESSAGE,
    mirror_source: Message | None = None,
    provenance: MirrorProvenance | None = None,
    shared_from: Message | None = None,
    uploads: Sequence[Upload] = (),
    claim_uploads: bool = True,
    in_room: bool = False,
) -> tuple[Message, bool]:
    """Store and publish a message; ``(existing, False)`` if ``client_id`` was used already.

    ``uploads`` are shown with it (``do_attach``; ``claim_uploads`` when they
    are sent for the first time, not copied from another message).

    The hot path, a top-level message that mentions nobody, is one statement
    on PostgreSQL (``append_message``): the room's seq, the message and its
    event, atomic on its own, so it runs without BEGIN and COMMIT (two round
    trips fewer). Everything else is a transaction. A resend of a
    ``client_id`` hits the unique key, which undoes the whole write (seq
    included), and is answered with the first message.
    """
    message = Message(
        room=room,
        kind=kind,
        mirror_source=mirror_source,
        provenance=provenance,
        shared_from=shared_from,
        author=author,
        client_id=client_id,
        body=body,
        # Rendered before the room's lock is taken: others wait on that lock.
        body_html=render_markdown(body),
        thread_root=thread_root,
        in_room=in_room and thread_root is not None,
        created_at=timezone.now(),
    )
    try:
        if (
            APPENDS_IN_ONE_STATEMENT
            and thread_root is None
            and not uploads
            and not may_mention(message)
        ):
            # Inside a caller's transaction (the bridge's copies), a savepoint:
            # a resend's error must not break the caller's transaction.
            nested = connection.in_atomic_block
            with transaction.atomic() if nested else contextlib.nullcontext():
                append_message(
                    message,
                    lambda seq: MessageNewEvent(
                        type="message.new",
                        room=room.id,
                        seq=seq,
                        message=message_data(message, [], [], []),
                    ),
                )
        else:
            with transaction.atomic():
                _insert_message(message, author, room, thread_root, uploads, claim_uploads)
    except IntegrityError:
        existing = sent_before(room, author, client_id)
        if existing is None:
            raise
        return existing, False
    return message, True


def sent_before(room: Room, author: User, client_id: str) -> Message | None:
    """The message ``author`` already sent with ``client_id`` in ``room``, if any."""
    return (
        Message.objects.select_related("author__organization")
        .filter(room=room, author=author, client_id=client_id)
        .first()
    )


def _insert_message(
    message: Message,
    author: User,
    room: Room,
    thread_root: Message | None,
    uploads: Sequence[Upload],
    claim_uploads: bool,
) -> None:
    """The general path, inside a transaction: seq, message, files, thread, mentions, event."""
    seq = message.seq = next_seq(room.pk)
    message.save(force_insert=True)
    message.author = author
    do_attach(message, uploads, claim=claim_uploads)
    if thread_root is not None:
        Message.objects.filter(pk=thread_root.pk).update(
            reply_count=F("reply_count") + 1, last_reply_at=message.created_at
        )
        # Mirror copies carry the other side's authors: only the room's
        # own people follow its threads.
        allowed = room.allowed_organization_ids()
        for follower in {thread_root.author, author}:
            if follower.organization_id in allowed:
                ThreadFollow.objects.get_or_create(user=follower, root=thread_root)
    mentioned = record_mentions(message)
    do_notify_message(message, mentioned)
    data = message_data(message, mentioned, [file_data(u) for u in uploads], [])
    append_event(
        room.id,
        lambda seq: MessageNewEvent(type="message.new", room=room.id, seq=seq, message=data),
        seq=seq,
        message=message,
        thread_root_id=thread_root.pk if thread_root is not None else None,
    )


def check_send_message(
    author: User,
    *,
    room_id: int,
    client_id: str,
    body: str,
    thread: int | None = None,
    files: Sequence[str] = (),
    also_to_room: bool = False,
) -> tuple[Message, bool]:
    """Send ``body`` (may be empty if ``files``) with the author's uploads named by ``files``;
    a reply (``thread``) with ``also_to_room`` shows in the room's timeline too."""
    if not body and not files:
        raise Invalid("`body` must not be empty.")
    if also_to_room and thread is None:
        raise Invalid("`also_to_room` is for a reply: name its `thread`.")
    room = access_room_for_write(author, room_id)
    thread_root = None
    if thread is not None:
        thread_root = access_message(author, room.pk, thread)
        if thread_root.thread_root_id is not None:
            thread_root = thread_root.thread_root
        if thread_root is None or thread_root.is_deleted:
            raise NotFound("That thread does not exist.")
    try:
        ratelimit.hit(author.id, "writes")
    except RateLimited:
        # A resend is still answered with its ack, even past the limit.
        existing = sent_before(room, author, client_id)
        if existing is None:
            raise
        return existing, False
    if files:
        # A resend: its files were sent with it, and are no longer "to send".
        existing = sent_before(room, author, client_id)
        if existing is not None:
            return existing, False
    uploads = uploads_to_send(author, room, files)
    return do_send_message(
        author,
        room,
        client_id=client_id,
        body=body,
        thread_root=thread_root,
        uploads=uploads,
        in_room=also_to_room,
    )


def do_edit_message(editor: User, message: Message, *, body: str) -> Message:
    with transaction.atomic():
        message = _locked(message)
        if message.is_deleted:
            raise NotFound()
        if message.body == body:
            return message
        MessageEdit.objects.create(message=message, previous_body=message.body, edited_by=editor)
        message.body = body
        message.body_html = render_markdown(body)
        message.edited_at = timezone.now()
        message.save(update_fields=["body", "body_html", "edited_at"])
        _append_edited(message, message_data(message, record_mentions(message, replace=True)))
    return message


def check_edit_message(editor: User, *, room_id: int, message_id: int, body: str) -> Message:
    message = access_message(editor, room_id, message_id)
    if message.is_deleted:
        raise NotFound()
    if message.author_id != editor.id:
        raise Forbidden("Only the author can edit a message.")
    ratelimit.hit(editor.id, "writes")
    return do_edit_message(editor, message, body=body)


def do_delete_message(actor: User | None, message: Message) -> bool:
    """Blank ``message`` everywhere it is kept and publish ``message.deleted``; False if it
    was deleted already. ``actor`` None: the system (retention), which records one entry
    per run (``rooms.actions.retention``) instead of one per message."""
    with transaction.atomic():
        lock_room(message.room_id)
        message = Message.objects.select_for_update().get(pk=message.pk)
        if message.is_deleted:
            return False
        message.deleted_at = timezone.now()
        message.deleted_by = actor
        message.body = ""
        message.body_html = ""
        message.save(update_fields=["deleted_at", "deleted_by", "body", "body_html"])
        # Deleted means gone: no earlier edit and no replayed event may still
        # carry the text.
        message.edits.all().delete()
        message.reactions.all().delete()
        for event in RoomEvent.objects.filter(message=message).only("id", "payload"):
            if isinstance(event.payload.get("message"), dict):
                event.payload["message"].update(
                    body="", html="", deleted=True, mentions=[], files=[], reactions=[]
                )
                event.save(update_fields=["payload"])
            elif "reactions" in event.payload:
                event.payload["reactions"] = []
                event.save(update_fields=["payload"])
        do_release_uploads_of(message)
        do_forget_message(message)
        if message.thread_root_id is not None:
            Message.objects.filter(pk=message.thread_root_id, reply_count__gt=0).update(
                reply_count=F("reply_count") - 1
            )
        # Someone else's message: moderation, recorded as such. In the log of the
        # organization whose room it is, when the room is one organization's: the bridge
        # deletes a mirror's copy in A's internal room on behalf of B's person, and B's
        # log must never learn of A's mirror or A's room.
        if actor is not None:
            room_owner = Room.objects.select_related("organization").get(pk=message.room_id)
            audit.record(
                actor,
                "message.deleted" if actor.pk == message.author_id else "message.moderated",
                message,
                organization=room_owner.organization or actor.organization,
                room=message.room_id,
                author=message.author_id,
            )
        room_id, thread = message.room_id, message.thread_root_id
        append_event(
            room_id,
            lambda seq: MessageDeletedEvent(
                type="message.deleted", room=room_id, seq=seq, id=message.id, thread=thread
            ),
            message=message,
            thread_root_id=thread or message.pk,
            # The system's removal (retention) reaches an archived room's history too.
            archived_ok=actor is None,
        )
    return True


def do_redact_message(message: Message, *, body: str) -> bool:
    """Replace ``message``'s text with ``body`` everywhere it is kept, as the system, and
    publish ``message.edited``; False if it is deleted or already says ``body``.

    For a message that must stay but whose text must go (retention: a work item's
    thread root, a notice quoting removed text): unlike an edit, no earlier body is
    kept (its edits are dropped) and its stored events are rewritten to ``body``, so a
    replay never returns the old text. Takes the room's lock: call it for rooms in
    ``lock_order`` when one transaction redacts in several.
    """
    with transaction.atomic():
        message = _locked(message)
        if message.is_deleted or message.body == body:
            return False
        message.body = body
        message.body_html = render_markdown(body)
        message.save(update_fields=["body", "body_html"])
        message.edits.all().delete()
        mentioned = record_mentions(message, replace=True)
        for event in RoomEvent.objects.filter(message=message).only("id", "payload"):
            if isinstance(event.payload.get("message"), dict):
                event.payload["message"].update(
                    body=message.body, html=message.body_html, mentions=mentioned
                )
                event.save(update_fields=["payload"])
        # Removal reaches an archived room's history too.
        _append_edited(message, message_data(message, mentioned), archived_ok=True)
    return True


def check_delete_message(actor: User, *, room_id: int, message_id: int) -> int:
    membership = access_membership(actor, room_id)
    message = access_message(actor, membership.room_id, message_id)
    if message.is_deleted:
        raise NotFound()
    if not may_delete(actor, membership, message.author.organization_id, message.author_id):
        if membership.room.is_shared:
            raise Forbidden(
                "In a shared room only the author, or an admin of the author's own "
                "organization, can delete a message."
            )
        raise Forbidden("Only the author or the room's owners can delete a message.")
    ratelimit.hit(actor.id, "writes")
    do_delete_message(actor, message)
    return message.pk


def _append_edited(message: Message, data: MessageData, *, archived_ok: bool = False) -> None:
    """``message.edited`` with the message as it now is, on the room's next seq (the
    bridge's outbox hears it through its thread)."""
    append_event(
        message.room_id,
        lambda seq: MessageEditedEvent(
            type="message.edited", room=message.room_id, seq=seq, message=data
        ),
        message=message,
        thread_root_id=message.thread_root_id or message.pk,
        archived_ok=archived_ok,
    )


def _locked(message: Message) -> Message:
    """``message`` as it is now, its room's lock and then its row's held (the order every
    writer takes them in): an edit or a redaction decides on what is stored, not on the
    caller's copy."""
    lock_room(message.room_id)
    return (
        Message.objects.select_for_update(of=("self",))
        .select_related("author__organization")
        .get(pk=message.pk)
    )
