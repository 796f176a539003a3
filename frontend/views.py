"""Server-rendered pages; live data arrives over the socket (frontend/static).

Each page embeds a small JSON "boot" object (``json_script``) with what its
ES module needs to draw the first screen without a round trip: the person,
their rooms with unread counts, and the room being opened. Everything after
that comes from the socket and the JSON API.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from hub.actions import check_update_profile
from hub.errors import ActionError, NotFound
from hub.http import AuthedRequest
from hub.selectors import me_for, partnerships_for
from rooms.selectors import access_membership, room_list


def _groups(rooms: list[dict[str, Any]]) -> dict[str, Any]:
    """Rooms as the sidebar and the home page show them: by partner, internal, archived."""
    shared: dict[str, list[dict[str, Any]]] = {}
    internal = []
    archived = []
    for room in rooms:
        if room["archived"]:
            archived.append(room)
        elif room["kind"] == "shared":
            shared.setdefault(room["partner"]["name"], []).append(room)
        else:
            internal.append(room)
    return {"shared": sorted(shared.items()), "internal": internal, "archived": archived}


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    rooms = room_list(request.user)
    partnerships = partnerships_for(request.user)
    return render(
        request,
        "frontend/home.html",
        {
            **_groups(rooms),
            "partnerships": partnerships,
            "boot": {"me": me_for(request.user), "rooms": rooms, "partnerships": partnerships},
        },
    )


@login_required
def room(request: AuthedRequest, room_id: int) -> HttpResponse:
    try:
        access_membership(request.user, room_id, readonly=True)
    except NotFound:
        raise Http404("No such room.") from None
    rooms = room_list(request.user)
    current = next((r for r in rooms if r["id"] == room_id), None)
    if current is None:  # left between the two reads
        raise Http404("No such room.")
    return render(
        request,
        "frontend/room.html",
        {
            **_groups(rooms),
            "room": current,
            "boot": {"me": me_for(request.user), "rooms": rooms, "room": current},
        },
    )


@login_required
def profile(request: AuthedRequest) -> HttpResponse:
    """Name, title and handle: what the other organization sees of a person."""
    person = request.user
    values = {"display_name": person.display_name, "title": person.title, "handle": person.handle}
    error = ""
    if request.method == "POST":
        values = {key: request.POST.get(key, "") for key in values}
        try:
            check_update_profile(person, **values)
        except ActionError as problem:
            error = problem.detail
        else:
            messages.success(request, "Your profile is saved.")
            return redirect("frontend:profile")
    return render(
        request,
        "frontend/profile.html",
        {"values": values, "error": error},
        status=400 if error else 200,
    )
