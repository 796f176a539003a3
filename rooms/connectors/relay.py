"""The connector relay: each connector's room events, from its cursor, to its sink.

The room's event log is the outbox (``rooms.log`` writes every event in the
writing transaction), so the relay only moves a cursor. A pass:

1. claims the due connectors in one short transaction (``SELECT ... FOR
   UPDATE SKIP LOCKED``, then a lease: ``lease_until`` and a ``lease_token``),
   so several workers never deliver one connector at once;
2. with NO transaction open, reads the events after the cursor in seq order
   and hands each to the sink (a network call);
3. after each success moves the cursor in its own short ``UPDATE``, guarded
   by the lease: a worker that lost its lease (it stalled past it and another
   took over) moves nothing.

A worker killed between 2 and 3 leaves the cursor where it was; once the
lease runs out another pass sends the event again with the same ``txn_id``
(at least once; the receiver's dedup by ``txn_id`` makes it once). A failure
backs off exponentially; after ``CAUSEWAY_CONNECTOR_MAX_ATTEMPTS`` (or at once,
if the receiver refused it: ``DeliveryFailed(retry=False)``) the event becomes
a ``ConnectorDeadLetter`` and the cursor moves past it. Order is the room's
seq order, per connector (stronger than per thread). A removed or paused
connector, or one whose room is no longer an internal room of its
organization, is not claimed: it stops.
"""

from __future__ import annotations

import datetime
import logging
import secrets

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from rooms.bridge.relay import failpoint
from rooms.connectors.sinks import SINKS, ConnectorSink, DeliveryFailed, txn_id
from rooms.models.connectors import Connector, ConnectorDeadLetter
from rooms.models.log import RoomEvent
from rooms.models.rooms import Room

logger = logging.getLogger("causeway.connectors")

# Connectors claimed in one pass, and events delivered per connector per pass.
CLAIM_LIMIT = 20
BATCH = 100


def _lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.CAUSEWAY_CONNECTOR_LEASE_SECONDS)


def backoff(attempts: int) -> datetime.timedelta:
    """The wait after the ``attempts``-th failure in a row."""
    base = settings.CAUSEWAY_CONNECTOR_BACKOFF_SECONDS
    cap = settings.CAUSEWAY_CONNECTOR_BACKOFF_MAX_SECONDS
    return datetime.timedelta(seconds=min(cap, base * 2 ** (attempts - 1)))


def deliverable() -> Q:
    """Connectors that may deliver: live, not paused, their room still an internal
    room of their own organization."""
    return Q(
        removed_at__isnull=True,
        paused=False,
        room__kind=Room.Kind.INTERNAL,
        room__organization_id=F("organization_id"),
    )


def _claim(now: datetime.datetime) -> tuple[list[int], str]:
    """Lease the due connectors with work to do; returns their ids and the lease token."""
    token = secrets.token_hex(16)
    retrying = ConnectorDeadLetter.objects.filter(
        connector=OuterRef("pk"), state=ConnectorDeadLetter.State.RETRYING
    )
    with transaction.atomic():
        ids = list(
            Connector.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(deliverable())
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
            # Due with new events, or a dead letter an admin asked to retry (at once,
            # even while the connector backs off).
            .filter(
                Q(next_attempt_at__lte=now, room__last_seq__gt=F("delivered_seq"))
                | Exists(retrying)
            )
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:CLAIM_LIMIT]
        )
        if ids:
            Connector.objects.filter(pk__in=ids).update(
                lease_until=now + _lease(), lease_token=token
            )
    return ids, token


def _holding(connector_id: int, token: str) -> Connector | None:
    """The connector, if this pass still holds its lease and it may still deliver."""
    return (
        Connector.objects.select_related("room")
        .filter(deliverable(), pk=connector_id, lease_token=token)
        .first()
    )


def _advance(connector: Connector, token: str, seq: int) -> bool:
    """Move the cursor to ``seq`` (one autocommit UPDATE) and renew the lease."""
    moved = Connector.objects.filter(
        pk=connector.pk, lease_token=token, delivered_seq__lt=seq
    ).update(
        delivered_seq=seq,
        attempts=0,
        last_error="",
        failing_since=None,
        lease_until=timezone.now() + _lease(),
    )
    connector.delivered_seq = seq
    return moved == 1


def _release(connector_id: int, token: str) -> None:
    Connector.objects.filter(pk=connector_id, lease_token=token).update(
        lease_until=None, lease_token=""
    )


def _describe(error: Exception) -> str:
    if isinstance(error, DeliveryFailed):
        return str(error)[:2000]
    return f"{type(error).__name__}: {error}"[:2000]


