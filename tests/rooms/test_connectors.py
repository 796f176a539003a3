"""The connector core: who may connect which room, the relay's cursor, retries, dead
letters, leases, and the outbound address rule. The sink here is a recorder registered
for a test kind; the webhook sink itself is tested against a real receiver
(tests/rooms/test_webhooks.py)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from hub.errors import Forbidden, Invalid, NotFound
from hub.models import AuditEntry
from rooms.actions.direct import check_start_direct
from rooms.connectors.actions import (
    check_create_connector,
    check_discard_dead_letter,
    check_remove_connector,
    check_retry_dead_letter,
    check_set_connector_paused,
    connectors_of,
)
from rooms.connectors.outbound import check_outbound_url
from rooms.connectors.relay import _claim, do_relay_connectors, relay_connector
from rooms.connectors.sinks import (
    CONFIG_CHECKS,
    SINKS,
    DeliveryFailed,
    register_config_check,
    register_sink,
)
from rooms.models.connectors import Connector, ConnectorDeadLetter
from rooms.models.log import RoomEvent
from rooms.models.rooms import Room
from tests.conftest import make_internal_room, make_org, make_person, say

KIND = "matrix"  # the reserved kind: this test's recorder stands in for its sink


class Recorder:
    """A sink that records what it is given and fails as told."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int, str, str, bool]] = []
        self.fail: list[DeliveryFailed] = []

    def deliver(self, connector: Connector, event: RoomEvent, txn_id: str) -> None:
        self.calls.append((connector.pk, event.seq, event.type, txn_id, connection.in_atomic_block))
        if self.fail:
            raise self.fail.pop(0)

    def seqs(self) -> list[int]:
        return [seq for _c, seq, _t, _x, _a in self.calls]


@pytest.fixture
def recorder() -> Any:
    sink = Recorder()
    # The kind's real sink and check (the Matrix bridge's) come back afterwards: later
    # tests in this process use them.
    sinks, checks = dict(SINKS), dict(CONFIG_CHECKS)
    register_sink(KIND, sink)
    register_config_check(KIND, lambda config: {"note": str(config.get("note", ""))})
    yield sink
    SINKS.clear()
    SINKS.update(sinks)
    CONFIG_CHECKS.clear()
    CONFIG_CHECKS.update(checks)


def connect(team: Any, room: Room | None = None, actor: Any = None) -> tuple[Connector, str]:
    return check_create_connector(
        actor or team.supplier_admin,
        room_id=(room or team.supplier_internal).pk,
        kind=KIND,
        name="Recorder",
        config={"note": "x"},
    )


