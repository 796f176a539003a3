"""Retention: how long an organization keeps its own people's messages, and legal holds."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from hub.ids import RandomIdField
from hub.models import Organization, User
from rooms.models.rooms import Room


class RetentionPolicy(models.Model):
    """How many days an organization keeps its own people's messages; None: forever.

    Two periods: its people's messages in shared rooms (and direct conversations
    across the partnership), and in its internal rooms. Only ever applied to the
    organization's own people: the partner's policy never removes them.
    """

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="retention_policy"
    )
    shared_days = models.PositiveIntegerField(null=True, blank=True)
    internal_days = models.PositiveIntegerField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "retention policies"

    def __str__(self) -> str:
        return f"retention of {self.organization_id}"

    def expired(self, now: datetime.datetime, field: str) -> Q:
        """Rows (of a model with a ``room``) whose ``field`` is older than the period of
        their room's kind: shared (a partnership's room) or internal. Matches nothing
        when neither period is set."""
        periods = Q(pk__in=[])
        for days, shared in ((self.shared_days, True), (self.internal_days, False)):
            if days is not None:
                cutoff = now - datetime.timedelta(days=days)
                periods |= Q(room__partnership__isnull=not shared, **{f"{field}__lt": cutoff})
        return periods


class LegalHold(models.Model):
    """Suspends retention for an organization's content: all of it, one person's, or one
    room's. Set by the organization's admins; lifting it (``lifted_at``) keeps the row,
    so the hold's history stays readable."""

    # Random: admins see hold ids, which must not count other organizations' holds.
    id = RandomIdField()
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="legal_holds"
    )
    # Neither set: the whole organization; else one of its people, or one room it takes part in.
    person = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    room = models.ForeignKey(
        Room, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # As long as ``hub.schemas.Note`` allows (2000 characters).
    reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=True) | Q(room__isnull=True),
                name="legal_hold_one_scope",
            )
        ]
        indexes = [models.Index(fields=["organization", "lifted_at"])]

    def __str__(self) -> str:
        return f"hold {self.pk} of {self.organization_id}"
