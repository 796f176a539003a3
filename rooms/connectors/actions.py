"""Connectors on the organization page: made, paused, removed, their dead letters
retried or discarded, by the organization's admins only.

As for every organization setting (``hub.organization.check_org_admin``), to
anyone but its admins the connectors do not exist (``NotFound``) and a
colleague who tries to change them is refused (``Forbidden``). A connector
belongs on an internal room of the admin's own organization that the admin
is in: a shared room, a direct conversation, another organization's room or
an internal room the admin cannot read are all "not found", the same answer
as a room that does not exist. (A connector sends the room's content out of
the hub: the partner's content reaches it only as the mirror copies that
arrive in the internal room.)

The secret that signs what a connector sends is made here and shown once, in
the answer to its creation; nobody reads it back through the app.
"""

from __future__ import annotations

import secrets
from typing import Any, Literal, TypedDict

from django.db import transaction
from django.utils import timezone

from hub import audit
from hub.errors import Invalid, NotFound
from hub.models import Organization, User
from hub.organization import check_org_admin
from rooms.connectors.sinks import CONFIG_CHECKS
from rooms.models.connectors import Connector, ConnectorDeadLetter
from rooms.models.rooms import Membership, Room

# Open dead letters listed per connector (the oldest first).
DEAD_LETTERS_SHOWN = 50


class ConnectorRoom(TypedDict):
    id: int
    name: str


class DeadLetterData(TypedDict):
    id: int
    seq: int
    # The event's type ("message.new"), or None once the event is gone.
    type: str | None
    error: str
    attempts: int
    # "retrying": an admin asked for another try, the relay's next pass makes it.
    state: Literal["dead", "retrying"]
    created_at: str


class ConnectorConfig(TypedDict, total=False):
    """A connector's non-secret settings, by kind (an outgoing webhook: its URL)."""

    url: str


class ConnectorData(TypedDict):
    """One of GET /api/organization/connectors/: never the secret."""

    id: int
    kind: str
    name: str
    room: ConnectorRoom
    config: ConnectorConfig
    # Healthy, failing since ``failing_since`` (backing off), or paused by an admin.
    state: Literal["delivering", "retrying", "paused"]
    failing_since: str | None
    last_error: str
    attempts: int
    next_attempt_at: str | None
    delivered_seq: int
    created_at: str
    created_by: str | None
    dead_letters: list[DeadLetterData]


class ConnectorsView(TypedDict):
    """GET /api/organization/connectors/: the connectors, and the rooms one may be added to."""

    connectors: list[ConnectorData]
    rooms: list[ConnectorRoom]


def _letter(letter: ConnectorDeadLetter, types: dict[int, str]) -> DeadLetterData:
    return {
        "id": letter.pk,
        "seq": letter.seq,
        "type": types.get(letter.event_id) if letter.event_id is not None else None,
        "error": letter.error,
        "attempts": letter.attempts,
        "state": "retrying" if letter.state == ConnectorDeadLetter.State.RETRYING else "dead",
        "created_at": letter.created_at.isoformat(),
    }


def _config(connector: Connector) -> ConnectorConfig:
    """What the admin sees of the settings: each kind's known, non-secret fields."""
    config: ConnectorConfig = {}
    if isinstance(connector.config.get("url"), str):
        config["url"] = connector.config["url"]
    return config


def connector_data(connector: Connector) -> ConnectorData:
    letters = list(
        ConnectorDeadLetter.objects.filter(
            connector=connector,
            state__in=[ConnectorDeadLetter.State.DEAD, ConnectorDeadLetter.State.RETRYING],
        )
        .select_related("event")
        .order_by("seq")[:DEAD_LETTERS_SHOWN]
    )
    types = {letter.event.pk: letter.event.type for letter in letters if letter.event is not None}
    state: Literal["delivering", "retrying", "paused"]
    if connector.paused:
        state = "paused"
    elif connector.failing_since is not None:
        state = "retrying"
    else:
        state = "delivering"
    return {
        "id": connector.pk,
        "kind": connector.kind,
        "name": connector.name,
        "room": {"id": connector.room_id, "name": connector.room.name},
        "config": _config(connector),
        "state": state,
        "failing_since": connector.failing_since.isoformat() if connector.failing_since else None,
        "last_error": connector.last_error,
        "attempts": connector.attempts,
        "next_attempt_at": (
            connector.next_attempt_at.isoformat() if connector.failing_since else None
        ),
        "delivered_seq": connector.delivered_seq,
        "created_at": connector.created_at.isoformat(),
        "created_by": connector.created_by.name if connector.created_by else None,
        "dead_letters": [_letter(letter, types) for letter in letters],
    }


def _rooms_for(actor: User, organization_id: int) -> Any:
    """The internal rooms of the organization the admin is in: where a connector may go."""
    return Room.objects.filter(
        kind=Room.Kind.INTERNAL,
        organization_id=organization_id,
        archived_at__isnull=True,
        memberships__in=Membership.objects.active().filter(user=actor),
    )


def connectors_of(actor: User) -> ConnectorsView:
    """The organization's live connectors, to its admins (``NotFound`` to anyone else)."""
    organization_id = check_org_admin(actor)
    connectors = (
        Connector.objects.filter(organization_id=organization_id, removed_at__isnull=True)
        .select_related("room", "created_by")
        .order_by("created_at")
    )
    rooms = _rooms_for(actor, organization_id).order_by("name")
    return {
        "connectors": [connector_data(c) for c in connectors],
        "rooms": [{"id": r.pk, "name": r.name} for r in rooms],
    }


