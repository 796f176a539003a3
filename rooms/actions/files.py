"""Uploads: checked, stored, sent with a message, shown in mirrors, released.

An upload is four steps, so the event loop and the database threads never
wait on a file: ``check_may_upload`` (database: may this person upload into
this room, and how much?), ``prepare_upload`` (the files thread: what is it,
is it allowed, make the image safe; no database, no storage),
``do_record_upload`` (database: the row), ``store_upload`` (I/O: the bytes,
after their row). ``upload_file`` runs them in one call. The upload is then
the uploader's alone until they send it with a message in that same room
(``uploads_to_send``, ``do_attach``).
"""

from __future__ import annotations

import datetime
import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from hub import audit, ratelimit
from hub.errors import Conflict, Forbidden, Invalid, NotFound, TooLarge
from hub.models import User
from rooms.files import storage
from rooms.files.detect import IMAGE, KIND_WORDS, KINDS, Detected, detect
from rooms.files.images import Thumbnail, prepare_image
from rooms.models.files import Attachment, FilePolicy, Upload, new_file_key
from rooms.models.messages import Message
from rooms.models.rooms import Room
from rooms.selectors.access import access_room_for_write
from rooms.wire.types import FilePolicyData

logger = logging.getLogger("causeway.files")

_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


@dataclass(frozen=True)
class UploadRules:
    """What applies to one person's upload into one room."""

    room: Room
    max_bytes: int
    # None: every kind.
    kinds: frozenset[str] | None
    # The size limit is the uploader's organization's (for its own people only).
    by_policy: bool


@dataclass(frozen=True)
class PreparedUpload:
    """An upload checked and made safe, not stored yet (``store_upload`` stores it)."""

    key: str
    name: str
    detected: Detected
    size: int
    width: int | None
    height: int | None
    # Its bytes: what was uploaded (a spooled file), or the image made safe.
    content: bytes | IO[bytes]
    thumbnail: Thumbnail | None
    # The names its bytes are stored under.
    blob: str
    thumbnail_blob: str


def mb(size: int) -> str:
    """A size as people read it: "25 MB", "1000 bytes"."""
    return str(filesizeformat(size)).replace("\xa0", " ").replace(".0 ", " ")


def upload_rules(uploader: User, room: Room) -> UploadRules:
    """The server's limits, narrowed in shared rooms by the uploader's own organization."""
    max_bytes = int(settings.CAUSEWAY_FILE_MAX_BYTES)
    if not room.is_shared:
        return UploadRules(room, max_bytes, None, False)
    policy = FilePolicy.objects.filter(organization=uploader.organization).first()
    if policy is None:
        return UploadRules(room, max_bytes, None, False)
    if not policy.uploads_allowed:
        raise Forbidden("Your organization does not allow uploading files into shared rooms.")
    kinds = frozenset(policy.kinds) if policy.kinds else None
    if policy.max_bytes is not None and policy.max_bytes < max_bytes:
        return UploadRules(room, policy.max_bytes, kinds, True)
    return UploadRules(room, max_bytes, kinds, False)


def check_may_upload(uploader: User, *, room_id: int, size: int) -> UploadRules:
    """May ``uploader`` upload ``size`` bytes into the room? Before a byte is looked at."""
    room = access_room_for_write(uploader, room_id)
    rules = upload_rules(uploader, room)
    ratelimit.hit(uploader.pk, "writes")
    if size <= 0:
        raise Invalid("The file is empty.")
    if size > rules.max_bytes:
        if rules.by_policy:
            raise TooLarge(
                f"Your organization allows files of at most {mb(rules.max_bytes)} in shared rooms."
            )
        raise TooLarge(f"Files are limited to {mb(rules.max_bytes)}.")
    return rules


