"""``!share`` and ``!confirm``: sharing a note back from Matrix, confirmed as on the web.

``!share`` in reply to an internal note under a mirrored shared thread answers with
what would cross, to whom and where: the web app's own wording
(``rooms.bridge.mirrors.share_back_prompt``), the note's exact text and its files.
Only ``!confirm`` from the same Matrix user, as the same linked person, within five
minutes, shares it, through ``check_share_back`` (the web app's action: the same
checks, the same audit entry, with ``via: "matrix"``). Any other message from that
user cancels it; so does time.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from hub.errors import ActionError
from hub.models import User
from rooms.actions.files import attached_uploads
from rooms.bridge.mirrors import check_share_back, share_back_prompt
from rooms.models.bridge import Mirror
from rooms.models.matrix import MatrixBridge, MatrixShareRequest
from rooms.models.messages import Message

CONFIRM_WITHIN = datetime.timedelta(minutes=5)


def do_cancel_shares(bridge: MatrixBridge, sender: str) -> int:
    """Cancel ``sender``'s open requests; returns how many there were."""
    return MatrixShareRequest.objects.filter(
        bridge=bridge, matrix_user_id=sender, state=MatrixShareRequest.State.OPEN
    ).update(state=MatrixShareRequest.State.CANCELLED)


def _mirror_of(bridge: MatrixBridge, note: Message) -> Mirror | None:
    if note.thread_root_id is None:
        return None
    return (
        Mirror.objects.select_related("source_room__partnership__supplier")
        .select_related("source_room__partnership__client")
        .filter(
            root_copy_id=note.thread_root_id,
            target_room_id=bridge.connector.room_id,
            stopped_at__isnull=True,
        )
        .first()
    )


def do_request_share(bridge: MatrixBridge, person: User, sender: str, note: Message | None) -> str:
    """Remember what ``person`` asked to share and answer with the question to confirm."""
    do_cancel_shares(bridge, sender)
    if note is None:
        return "Reply to the note you want to share with !share."
    mirror = _mirror_of(bridge, note)
    if (
        mirror is None
        or note.kind != Message.Kind.MESSAGE
        or note.is_deleted
        or note.room_id != bridge.connector.room_id
    ):
        return "Only an internal note in a mirrored shared thread can be shared back."
    if note.shared_back_at is not None:
        return "That note has been shared already."
    prompt = share_back_prompt(person, mirror)
    uploads = attached_uploads(note)
    now = timezone.now()
    MatrixShareRequest.objects.create(
        bridge=bridge,
        note=note,
        mirror_id=mirror.pk,
        person=person,
        matrix_user_id=sender,
        body=note.body,
        files=[u.key for u in uploads],
        created_at=now,
        expires_at=now + CONFIRM_WITHIN,
    )
    quoted = "\n".join(f"> {line}" for line in note.body.split("\n"))
    files = ""
    if uploads:
        files = "\nFiles that will cross: " + ", ".join(u.name for u in uploads) + "."
    minutes = int(CONFIRM_WITHIN.total_seconds() // 60)
    return (
        f"{prompt['question']} This exact text will be posted in the shared thread in "
        f"“{prompt['room_name']}”, as {person.name}:\n{quoted}{files}\n"
        f"{prompt['audience']}\n"
        f"Reply !confirm within {minutes} minutes to share it; anything else cancels."
    )


def do_confirm_share(bridge: MatrixBridge, person: User, sender: str) -> str:
    """Share what ``sender`` last asked to, if it is still open and theirs."""
    now = timezone.now()
    with transaction.atomic():
        request = (
            MatrixShareRequest.objects.select_for_update()
            .filter(bridge=bridge, matrix_user_id=sender, state=MatrixShareRequest.State.OPEN)
            .order_by("-created_at")
            .first()
        )
        if request is not None:
            request.state = MatrixShareRequest.State.CANCELLED
            request.save(update_fields=["state"])
    if request is None or request.expires_at <= now:
        return "Nothing to confirm: reply !share to a note first (a request lasts 5 minutes)."
    if request.person_id != person.pk:
        return "Nothing to confirm: only the person who asked can confirm."
    try:
        shared = check_share_back(
            person,
            mirror_id=request.mirror_id,
            message_id=request.note_id,
            confirmed_body=request.body,
            confirmed_files=list(request.files),
            via="matrix",
        )
    except ActionError as error:
        return f"Not shared: {error.detail}"
    MatrixShareRequest.objects.filter(pk=request.pk).update(state=MatrixShareRequest.State.SHARED)
    prompt = share_back_prompt(
        person, Mirror.objects.select_related("source_room").get(pk=request.mirror_id)
    )
    return f"Shared with {prompt['partner']} in “{shared.room.name}”."
