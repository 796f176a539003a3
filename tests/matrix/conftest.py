"""The Matrix bridge against a real Synapse: one homeserver for the session, and per test
a supplier organization whose internal room is connected to a Matrix room on it.

Set-up is what an admin does (docs/connectors.md): connect the room in Causeway
(``check_create_matrix_bridge``), install the registration it generates in the
homeserver (Synapse restarts to read it), invite the bot to the Matrix room, link
the engineer's Matrix account to their Causeway person. Causeway serves the
application-service API from a real Daphne, which Synapse calls.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from hub.models import User
from rooms.connectors.matrix.actions import check_create_matrix_bridge, check_link_matrix_user
from rooms.connectors.matrix.registration import bot_localpart, registration_yaml
from rooms.connectors.relay import do_relay_connectors
from rooms.models.connectors import Connector
from rooms.models.matrix import MatrixBridge
from rooms.models.rooms import Room
from tests.conftest import Team, say
from tests.live import DaphneProcess
from tests.matrix.synapse import SERVER_NAME, MatrixUser, Synapse

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

_n = itertools.count(1)

LOOPBACK = "127.0.0.0/8"


@pytest.fixture
def causeway(settings: Any) -> Iterator[DaphneProcess]:
    """Causeway's web process, which the homeserver pushes transactions to."""
    # The homeserver is on loopback: the operator allows it (rooms.connectors.outbound).
    settings.CAUSEWAY_CONNECTOR_PRIVATE_NETWORKS = [LOOPBACK]
    server = DaphneProcess(extra_env={"CAUSEWAY_CONNECTOR_PRIVATE_NETWORKS": LOOPBACK})
    settings.SITE_URL = server.origin
    yield server
    server.stop()


@dataclass
class Bridged:
    team: Team
    synapse: Synapse
    engineer: MatrixUser
    matrix_room: str
    bridge: MatrixBridge
    registration: str

    @property
    def connector(self) -> Connector:
        return Connector.objects.get(pk=self.bridge.connector_id)

    @property
    def room(self) -> Room:
        return self.team.supplier_internal

    def relay(self, now: datetime.datetime | None = None) -> int:
        """Relay until the connector's cursor reaches the room's head (or nothing is due)."""
        delivered = 0
        while True:
            got = do_relay_connectors(now)
            delivered += got
            if got == 0:
                return delivered

    def caught_up(self) -> bool:
        head = Room.objects.values_list("last_seq", flat=True).get(pk=self.room.pk)
        return self.connector.delivered_seq >= head

    def timeline(self) -> list[dict[str, Any]]:
        """The room's messages as the engineer's client sees them."""
        return self.engineer.text_messages(self.matrix_room)


def connect_room(
    synapse: Synapse, admin: User, room: Room, engineer_person: User
) -> tuple[MatrixBridge, MatrixUser, str, str]:
    """What an admin and their Matrix engineer do to bridge ``room``: connect it in
    Causeway, install the registration it generates, invite the bot, link the engineer.
    Returns the bridge, the engineer, the Matrix room and the registration."""
    n = next(_n)
    engineer = synapse.register(f"engineer{n}_{timezone.now().strftime('%H%M%S%f')}")
    matrix_room = engineer.create_room(f"{room.name} {n}")
    bridge = check_create_matrix_bridge(
        admin, room_id=room.pk, homeserver=synapse.url, matrix_room=matrix_room
    )
    yaml = registration_yaml(bridge)
    synapse.install_appservice(yaml)
    # The admin knows their server's name: the bot is @causeway_<connector>_bot on it.
    engineer.invite(matrix_room, f"@{bot_localpart(bridge)}:{SERVER_NAME}")
    check_link_matrix_user(
        admin,
        connector_id=bridge.connector_id,
        matrix_user=engineer.user_id,
        person_id=engineer_person.pk,
    )
    return bridge, engineer, matrix_room, yaml


def connect(team: Team, synapse: Synapse) -> Bridged:
    """The supplier's internal room bridged; the engineer is Sue Supplier on Matrix."""
    bridge, engineer, matrix_room, yaml = connect_room(
        synapse, team.supplier_admin, team.supplier_internal, team.supplier_member
    )
    bridged = Bridged(team, synapse, engineer, matrix_room, bridge, yaml)
    # The bot joins the room with the first event it relays; from then on the
    # homeserver pushes the room's events to Causeway.
    say(team.supplier_admin, team.supplier_internal, "Connected to Matrix")
    bridged.relay()
    bridged.bridge.refresh_from_db()
    return bridged


@pytest.fixture
def bridged(live_team: Team, synapse: Synapse, causeway: DaphneProcess) -> Bridged:
    return connect(live_team, synapse)
