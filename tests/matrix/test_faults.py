"""The homeserver killed, slow, or down for long: nothing lost, nothing applied twice.

The relay runs as the worker runs it (``do_relay_connectors``, no transaction open)
in a thread of its own while the test kills, pauses or restarts the real Synapse.
Each Causeway message must show exactly once in the Matrix room, counted by its
body and by the transaction id it carries (``org.causeway.txn``). The figures go
to test-artifacts/matrix-faults.json (docs/reliability.md quotes them).
"""

from __future__ import annotations

import datetime
import itertools
import json
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from rooms.connectors.actions import check_retry_dead_letter
from rooms.connectors.matrix.sink import TXN_KEY
from rooms.models.connectors import ConnectorDeadLetter
from rooms.models.matrix import MatrixEvent
from tests.conftest import say
from tests.matrix.conftest import Bridged

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(600)]

ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"


def record(name: str, figures: dict[str, Any]) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "matrix-faults.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data[name] = figures
    path.write_text(json.dumps(data, indent=2))


_hours = itertools.count(1)


def later() -> datetime.datetime:
    """A pass's clock past any backoff so far (each call an hour further than the last):
    the relay retries now instead of in seconds or minutes."""
    return timezone.now() + datetime.timedelta(hours=next(_hours))


class Relay(threading.Thread):
    """The worker's loop: pass after pass until the connector has caught up."""

    def __init__(self, bridged: Bridged, *, skip_backoff: bool = True) -> None:
        super().__init__(daemon=True)
        self.bridged = bridged
        self.skip_backoff = skip_backoff
        self.passes = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.bridged.caught_up():
                self.bridged.relay(later() if self.skip_backoff else None)
                self.passes += 1
                time.sleep(0.05)
        except BaseException as error:  # reported by the test
            self.error = error
        finally:
            connection.close()

    def finish(self, timeout: float = 240) -> None:
        self.join(timeout)
        assert not self.is_alive(), "the relay never caught up"
        assert self.error is None, self.error


def sent_bodies(bridged: Bridged) -> tuple[Counter[str], Counter[str]]:
    """How often each body and each transaction id shows in the Matrix room."""
    events = [e for e in bridged.timeline() if TXN_KEY in e["content"]]
    return (
        Counter(e["content"]["body"] for e in events),
        Counter(e["content"][TXN_KEY] for e in events),
    )


def wait_for(probe: Any, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def test_synapse_killed_mid_relay_loses_nothing_and_applies_nothing_twice(
    bridged: Bridged,
) -> None:
    team = bridged.team
    bodies = [f"Reading {i:02}: pressure nominal" for i in range(40)]
    for body in bodies:
        say(team.supplier_member, bridged.room, body)
    # The worker's own backoff (2 s, 4 s, 8 s ...): a homeserver down for seconds
    # costs a few attempts, far from the dead-letter limit.
    relay = Relay(bridged, skip_backoff=False)
    started = time.monotonic()
    relay.start()
    # Kill it mid-relay: some delivered, most not.
    wait_for(lambda: MatrixEvent.objects.filter(bridge=bridged.bridge).count() >= 10)
    delivered_at_kill = MatrixEvent.objects.filter(bridge=bridged.bridge).count() - 1
    bridged.synapse.kill()
    killed = time.monotonic()
    time.sleep(2)  # a few failed tries against a dead homeserver
    failing = bridged.connector.attempts
    bridged.synapse.start()
    restarted = time.monotonic()
    relay.finish()
    done = time.monotonic()
    by_body, by_txn = sent_bodies(bridged)
    assert [by_body[b] for b in bodies] == [1] * len(bodies)
    assert set(by_txn.values()) == {1}
    assert ConnectorDeadLetter.objects.filter(connector=bridged.connector).count() == 0
    record(
        "killed_mid_relay",
        {
            "messages": len(bodies),
            "delivered_before_kill": delivered_at_kill,
            "failed_attempts_while_down": failing,
            "down_seconds": round(restarted - killed, 1),
            "caught_up_after_restart_seconds": round(done - restarted, 1),
            "total_seconds": round(done - started, 1),
            "duplicates": sum(n - 1 for n in by_body.values()),
            "lost": sum(1 for b in bodies if by_body[b] == 0),
        },
    )


def test_a_slow_synapse_is_retried_then_delivered_once(bridged: Bridged, settings: Any) -> None:
    # A request that gets no answer within a second fails (and is tried again).
    settings.CAUSEWAY_CONNECTOR_TIMEOUT_SECONDS = 1.0
    team = bridged.team
    bodies = [f"Slow {i}" for i in range(5)]
    bridged.synapse.pause()  # SIGSTOP: the kernel accepts connections, nothing answers
    try:
        for body in bodies:
            say(team.supplier_member, bridged.room, body)
        bridged.relay()
        bridged.relay(later())
        assert bridged.connector.attempts == 2
        assert "did not answer" in bridged.connector.last_error
    finally:
        bridged.synapse.resume()
    started = time.monotonic()
    relay = Relay(bridged)
    relay.start()
    relay.finish()
    by_body, by_txn = sent_bodies(bridged)
    assert [by_body[b] for b in bodies] == [1] * len(bodies)
    assert set(by_txn.values()) == {1}
    record(
        "paused_homeserver",
        {
            "messages": len(bodies),
            "timeout_seconds": 1.0,
            "failed_attempts_while_paused": 2,
            "delivered_after_resume_seconds": round(time.monotonic() - started, 1),
            "duplicates": sum(n - 1 for n in by_body.values()),
        },
    )


def test_synapse_down_long_leaves_dead_letters_that_a_retry_delivers(
    bridged: Bridged, settings: Any
) -> None:
    settings.CAUSEWAY_CONNECTOR_MAX_ATTEMPTS = 3
    team = bridged.team
    bridged.synapse.kill()
    try:
        say(team.supplier_member, bridged.room, "Sent while the homeserver was down")
        for _ in range(3):
            bridged.relay(later())
    finally:
        bridged.synapse.start()
    [letter] = ConnectorDeadLetter.objects.filter(connector=bridged.connector)
    assert letter.state == ConnectorDeadLetter.State.DEAD
    assert "did not answer" in letter.error
    assert bridged.caught_up()  # the cursor moved past it: later messages are not held up
    say(team.supplier_member, bridged.room, "Sent after it came back")
    bridged.relay(later())
    check_retry_dead_letter(
        team.supplier_admin, connector_id=letter.connector_id, letter_id=letter.pk
    )
    bridged.relay(later())
    letter.refresh_from_db()
    assert letter.state == ConnectorDeadLetter.State.DELIVERED
    by_body, _ = sent_bodies(bridged)
    assert by_body["Sent while the homeserver was down"] == 1
    assert by_body["Sent after it came back"] == 1
    record("down_long", {"max_attempts": 3, "dead_letters": 1, "delivered_on_retry": 1})
