"""The relay: hands outbox entries to the sinks, in order per thread.

Runs in the worker (``manage.py run_worker``, or in the web process on the
embedded default). Several workers may run: ``SKIP LOCKED`` gives each its
own entry, and an entry waits while an earlier one of its thread is pending.
Sinks that write here (the room mirror) apply an entry in the transaction
that claims it and marks it done, each (event, mirror) pair at most once
(``MirrorDelivery``'s unique key): a crash anywhere means a retry, never a
duplicate. Sinks that talk to the outside are called after that transaction,
holding no lock (``relay_next``). Failing entries back off and end as dead
letters, which the admin shows and retries.
"""

from __future__ import annotations

import datetime
import logging
import os

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from rooms.bridge.sinks import RoomMirrorSink, Sink
from rooms.models.bridge import OutboxEntry
from rooms.models.log import RoomEvent

logger = logging.getLogger("causeway.bridge")


MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_MAX_SECONDS = 300.0


def failpoint(name: str) -> None:
    """Crash here when ``CAUSEWAY_FAILPOINTS`` names this point (fault tests only)."""
    if name in os.environ.get("CAUSEWAY_FAILPOINTS", "").split(","):
        logger.error("failpoint %s: exiting", name)
        os._exit(137)


# The sinks every entry goes to: the room mirror first; an external connector
# (a webhook, another chat network) is appended here at start-up.
sinks: list[Sink] = [RoomMirrorSink()]

# How long a worker has to deliver an entry to the external sinks before
# another worker may take the entry again (it then delivers again: at least
# once, which the receivers' keys make once).
EXTERNAL_LEASE_SECONDS = 60.0


def register_sink(sink: Sink) -> None:
    if all(type(s) is not type(sink) for s in sinks):
        sinks.append(sink)


def apply_entry(entry: OutboxEntry) -> int:
    """Deliver one entry to the sinks that write in this transaction; returns the changes."""
    event = RoomEvent.objects.get(outbox=entry)
    return sum(sink.deliver(entry, event) for sink in sinks if sink.in_transaction)


def deliver_outside(entry: OutboxEntry) -> int:
    """Deliver one entry to the external sinks, with no transaction (and no lock) open."""
    event = RoomEvent.objects.get(outbox=entry)
    return sum(sink.deliver(entry, event) for sink in sinks if not sink.in_transaction)


def _claim(now: datetime.datetime) -> OutboxEntry | None:
    """The oldest ready entry whose thread has nothing earlier pending, row-locked.

    Call inside a transaction. ``SKIP LOCKED`` gives each worker its own
    entry, and an entry waits while an earlier one of its thread is pending
    (being relayed, leased to external sinks, or backing off), so each thread
    is relayed in order.
    """
    earlier = OutboxEntry.objects.filter(
        thread_root_id=OuterRef("thread_root_id"),
        status=OutboxEntry.Status.PENDING,
        pk__lt=OuterRef("pk"),
    )
    return (
        OutboxEntry.objects.select_for_update(skip_locked=True)
        .filter(status=OutboxEntry.Status.PENDING, next_attempt_at__lte=now)
        .exclude(Exists(earlier))
        .order_by("id")
        .first()
    )


def _failed(entry: OutboxEntry, error: Exception, now: datetime.datetime) -> None:
    """Back off, or give up as a dead letter. Call inside a transaction holding the row."""
    entry.attempts += 1
    entry.last_error = f"{type(error).__name__}: {error}"[:2000]
    if entry.attempts >= MAX_ATTEMPTS:
        entry.status = OutboxEntry.Status.DEAD
        logger.error("outbox %s is a dead letter: %s", entry.pk, entry.last_error)
    else:
        delay = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (entry.attempts - 1))
        entry.next_attempt_at = now + datetime.timedelta(seconds=delay)
        logger.warning("outbox %s failed, retry in %s s: %s", entry.pk, delay, error)
    entry.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])


def _done(entry: OutboxEntry) -> None:
    entry.status = OutboxEntry.Status.DONE
    entry.done_at = timezone.now()
    entry.save(update_fields=["status", "done_at"])


def relay_next(now: datetime.datetime | None = None) -> OutboxEntry | None:
    """Relay the oldest ready entry; returns it (done, backing off or dead), or None.

    The claim and the in-transaction sinks (the room mirror) share one
    transaction with the "done" mark. If any external sink is registered, the
    entry is instead leased (``next_attempt_at`` moves past the lease) and
    committed; the external sinks are called with no transaction open; a
    second transaction marks it done, or backs it off.
    """
    now = now or timezone.now()
    external = any(not sink.in_transaction for sink in sinks)
    with transaction.atomic():
        entry = _claim(now)
        if entry is None:
            return None
        try:
            with transaction.atomic():
                apply_entry(entry)
                failpoint("bridge.after_relay")
        except Exception as error:
            _failed(entry, error, now)
            return entry
        if not external:
            _done(entry)
            return entry
        entry.next_attempt_at = now + datetime.timedelta(seconds=EXTERNAL_LEASE_SECONDS)
        entry.save(update_fields=["next_attempt_at"])
    try:
        deliver_outside(entry)
        failpoint("bridge.after_external")
    except Exception as error:
        with transaction.atomic():
            entry = OutboxEntry.objects.select_for_update().get(pk=entry.pk)
            _failed(entry, error, now)
        return entry
    with transaction.atomic():
        entry = OutboxEntry.objects.select_for_update().get(pk=entry.pk)
        _done(entry)
    return entry


def relay_all(now: datetime.datetime | None = None, limit: int = 10_000) -> int:
    """Relay until nothing is ready; returns how many entries were handled."""
    handled = 0
    while handled < limit and relay_next(now) is not None:
        handled += 1
    return handled
