"""Loose hooks: open sockets re-check their session when it may have ended.

Core logic never lives here; these only ask the sockets to look again.
"""

from __future__ import annotations

from typing import Any

from allauth.account.signals import password_changed, password_reset, password_set
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_save
from django.dispatch import receiver

from hub import publish
from hub.models import User


@receiver(user_logged_out)
def end_sockets_of_session(sender: Any, request: Any, user: User | None, **kwargs: Any) -> None:
    if user is None:
        return
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    # Sent before the session is flushed: name it, so its sockets close
    # without waiting for the flush.
    publish.publish_control_on_commit(
        publish.user_group(user.pk), "auth.recheck", ended_session=session_key
    )


@receiver([password_changed, password_reset, password_set])
def recheck_after_password_change(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    publish.publish_control_on_commit(publish.user_group(user.pk), "auth.recheck")


@receiver(post_save, sender=User)
def recheck_after_account_change(sender: Any, instance: User, created: bool, **kwargs: Any) -> None:
    if created:
        return
    if not instance.is_active or getattr(instance, "_password", None) is not None:
        publish.publish_control_on_commit(publish.user_group(instance.pk), "auth.recheck")
