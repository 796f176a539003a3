"""Who is on a socket: resolved once at the handshake, re-checked while it is open.

``SocketAuthMiddleware`` reads the session cookie, the session and the person
in one trip to a database thread: the session from the Redis cache when
there is one (``cached_db``), the person with their organization in one
query. Channels' ``AuthMiddlewareStack`` makes two
trips on the process's single database thread, so a reconnect storm queues
every handshake behind one thread; and its session wrapper inspects the
session on every frame sent, which sockets never save. Logout, password
change and deactivation must still reach open sockets: they publish an
``auth.recheck`` control message to the person's group, and each socket runs
``session_is_valid`` against the session store.
"""

from __future__ import annotations

import asyncio
import functools
from importlib import import_module
from types import SimpleNamespace
from typing import Any

from channels.security.websocket import AllowedHostsOriginValidator
from django.conf import settings
from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user,
    load_backend,
)
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.base import SessionBase
from django.db import connection
from django.http.cookie import parse_cookie
from django.utils.crypto import constant_time_compare

from hub.models import Organization, User
from hub.threads import db
from rooms.actions.bots import authenticate_bot


def session_store(session_key: str | None) -> SessionBase:
    store: SessionBase = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    return store


@functools.cache
def _person_query() -> tuple[str, list[str], list[str]]:
    """The SQL of a person joined with their organization, and the attnames of each.

    Built once per process from the models' metadata: compiling the ORM's
    ``select_related`` cost a third of the handshake's own CPU.
    """
    q = connection.ops.quote_name
    person, org = User._meta, Organization._meta
    person_fields, org_fields = person.concrete_fields, org.concrete_fields
    columns = [f"p.{q(str(f.column))}" for f in person_fields]
    columns += [f"o.{q(str(f.column))}" for f in org_fields]
    org_id = q(str(person.get_field("organization").column))
    sql = (
        f"SELECT {', '.join(columns)} FROM {q(person.db_table)} p"
        f" LEFT JOIN {q(org.db_table)} o ON o.{q(str(org.pk.column))} = p.{org_id}"
        f" WHERE p.{q(str(person.pk.column))} = %s"
    )
    return sql, [f.attname for f in person_fields], [f.attname for f in org_fields]


def person_with_organization(user_id: int) -> User | None:
    """The person with their organization loaded, in one light query; None if none."""
    sql, person_attnames, org_attnames = _person_query()
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    user = User.from_db(connection.alias, person_attnames, row[: len(person_attnames)])
    org_row = row[len(person_attnames) :]
    # Someone of no organization (a superuser made by createsuperuser) has none.
    user.organization = (
        Organization.from_db(connection.alias, org_attnames, org_row)
        if user.organization_id is not None
        else None
    )
    return user


def socket_identity(session_key: str | None) -> tuple[SessionBase, User | AnonymousUser]:
    """The handshake's session and its person (with organization), or AnonymousUser."""
    session = session_store(session_key)
    return session, session_user(session)


def session_user(session: SessionBase) -> User | AnonymousUser:
    """Django's ``get_user`` for a socket, with the organization in the same query.

    The same rules as HTTP: the backend the person signed in with must still
    be configured and let them in (``user_can_authenticate``: active), and the
    session's hash must match the password's (a password change ends other
    sessions, which are flushed as ``get_user`` flushes them). A hash made with
    a fallback secret is accepted; rotating it is left to the next HTTP
    request, since a socket never writes its session.
    """
    try:
        user_id = User._meta.pk.to_python(session[SESSION_KEY])
        backend_path = session[BACKEND_SESSION_KEY]
    except KeyError:
        return AnonymousUser()
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return AnonymousUser()
    backend = load_backend(backend_path)
    if not isinstance(backend, ModelBackend):
        # A backend of another kind loads people its own way.
        other = get_user(SimpleNamespace(session=session))  # type: ignore[arg-type]
        return other if isinstance(other, User) else AnonymousUser()
    user = person_with_organization(user_id)
    if user is None or not backend.user_can_authenticate(user):
        return AnonymousUser()
    session_hash = session.get(HASH_SESSION_KEY)
    if session_hash and (
        constant_time_compare(session_hash, user.get_session_auth_hash())
        or any(
            constant_time_compare(session_hash, fallback)
            for fallback in user.get_session_auth_fallback_hash()
        )
    ):
        return user
    session.flush()
    return AnonymousUser()


class SocketAuthMiddleware:
    """Puts the person (``user``) and their session's key (``session_key``) in a WebSocket scope.

    Only those: the scope lives as long as the socket (every frame of the
    chain above the consumer holds it), and the loaded session and the
    parsed cookies would cost a few KB per socket across thousands of idle
    sockets.
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        # In a task of its own, so in a copy of the socket's context: what the
        # database thread leaves in the context it returns to (Django keeps a
        # cache object per context, ~1 KB) goes with the task, instead of
        # staying in the socket's context for as long as the socket.
        session_key, user = await asyncio.create_task(_identify(scope))
        return await self.inner(dict(scope, session_key=session_key, user=user), receive, send)


async def _identify(scope: dict[str, Any]) -> tuple[str | None, User | AnonymousUser]:
    """The session cookie's key, if it names a session, and its person.

    A handshake with ``Authorization: Bearer …`` (a bot's client, not a browser) is the
    token's bot or nobody, whatever cookie it also carries: no session key, so nothing
    a person's logout does applies to it; a revocation closes it (``auth.recheck``).
    """
    token = bearer_of(scope)
    if token is not None:
        bot = await db(authenticate_bot)(token)
        return None, bot if bot is not None else AnonymousUser()
    cookie_header = b"".join(value for name, value in scope.get("headers", ()) if name == b"cookie")
    cookies = parse_cookie(cookie_header.decode("latin1")) if cookie_header else {}
    session, user = await db(socket_identity)(cookies.get(settings.SESSION_COOKIE_NAME))
    return session.session_key, user


def bearer_of(scope: dict[str, Any]) -> str | None:
    """The token of a handshake's ``Authorization: Bearer`` header, or None if there is none."""
    authorization = b"".join(
        value for name, value in scope.get("headers", ()) if name == b"authorization"
    )
    scheme, _, token = authorization.decode("latin1").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


class OriginUnlessBearer:
    """The origin check (``AllowedHostsOriginValidator``) for handshakes that carry cookies.

    A browser's page cannot add an ``Authorization`` header to a WebSocket
    handshake, so a handshake with one is a bot's own client, which sends no
    ``Origin``, and is identified by its token alone (``_identify`` ignores its
    cookies): no other site can ride on it, which is what the origin check is for.
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.checked = AllowedHostsOriginValidator(inner)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if bearer_of(scope) is not None:
            return await self.inner(scope, receive, send)
        return await self.checked(scope, receive, send)


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
