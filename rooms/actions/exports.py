"""Room exports: an admin asks for one, the worker builds it, it expires.

``check_request_room_export`` validates, authorizes and queues (and audits);
``run_next_export`` (the worker) claims one queued export with SKIP LOCKED and
builds its ZIP (``rooms.exports.archive``); ``purge_expired_exports`` deletes
the ZIPs past their expiry. Nothing here publishes a frame or a notification:
an export is the exporting organization's business only, and the partner's
people and admins are never told (docs/architecture.md "Exports").
"""

from __future__ import annotations

import datetime
import logging
import secrets
from typing import Literal, TypedDict

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from hub import audit, ratelimit
from hub.errors import NotFound
from hub.models import Partnership, User
from rooms.exports.archive import build_archive
from rooms.files import storage
from rooms.models.exports import RoomExport
from rooms.models.rooms import Membership, Room
from rooms.selectors.access import check_active_person

logger = logging.getLogger("causeway.exports")

EXPIRES_AFTER = datetime.timedelta(days=7)
# A build still ``running`` this long after it started: its worker died (a deploy, a crash).
ABANDONED_AFTER = datetime.timedelta(hours=2)
ZIP_TYPE = "application/zip"
# Partnerships whose shared rooms their organizations' admins may export: a
# proposed or declined one never had rooms worth the name.
EXPORTABLE_PARTNERSHIPS = (Partnership.Status.ACTIVE, Partnership.Status.ENDED)


def access_exportable_room(actor: User, room_id: int) -> Room:
    """The room, if ``actor`` (an admin) may export it; otherwise ``NotFound``, the same
    answer as for a room that does not exist.

    - a shared room of an active or ended partnership of the admin's organization;
    - an internal room of the admin's own organization (its mirrors and escalation
      rooms included: they are internal rooms of that organization);
    - a direct conversation only if the admin is one of its people: it lives in its
      people's memberships alone (docs/architecture.md "Security invariants").
    Never the other organization's internal, mirror or escalation rooms.
    """
    check_active_person(actor)
    if not actor.is_org_admin:
        raise NotFound()
    org = actor.organization_id
    shared = Q(
        kind=Room.Kind.SHARED,
        partnership__status__in=EXPORTABLE_PARTNERSHIPS,
    ) & (Q(partnership__supplier_id=org) | Q(partnership__client_id=org))
    internal = Q(kind=Room.Kind.INTERNAL, organization_id=org)
    direct = Q(kind=Room.Kind.DIRECT, pk__in=_direct_rooms_of(actor))
    room = Room.objects.filter(shared | internal | direct, pk=room_id).first()
    if room is None:
        raise NotFound()
    return room


def _direct_rooms_of(actor: User) -> list[int]:
    return list(
        Membership.objects.active()
        .filter(user=actor, room__kind=Room.Kind.DIRECT)
        .values_list("room_id", flat=True)
    )


def check_request_room_export(actor: User, *, room_id: int) -> RoomExport:
    room = access_exportable_room(actor, room_id)
    # Each export reads the whole room and its files: as limited as any other write.
    ratelimit.hit(actor.id, "writes")
    return do_request_room_export(actor, room)


def do_request_room_export(actor: User, room: Room) -> RoomExport:
    """Queue the export and record it in the actor's organization's audit log only."""
    with transaction.atomic():
        assert actor.organization is not None  # an admin always has one
        export = RoomExport.objects.create(
            requested_by=actor, organization=actor.organization, room=room
        )
        audit.record(actor, "room.exported", room, export=export.pk, room=room.id, name=room.name)
    return export


# How many of a room's past exports the room settings list.
LISTED = 20


def exports_of_room(actor: User, room_id: int) -> list[RoomExport]:
    """The room's exports by the admin's organization, newest first (at most ``LISTED``):
    the room settings panel lists them, follows one still building and links the ZIPs
    not yet expired. A room the admin may not export: ``NotFound``, as for asking."""
    room = access_exportable_room(actor, room_id)
    return list(
        RoomExport.objects.filter(room=room, organization=actor.organization)
        .select_related("room")
        .order_by("-created_at", "-pk")[:LISTED]
    )


def access_export(actor: User, export_id: int) -> RoomExport:
    """An export its requester, or an admin of the requester's organization, may see."""
    check_active_person(actor)
    mine = Q(requested_by=actor)
    if actor.is_org_admin:
        mine |= Q(organization_id=actor.organization_id)
    export = RoomExport.objects.filter(mine, pk=export_id).select_related("room").first()
    if export is None:
        raise NotFound()
    return export


