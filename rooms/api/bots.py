"""HTTP for bots: the organization's tokens and webhooks (its admins), and the incoming
webhook's secret address. Thin: parse, check_*, respond (rooms.actions.bots)."""

from __future__ import annotations

import json
from typing import Any

from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse, QueryDict
from django.views.decorators.csrf import csrf_exempt

from hub.errors import ActionError, Invalid, NotFound
from hub.http import MAX_JSON_BODY, AuthedRequest, api, body, failure_response, json_body
from hub.schemas import parse
from hub.validation import check_text
from rooms.actions.bots import (
    HOOK_PATH,
    bots_overview,
    check_create_bot_token,
    check_create_incoming_webhook,
    check_post_incoming,
    check_regenerate_incoming_webhook,
    check_revoke_bot_token,
    check_revoke_incoming_webhook,
)
from rooms.schemas import BotTokenNew, IncomingPayload, IncomingWebhookNew


@api(("GET", "POST"))
def bot_tokens(request: AuthedRequest) -> JsonResponse:
    """GET /api/organization/bots/: the live tokens and webhooks. POST: a new token, whose
    secret is in this answer only (``token``)."""
    if request.method == "POST":
        new = body(request, BotTokenNew)
        created = check_create_bot_token(request.user, name=new.name, rooms=new.rooms)
        return JsonResponse(
            {"id": created.credential.pk, "token": created.secret, **bots_overview(request.user)},
            status=201,
        )
    return JsonResponse(bots_overview(request.user))


@api(("DELETE",))
def bot_token(request: AuthedRequest, token_id: int) -> JsonResponse:
    """DELETE /api/organization/bots/{id}/: revoke it; its open sockets close."""
    check_revoke_bot_token(request.user, token_id=token_id)
    return JsonResponse(bots_overview(request.user))


def _hook_url(request: HttpRequest, secret: str) -> str:
    return request.build_absolute_uri(HOOK_PATH.format(secret=secret))


@api(("POST",))
def incoming_webhooks(request: AuthedRequest) -> JsonResponse:
    """POST /api/organization/hooks/: a new webhook, whose address is in this answer only."""
    new = body(request, IncomingWebhookNew)
    created = check_create_incoming_webhook(request.user, name=new.name, room=new.room)
    return JsonResponse(
        {
            "id": created.credential.pk,
            "url": _hook_url(request, created.secret),
            **bots_overview(request.user),
        },
        status=201,
    )


@api(("DELETE",))
def incoming_webhook(request: AuthedRequest, hook_id: int) -> JsonResponse:
    """DELETE /api/organization/hooks/{id}/: remove it; its address answers 404 at once."""
    check_revoke_incoming_webhook(request.user, hook_id=hook_id)
    return JsonResponse(bots_overview(request.user))


@api(("POST",))
def incoming_webhook_regenerate(request: AuthedRequest, hook_id: int) -> JsonResponse:
    """POST /api/organization/hooks/{id}/regenerate/: a new address; the old one stops."""
    created = check_regenerate_incoming_webhook(request.user, hook_id=hook_id)
    return JsonResponse(
        {
            "id": created.credential.pk,
            "url": _hook_url(request, created.secret),
            **bots_overview(request.user),
        }
    )


def _payload(request: HttpRequest) -> dict[str, Any]:
    """Slack's two shapes: a JSON body, or a form with the JSON in ``payload``."""
    content_type = request.content_type or ""
    if content_type.startswith("multipart/"):
        # Never parsed: see hub.http.is_form. Slack's own form is urlencoded.
        raise Invalid("Send JSON, or an urlencoded form with the JSON in `payload`.")
    if content_type != "application/x-www-form-urlencoded":
        return json_body(request)
    raw = request.body
    if len(raw) > MAX_JSON_BODY:
        return json_body(request)  # the same TooLarge answer
    form = QueryDict(raw, encoding="utf-8")
    if "payload" not in form:
        raise Invalid("A form body must carry the JSON message in `payload`.")
    try:
        data = json.loads(form["payload"])
    except (ValueError, RecursionError):
        raise Invalid("`payload` is not valid JSON.") from None
    if not isinstance(data, dict):
        raise Invalid("`payload` must be a JSON object.")
    check_text(data)
    return data


@csrf_exempt
def incoming(request: HttpRequest, secret: str) -> JsonResponse:
    """POST /hooks/in/{secret}/: post a message as the webhook's bot. No session, no CSRF
    (the secret in the address is the credential). Errors are the API's JSON errors: 400
    for a bad payload, 404 for a wrong or removed address, 429 past the write limit."""
    if request.method != "POST":
        return JsonResponse(
            {"error": {"code": "method_not_allowed", "detail": "Method not allowed."}},
            status=405,
        )
    try:
        if len(secret) > 100:
            raise NotFound()
        given = parse(IncomingPayload, _payload(request))
        message = check_post_incoming(secret, text=given.text, username=given.username)
    except (ActionError, DatabaseError) as error:
        return failure_response(request, error)
    return JsonResponse({"ok": True, "id": message.pk})
