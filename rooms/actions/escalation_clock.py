"""The escalation clock: a scheduled job that flags late escalations and reminds people."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction

from hub import audit
from rooms.actions.escalation_settings import contacts_for
from rooms.actions.escalations import _now, _sides, summary
from rooms.actions.notifications import notify
from rooms.actions.workitems import do_update_work_item, load_work_item
from rooms.models.workitems import Escalation, EscalationRoom


def run_escalation_clock(now: datetime.datetime | None = None) -> list[int]:
    """Flag unacknowledged escalations past their target and notify again.

    Re-notifies every ``CAUSEWAY_ESCALATION_RENOTIFY_MINUTES`` while still
    unacknowledged. Safe to run from several workers: each escalation is
    handled under its row lock. Returns the ids it notified.
    """
    now = _now(now)
    interval = datetime.timedelta(minutes=settings.CAUSEWAY_ESCALATION_RENOTIFY_MINUTES)
    # An archived room's escalations (the partnership ended) nag nobody.
    due = Escalation.objects.filter(
        status=Escalation.Status.OPEN,
        ack_due_at__lte=now,
        work_item__room__archived_at__isnull=True,
    )
    notified = []
    for escalation_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            escalation = (
                Escalation.objects.select_for_update(of=("self",))
                .select_related("work_item__room__partnership", "work_item__room__organization")
                .get(pk=escalation_id)
            )
            if escalation.status != Escalation.Status.OPEN:
                continue
            first_breach = escalation.breached_at is None
            if not first_breach and (
                escalation.last_notified_at is not None
                and now - escalation.last_notified_at < interval
            ):
                continue
            if first_breach:
                escalation.breached_at = now
            escalation.last_notified_at = now
            escalation.notify_count += 1
            escalation.save(update_fields=["breached_at", "last_notified_at", "notify_count"])
            item = escalation.work_item
            late = int((now - escalation.ack_due_at).total_seconds() // 60)
            for organization in _sides(item):
                side = EscalationRoom.objects.filter(
                    work_item=item, organization=organization
                ).first()
                notify(
                    contacts_for(item.room, organization.pk),
                    kind="escalation.unacknowledged",
                    title=f"Unacknowledged {escalation.severity}: {item.title}",
                    body=f"Not acknowledged {late} min after its target.",
                    room=side.room if side else item.room,
                    item=item,
                )
            if first_breach:
                audit.record(None, "escalation.breached", escalation, work_item=item.pk)
                do_update_work_item(
                    None,
                    load_work_item(item.room_id, item.pk),
                    changes={},
                    extra={
                        "escalation": [summary(escalation, breached=False), summary(escalation)]
                    },
                )
            notified.append(escalation.pk)
    return notified
