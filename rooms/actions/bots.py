"""Bot tokens and incoming webhooks: made and revoked by an organization's admins.

A bot is a ``User`` with ``is_bot``: one per token and one per webhook, of the
admin's organization, with no password and an address that takes no mail.
What it may do is decided by the checks that decide it for people: it is a
member (``notify`` none) of the internal rooms it was given, and only of
those, so ``access_*`` answers "not found" for any other room, exactly as for
a room that does not exist. ``do_add_member`` refuses a bot for any room that
is not internal (shared rooms, direct conversations), and the people lists,
pickers and mentions leave bots out (``visible_people``), so no path adds one
to a shared room or lets the partner see it.

Nothing a bot writes leaves its internal room: the bridge copies shared
threads into internal rooms and never back; only a person sharing back
through the web (``rooms.bridge.mirrors``) sends anything to the partner.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from hub import audit, publish
from hub.errors import Invalid, NotFound
from hub.models import Organization, User
from hub.organization import check_org_admin
from rooms.actions.members import do_add_member, do_remove_member
from rooms.actions.messages import check_send_message
from rooms.log import lock_order
from rooms.models.bots import BotCredential, BotToken, IncomingWebhook
from rooms.models.messages import Message
from rooms.models.rooms import Membership, Room

TOKEN_PREFIX = "cw_bot_"
HOOK_PATH = "/hooks/in/{secret}/"
# Shown to admins to tell tokens apart: the scheme and a few random characters.
SHOWN_PREFIX_CHARS = 12
HOOK_SHOWN_CHARS = 5
# How often ``last_used_at`` is written: a busy bot would otherwise write its row on
# every request; an admin needs "when, roughly" to spot a token nobody uses.
LAST_USED_EVERY = timedelta(minutes=1)
# A bot's address: the reserved ``.invalid`` domain (RFC 2606) never takes mail and is
# never anyone's verified domain, so no sign-up, invitation or password reset reaches it.
BOT_EMAIL = "bot-{random}@bots.causeway.invalid"
MAX_ROOMS = 50


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_secret(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


# --- the identity ---------------------------------------------------------------------


def _make_bot(organization: Organization, name: str) -> User:
    bot = User(
        email=BOT_EMAIL.format(random=secrets.token_hex(12)),
        display_name=name,
        # Its own, so no bot takes a handle a person may want ("deploy"); bots are never
        # mentioned anyway (rooms.actions.messages.record_mentions).
        handle=f"bot-{secrets.token_hex(6)}",
        organization=organization,
        org_role=User.OrgRole.MEMBER,
        is_bot=True,
        # Never a password: a bot cannot sign in, whatever anyone tries.
        password=make_password(None),
    )
    bot.save()
    return bot


def _scope(actor: User, organization_id: int, room_ids: list[int]) -> list[Room]:
    """The internal rooms of the actor's organization, open, that the actor is in.

    Any other id is refused as not found, exactly as a room that does not exist:
    an admin learns nothing of rooms they are not in, and a shared room, a
    direct conversation or another organization's room is never a bot's.
    """
    wanted = sorted(set(room_ids))
    if not wanted:
        raise Invalid("Choose at least one room.")
    if len(wanted) > MAX_ROOMS:
        raise Invalid(f"At most {MAX_ROOMS} rooms.")
    rooms = list(
        Room.objects.filter(
            pk__in=wanted,
            kind=Room.Kind.INTERNAL,
            organization_id=organization_id,
            archived_at__isnull=True,
            memberships__user=actor,
            memberships__left_at__isnull=True,
        ).order_by("pk")
    )
    if [r.pk for r in rooms] != wanted:
        raise NotFound()
    return rooms


def _join(actor: User, bot: User, rooms: list[Room]) -> None:
    for room in rooms:
        membership = do_add_member(actor, room, bot)
        # A bot is told of nothing: no notifications, no digests, no thread follows' bells.
        Membership.objects.filter(pk=membership.pk).update(notify=Membership.Notify.NONE)


def _disable(actor: User, credential: BotCredential) -> None:
    """Revoke ``credential`` at once: the bot leaves its rooms and its sockets close.

    As a person's deactivation does (``rooms.actions.people``), in the same order of
    locks; the ``auth.recheck`` reaches its open sockets, and the socket audit
    closes any the message missed (the bot is inactive).
    """
    credential.revoked_at = timezone.now()
    credential.save(update_fields=["revoked_at"])
    User.objects.filter(pk=credential.bot_id).update(is_active=False)
    memberships = Membership.objects.active().filter(user_id=credential.bot_id)
    for membership in sorted(
        memberships.select_related("room"), key=lambda m: lock_order(m.room.kind, m.room_id)
    ):
        do_remove_member(actor, membership, reason="bot revoked")
    publish.publish_control_on_commit(publish.user_group(credential.bot_id), "auth.recheck")


# --- bot tokens -----------------------------------------------------------------------


@dataclass(frozen=True)
class Created:
    credential: BotCredential
    # Shown once, in the answer to the request that made it; never stored.
    secret: str


def check_create_bot_token(actor: User, *, name: str, rooms: list[int]) -> Created:
    organization_id = check_org_admin(actor, changing="bots")
    with transaction.atomic():
        scope = _scope(actor, organization_id, rooms)
        return do_create_bot_token(actor, actor.organization, name=name, rooms=scope)  # type: ignore[arg-type]


def do_create_bot_token(
    actor: User, organization: Organization, *, name: str, rooms: list[Room]
) -> Created:
    secret = _new_secret(TOKEN_PREFIX)
    with transaction.atomic():
        bot = _make_bot(organization, name)
        token = BotToken.objects.create(
            organization=organization,
            bot=bot,
            name=name,
            secret_hash=hash_secret(secret),
            prefix=secret[:SHOWN_PREFIX_CHARS],
            created_by=actor,
        )
        _join(actor, bot, rooms)
        audit.record(
            actor,
            "bot.token_created",
            token,
            organization=organization,
            name=name,
            bot=bot.pk,
            rooms=[r.pk for r in rooms],
        )
    return Created(token, secret)


def _live_of(actor: User) -> dict[str, object]:
    """The filter of the live credentials an admin governs: their own organization's."""
    organization_id = check_org_admin(actor, changing="bots")
    return {"organization_id": organization_id, "revoked_at__isnull": True}


