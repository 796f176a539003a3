"""HTTP JSON for one's profile, invitations, deactivation, notifications and ending a
partnership."""

from __future__ import annotations

import asyncio

from asgiref.sync import sync_to_async
from django.db.models import Q
from django.http import HttpResponse, JsonResponse
from django.utils import timezone

from hub.errors import Invalid, NotFound
from hub.http import AuthedRequest, api, body, is_form, query
from hub.schemas import ProfileChange
from hub.selectors import me_for
from hub.threads import blocking
from rooms.actions.invitations import check_create_invitation, check_revoke_invitation
from rooms.actions.notifications import (
    check_mark_notifications_read,
    check_update_notification_settings,
    settings_for,
)
from rooms.actions.partnerships import check_end_partnership
from rooms.actions.people import (
    check_avatar_size,
    check_deactivate_person,
    check_remove_avatar,
    check_update_profile,
    do_set_avatar,
    prepare_avatar,
    store_avatar,
)
from rooms.api.files import FILE_HEADERS
from rooms.files import storage
from rooms.schemas import (
    InvitationNew,
    NotificationSettingsChange,
    NotificationsRead,
    PartnershipEnd,
    PeopleQuery,
)
from rooms.selectors.access import access_person, visible_people
from rooms.selectors.invitations import pending_invitations_sent
from rooms.selectors.notifications import notifications_for
from rooms.selectors.people import person_card
from rooms.wire.serializers import notification_settings_data, person_ref


@api(("GET", "PATCH"))
def me(request: AuthedRequest) -> JsonResponse:
    if request.method == "PATCH":
        change = body(request, ProfileChange)
        check_update_profile(
            request.user,
            display_name=change.display_name,
            title=change.title,
            handle=change.handle,
            time_zone=change.time_zone,
        )
    return JsonResponse({"me": me_for(request.user)})


# More than a picker needs; narrow with ?q=.
PEOPLE_LIMIT = 200


@api()
def people(request: AuthedRequest) -> JsonResponse:
    """The people you may know of: your colleagues, and anyone you share a room with."""
    words = query(request, PeopleQuery).q
    found = visible_people(request.user).select_related("organization")
    if words:
        found = found.filter(Q(display_name__icontains=words) | Q(handle__icontains=words))
    return JsonResponse(
        {"people": [person_ref(p) for p in found.order_by("display_name", "handle")[:PEOPLE_LIMIT]]}
    )


@api()
def person(request: AuthedRequest, person_id: int) -> JsonResponse:
    """A person's card: the same 404 for someone you may not know of as for nobody."""
    return JsonResponse({"card": person_card(request.user, person_id)})


@api(("PUT", "DELETE"))
async def my_avatar(request: AuthedRequest) -> JsonResponse:
    """PUT /api/me/avatar/: the body is the picture (not a form: see rooms.api.files);
    DELETE: back to initials."""
    if request.method == "DELETE":
        await sync_to_async(check_remove_avatar)(request.user)
    else:
        if is_form(request):
            raise Invalid("Send the picture's bytes as the request body (not a form).")
        size = int(request.META.get("CONTENT_LENGTH") or 0)
        check_avatar_size(size)
        data = await asyncio.to_thread(lambda: request.body)
        if len(data) != size:
            raise Invalid("The upload was cut short; send it again.")
        picture = await blocking(prepare_avatar)(data)
        name = await asyncio.to_thread(store_avatar, picture)
        try:
            await sync_to_async(do_set_avatar)(request.user, name)
        except BaseException:
            await asyncio.to_thread(storage.delete, name)
            raise
    return JsonResponse({"me": await sync_to_async(me_for)(request.user)})


@api()
async def avatar(request: AuthedRequest, person_id: int, version: str) -> HttpResponse:
    """GET /api/people/{id}/avatar/{version}/: the picture, to those who may know of the
    person; 404 exactly as for nobody, and for a version that is not the current one."""
    person = await sync_to_async(access_person)(request.user, person_id)
    if not person.avatar or person.avatar_version != version:
        raise NotFound()
    try:
        data = await asyncio.to_thread(_read, person.avatar)
    except FileNotFoundError:
        raise NotFound() from None
    response = HttpResponse(data, content_type="image/jpeg")
    for header, value in FILE_HEADERS.items():
        response[header] = value
    # A version is never changed, only replaced by a new one (a new address).
    response["Cache-Control"] = "private, max-age=86400, immutable"
    return response


def _read(name: str) -> bytes:
    with storage.files_storage().open(name, "rb") as handle:
        return bytes(handle.read())


@api(("GET", "PUT"))
def notification_settings(request: AuthedRequest) -> JsonResponse:
    """Quiet hours in your time zone (the profile's), and which topics are e-mailed to you."""
    if request.method == "PUT":
        change = body(request, NotificationSettingsChange)
        quiet = change.quiet
        check_update_notification_settings(
            request.user,
            quiet_enabled=quiet.enabled if quiet is not None else None,
            quiet_from=quiet.start if quiet is not None else None,
            quiet_to=quiet.end if quiet is not None else None,
            email=change.email,
        )
    return JsonResponse(
        {"settings": notification_settings_data(settings_for(request.user), timezone.now())}
    )


@api(("GET", "POST"))
def invitations(request: AuthedRequest) -> JsonResponse:
    if request.method == "POST":
        new = body(request, InvitationNew)
        invitation, _token = check_create_invitation(
            request.user,
            room_id=new.room,
            email=new.email,
            organization_slug=new.organization,
            confirm_outside_domain=new.confirm_outside_domain,
        )
        return JsonResponse(
            {
                "id": invitation.pk,
                "email": invitation.email,
                "organization": invitation.organization.name,
                "outside_domain": invitation.outside_domain,
                "expires_at": invitation.expires_at.isoformat(),
            },
            status=201,
        )
    return JsonResponse({"invitations": pending_invitations_sent(request.user)})


@api(("DELETE",))
def invitation(request: AuthedRequest, invitation_id: int) -> JsonResponse:
    check_revoke_invitation(request.user, invitation_id=invitation_id)
    return JsonResponse({"ok": True})


@api(("POST",))
def deactivate_person(request: AuthedRequest, person_id: int) -> JsonResponse:
    check_deactivate_person(request.user, person_id=person_id)
    return JsonResponse({"ok": True})


@api(("GET", "POST"))
def notifications(request: AuthedRequest) -> JsonResponse:
    if request.method == "POST":
        ids = body(request, NotificationsRead).ids
        count = check_mark_notifications_read(request.user, ids=ids)
        return JsonResponse({"marked_read": count})
    unread_only = request.GET.get("unread") == "1"
    return JsonResponse({"notifications": notifications_for(request.user, unread_only=unread_only)})


@api(("POST",))
def end_partnership(request: AuthedRequest, partnership_id: int) -> JsonResponse:
    partnership = check_end_partnership(
        request.user, partnership_id=partnership_id, reason=body(request, PartnershipEnd).reason
    )
    return JsonResponse({"id": partnership.pk, "status": partnership.status})