def access_export_download(actor: User, export_id: int) -> RoomExport:
    export = access_export(actor, export_id)
    if export.status != RoomExport.Status.DONE or not export.blob or export.purged_at:
        raise NotFound()
    return export


class ExportRoomRef(TypedDict):
    id: int
    name: str


class RoomExportData(TypedDict):
    """An export's state: GET /api/exports/{id}/ and each of GET /api/rooms/{id}/exports/."""

    id: int
    room: ExportRoomRef
    status: Literal["queued", "running", "done", "failed"]
    progress: int
    error: str | None
    created_at: str
    finished_at: str | None
    expires_at: str | None
    expired: bool
    download: str | None


class RoomExportList(TypedDict):
    exports: list[RoomExportData]


def export_data(export: RoomExport) -> RoomExportData:
    """The status endpoint's answer (docs/protocol.md "Room exports")."""
    return {
        "id": export.pk,
        "room": {"id": export.room_id, "name": export.room.name},
        "status": export.status,  # type: ignore[typeddict-item]
        "progress": export.progress,
        "error": export.error or None,
        "created_at": export.created_at.isoformat(),
        "finished_at": export.finished_at.isoformat() if export.finished_at else None,
        "expires_at": export.expires_at.isoformat() if export.expires_at else None,
        "expired": export.purged_at is not None,
        "download": (
            f"/api/exports/{export.pk}/download/"
            if export.status == RoomExport.Status.DONE and export.purged_at is None
            else None
        ),
    }


def claim_next_export(now: datetime.datetime | None = None) -> RoomExport | None:
    """Mark the oldest queued export running; several workers never claim the same one."""
    with transaction.atomic():
        export = (
            RoomExport.objects.select_for_update(skip_locked=True)
            .filter(status=RoomExport.Status.QUEUED)
            .order_by("created_at")
            .first()
        )
        if export is None:
            return None
        export.status = RoomExport.Status.RUNNING
        export.started_at = now or timezone.now()
        export.save(update_fields=["status", "started_at"])
    return export


def run_next_export(now: datetime.datetime | None = None) -> int | None:
    """Build one queued export (the worker); returns its id, or None when none was queued."""
    export = claim_next_export(now)
    if export is None:
        return None
    blob = f"exports/{secrets.token_urlsafe(24)}/room-{export.room_id}.zip"
    try:
        size = build_archive(export, blob, progress=lambda p: _set_progress(export, p))
    except Exception as error:
        logger.exception("room export %s failed", export.pk)
        _discard(blob)
        export.status = RoomExport.Status.FAILED
        export.error = f"Building the export failed ({type(error).__name__}); ask for a new one."
        export.finished_at = timezone.now()
        export.save(update_fields=["status", "error", "finished_at"])
        return export.pk
    finished = timezone.now()
    export.status = RoomExport.Status.DONE
    export.progress = 100
    export.blob = blob
    export.size = size
    export.finished_at = finished
    export.expires_at = finished + EXPIRES_AFTER
    export.save(update_fields=["status", "progress", "blob", "size", "finished_at", "expires_at"])
    return export.pk


def _discard(blob: str) -> None:
    # A half-written ZIP may or may not have reached the storage; either way it goes.
    try:
        storage.delete(blob)
    except Exception:
        logger.exception("could not delete the failed export %s", blob)


def _set_progress(export: RoomExport, progress: int) -> None:
    # Its own short write (autocommit), so the status endpoint sees it while the build runs.
    progress = max(0, min(99, progress))
    if progress != export.progress:
        export.progress = progress
        RoomExport.objects.filter(pk=export.pk).update(progress=progress)


def purge_expired_exports(now: datetime.datetime | None = None) -> int:
    """Delete the ZIPs of exports past their expiry; the rows stay (``expired``). Also mark
    failed the builds a dead worker left ``running``, so their requester is not left waiting."""
    now = now or timezone.now()
    RoomExport.objects.filter(
        status=RoomExport.Status.RUNNING, started_at__lt=now - ABANDONED_AFTER
    ).update(
        status=RoomExport.Status.FAILED,
        error="The export was interrupted; ask for a new one.",
        finished_at=now,
    )
    purged = 0
    for export in RoomExport.objects.filter(
        status=RoomExport.Status.DONE, expires_at__lte=now, purged_at__isnull=True
    ):
        storage.delete(export.blob)
        RoomExport.objects.filter(pk=export.pk).update(purged_at=now)
        purged += 1
    return purged
