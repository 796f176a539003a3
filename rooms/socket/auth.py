"""Who is on a socket: resolved once at the handshake, re-checked while it is open.

``SocketAuthMiddleware`` reads the session cookie, the session and the person
in one trip to a database thread. Channels' ``AuthMiddlewareStack`` makes two
trips on the process's single database thread, so a reconnect storm queues
every handshake behind one thread; and its session wrapper inspects the
session on every frame sent, which sockets never save. Logout, password
change and deactivation must still reach open sockets: they publish an
``auth.recheck`` control message to the person's group, and each socket runs
``session_is_valid`` against the session store.
"""

from __future__ import annotations

from importlib import import_module
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.base import SessionBase
from django.db.models import prefetch_related_objects
from django.http.cookie import parse_cookie
from django.utils.crypto import constant_time_compare

from hub.models import User
from hub.threads import db


def session_store(session_key: str | None) -> SessionBase:
    store: SessionBase = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    return store


def socket_identity(session_key: str | None) -> tuple[SessionBase, User | AnonymousUser]:
    """The handshake's session and its person (with organization), or AnonymousUser.

    Django's own ``get_user`` decides, so the session hash check (password
    change ends sessions) and the backends are exactly those of HTTP.
    """
    session = session_store(session_key)
    user = get_user(SimpleNamespace(session=session))  # type: ignore[arg-type]
    if not user.is_authenticated:
        return session, AnonymousUser()
    # Here, in the database thread: the socket reads it on the event loop.
    prefetch_related_objects([user], "organization")
    return session, user


class SocketAuthMiddleware:
    """Puts ``cookies``, ``session`` and ``user`` in a WebSocket scope."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        cookie_header = b"".join(
            value for name, value in scope.get("headers", ()) if name == b"cookie"
        )
        cookies = parse_cookie(cookie_header.decode("latin1")) if cookie_header else {}
        session, user = await db(socket_identity)(cookies.get(settings.SESSION_COOKIE_NAME))
        scope = dict(scope, cookies=cookies, session=session, user=user)
        return await self.inner(scope, receive, send)


def session_is_valid(user_id: int, session_key: str | None) -> bool:
    if not session_key:
        return False
    data = session_store(session_key).load()
    if str(data.get(SESSION_KEY)) != str(user_id):
        return False
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    return constant_time_compare(data.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash())