def clean_file_name(name: str) -> str:
    """The name shown and offered for download: no path, no control characters, <= 200 chars."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    # Format characters too (U+202E and its kind would show "fdp.exe" as "exe.pdf").
    name = "".join(c for c in name if unicodedata.category(c) != "Cf")
    name = _UNSAFE_NAME.sub("", name).strip().lstrip(".") or "file"
    if len(name) > 200:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            name = f"{stem[: 199 - len(extension)]}.{extension}"
        else:
            name = name[:200]
    return name


def prepare_upload(
    stream: IO[bytes], *, name: str, size: int, rules: UploadRules
) -> PreparedUpload:
    """Detect, check against ``rules``, make an image safe. No database, no storage.

    Runs in the files thread (``hub.threads.blocking``): the CPU-heavy part.
    """
    detected = detect(stream)
    if rules.kinds is not None and detected.kind not in rules.kinds:
        allowed = ", ".join(KIND_WORDS[k]["many"] for k in KINDS if k in rules.kinds)
        raise Forbidden(
            f"Your organization allows only {allowed or 'no files'} in shared rooms; "
            f"this is {KIND_WORDS[detected.kind]['one']}."
        )
    width = height = None
    content: bytes | IO[bytes] = stream
    thumbnail: Thumbnail | None = None
    if detected.kind == IMAGE:
        image = prepare_image(
            stream,
            detected,
            max_pixels=settings.CAUSEWAY_IMAGE_MAX_PIXELS,
            max_side=settings.CAUSEWAY_IMAGE_MAX_SIDE,
        )
        width, height, thumbnail = image.width, image.height, image.thumbnail
        if image.clean is not None:
            content, size = image.clean, len(image.clean)
    key = new_file_key()
    thumb = ""
    if thumbnail is not None:
        thumb = storage.blob_name(key, storage.thumbnail_part(thumbnail.extension))
    return PreparedUpload(
        key=key,
        name=clean_file_name(name),
        detected=detected,
        size=size,
        width=width,
        height=height,
        content=content,
        thumbnail=thumbnail,
        blob=storage.blob_name(key, storage.ORIGINAL),
        thumbnail_blob=thumb,
    )


def do_record_upload(uploader: User, rules: UploadRules, prepared: PreparedUpload) -> Upload:
    """The upload's row, written before its bytes are stored (``store_upload``).

    So bytes never outlive their row: an upload interrupted after this (the
    browser cancelled, storage failed) is a row never sent, which the worker
    removes, bytes and all, after the grace.
    """
    assert uploader.organization_id is not None  # access_room_for_write: a member of a room
    return Upload.objects.create(
        key=prepared.key,
        uploaded_by=uploader,
        organization_id=uploader.organization_id,
        room=rules.room,
        name=prepared.name,
        content_type=prepared.detected.content_type,
        kind=prepared.detected.kind,
        size=prepared.size,
        width=prepared.width,
        height=prepared.height,
        blob=prepared.blob,
        thumbnail=prepared.thumbnail_blob,
    )


def store_upload(prepared: PreparedUpload) -> None:
    """Put a recorded upload's bytes in storage (I/O, no database)."""
    content = prepared.content
    try:
        if not isinstance(content, bytes):
            content.seek(0)
        original = content if isinstance(content, bytes) else File(content)
        storage.save(prepared.blob, original, prepared.detected.content_type)
        if prepared.thumbnail is not None:
            storage.save(
                prepared.thumbnail_blob,
                prepared.thumbnail.data,
                prepared.thumbnail.content_type,
            )
    finally:
        if not isinstance(content, bytes):
            content.close()


def do_drop_upload(upload: Upload) -> None:
    """An upload whose bytes could not be stored: released, so the worker deletes what got there."""
    Upload.objects.filter(pk=upload.pk).update(released_at=timezone.now())