def _failed(
    connector_id: int, token: str, event: RoomEvent, error: Exception, now: datetime.datetime
) -> None:
    """Back off, or dead-letter the event and move past it; releases the lease."""
    retry = not isinstance(error, DeliveryFailed) or error.retry
    with transaction.atomic():
        connector = (
            Connector.objects.select_for_update().filter(pk=connector_id, lease_token=token).first()
        )
        if connector is None:
            return
        attempts = connector.attempts + 1
        connector.last_error = _describe(error)
        if not retry or attempts >= settings.CAUSEWAY_CONNECTOR_MAX_ATTEMPTS:
            ConnectorDeadLetter.objects.get_or_create(
                connector=connector,
                seq=event.seq,
                defaults={"event": event, "error": connector.last_error, "attempts": attempts},
            )
            connector.delivered_seq = max(connector.delivered_seq, event.seq)
            connector.attempts = 0
            connector.failing_since = None
            connector.next_attempt_at = now
            logger.error(
                "connector %s: seq %s is a dead letter: %s",
                connector.pk,
                event.seq,
                connector.last_error,
            )
        else:
            connector.attempts = attempts
            connector.failing_since = connector.failing_since or now
            connector.next_attempt_at = now + backoff(attempts)
            logger.warning(
                "connector %s: seq %s failed (%s), retry in %s",
                connector.pk,
                event.seq,
                connector.last_error,
                backoff(attempts),
            )
        connector.lease_until = None
        connector.lease_token = ""
        connector.save(
            update_fields=[
                "attempts",
                "last_error",
                "delivered_seq",
                "failing_since",
                "next_attempt_at",
                "lease_until",
                "lease_token",
            ]
        )


def _send(sink: ConnectorSink, connector: Connector, event: RoomEvent) -> None:
    # The sink talks to the network: never inside a transaction, never holding a lock.
    assert not connection.in_atomic_block, "a connector sink was called inside a transaction"
    sink.deliver(connector, event, txn_id(connector, event.seq))


def _retry_dead_letters(sink: ConnectorSink, connector: Connector, token: str) -> int:
    """The dead letters the admin asked to retry, oldest first; returns those delivered."""
    delivered = 0
    letters = ConnectorDeadLetter.objects.filter(
        connector=connector, state=ConnectorDeadLetter.State.RETRYING
    ).order_by("seq")
    for letter in letters:
        event = (
            RoomEvent.objects.filter(pk=letter.event_id).first()
            if letter.event_id is not None
            else None
        )
        update: dict[str, object]
        if event is None:
            update = {"state": ConnectorDeadLetter.State.DEAD, "error": "The event is gone."}
        else:
            try:
                _send(sink, connector, event)
            except Exception as error:
                update = {
                    "state": ConnectorDeadLetter.State.DEAD,
                    "error": _describe(error),
                    "attempts": letter.attempts + 1,
                }
            else:
                update = {
                    "state": ConnectorDeadLetter.State.DELIVERED,
                    "resolved_at": timezone.now(),
                    "attempts": letter.attempts + 1,
                }
                delivered += 1
        ConnectorDeadLetter.objects.filter(
            pk=letter.pk, state=ConnectorDeadLetter.State.RETRYING
        ).update(**update)
    return delivered


def relay_connector(connector_id: int, token: str, now: datetime.datetime) -> int:
    """Deliver one leased connector's next events; returns how many were delivered."""
    connector = _holding(connector_id, token)
    sink = SINKS.get(connector.kind) if connector is not None else None
    if connector is None or sink is None:
        _release(connector_id, token)
        return 0
    delivered = _retry_dead_letters(sink, connector, token)
    if connector.next_attempt_at > now:  # claimed for a retried dead letter only
        _release(connector_id, token)
        return delivered
    events = list(
        RoomEvent.objects.filter(
            room_id=connector.room_id, seq__gt=connector.delivered_seq
        ).order_by("seq")[:BATCH]
    )
    for event in events:
        # Removed, paused or its room gone from the organization since the last
        # event, or the lease lost: stop before sending anything more.
        if _holding(connector_id, token) is None:
            _release(connector_id, token)  # so a resumed connector is not kept waiting
            return delivered
        try:
            _send(sink, connector, event)
            failpoint("connectors.after_send")
        except Exception as error:
            if not isinstance(error, DeliveryFailed):
                logger.exception("connector %s: the sink failed", connector_id)
            _failed(connector_id, token, event, error, now)
            return delivered
        if not _advance(connector, token, event.seq):
            return delivered
        delivered += 1
    _release(connector_id, token)
    return delivered


def do_relay_connectors(now: datetime.datetime | None = None) -> int:
    """One pass over the due connectors; returns the events delivered.

    Call with no transaction open (the worker does): the sinks talk to the network.
    """
    now = now or timezone.now()
    ids, token = _claim(now)
    return sum(relay_connector(connector_id, token, now) for connector_id in ids)
