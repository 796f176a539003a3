"""``Authorization: Bearer cw_bot_…`` on the HTTP API: a bot token, on a few endpoints.

A request that carries a bearer token is the token's bot, or nobody: a bad,
revoked or unknown token answers 401 even when the request also carries a
signed-in person's session cookie, so a cookie never rides along with a
bogus header. A good token is the only credential of its request, and a
browser never sends one by itself (a cross-site page cannot set the header
without CORS, which Causeway does not allow), so CSRF, which protects
cookies, is not checked for it.

A bot may use only the endpoints in ``ALLOWED``: reading its rooms'
messages and threads, sending, editing and deleting messages, all through
the checks people's requests go through. Anything else answers 404, as a
route that does not exist: organization settings, partnerships, invitations,
mirrors and share-back, uploads.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve

from hub.http import error_response
from hub.models import User
from rooms.actions.bots import authenticate_bot

# URL name -> the methods a bot may use on it.
ALLOWED: dict[str, frozenset[str]] = {
    "api:rooms": frozenset({"GET"}),
    "api:history": frozenset({"GET", "POST"}),
    "api:message": frozenset({"GET", "PATCH", "DELETE"}),
    "api:thread": frozenset({"GET"}),
}
# The incoming webhook's address is its own credential: a header there is ignored. The
# Matrix homeserver's calls carry its own bearer, the bridge's ``hs_token``, which their
# views check (rooms.api.matrix): not a bot token.
UNAUTHENTICATED = frozenset(
    {
        "incoming-hook",
        "matrix-transaction",
        "matrix-ping",
        "matrix-user-query",
        "matrix-room-query",
    }
)


def bearer_token(request: HttpRequest) -> str | None:
    """The token of an ``Authorization: Bearer`` header, or None if there is no such header."""
    header = str(request.META.get("HTTP_AUTHORIZATION", ""))
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip()


def _route(request: HttpRequest) -> str | None:
    try:
        return resolve(request.path_info).view_name
    except Resolver404:
        return None


def _refused(request: HttpRequest, route: str | None) -> JsonResponse | None:
    """404 for anything a bot may not use (the same as a missing route)."""
    if route is None or request.method not in ALLOWED.get(route, frozenset()):
        return error_response("not_found", "Not found.", 404)
    return None


def _unauthenticated() -> JsonResponse:
    response = error_response("unauthenticated", "The bot token is not valid.", 401)
    response["WWW-Authenticate"] = 'Bearer realm="causeway"'
    return response


def _act_as(request: HttpRequest, bot: User) -> None:
    async def auser() -> User:
        return bot

    request.user = bot
    request.auser = auser
    # Not cookie-authenticated: see the module's docstring.
    request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]


class BearerTokenMiddleware:
    """After ``AuthenticationMiddleware``: replaces the session's person with the token's bot."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        if self.is_async:
            return self._acall(request)
        token = bearer_token(request)
        if token is None:
            response: HttpResponse = self.get_response(request)
            return response
        route = _route(request)
        if route in UNAUTHENTICATED:
            response = self.get_response(request)
            return response
        refused = _refused(request, route)
        if refused is not None:
            return refused
        bot = authenticate_bot(token)
        if bot is None:
            return _unauthenticated()
        _act_as(request, bot)
        response = self.get_response(request)
        return response

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        token = bearer_token(request)
        route = _route(request) if token is not None else None
        if token is None or route in UNAUTHENTICATED:
            response: HttpResponse = await self.get_response(request)
            return response
        refused = _refused(request, route)
        if refused is not None:
            return refused
        bot = await sync_to_async(authenticate_bot)(token)
        if bot is None:
            return _unauthenticated()
        _act_as(request, bot)
        response = await self.get_response(request)
        return response