def upload_file(uploader: User, *, room_id: int, stream: IO[bytes], name: str, size: int) -> Upload:
    """The whole upload in one call (the demo data, the tests); the HTTP view runs its
    steps apart, each in the thread it belongs to."""
    rules = check_may_upload(uploader, room_id=room_id, size=size)
    prepared = prepare_upload(stream, name=name, size=size, rules=rules)
    upload = do_record_upload(uploader, rules, prepared)
    try:
        store_upload(prepared)
    except Exception:
        do_drop_upload(upload)
        raise
    return upload


def copy_for_sharing(upload: Upload, sharer: User, room: Room) -> Upload:
    """A new upload of the same bytes for ``room``: what a share-back shows there.

    New key, new storage objects, made now: nothing of it (its id, the time
    object storage says it was stored) ties it to the internal note's upload.
    The row comes first, unsent, so the worker removes it if the share fails.
    """
    assert sharer.organization_id is not None
    key = new_file_key()
    thumb = ""
    if upload.thumbnail:
        thumb = storage.blob_name(key, storage.thumbnail_part(storage.extension(upload.thumbnail)))
    copy = Upload.objects.create(
        key=key,
        uploaded_by=sharer,
        organization_id=sharer.organization_id,
        room=room,
        name=upload.name,
        content_type=upload.content_type,
        kind=upload.kind,
        size=upload.size,
        width=upload.width,
        height=upload.height,
        blob=storage.blob_name(key, storage.ORIGINAL),
        thumbnail=thumb,
    )
    storage.copy(upload.blob, copy.blob, upload.content_type)
    if thumb:
        storage.copy(upload.thumbnail, thumb, storage.thumbnail_type(thumb))
    return copy


def uploads_to_send(author: User, room: Room, keys: Sequence[str]) -> list[Upload]:
    """The author's own uploads for ``room`` named by ``keys``, in that order, within limits.

    Anyone else's upload, one for another room, one removed, and one sent
    already are "not found" alike: whether a sent one is still shown
    somewhere (a mirror's copy, say) must not show in the answer.
    """
    if not keys:
        return []
    if len(keys) > settings.CAUSEWAY_MESSAGE_FILES_MAX:
        raise Invalid(f"At most {settings.CAUSEWAY_MESSAGE_FILES_MAX} files per message.")
    found = {
        upload.key: upload
        for upload in Upload.objects.filter(
            key__in=keys,
            uploaded_by=author,
            room=room,
            attached_at__isnull=True,
            released_at__isnull=True,
        )
    }
    if len(found) != len(keys):
        raise NotFound("That file does not exist; upload it again.")
    uploads = [found[key] for key in keys]
    total = sum(upload.size for upload in uploads)
    if total > settings.CAUSEWAY_MESSAGE_FILES_MAX_BYTES:
        raise TooLarge(
            f"A message's files are limited to {mb(settings.CAUSEWAY_MESSAGE_FILES_MAX_BYTES)}."
        )
    return uploads


def do_attach(message: Message, uploads: Sequence[Upload], *, claim: bool) -> None:
    """Show ``uploads`` with ``message`` (inside its transaction).

    ``claim``: the uploads are being sent for the first time, and must not
    have been sent before (two sends racing with one upload: one wins). A
    mirror's copy shows its original's uploads, which were sent with it.
    """
    if not uploads:
        return
    if claim:
        ids = [upload.pk for upload in uploads]
        # Not sent meanwhile by a concurrent send, nor removed by the worker.
        claimed = Upload.objects.filter(
            pk__in=ids, attached_at__isnull=True, released_at__isnull=True
        ).update(attached_at=message.created_at)
        if claimed != len(ids):
            raise Conflict("That file was sent already; upload it again to send it again.")
    Attachment.objects.bulk_create(
        Attachment(message=message, upload=upload, room_id=message.room_id, seq=message.seq,
                   position=position)
        for position, upload in enumerate(uploads)
    )  # fmt: skip


def attached_uploads(message: Message) -> list[Upload]:
    return [a.upload for a in message.attachments.select_related("upload").order_by("position")]


