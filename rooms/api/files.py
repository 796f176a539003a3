"""HTTP for files: upload, the access-checked download, a room's Files list, the policy.

Files never travel over the WebSocket: they are uploaded here first (the
request's body is the file), then sent by naming their ids in
``message.send`` (docs/protocol.md "Files").
The views are async: a file is detected and made safe in the files thread
(``hub.threads.blocking``), its bytes copied, stored and read on the default
executor (I/O), its rows read and written in the request's own thread
(``sync_to_async``: Django gives each request one); nothing slow runs on the
event loop.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import AsyncIterator
from typing import IO, Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import (
    HttpResponse,
    HttpResponseNotModified,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.utils.http import content_disposition_header

from hub.errors import Invalid, NotFound
from hub.http import AuthedRequest, api, body, is_form, query
from hub.threads import blocking
from rooms.actions.files import (
    check_may_upload,
    check_set_file_policy,
    do_drop_upload,
    do_record_upload,
    file_policy_data,
    prepare_upload,
    store_upload,
)
from rooms.files import storage
from rooms.files.detect import shown_inline
from rooms.models.files import Upload
from rooms.schemas import FilePolicyChange, FilesQuery, UploadQuery
from rooms.selectors.access import access_membership
from rooms.selectors.files import access_upload, room_files
from rooms.wire.serializers import file_data, person_ref

logger = logging.getLogger("causeway.files")

CHUNK = 256 * 1024
# On every file served from here: it is never run as a page, never sniffed
# into another type, never embedded elsewhere.
FILE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    ),
    "Cross-Origin-Resource-Policy": "same-origin",
    "Referrer-Policy": "no-referrer",
    # Checked on every request: the browser may keep a copy but must ask again.
    "Cache-Control": "private, no-cache",
}


@api(("GET", "POST"))
async def files(request: AuthedRequest, room_id: int) -> JsonResponse:
    """GET /api/rooms/{room}/files/?q=&before=: the room's files, newest first.
    POST /api/rooms/{room}/files/?name=: upload one file (the body is its bytes)."""
    if request.method == "POST":
        return await _upload(request, room_id)
    return await sync_to_async(_list)(request, room_id)


async def _upload(request: AuthedRequest, room_id: int) -> JsonResponse:
    """The body is the file itself, not a form (``hub.http.is_form`` says why)."""
    if is_form(request):
        raise Invalid(
            "Send the file's bytes as the request body (not a form), its name in `?name=`."
        )
    name = query(request, UploadQuery).name
    size = int(request.META.get("CONTENT_LENGTH") or 0)
    rules = await sync_to_async(check_may_upload)(request.user, room_id=room_id, size=size)
    # Each step in the thread it belongs to: copying the body is I/O, detecting
    # and making an image safe is CPU (the files thread), the row is the
    # database's, storing is I/O again. The row comes before the bytes, so
    # nothing is stored that no row accounts for, even if the browser cancels.
    stream = await asyncio.to_thread(_spool, request, size)
    try:
        prepared = await blocking(prepare_upload)(stream, name=name, size=size, rules=rules)
    except BaseException:
        stream.close()
        raise
    stored = await sync_to_async(do_record_upload)(request.user, rules, prepared)
    try:
        await asyncio.to_thread(store_upload, prepared)
    except BaseException:
        await sync_to_async(do_drop_upload)(stored)
        raise
    return JsonResponse(file_data(stored), status=201)


@api()
async def download(request: AuthedRequest, key: str) -> HttpResponse | StreamingHttpResponse:
    """GET /api/files/{id}/: the file, if the person may see it; 404 exactly as if missing."""
    found = await sync_to_async(access_upload)(request.user, key)
    inline = shown_inline(found.content_type)
    return await _serve(request, found, found.blob, found.content_type, found.name, inline)


@api()
async def thumbnail(request: AuthedRequest, key: str) -> HttpResponse | StreamingHttpResponse:
    """GET /api/files/{id}/thumbnail/: an image's thumbnail (JPEG or WebP), on the same check."""
    found = await sync_to_async(access_upload)(request.user, key)
    if not found.thumbnail:
        raise NotFound()
    extension = storage.extension(found.thumbnail)
    name = f"{found.name.rsplit('.', 1)[0]}.{extension}"
    return await _serve(
        request, found, found.thumbnail, storage.thumbnail_type(extension), name, True
    )


