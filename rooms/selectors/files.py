"""Reading files: who may fetch one, and a room's Files list."""

from __future__ import annotations

from django.db.models import Q

from hub.errors import NotFound
from hub.models import User
from rooms.models.files import Attachment, Upload
from rooms.models.rooms import Room
from rooms.selectors.access import check_active_person


def access_upload(user: User, key: str) -> Upload:
    """The upload ``key`` if ``user`` may fetch it, else ``NotFound`` (missing looks the same).

    Checked on every request, with one query: shown with a message that is
    not deleted in a room the person is an active member of (an archived
    room's members still read it), or the person's own upload not sent yet.
    """
    check_active_person(user)
    upload = (
        Upload.objects.filter(key=key, released_at__isnull=True)
        .filter(
            Q(
                attachments__message__deleted_at__isnull=True,
                attachments__room__memberships__user=user,
                attachments__room__memberships__left_at__isnull=True,
            )
            | Q(uploaded_by=user, attached_at__isnull=True)
        )
        .only("key", "name", "content_type", "blob", "thumbnail", "size")
        .first()
    )
    if upload is None:
        raise NotFound()
    return upload


def room_files(
    room: Room, *, words: str = "", before: int | None = None, limit: int = 50
) -> list[Attachment]:
    """The files shown in ``room``, newest message first (then in the message's order).

    ``words`` filters by file name; ``before`` pages by the messages' seq.
    """
    attachments = (
        Attachment.objects.filter(room=room, message__deleted_at__isnull=True)
        .select_related("upload", "message__author__organization")
        .order_by("-seq", "position")
    )
    if words:
        attachments = attachments.filter(upload__name__icontains=words)
    if before is not None:
        attachments = attachments.filter(seq__lt=before)
    return list(attachments[:limit])