def do_release_uploads_of(message: Message) -> None:
    """After ``message`` is deleted (in its transaction): uploads nothing shows any more
    are released; the worker deletes their bytes (``purge_released_uploads``)."""
    ids = set(Attachment.objects.filter(message=message).values_list("upload_id", flat=True))
    if not ids:
        return
    still_shown = set(
        Attachment.objects.filter(upload_id__in=ids, message__deleted_at__isnull=True)
        .exclude(message=message)
        .values_list("upload_id", flat=True)
    )
    Upload.objects.filter(pk__in=ids - still_shown, released_at__isnull=True).update(
        released_at=timezone.now()
    )


def purge_released_uploads(now: datetime.datetime | None = None, *, batch: int = 200) -> int:
    """Delete the bytes of released uploads, and of uploads never sent within the grace.

    Background work (``rooms.jobs``); safe to run in several workers at once
    (a row is claimed with SKIP LOCKED) and again after a failure.
    """
    now = now or timezone.now()
    grace = datetime.timedelta(hours=settings.CAUSEWAY_UPLOAD_GRACE_HOURS)
    Upload.objects.filter(
        attached_at__isnull=True, released_at__isnull=True, created_at__lt=now - grace
    ).update(released_at=now)
    purged = 0
    for _ in range(batch):
        with transaction.atomic():
            upload = (
                Upload.objects.select_for_update(skip_locked=True)
                .filter(released_at__isnull=False, purged_at__isnull=True)
                .first()
            )
            if upload is None:
                break
            try:
                storage.delete(upload.blob)
                storage.delete(upload.thumbnail)
            except Exception:
                logger.warning("could not delete the bytes of upload %s", upload.pk, exc_info=True)
                break
            upload.purged_at = now
            upload.save(update_fields=["purged_at"])
            purged += 1
    return purged


def file_policy_data(person: User) -> FilePolicyData:
    """The person's own organization's policy for shared rooms, with the server's limits."""
    policy = FilePolicy.objects.filter(organization=person.organization).first()
    server_max = int(settings.CAUSEWAY_FILE_MAX_BYTES)
    return {
        "uploads_allowed": policy.uploads_allowed if policy else True,
        "kinds": list(policy.kinds) if policy else [],
        "max_bytes": policy.max_bytes if policy and policy.max_bytes else None,
        "server_max_bytes": server_max,
        "message_files_max": int(settings.CAUSEWAY_MESSAGE_FILES_MAX),
        "message_max_bytes": int(settings.CAUSEWAY_MESSAGE_FILES_MAX_BYTES),
        "can_change": person.is_org_admin,
    }


def check_set_file_policy(
    actor: User, *, uploads_allowed: bool, kinds: list[str], max_bytes: int | None
) -> FilePolicy:
    """An organization admin sets what their own people may upload into shared rooms."""
    if not actor.is_org_admin or actor.organization_id is None:
        raise Forbidden("Only an admin of your organization can change its file policy.")
    if max_bytes is not None and max_bytes > settings.CAUSEWAY_FILE_MAX_BYTES:
        raise TooLarge(f"The server's limit is {mb(settings.CAUSEWAY_FILE_MAX_BYTES)}.")
    with transaction.atomic():
        policy, _ = FilePolicy.objects.select_for_update().get_or_create(
            organization_id=actor.organization_id
        )
        before = {"uploads_allowed": policy.uploads_allowed, "kinds": policy.kinds,
                  "max_bytes": policy.max_bytes}  # fmt: skip
        policy.uploads_allowed = uploads_allowed
        policy.kinds = kinds
        policy.max_bytes = max_bytes
        policy.updated_by = actor
        policy.updated_at = timezone.now()
        policy.save()
        audit.record(
            actor,
            "files.policy_changed",
            policy,
            organization=actor.organization,
            before=before,
            after={"uploads_allowed": uploads_allowed, "kinds": kinds, "max_bytes": max_bytes},
        )
    return policy