def later(seconds: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(seconds=seconds)


# --- who may connect what ----------------------------------------------------------


def test_an_admin_connects_an_internal_room_from_its_head_with_a_secret_shown_once(team, recorder):
    say(team.supplier_member, team.supplier_internal, "before the connector")
    connector, secret = connect(team)
    team.supplier_internal.refresh_from_db()
    assert connector.delivered_seq == team.supplier_internal.last_seq
    assert len(secret) >= 40 and connector.secret == secret
    listed = connectors_of(team.supplier_admin)["connectors"]
    assert [c["id"] for c in listed] == [connector.pk]
    assert "secret" not in listed[0] and secret not in str(listed[0])
    entry = AuditEntry.objects.get(action="connector.created")
    assert entry.organization_id == team.supplier.pk and secret not in str(entry.data)


def test_shared_direct_and_other_organizations_rooms_are_not_found(team, recorder):
    direct = check_start_direct(team.supplier_admin, people=[team.supplier_member.pk])
    across = check_start_direct(team.supplier_admin, people=[team.client_member.pk])
    for room in (team.shared, direct, across, team.client_internal):
        with pytest.raises(NotFound):
            connect(team, room)
    with pytest.raises(NotFound):
        check_create_connector(team.supplier_admin, room_id=2**40, kind=KIND, name="x", config={})
    assert Connector.objects.count() == 0


def test_an_internal_room_the_admin_is_not_in_is_not_found(team, recorder):
    private = make_internal_room(team.supplier_member, name="Private")
    with pytest.raises(NotFound):
        connect(team, private)


def test_a_member_is_refused_and_an_outsider_finds_nothing(team, recorder):
    with pytest.raises(Forbidden):
        connect(team, actor=team.supplier_member)
    connector, _ = connect(team)
    with pytest.raises(NotFound):
        connectors_of(team.supplier_member)
    with pytest.raises(NotFound):
        connectors_of(make_person(make_org()))
    for actor in (team.client_admin, make_person(make_org(), admin=True)):
        with pytest.raises(NotFound):
            check_remove_connector(actor, connector_id=connector.pk)
    with pytest.raises(Forbidden):
        check_remove_connector(team.supplier_member, connector_id=connector.pk)


def test_an_unknown_kind_is_invalid(team, recorder):
    with pytest.raises(Invalid):
        check_create_connector(
            team.supplier_admin,
            room_id=team.supplier_internal.pk,
            kind="carrier_pigeon",
            name="x",
            config={},
        )


# --- the relay ---------------------------------------------------------------------


def test_the_relay_delivers_each_new_event_in_seq_order_outside_any_transaction(
    live_team, recorder
):
    team = live_team
    connector, _ = connect(team)
    start = connector.delivered_seq
    root = say(team.supplier_member, team.supplier_internal, "one")
    say(team.supplier_admin, team.supplier_internal, "two", thread=root)
    say(team.supplier_member, team.supplier_internal, "three")
    delivered = do_relay_connectors()
    team.supplier_internal.refresh_from_db()
    head = team.supplier_internal.last_seq
    assert delivered == head - start
    assert recorder.seqs() == list(range(start + 1, head + 1))
    assert {txn for _c, _s, _t, txn, _a in recorder.calls} == {
        f"{connector.pk}-{seq}" for seq in range(start + 1, head + 1)
    }
    assert not any(in_atomic for *_rest, in_atomic in recorder.calls)
    connector.refresh_from_db()
    assert connector.delivered_seq == head and connector.lease_token == ""
    assert do_relay_connectors() == 0


def test_a_failure_backs_off_then_the_same_event_is_delivered_with_the_same_txn_id(
    live_team, recorder, settings
):
    team = live_team
    connector, _ = connect(team)
    say(team.supplier_member, team.supplier_internal, "one")
    recorder.fail = [DeliveryFailed("HTTP 500")]
    assert do_relay_connectors() == 0
    connector.refresh_from_db()
    assert connector.attempts == 1 and connector.last_error == "HTTP 500"
    assert connector.failing_since is not None
    assert connectors_of(team.supplier_admin)["connectors"][0]["state"] == "retrying"
    # Not due again before the backoff has passed.
    assert do_relay_connectors() == 0 and len(recorder.calls) == 1
    assert do_relay_connectors(later(settings.CAUSEWAY_CONNECTOR_BACKOFF_SECONDS + 1)) == 1
    assert recorder.calls[0][3] == recorder.calls[1][3]
    connector.refresh_from_db()
    assert connector.attempts == 0 and connector.failing_since is None
    assert connectors_of(team.supplier_admin)["connectors"][0]["state"] == "delivering"


def test_after_the_last_attempt_the_event_is_a_dead_letter_and_the_cursor_moves_on(
    live_team, recorder, settings
):
    settings.CAUSEWAY_CONNECTOR_MAX_ATTEMPTS = 3
    team = live_team
    connector, _ = connect(team)
    say(team.supplier_member, team.supplier_internal, "doomed")
    say(team.supplier_member, team.supplier_internal, "fine")
    recorder.fail = [DeliveryFailed("HTTP 503")] * 3
    moment = timezone.now()
    for _ in range(3):
        do_relay_connectors(moment)
        moment += datetime.timedelta(seconds=settings.CAUSEWAY_CONNECTOR_BACKOFF_MAX_SECONDS + 1)
    letter = ConnectorDeadLetter.objects.get(connector=connector)
    assert letter.attempts == 3 and letter.error == "HTTP 503"
    assert letter.event is not None and letter.event.seq == letter.seq
    assert do_relay_connectors(moment) == 1
    assert recorder.seqs() == [letter.seq] * 3 + [letter.seq + 1]


def test_a_refusal_is_a_dead_letter_at_once(live_team, recorder):
    team = live_team
    connector, _ = connect(team)
    say(team.supplier_member, team.supplier_internal, "refused")
    recorder.fail = [DeliveryFailed("HTTP 400", retry=False)]
    do_relay_connectors()
    assert ConnectorDeadLetter.objects.get(connector=connector).attempts == 1


def test_a_dead_letter_is_retried_or_discarded_by_an_admin(live_team, recorder):
    team = live_team
    connector, _ = connect(team)
    say(team.supplier_member, team.supplier_internal, "a")
    say(team.supplier_member, team.supplier_internal, "b")
    recorder.fail = [DeliveryFailed("no", retry=False), DeliveryFailed("no", retry=False)]
    do_relay_connectors()
    do_relay_connectors()
    first, second = ConnectorDeadLetter.objects.filter(connector=connector).order_by("seq")
    with pytest.raises(Forbidden):
        check_retry_dead_letter(team.supplier_member, connector_id=connector.pk, letter_id=first.pk)
    with pytest.raises(NotFound):
        check_retry_dead_letter(team.client_admin, connector_id=connector.pk, letter_id=first.pk)
    check_retry_dead_letter(team.supplier_admin, connector_id=connector.pk, letter_id=first.pk)
    check_discard_dead_letter(team.supplier_admin, connector_id=connector.pk, letter_id=second.pk)
    assert do_relay_connectors() == 1
    assert recorder.seqs()[-1] == first.seq
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == "delivered" and second.state == "discarded"
    assert connectors_of(team.supplier_admin)["connectors"][0]["dead_letters"] == []
    assert AuditEntry.objects.filter(action__startswith="connector.dead_letter").count() == 2


def test_paused_and_removed_connectors_deliver_nothing_and_resume_from_the_cursor(
    live_team, recorder
):
    team = live_team
    connector, _ = connect(team)
    check_set_connector_paused(team.supplier_admin, connector_id=connector.pk, paused=True)
    message = say(team.supplier_member, team.supplier_internal, "while paused")
    assert do_relay_connectors() == 0
    check_set_connector_paused(team.supplier_admin, connector_id=connector.pk, paused=False)
    assert do_relay_connectors() == 1 and recorder.seqs() == [message.seq]
    check_remove_connector(team.supplier_admin, connector_id=connector.pk)
    say(team.supplier_member, team.supplier_internal, "after removal")
    assert do_relay_connectors() == 0
    assert connectors_of(team.supplier_admin)["connectors"] == []


def test_a_connector_whose_room_left_its_organization_stops(live_team, recorder):
    team = live_team
    connect(team)
    say(team.supplier_member, team.supplier_internal, "x")
    Room.objects.filter(pk=team.supplier_internal.pk).update(organization=team.client)
    assert do_relay_connectors() == 0 and recorder.calls == []


def test_a_leased_connector_is_not_taken_again_until_the_lease_runs_out(
    live_team, recorder, settings
):
    team = live_team
    connector, _ = connect(team)
    say(team.supplier_member, team.supplier_internal, "x")
    ids, token = _claim(timezone.now())  # a worker claims it, then dies
    assert ids == [connector.pk]
    assert do_relay_connectors() == 0 and recorder.calls == []
    assert do_relay_connectors(later(settings.CAUSEWAY_CONNECTOR_LEASE_SECONDS + 1)) == 1
    # The first worker wakes up: it lost its lease and moves nothing.
    say(team.supplier_member, team.supplier_internal, "y")
    assert relay_connector(connector.pk, token, timezone.now()) == 0
    assert len(recorder.calls) == 1


# --- the outbound address rule --------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hook",
        "https://user:pw@93.184.216.34/hook",
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "http://224.0.0.1/hook",
        "http://100.64.0.1/hook",
        "https:///nohost",
    ],
)
def test_the_server_never_calls_private_or_odd_addresses_by_default(url):
    with pytest.raises(Invalid):
        check_outbound_url(url)