def check_revoke_bot_token(actor: User, *, token_id: int) -> BotToken:
    with transaction.atomic():
        token = BotToken.objects.select_for_update().filter(pk=token_id, **_live_of(actor)).first()
        if token is None:
            raise NotFound()
        _disable(actor, token)
        audit.record(actor, "bot.token_revoked", token, name=token.name, bot=token.bot_id)
    return token


def authenticate_bot(secret: str) -> User | None:
    """The bot a bearer token names, if the token is live; None for anything else.

    The lookup is by the hash (indexed, unique); the comparison after it is constant
    time, so neither step tells how much of a guess was right.
    """
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    digest = hash_secret(secret)
    token = (
        BotToken.objects.select_related("bot__organization")
        .filter(secret_hash=digest, revoked_at__isnull=True, bot__is_active=True)
        .first()
    )
    if token is None or not hmac.compare_digest(token.secret_hash, digest):
        return None
    if _due(token):
        BotToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.bot


def bot_is_live(bot_id: int) -> bool:
    """Whether an open bot socket may stay open: its token is not revoked."""
    return BotToken.objects.filter(
        bot_id=bot_id, revoked_at__isnull=True, bot__is_active=True
    ).exists()


def _due(credential: BotCredential) -> bool:
    """Whether ``last_used_at`` is old enough to write again (``LAST_USED_EVERY``)."""
    last = credential.last_used_at
    return last is None or timezone.now() - last >= LAST_USED_EVERY


# --- incoming webhooks ----------------------------------------------------------------


def check_create_incoming_webhook(actor: User, *, name: str, room: int) -> Created:
    organization_id = check_org_admin(actor, changing="bots")
    with transaction.atomic():
        (target,) = _scope(actor, organization_id, [room])
        return do_create_incoming_webhook(actor, actor.organization, name=name, room=target)  # type: ignore[arg-type]


def do_create_incoming_webhook(
    actor: User, organization: Organization, *, name: str, room: Room
) -> Created:
    secret = _new_secret()
    with transaction.atomic():
        bot = _make_bot(organization, name)
        hook = IncomingWebhook.objects.create(
            organization=organization,
            bot=bot,
            room=room,
            name=name,
            secret_hash=hash_secret(secret),
            prefix=secret[:HOOK_SHOWN_CHARS],
            created_by=actor,
        )
        _join(actor, bot, [room])
        audit.record(
            actor, "bot.hook_created", hook, organization=organization, name=name, room=room.pk
        )
    return Created(hook, secret)


