"""Server-rendered pages; live data arrives over the socket (frontend/static).

Each page embeds a small JSON "boot" object (``json_script``) with what its
ES module needs to draw the first screen without a round trip: the person,
their rooms with unread counts, and the room being opened. Everything after
that comes from the socket and the JSON API.
"""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import get_adapter
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from frontend.adapters import INVITATION_SESSION_KEY
from hub import audit
from hub.errors import ActionError, NotFound
from hub.http import AuthedRequest
from hub.identity import identity_provider
from hub.models import User
from hub.organization import access_admin_organization, organization_settings
from hub.schemas import ProfileChange, parse, time_zones
from hub.selectors import me_for, partnerships_for
from rooms.actions.digests import ALL_TOPICS, check_unsubscribe, read_unsubscribe_token
from rooms.actions.invitations import check_accept_invitation, find_invitation
from rooms.actions.people import check_update_profile
from rooms.models.notifications import TOPICS
from rooms.selectors.access import access_membership
from rooms.selectors.rooms import room_list
from rooms.wire.types import RoomListEntry


def _groups(rooms: list[RoomListEntry]) -> dict[str, Any]:
    """Rooms as the sidebar and the home page show them: direct conversations, by partner,
    internal, archived."""
    shared: dict[str, list[RoomListEntry]] = {}
    internal = []
    archived = []
    direct = []
    for room in rooms:
        if room["archived"]:
            archived.append(room)
        elif room["kind"] == "direct":
            direct.append(room)
        elif "partner" in room:
            shared.setdefault(room["partner"]["name"], []).append(room)
        else:
            internal.append(room)
    return {
        "shared": sorted(shared.items()),
        "internal": internal,
        "archived": archived,
        "direct": direct,
    }


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
def work(request: AuthedRequest) -> HttpResponse:
    """My work: assigned to me and raised by me, across my rooms (the lists come by API)."""
    rooms = room_list(request.user)
    return render(
        request, "frontend/work.html", {"boot": {"me": me_for(request.user), "rooms": rooms}}
    )


@login_required
def profile(request: AuthedRequest) -> HttpResponse:
    """Name, title, handle and time zone: what the other organization sees of a person."""
    person = request.user
    values = {
        "display_name": person.display_name,
        "title": person.title,
        "handle": person.handle,
        "time_zone": person.time_zone,
    }
    error = ""
    if request.method == "POST":
        # A form without the time zone (a page from before it was there) keeps it.
        values = {
            key: request.POST.get(key, value if key == "time_zone" else "")
            for key, value in values.items()
        }
        try:
            change = parse(ProfileChange, values)
            check_update_profile(
                person,
                display_name=change.display_name,
                title=change.title,
                handle=change.handle,
                time_zone=change.time_zone,
            )
        except ActionError as problem:
            error = problem.detail
        else:
            messages.success(request, "Your profile is saved.")
            return redirect("frontend:profile")
    return render(
        request,
        "frontend/profile.html",
        {
            "values": values,
            "error": error,
            "time_zones": sorted(time_zones()),
            "person_name": person.name,
            "avatar_url": person.avatar_url,
        },
        status=400 if error else 200,
    )


@login_required
@require_GET
def organization(request: AuthedRequest) -> HttpResponse:
    """The organization settings, for its admins: to anyone else the page does not exist."""
    try:
        settings = organization_settings(request.user)
    except NotFound:
        raise Http404("No such page.") from None
    return render(
        request,
        "frontend/organization.html",
        {
            "boot": {
                "me": me_for(request.user),
                "organization": settings,
                "identity_provider": identity_provider(request.user),
            }
        },
    )


@login_required
@require_GET
def audit_log(request: AuthedRequest) -> HttpResponse:
    """The own organization's audit log, for its admins (anyone else: 404, as if there were
    no such page); the entries come from GET /api/organization/audit/."""
    try:
        organization = access_admin_organization(request.user)
    except NotFound:
        raise Http404("No such page.") from None
    people = User.objects.filter(organization=organization, is_bot=False).order_by(
        "display_name", "email"
    )
    return render(
        request,
        "frontend/audit.html",
        {
            "organization": organization,
            "kinds": sorted(audit.LABELS.items(), key=lambda kind: kind[1]),
            "people": people,
            "time_zone": request.user.time_zone,
        },
    )


@require_GET
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the invitation e-mail.

    Signed in: accept now. Signed out with an account: sign in, then come
    back. Signed out without one: sign up; the invitation is kept in the
    session and decides the organization (see ``hub.adapters``).
    """
    invitation = find_invitation(token)
    if invitation is None or not invitation.is_usable():
        return render(
            request,
            "hub/invitation_invalid.html",
            {"reason": "missing" if invitation is None else "used"},
            status=404 if invitation is None else 410,
        )
    user = request.user
    if user.is_authenticated:
        try:
            check_accept_invitation(user, token=token)
        except ActionError as error:
            return render(
                request, "hub/invitation_invalid.html", {"reason": error.detail}, status=403
            )
        messages.success(request, f"Welcome to {invitation.room or invitation.organization}.")
        if invitation.room_id:
            return redirect("frontend:room", room_id=invitation.room_id)
        return redirect("frontend:home")
    if User.objects.filter(email__iexact=invitation.email).exists():
        return redirect(f"{reverse('account_login')}?next={request.path}")
    request.session[INVITATION_SESSION_KEY] = token
    # The invitation link proves the address: no second verification e-mail.
    get_adapter(request).stash_verified_email(request, invitation.email)
    return render(request, "hub/invitation_signup.html", {"invitation": invitation})


@csrf_exempt  # the signed token is the proof; mail clients' one-click POST carries no CSRF token
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The link in a digest e-mail: GET asks, POST (a person's click, or a mail client's
    RFC 8058 one-click) switches that topic's e-mail off. No sign-in needed."""
    found = read_unsubscribe_token(token)
    if found is None:
        return render(request, "frontend/unsubscribe.html", {"state": "invalid"}, status=404)
    topic = found[1]
    what = "anything" if topic == ALL_TOPICS else TOPICS[topic].lower()
    if request.method == "POST":
        if check_unsubscribe(token) is None:
            return render(request, "frontend/unsubscribe.html", {"state": "invalid"}, status=404)
        return render(request, "frontend/unsubscribe.html", {"state": "done", "what": what})
    if request.method != "GET":
        return HttpResponse(status=405)
    return render(request, "frontend/unsubscribe.html", {"state": "ask", "what": what})
