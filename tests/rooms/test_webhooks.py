"""Outgoing webhooks against a real receiver process on loopback, and real workers.

The receiver (tests/webhook_receiver.py) records each POST, verifies its HMAC
signature, and answers as told: 500 a few times, 400, or not until released.
The fault tests run ``manage.py run_worker`` processes (one killed with SIGKILL
while its POST is in flight) and write their figures to
test-artifacts/connector-faults.json (docs/reliability.md quotes them).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from http.client import HTTPConnection
from typing import Any

import pytest

from rooms.actions.messages import check_delete_message, check_edit_message
from rooms.bridge.mirrors import check_create_mirror
from rooms.bridge.relay import relay_all
from rooms.connectors.actions import check_create_connector, check_retry_dead_letter
from rooms.connectors.relay import do_relay_connectors
from rooms.connectors.webhooks import sign
from rooms.models.connectors import Connector, ConnectorDeadLetter
from tests.conftest import say
from tests.live import ROOT, free_port
from tests.rooms.test_bridge_faults import Workers, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

FIGURES = ROOT / "test-artifacts" / "connector-faults.json"


class Receiver:
    """The receiver process and a client for its control and records."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "webhook_receiver.py"), str(self.port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == b"listening"
        self.url = f"http://127.0.0.1:{self.port}/hook"

    def _call(self, method: str, path: str, data: Any = None) -> Any:
        connection = HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            body = json.dumps(data).encode() if data is not None else None
            connection.request(method, path, body=body)
            return json.loads(connection.getresponse().read())
        finally:
            connection.close()

    def control(self, **change: Any) -> None:
        self._call("POST", "/control", change)

    def requests(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/requests"))

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait(10)


@pytest.fixture
def receiver(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    """A receiver on loopback, which the operator's setting lets connectors call."""
    settings.CAUSEWAY_CONNECTOR_PRIVATE_NETWORKS = ["127.0.0.0/8"]
    monkeypatch.setenv("CAUSEWAY_CONNECTOR_PRIVATE_NETWORKS", "127.0.0.0/8")
    started = Receiver()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def workers(request: pytest.FixtureRequest, transactional_db: None) -> Iterator[Workers]:
    started = Workers(f"connectors-{request.node.name}")
    try:
        yield started
    finally:
        started.stop()


def hook(team: Any, receiver: Receiver) -> Connector:
    connector, secret = check_create_connector(
        team.supplier_admin,
        room_id=team.supplier_internal.pk,
        kind="webhook_out",
        name="Receiver",
        config={"url": receiver.url},
    )
    receiver.control(secret=secret)
    return connector


def record_figures(name: str, figures: dict[str, Any]) -> None:
    FIGURES.parent.mkdir(exist_ok=True)
    known = json.loads(FIGURES.read_text()) if FIGURES.exists() else {}
    known[name] = figures
    FIGURES.write_text(json.dumps(known, indent=2, sort_keys=True))


# --- what is sent -------------------------------------------------------------------


def test_messages_and_replies_are_posted_signed_as_slack_compatible_json(live_team, receiver):
    team = live_team
    connector = hook(team, receiver)
    root = say(team.supplier_member, team.supplier_internal, "Lot 7 ships *Friday*")
    reply = say(team.supplier_admin, team.supplier_internal, "Confirmed", thread=root)
    check_edit_message(team.supplier_member, room_id=root.room_id, message_id=root.pk, body="x")
    assert do_relay_connectors() == 3  # the edit too: handled, not sent
    first, second = receiver.requests()
    assert first["verified"] and second["verified"]
    assert first["content_type"] == "application/json"
    assert (first["delivery"], second["delivery"]) == (
        f"{connector.pk}-{root.seq}",
        f"{connector.pk}-{reply.seq}",
    )
    body = json.loads(first["body"])
    assert body["text"] == "Lot 7 ships *Friday*"
    assert body["username"] == f"{team.supplier_member.name} (Supplier)"
    room = {"id": team.supplier_internal.pk, "name": "Supplier internal"}
    assert body["causeway"]["room"] == room
    assert body["causeway"]["message"] == root.pk and body["causeway"]["thread"] is None
    assert body["causeway"]["seq"] == root.seq and body["causeway"]["mirror"] is False
    assert json.loads(second["body"])["causeway"]["thread"] == root.pk
    # The signature is over "<timestamp>.<body>" with the connector's secret.
    expected = sign(connector.secret, int(first["timestamp"]), first["body"].encode())
    assert first["signature"] == expected


def test_mirror_copies_of_a_shared_thread_are_posted_with_their_original_author(
    live_team, receiver
):
    team = live_team
    root = say(team.client_member, team.shared, "Where is lot 7?")
    check_create_mirror(
        team.supplier_member,
        source_room_id=team.shared.pk,
        root_id=root.pk,
        target_room_id=team.supplier_internal.pk,
    )
    hook(team, receiver)
    say(team.client_member, team.shared, "Still waiting", thread=root)
    relay_all()
    do_relay_connectors()
    (posted,) = receiver.requests()
    body = json.loads(posted["body"])
    assert body["text"] == "Still waiting"
    assert body["username"] == f"{team.client_member.name} (Client)"
    assert body["causeway"]["mirror"] is True


def test_a_message_deleted_before_its_turn_is_not_sent(live_team, receiver):
    team = live_team
    hook(team, receiver)
    gone = say(team.supplier_member, team.supplier_internal, "sent by mistake")
    kept = say(team.supplier_member, team.supplier_internal, "the right one")
    check_delete_message(team.supplier_member, room_id=gone.room_id, message_id=gone.pk)
    do_relay_connectors()
    posted = [json.loads(r["body"]) for r in receiver.requests()]
    assert [p["text"] for p in posted] == ["the right one"]
    assert posted[0]["causeway"]["message"] == kept.pk
    assert "sent by mistake" not in json.dumps(receiver.requests())


def test_a_refusal_is_a_dead_letter_at_once_and_a_retry_delivers_it(live_team, receiver):
    team = live_team
    connector = hook(team, receiver)
    receiver.control(status=400)
    message = say(team.supplier_member, team.supplier_internal, "refused")
    do_relay_connectors()
    letter = ConnectorDeadLetter.objects.get(connector=connector)
    assert letter.seq == message.seq and letter.error.startswith("HTTP 400")
    receiver.control(status=200)
    check_retry_dead_letter(team.supplier_admin, connector_id=connector.pk, letter_id=letter.pk)
    assert do_relay_connectors() == 1
    assert [r["status"] for r in receiver.requests()] == [400, 200]
    letter.refresh_from_db()
    assert letter.state == "delivered"


def test_an_address_that_now_resolves_privately_is_not_called(live_team, receiver, settings):
    team = live_team
    connector = hook(team, receiver)
    settings.CAUSEWAY_CONNECTOR_PRIVATE_NETWORKS = []  # the operator withdrew loopback
    say(team.supplier_member, team.supplier_internal, "x")
    do_relay_connectors()
    connector.refresh_from_db()
    assert receiver.requests() == []
    assert connector.attempts == 1 and "private" in connector.last_error


# --- faults, with real workers --------------------------------------------------------


def test_a_receiver_answering_500_twice_gets_the_event_on_the_third_try(
    live_team, receiver, workers, monkeypatch
):
    monkeypatch.setenv("CAUSEWAY_CONNECTOR_BACKOFF", "0.5")
    team = live_team
    connector = hook(team, receiver)
    receiver.control(fail=2)
    message = say(team.supplier_member, team.supplier_internal, "through the outage")
    workers.start("--interval", "0.05")
    answered = wait_for(
        "a 200",
        lambda: [r for r in receiver.requests() if r["status"] == 200] or None,
        workers,
    )
    wait_for(
        "the cursor",
        lambda: Connector.objects.filter(pk=connector.pk, delivered_seq=message.seq).first(),
        workers,
    )
    seen = receiver.requests()
    assert [r["status"] for r in seen] == [500, 500, 200]
    assert {r["delivery"] for r in seen} == {f"{connector.pk}-{message.seq}"}
    assert all(r["verified"] for r in seen)
    connector.refresh_from_db()
    assert connector.attempts == 0 and connector.failing_since is None
    assert not ConnectorDeadLetter.objects.exists()
    record_figures(
        "receiver_500_twice",
        {
            "requests": len(seen),
            "statuses": [r["status"] for r in seen],
            "seconds_first_try_to_delivered": round(
                answered[0]["answered_at"] - seen[0]["received_at"], 2
            ),
            "distinct_deliveries": len({r["delivery"] for r in seen}),
            "backoff_base_seconds": 0.5,
        },
    )


def test_a_worker_killed_while_its_post_is_in_flight_is_resent_with_the_same_delivery_id(
    live_team, receiver, workers, monkeypatch
):
    monkeypatch.setenv("CAUSEWAY_CONNECTOR_LEASE", "2")
    team = live_team
    connector = hook(team, receiver)
    receiver.control(hold=True)
    messages = [say(team.supplier_member, team.supplier_internal, f"m{i}") for i in range(3)]
    first = workers.start("--interval", "0.05")
    wait_for("the first POST", lambda: receiver.requests() or None, workers)
    first.kill()
    first.wait(10)
    killed_at = time.time()
    connector.refresh_from_db()
    assert connector.delivered_seq < messages[0].seq  # sent, never marked done
    receiver.control(hold=False)
    restarted = Workers(f"connectors-restarted-{connector.pk}")
    try:
        restarted.start("--interval", "0.05")
        wait_for(
            "every message",
            lambda: Connector.objects.filter(
                pk=connector.pk, delivered_seq=messages[-1].seq
            ).first(),
            restarted,
            seconds=120,
        )
    finally:
        restarted.stop()
    seen = receiver.requests()
    deliveries = [r["delivery"] for r in seen]
    expected = [f"{connector.pk}-{m.seq}" for m in messages]
    # The first message twice (the killed worker's POST, then the resend), in order.
    assert deliveries == [expected[0], *expected]
    assert all(r["verified"] for r in seen)
    assert seen[0]["body"] == seen[1]["body"]
    after_dedup = list(dict.fromkeys(deliveries))
    assert after_dedup == expected
    record_figures(
        "worker_killed_in_flight",
        {
            "messages": len(messages),
            "requests": len(seen),
            "duplicates_before_dedup": len(deliveries) - len(set(deliveries)),
            "duplicates_after_dedup": len(after_dedup) - len(set(after_dedup)),
            "lost": len(set(expected) - set(deliveries)),
            "lease_seconds": 2,
            "seconds_kill_to_all_delivered": round(
                max(r["answered_at"] for r in seen[1:]) - killed_at, 2
            ),
        },
    )
