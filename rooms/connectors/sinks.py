"""What a connector delivers to: one sink per kind, registered at start-up.

A sink is called by the relay with no transaction open and no lock held (it
talks to the network), once per event of the connector's room in seq order,
and possibly more than once for the same event (a worker that dies after
sending but before moving the cursor sends again). ``txn_id`` is the same on
every try, so the receiver applies each event once: Matrix's transaction
ids, a webhook's ``X-Causeway-Delivery``. A sink ignores the events it has
nothing to say about by returning.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from rooms.models.connectors import Connector
from rooms.models.log import RoomEvent


class DeliveryFailed(Exception):
    """The receiver did not take the event. ``retry``: back off and try again
    (a 5xx, a timeout); else it is a dead letter at once (the receiver refused it)."""

    def __init__(self, message: str, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


class ConnectorSink(Protocol):
    def deliver(self, connector: Connector, event: RoomEvent, txn_id: str) -> None:
        """Deliver ``event`` of ``connector``'s room, or raise ``DeliveryFailed``."""
        ...


SINKS: dict[str, ConnectorSink] = {}


def register_sink(kind: str, sink: ConnectorSink) -> None:
    """The sink for connectors of ``kind`` (for an app's ``ready()``: rooms.apps)."""
    SINKS[kind] = sink


def txn_id(connector: Connector, seq: int) -> str:
    """The same for every try of one event on one connector, never for two."""
    return f"{connector.pk}-{seq}"


# A kind's settings, checked when a connector is made: returns what is stored in
# ``Connector.config`` (non-secret), or raises ``hub.errors.Invalid``.
ConfigCheck = Callable[[dict[str, Any]], dict[str, Any]]
CONFIG_CHECKS: dict[str, ConfigCheck] = {}


def register_config_check(kind: str, check: ConfigCheck) -> None:
    CONFIG_CHECKS[kind] = check
