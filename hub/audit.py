"""Writing audit entries. Called only from actions, inside their transaction."""

from __future__ import annotations

from typing import Any

from django.db import models

from hub.models import AuditEntry, Organization, User


def record(
    actor: User | None,
    action: str,
    target: models.Model,
    *,
    organization: Organization | None = None,
    **data: Any,
) -> AuditEntry:
    if organization is None and actor is not None:
        organization = actor.organization
    return AuditEntry.objects.create(
        actor=actor,
        organization=organization,
        action=action,
        target_type=target._meta.model_name or "",
        target_id=target.pk,
        data=data,
    )
