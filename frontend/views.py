"""Server-rendered pages; live data arrives over the socket (frontend/static)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render

from hub.errors import NotFound
from hub.http import AuthedRequest
from hub.selectors import partnerships_for
from rooms.selectors import access_membership, room_list


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    rooms = room_list(request.user)
    shared: dict[str, list[dict[str, object]]] = {}
    internal = []
    for room in rooms:
        if room["kind"] == "shared":
            shared.setdefault(room["partner"]["name"], []).append(room)
        else:
            internal.append(room)
    return render(
        request,
        "frontend/home.html",
        {
            "shared": sorted(shared.items()),
            "internal": internal,
            "partnerships": partnerships_for(request.user),
        },
    )


@login_required
def room(request: AuthedRequest, room_id: int) -> HttpResponse:
    try:
        membership = access_membership(request.user, room_id)
    except NotFound:
        raise Http404("No such room.") from None
    return render(request, "frontend/room.html", {"room": membership.room})
