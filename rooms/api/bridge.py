"""HTTP JSON for mirrors and share-back."""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse

from hub.http import AuthedRequest, api, body
from rooms.bridge.mirrors import (
    check_create_mirror,
    check_share_back,
    check_stop_mirror,
    mirrors_for,
    share_back_prompt,
)
from rooms.schemas import MirrorNew, ShareBack


def _mirror_json(mirror: Any, actor: Any) -> dict[str, Any]:
    return {
        "id": mirror.pk,
        "source_room": mirror.source_room_id,
        "thread": mirror.source_root_id,
        "target_room": mirror.target_room_id,
        "root_copy": mirror.root_copy_id,
        "created_at": mirror.created_at.isoformat(),
        "stopped_at": mirror.stopped_at.isoformat() if mirror.stopped_at else None,
        # What sharing a note back asks the person (the web app's dialog, the Matrix
        # bridge's !share): the one wording, made here.
        "share_prompt": share_back_prompt(actor, mirror),
    }


@api(("GET", "POST"))
def mirrors(request: AuthedRequest) -> JsonResponse:
    if request.method == "POST":
        new = body(request, MirrorNew)
        mirror = check_create_mirror(
            request.user,
            source_room_id=new.source_room,
            root_id=new.thread,
            target_room_id=new.target_room,
        )
        return JsonResponse(_mirror_json(mirror, request.user), status=201)
    return JsonResponse(
        {"mirrors": [_mirror_json(m, request.user) for m in mirrors_for(request.user)]}
    )


@api(("DELETE",))
def mirror(request: AuthedRequest, mirror_id: int) -> JsonResponse:
    stopped = check_stop_mirror(request.user, mirror_id=mirror_id)
    return JsonResponse(_mirror_json(stopped, request.user))


@api(("POST",))
def share_back(request: AuthedRequest, mirror_id: int) -> JsonResponse:
    share = body(request, ShareBack)
    shared = check_share_back(
        request.user,
        mirror_id=mirror_id,
        message_id=share.message,
        body=share.body,
        confirmed_body=share.confirmed_body,
        confirmed_files=share.confirmed_files,
    )
    return JsonResponse({"room": shared.room_id, "id": shared.pk, "seq": shared.seq}, status=201)