async def _serve(
    request: AuthedRequest, found: Upload, name: str, content_type: str, filename: str, inline: bool
) -> HttpResponse | StreamingHttpResponse:
    response: HttpResponse | StreamingHttpResponse
    if storage.is_object_storage():
        url = await asyncio.to_thread(
            storage.presigned_url, name, filename=filename, content_type=content_type, inline=inline
        )
        response = HttpResponseRedirect(url)
        response["Cache-Control"] = "private, no-store"
        return response
    etag = f'"{found.key}-{"t" if name == found.thumbnail else "o"}"'
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        try:
            # Reads are I/O, on the default executor: never queued behind the
            # files thread's image work.
            handle = await asyncio.to_thread(storage.files_storage().open, name, "rb")
            size = await asyncio.to_thread(storage.files_storage().size, name)
        except FileNotFoundError:
            # Its row says it is there, the storage has lost it: say so in
            # the log, and answer as for any file that is not there.
            logger.error("file %s is missing from storage (%s)", found.key, name)
            raise NotFound() from None
        served_type = "text/plain; charset=utf-8" if content_type == "text/plain" else content_type
        response = StreamingHttpResponse(_chunks(handle), content_type=served_type)
        response["Content-Length"] = str(size)
        response["Content-Disposition"] = content_disposition_header(not inline, filename) or ""
    response["ETag"] = etag
    for header, value in FILE_HEADERS.items():
        response[header] = value
    return response


def _spool(request: AuthedRequest, size: int) -> IO[bytes]:
    """The request's body in a seekable file of its own (memory, or disk past 4 MB)."""
    # Closed by the caller, once prepared.
    spooled = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)  # noqa: SIM115
    copied = 0
    while chunk := request.read(CHUNK):
        copied += len(chunk)
        spooled.write(chunk)
    if copied != size:
        spooled.close()
        raise Invalid("The upload was cut short; send it again.")
    spooled.seek(0)
    return spooled


async def _chunks(handle: Any) -> AsyncIterator[bytes]:
    """The file in chunks, each read off the event loop; closed at the end or on a disconnect."""
    try:
        while chunk := await asyncio.to_thread(handle.read, CHUNK):
            yield chunk
    finally:
        await asyncio.to_thread(handle.close)


def _list(request: AuthedRequest, room_id: int) -> JsonResponse:
    membership = access_membership(request.user, room_id, readonly=True)
    params = query(request, FilesQuery)
    limit = settings.CAUSEWAY_PAGE_SIZE
    page = room_files(
        membership.room,
        words=params.q,
        before=params.before,
        limit=limit + settings.CAUSEWAY_MESSAGE_FILES_MAX,
    )
    more = len(page) > limit
    if more:
        # Whole messages only: the page ends with all of its last message's files.
        page = [a for a in page if a.seq >= page[limit - 1].seq]
    return JsonResponse(
        {
            "room": membership.room_id,
            "files": [
                {
                    "file": file_data(a.upload),
                    "message": a.message_id,
                    "thread": a.message.thread_root_id,
                    "seq": a.seq,
                    "by": person_ref(a.message.author),
                    "at": a.message.created_at.isoformat(),
                }
                for a in page
            ],
            # Files of one message share its seq: the next page starts below it.
            "before": page[-1].seq if more else None,
        }
    )


@api(("GET", "PUT"))
def file_policy(request: AuthedRequest) -> JsonResponse:
    """GET/PUT /api/organization/file-policy/: what the own organization's people may upload
    into shared rooms (PUT: its admins)."""
    if request.method == "PUT":
        change = body(request, FilePolicyChange)
        check_set_file_policy(
            request.user,
            uploads_allowed=change.uploads_allowed,
            kinds=change.kinds,
            max_bytes=None if change.max_mb is None else change.max_mb * 1024 * 1024,
        )
    return JsonResponse(file_policy_data(request.user))
