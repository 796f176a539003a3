"""Invitations: an e-mail address invited into a room, bound to one organization."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone

from hub.ids import RandomIdField
from hub.models import Organization, User
from rooms.models.rooms import Room


class Invitation(models.Model):
    """A single-use, expiring invitation that binds its holder to one organization.

    Only the SHA-256 of the token is stored: a database leak does not hand out
    working invitation links.
    """

    id = RandomIdField()
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    room = models.ForeignKey(
        Room, null=True, blank=True, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The address is on none of the organization's verified domains: an admin
    # of that organization confirmed making its holder a member.
    outside_domain = models.BooleanField(default=False)

    class Meta:
        # The table it had when invitations lived in the hub app.
        db_table = "hub_invitation"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.organization}"

    def is_usable(self, now: Any | None = None) -> bool:
        """Not used, revoked or expired, and its inviter is still active."""
        now = now or timezone.now()
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > now
            and self.invited_by.is_active
        )