def access_connector(actor: User, connector_id: int, *, changing: bool) -> Connector:
    """A live connector of the actor's organization; ``NotFound`` for anyone else's or none,
    ``Forbidden`` to a colleague who is not an admin and tries to change it."""
    organization_id = check_org_admin(actor, changing="connectors" if changing else None)
    connector = (
        Connector.objects.select_related("room", "created_by")
        .filter(pk=connector_id, organization_id=organization_id, removed_at__isnull=True)
        .first()
    )
    if connector is None:
        raise NotFound()
    return connector


def check_create_connector(
    actor: User, *, room_id: int, kind: str, name: str, config: dict[str, Any]
) -> tuple[Connector, str]:
    """An admin connects one of the organization's internal rooms they are in; returns
    the connector and its secret (shown this once)."""
    organization_id = check_org_admin(actor, changing="connectors")
    room = _rooms_for(actor, organization_id).filter(pk=room_id).first()
    if room is None:
        raise NotFound()
    check = CONFIG_CHECKS.get(kind)
    if kind not in Connector.Kind.values or check is None:
        raise Invalid(f"`kind` must be one of: {', '.join(sorted(CONFIG_CHECKS))}.")
    stored = check(config)
    with transaction.atomic():
        organization = Organization.objects.get(pk=organization_id)
        return do_create_connector(
            actor, organization=organization, room=room, kind=kind, name=name, config=stored
        )


def do_create_connector(
    actor: User | None,
    *,
    organization: Organization,
    room: Room,
    kind: str,
    name: str,
    config: dict[str, Any],
) -> tuple[Connector, str]:
    """Make the connector, its cursor at the room's head (what comes next is delivered,
    not the history). Call inside ``transaction.atomic``, after the checks: ``room`` is an
    internal room of ``organization``."""
    assert room.kind == Room.Kind.INTERNAL and room.organization_id == organization.pk
    secret = secrets.token_urlsafe(32)
    head = Room.objects.filter(pk=room.pk).values_list("last_seq", flat=True).get()
    connector = Connector.objects.create(
        organization=organization,
        room=room,
        kind=kind,
        name=name,
        config=config,
        secret=secret,
        created_by=actor,
        delivered_seq=head,
    )
    # The secret is never in the log; the configuration (a URL) is.
    audit.record(
        actor,
        "connector.created",
        connector,
        organization=organization,
        kind=kind,
        name=name,
        room=room.pk,
        config=config,
    )
    return connector, secret


def check_remove_connector(actor: User, *, connector_id: int) -> None:
    connector = access_connector(actor, connector_id, changing=True)
    with transaction.atomic():
        do_remove_connector(actor, connector)


def do_remove_connector(actor: User | None, connector: Connector) -> None:
    """The relay stops at once (a removed connector is never claimed; one being delivered
    stops before its next event). Its record and dead letters stay."""
    connector.removed_at = timezone.now()
    connector.save(update_fields=["removed_at"])
    audit.record(
        actor,
        "connector.removed",
        connector,
        organization=Organization.objects.get(pk=connector.organization_id),
        kind=connector.kind,
        name=connector.name,
        room=connector.room_id,
    )


def check_set_connector_paused(actor: User, *, connector_id: int, paused: bool) -> Connector:
    connector = access_connector(actor, connector_id, changing=True)
    if connector.paused == paused:
        return connector
    with transaction.atomic():
        return do_set_connector_paused(actor, connector, paused)


def do_set_connector_paused(actor: User | None, connector: Connector, paused: bool) -> Connector:
    """Paused, the cursor waits; resumed, delivery goes on from it (nothing is skipped), at once."""
    connector.paused = paused
    connector.next_attempt_at = timezone.now()
    connector.save(update_fields=["paused", "next_attempt_at"])
    audit.record(
        actor,
        "connector.paused" if paused else "connector.resumed",
        connector,
        organization=Organization.objects.get(pk=connector.organization_id),
        name=connector.name,
    )
    return connector


def _open_letter(connector: Connector, letter_id: int) -> ConnectorDeadLetter:
    letter = (
        ConnectorDeadLetter.objects.select_for_update()
        .filter(pk=letter_id, connector=connector, state=ConnectorDeadLetter.State.DEAD)
        .first()
    )
    if letter is None:
        raise NotFound()
    return letter


def check_retry_dead_letter(actor: User, *, connector_id: int, letter_id: int) -> Connector:
    """The relay sends the dead letter again on its next pass (out of order: it is older
    than what was delivered since); if it fails again it stays a dead letter."""
    return _settle_letter(
        actor,
        connector_id,
        letter_id,
        ConnectorDeadLetter.State.RETRYING,
        "connector.dead_letter_retried",
    )


def check_discard_dead_letter(actor: User, *, connector_id: int, letter_id: int) -> Connector:
    return _settle_letter(
        actor,
        connector_id,
        letter_id,
        ConnectorDeadLetter.State.DISCARDED,
        "connector.dead_letter_discarded",
    )


def _settle_letter(
    actor: User, connector_id: int, letter_id: int, state: str, kind: str
) -> Connector:
    """An admin's decision on an open dead letter: sent again, or dropped (then
    resolved); audited as ``kind``."""
    connector = access_connector(actor, connector_id, changing=True)
    with transaction.atomic():
        letter = _open_letter(connector, letter_id)
        letter.state = state
        fields = ["state"]
        if state == ConnectorDeadLetter.State.DISCARDED:
            letter.resolved_at = timezone.now()
            fields.append("resolved_at")
        letter.save(update_fields=fields)
        audit.record(
            actor,
            kind,
            connector,
            organization=Organization.objects.get(pk=connector.organization_id),
            seq=letter.seq,
        )
    return connector