def _access_hook(actor: User, hook_id: int) -> IncomingWebhook:
    hook = IncomingWebhook.objects.select_for_update().filter(pk=hook_id, **_live_of(actor)).first()
    if hook is None:
        raise NotFound()
    return hook


def check_regenerate_incoming_webhook(actor: User, *, hook_id: int) -> Created:
    """A new secret address for the webhook; the old one stops working at once."""
    with transaction.atomic():
        hook = _access_hook(actor, hook_id)
        secret = _new_secret()
        hook.secret_hash = hash_secret(secret)
        hook.prefix = secret[:HOOK_SHOWN_CHARS]
        hook.save(update_fields=["secret_hash", "prefix"])
        audit.record(actor, "bot.hook_regenerated", hook, name=hook.name, room=hook.room_id)
    return Created(hook, secret)


def check_revoke_incoming_webhook(actor: User, *, hook_id: int) -> IncomingWebhook:
    with transaction.atomic():
        hook = _access_hook(actor, hook_id)
        _disable(actor, hook)
        audit.record(actor, "bot.hook_revoked", hook, name=hook.name, room=hook.room_id)
    return hook


def hook_body(hook: IncomingWebhook, text: str, username: str | None) -> str:
    """The message a webhook posts. A ``username`` the sender gives is shown in the text,
    bold, before it, and never as the author: the author is always the hook's bot
    ("Deploy (bot)"), so no payload can pass for a person."""
    if not username:
        return text
    # One line, with Markdown's own characters escaped: it stays a plain label.
    one_line = " ".join(username.split())
    shown = "".join("\\" + c if c in "\\`*_[]()<>#!|~" else c for c in one_line)
    return f"**{shown}** (via {hook.name}): {text}"


def check_post_incoming(secret: str, *, text: str, username: str | None) -> Message:
    """Post ``text`` as the webhook's bot into its room; ``NotFound`` for a wrong or
    removed secret (the same answer as an address that never existed).

    Through ``check_send_message``, the path every message takes: its membership
    check, the per-sender write limit, Markdown, mentions and the live event.
    """
    digest = hash_secret(secret)
    hook = (
        IncomingWebhook.objects.select_related("bot__organization")
        .filter(secret_hash=digest, revoked_at__isnull=True)
        .first()
    )
    if hook is None or not hmac.compare_digest(hook.secret_hash, digest):
        raise NotFound()
    if _due(hook):
        IncomingWebhook.objects.filter(pk=hook.pk).update(last_used_at=timezone.now())
    message, _created = check_send_message(
        hook.bot,
        room_id=hook.room_id,
        client_id=uuid.uuid4().hex,
        body=hook_body(hook, text, username),
    )
    return message


# --- what the organization page shows -------------------------------------------------


def bots_overview(actor: User) -> dict[str, list[dict[str, object]]]:
    """The organization's live tokens and webhooks, with their rooms (admins only)."""
    organization_id = check_org_admin(actor)
    tokens = list(BotToken.objects.filter(organization_id=organization_id, revoked_at__isnull=True))
    hooks = list(
        IncomingWebhook.objects.filter(
            organization_id=organization_id, revoked_at__isnull=True
        ).select_related("room")
    )
    rooms_of: dict[int, list[dict[str, object]]] = {}
    for membership in (
        Membership.objects.active()
        .filter(user_id__in=[t.bot_id for t in tokens])
        .select_related("room")
        .order_by("room__name")
    ):
        rooms_of.setdefault(membership.user_id, []).append(
            {"id": membership.room_id, "name": membership.room.name}
        )

    def when(moment: object) -> str | None:
        return moment.isoformat() if moment is not None else None  # type: ignore[attr-defined]

    return {
        "tokens": [
            {
                "id": t.pk,
                "name": t.name,
                "prefix": t.prefix,
                "rooms": rooms_of.get(t.bot_id, []),
                "created_at": when(t.created_at),
                "last_used_at": when(t.last_used_at),
            }
            for t in tokens
        ],
        "hooks": [
            {
                "id": h.pk,
                "name": h.name,
                "prefix": h.prefix,
                "rooms": [{"id": h.room_id, "name": h.room.name}],
                "created_at": when(h.created_at),
                "last_used_at": when(h.last_used_at),
            }
            for h in hooks
        ],
    }
