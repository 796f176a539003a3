"""Re-checking a socket's session after it was opened.

``AuthMiddlewareStack`` resolves the user once, at connect. Logout, password
change and deactivation must still reach open sockets: they publish an
``auth.recheck`` control message to the person's group, and each socket runs
this check against the session store.
"""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.utils.crypto import constant_time_compare

from hub.models import User


def session_is_valid(user_id: int, session_key: str | None) -> bool:
    if not session_key:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    data = store.load()
    if str(data.get(SESSION_KEY)) != str(user_id):
        return False
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    return constant_time_compare(data.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash())


def revoked_access(
    sockets: list[tuple[int, str | None, list[int]]],
) -> tuple[set[int], set[str], set[tuple[int, int]]]:
    """For open sockets (person, session key, subscribed rooms): what they must lose.

    Returns people who were deactivated, sessions that no longer exist (logged
    out, expired) and (person, room) pairs whose membership ended. This is the
    backstop for the control messages, which the channel layer may drop.
    """
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from rooms.models import Membership

    user_ids = {user_id for user_id, _, _ in sockets}
    inactive = set(
        User.objects.filter(pk__in=user_ids, is_active=False).values_list("pk", flat=True)
    )
    ended: set[str] = set()
    if settings.SESSION_ENGINE == "django.contrib.sessions.backends.db":
        keys = {key for _, key, _ in sockets if key}
        alive = set(
            Session.objects.filter(
                session_key__in=keys, expire_date__gt=timezone.now()
            ).values_list("session_key", flat=True)
        )
        ended = keys - alive
    wanted = {(user_id, room_id) for user_id, _, rooms in sockets for room_id in rooms}
    room_ids = {room_id for _, room_id in wanted}
    active = set(
        Membership.objects.filter(
            user_id__in=user_ids, room_id__in=room_ids, left_at__isnull=True
        ).values_list("user_id", "room_id")
    )
    return inactive, ended, wanted - active
