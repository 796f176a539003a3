"""Partnerships and invitations over HTTP. Thin: parse, check_*, respond."""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from hub import actions
from hub.adapters import INVITATION_SESSION_KEY
from hub.errors import ActionError
from hub.http import AuthedRequest, api, error_response, json_body
from hub.models import User
from hub.selectors import me_for, notifications_for, partnerships_for, pending_invitations_sent
from rooms import actions as room_actions


@api(("GET", "POST"))
def partnerships(request: AuthedRequest) -> JsonResponse:
    if request.method == "POST":
        data = json_body(request)
        partnership = actions.check_propose_partnership(
            request.user, partner_slug=data.get("partner"), as_side=data.get("as_side")
        )
        return JsonResponse({"id": partnership.pk, "status": partnership.status}, status=201)
    return JsonResponse({"partnerships": partnerships_for(request.user)})


@api(("POST",))
def partnership_decision(
    request: AuthedRequest, partnership_id: int, decision: str
) -> JsonResponse:
    if decision not in ("accept", "decline", "end"):
        return error_response("not_found", "Not found.", 404)
    if decision == "end":
        partnership = actions.check_end_partnership(
            request.user,
            partnership_id=partnership_id,
            reason=json_body(request).get("reason"),
        )
    elif decision == "accept":
        partnership = actions.check_accept_partnership(request.user, partnership_id=partnership_id)
    else:
        partnership = actions.check_decline_partnership(request.user, partnership_id=partnership_id)
    return JsonResponse({"id": partnership.pk, "status": partnership.status})


@api(("GET", "POST"))
def invitations(request: AuthedRequest) -> JsonResponse:
    if request.method == "POST":
        data = json_body(request)
        invitation, _token = actions.check_create_invitation(
            request.user,
            room_id=data.get("room"),
            email=data.get("email"),
            organization_slug=data.get("organization"),
            confirm_outside_domain=data.get("confirm_outside_domain", False),
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
    actions.check_revoke_invitation(request.user, invitation_id=invitation_id)
    return JsonResponse({"ok": True})


@require_GET
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the invitation e-mail.

    Signed in: accept now. Signed out with an account: sign in, then come
    back. Signed out without one: sign up; the invitation is kept in the
    session and decides the organization (see ``hub.adapters``).
    """
    invitation = actions.find_invitation(token)
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
            actions.check_accept_invitation(user, token=token)
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


@api(("GET", "PATCH"))
def me(request: AuthedRequest) -> JsonResponse:
    if request.method == "PATCH":
        data = json_body(request)
        actions.check_update_profile(
            request.user,
            display_name=data.get("display_name"),
            title=data.get("title"),
            handle=data.get("handle"),
        )
    return JsonResponse({"me": me_for(request.user)})


@api(("POST",))
def deactivate_person(request: AuthedRequest, person_id: int) -> JsonResponse:
    actions.check_deactivate_person(request.user, person_id=person_id)
    return JsonResponse({"ok": True})


@api(("GET", "POST"))
def notifications(request: AuthedRequest) -> JsonResponse:
    if request.method == "POST":
        count = actions.check_mark_notifications_read(
            request.user, ids=json_body(request).get("ids")
        )
        return JsonResponse({"marked_read": count})
    unread_only = request.GET.get("unread") == "1"
    return JsonResponse({"notifications": notifications_for(request.user, unread_only=unread_only)})


@api(("POST",))
def escalation_contacts(request: AuthedRequest, partnership_id: int) -> JsonResponse:
    people = room_actions.check_set_escalation_contacts(
        request.user, partnership_id=partnership_id, person_ids=json_body(request).get("people")
    )
    return JsonResponse({"people": [p.pk for p in people]})


@api(("POST",))
def ack_targets(request: AuthedRequest, partnership_id: int) -> JsonResponse:
    partnership = room_actions.check_set_ack_targets(
        request.user, partnership_id=partnership_id, targets=json_body(request).get("targets")
    )
    return JsonResponse({"targets": {s: partnership.ack_minutes(s) for s in ("S1", "S2", "S3")}})