def test_public_addresses_pass_and_operator_networks_are_allowed(settings):
    assert check_outbound_url("http://93.184.216.34/hook") == "http://93.184.216.34/hook"
    settings.CAUSEWAY_CONNECTOR_PRIVATE_NETWORKS = ["127.0.0.0/8", "10.0.0.0/8"]
    assert check_outbound_url("http://127.0.0.1:9/x") == "http://127.0.0.1:9/x"
    assert check_outbound_url("https://10.1.2.3/x") == "https://10.1.2.3/x"
    with pytest.raises(Invalid):
        check_outbound_url("http://192.168.0.1/hook")


def test_a_retried_dead_letter_goes_out_at_once_even_while_the_connector_backs_off(
    live_team, recorder
):
    team = live_team
    connector, _ = connect(team)
    say(team.supplier_member, team.supplier_internal, "refused")
    recorder.fail = [DeliveryFailed("no", retry=False)]
    do_relay_connectors()
    letter = ConnectorDeadLetter.objects.get(connector=connector)
    waiting = say(team.supplier_member, team.supplier_internal, "waits for the backoff")
    recorder.fail = [DeliveryFailed("HTTP 503")]
    do_relay_connectors()  # the next event fails: the connector backs off
    check_retry_dead_letter(team.supplier_admin, connector_id=connector.pk, letter_id=letter.pk)
    assert do_relay_connectors() == 1
    assert recorder.seqs() == [letter.seq, waiting.seq, letter.seq]
    connector.refresh_from_db()
    assert connector.delivered_seq == letter.seq and connector.attempts == 1


def test_a_connector_paused_during_a_pass_stops_before_its_next_event_and_resumes_at_once(
    live_team, recorder
):
    team = live_team
    connector, _ = connect(team)
    first = say(team.supplier_member, team.supplier_internal, "one")
    say(team.supplier_member, team.supplier_internal, "two")

    def pause_after_first(connector_arg: Connector, event: RoomEvent, txn_id: str) -> None:
        recorder.calls.append((connector_arg.pk, event.seq, event.type, txn_id, False))
        Connector.objects.filter(pk=connector_arg.pk).update(paused=True)

    recorder.deliver = pause_after_first  # type: ignore[method-assign]
    assert do_relay_connectors() == 1 and recorder.seqs() == [first.seq]
    connector.refresh_from_db()
    assert connector.delivered_seq == first.seq and connector.lease_token == ""
    del recorder.deliver
    check_set_connector_paused(team.supplier_admin, connector_id=connector.pk, paused=False)
    assert do_relay_connectors() == 1 and recorder.seqs() == [first.seq, first.seq + 1]
