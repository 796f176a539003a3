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
