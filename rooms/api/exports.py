"""HTTP for room exports: ask for one, follow its progress, download the ZIP."""

from __future__ import annotations

import asyncio

from asgiref.sync import sync_to_async
from django.http import FileResponse, HttpResponse, HttpResponseRedirect, JsonResponse
from django.utils.http import content_disposition_header

from hub.errors import NotFound
from hub.http import AuthedRequest, api
from rooms.actions.exports import (
    ZIP_TYPE,
    RoomExportList,
    access_export,
    access_export_download,
    check_request_room_export,
    export_data,
    exports_of_room,
)
from rooms.files import storage


@api(methods=("GET", "POST"))
def room_exports(request: AuthedRequest, room_id: int) -> JsonResponse:
    """GET /api/rooms/{id}/exports/: the room's past exports by the admin's organization;
    POST: queue an export of the room (its organization's admins)."""
    if request.method == "GET":
        listed: RoomExportList = {
            "exports": [export_data(e) for e in exports_of_room(request.user, room_id)]
        }
        return JsonResponse(listed)
    export = check_request_room_export(request.user, room_id=room_id)
    return JsonResponse(export_data(export), status=201)


@api()
def export_status(request: AuthedRequest, export_id: int) -> JsonResponse:
    """GET /api/exports/{id}/: status and progress (the requester and their admins)."""
    return JsonResponse(export_data(access_export(request.user, export_id)))


@api()
async def export_download(request: AuthedRequest, export_id: int) -> HttpResponse | FileResponse:
    """GET /api/exports/{id}/download/: the finished ZIP as an attachment."""
    export = await sync_to_async(access_export_download)(request.user, export_id)
    day = (export.finished_at or export.created_at).date().isoformat()
    filename = f"room-{export.room_id}-{day}.zip"
    response: HttpResponse | FileResponse
    if storage.is_object_storage():
        url = await asyncio.to_thread(
            storage.presigned_url,
            export.blob,
            filename=filename,
            content_type=ZIP_TYPE,
            inline=False,
        )
        response = HttpResponseRedirect(url)
    else:
        try:
            handle = await asyncio.to_thread(storage.files_storage().open, export.blob, "rb")
        except FileNotFoundError:
            raise NotFound() from None
        response = FileResponse(handle, content_type=ZIP_TYPE)
        response["Content-Disposition"] = content_disposition_header(True, filename) or ""
        response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
