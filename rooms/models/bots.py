"""Bots: bot tokens and incoming webhooks, each with its own bot identity (``User.is_bot``).

A bot acts only in the internal rooms it is a member of: its scope is its
memberships, so every ``access_*`` check that guards a person guards a bot
the same way (a room outside the scope is not found). Only the SHA-256 of a
token or a webhook's secret is stored; both are long random strings, so a
plain hash (no salt, no stretching) is enough, and a lookup by hash is one
indexed query. ``prefix`` is the first characters of the secret, shown to
admins to tell tokens apart; it does not help guess the rest.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from hub.ids import RandomIdField
from hub.models import Organization, User
from rooms.models.rooms import Room


class BotCredential(models.Model):
    """What the two kinds share: the bot identity, who made it and when, the hashed secret."""

    id = RandomIdField()
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    # The identity its messages are written by; deactivated when this is revoked.
    bot = models.OneToOneField(User, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=80)
    secret_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=16)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None


class BotToken(BotCredential):
    """A bearer token (``cw_bot_…``) for the HTTP API and the socket, scoped to the
    internal rooms its bot is a member of."""

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} (bot token {self.prefix}…)"


class IncomingWebhook(BotCredential):
    """A secret URL (``/hooks/in/<secret>/``) that posts into one internal room."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} (incoming webhook {self.prefix}…)"
