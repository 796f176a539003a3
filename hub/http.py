"""Helpers for the thin JSON views: one error shape for both transports."""

from __future__ import annotations

import functools
import inspect
import json
import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse

from hub.errors import ActionError, Invalid, RateLimited, TooLarge
from hub.models import User
from hub.schemas import S, parse
from hub.validation import check_text

logger = logging.getLogger("causeway.http")

MAX_JSON_BODY = 64 * 1024

View = Callable[..., HttpResponse]


class AuthedRequest(HttpRequest):
    """What views wrapped in ``api`` (or ``login_required``) receive."""

    user: User


def error_response(code: str, detail: str, status: int) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "detail": detail}}, status=status)


def unavailable_response() -> JsonResponse:
    """The 503 of docs/protocol.md: no connection, a lock or statement timeout."""
    return error_response(
        "unavailable", "The database is busy or unavailable; nothing was stored.", 503
    )


def json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        body = request.body
    except RequestDataTooBig:
        body = b"x" * (MAX_JSON_BODY + 1)
    if len(body) > MAX_JSON_BODY:
        raise TooLarge(f"Request bodies are limited to {MAX_JSON_BODY} bytes.")
    try:
        data = json.loads(body or b"{}")
    except (ValueError, RecursionError):
        raise Invalid("The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise Invalid("The request body must be a JSON object.")
    check_text(data)
    return data


def is_form(request: HttpRequest) -> bool:
    """A form body (multipart or urlencoded). Uploads take the raw bytes instead:
    Daphne's HTTP server (Twisted) parses every multipart POST body with
    Python's e-mail parser on the event loop, stalling every socket of the
    process for the length of the upload."""
    return (request.content_type or "").startswith(
        ("multipart/", "application/x-www-form-urlencoded")
    )


def body(request: HttpRequest, schema: type[S]) -> S:
    """The request's JSON body, parsed by ``schema`` (``hub.schemas.parse``)."""
    return parse(schema, json_body(request))


def query(request: HttpRequest, schema: type[S]) -> S:
    """The request's query string (one value per name), parsed by ``schema``."""
    return parse(schema, {key: request.GET.get(key) for key in request.GET})


class IdConverter:
    """``<id:name>`` in a URL: a positive integer that fits the database's ids.

    Anything else does not match, so it answers 404 like a missing object,
    never a database error for a number too large for a column.
    """

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 0 < number < 2**63:
            raise ValueError(value)
        return number

    def to_url(self, value: int) -> str:
        return str(value)


def api(methods: tuple[str, ...] = ("GET",)) -> Callable[[Callable[..., Any]], View]:
    """Authenticated JSON endpoint: 401 when signed out, ActionErrors as JSON.

    CSRF stays on (Django's middleware): browsers send the token header.
    """

    def decorate(view: Callable[..., Any]) -> View:
        if inspect.iscoroutinefunction(view):
            return _async_api(view, methods)

        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                return error_response("method_not_allowed", "Method not allowed.", 405)
            try:
                # `request.user` loads the session and the person: usually the
                # request's first query, so a database outage surfaces here.
                if not request.user.is_authenticated or not request.user.is_active:
                    return error_response("unauthenticated", "Sign in first.", 401)
                response: HttpResponse = view(request, *args, **kwargs)
                return response
            except (ActionError, DatabaseError) as error:
                return failure_response(request, error)

        return wrapper

    return decorate


def _async_api(view: Callable[..., Any], methods: tuple[str, ...]) -> View:
    """``api`` for an async view (one that waits on files or other slow work off the loop)."""

    @functools.wraps(view)
    async def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method not in methods:
            return error_response("method_not_allowed", "Method not allowed.", 405)
        try:
            user = await request.auser()
            if not user.is_authenticated or not user.is_active:
                return error_response("unauthenticated", "Sign in first.", 401)
            # The view reads ``request.user`` as sync views do, without a query.
            request.user = user
            response: HttpResponse = await view(request, *args, **kwargs)
            return response
        except (ActionError, DatabaseError) as error:
            return failure_response(request, error)

    return wrapper  # type: ignore[return-value]


def failure_response(request: HttpRequest, error: ActionError | DatabaseError) -> JsonResponse:
    """An action's refusal as its JSON error; a database that failed as the 503."""
    if isinstance(error, RateLimited):
        response = JsonResponse(
            {
                "error": {
                    "code": error.code,
                    "detail": error.detail,
                    "retry_after": error.retry_after,
                }
            },
            status=error.http_status,
        )
        response["Retry-After"] = str(error.retry_after)
        return response
    if isinstance(error, ActionError):
        return error_response(error.code, error.detail, error.http_status)
    logger.warning("database unavailable for %s", request.path, exc_info=error)
    return unavailable_response()
