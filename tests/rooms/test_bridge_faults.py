"""The bridge under faults, on real PostgreSQL with real ``manage.py run_worker`` workers.

A worker killed mid-entry, two workers racing, a backlog after downtime, and
an entry that keeps failing. The workers share the test database with this
process (``tests.live.database_url``), so what a test commits is what they
relay; their logs go to ``test-artifacts/``.
"""

from __future__ import annotations

import datetime
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TypeVar

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from hub.models import User
from rooms.actions.messages import check_send_message, do_send_message
from rooms.bridge import relay, sinks
from rooms.bridge.mirrors import check_create_mirror
from rooms.models.bridge import Mirror, MirrorDelivery, OutboxEntry
from rooms.models.log import RoomEvent
from rooms.models.messages import Message
from tests.conftest import Team
from tests.live import ROOT, database_url

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

T = TypeVar("T")

WAIT_SECONDS = 60.0
PENDING = OutboxEntry.Status.PENDING


# --- workers -------------------------------------------------------------------------


class Workers:
    """``manage.py run_worker`` processes on the test database, each logging to its own file."""

    def __init__(self, name: str) -> None:
        self.name = re.sub(r"[^\w-]", "_", name)
        self.procs: list[subprocess.Popen[bytes]] = []
        self.log_paths: list[Path] = []
        self.logs: list[IO[str]] = []

    def start(self, *args: str, failpoints: str = "") -> subprocess.Popen[bytes]:
        env = dict(os.environ)
        env.update(
            {
                "DATABASE_URL": database_url(),
                "DB_POOL_SIZE": "2",
                "SECRET_KEY": settings.SECRET_KEY,
                "REDIS_URL": settings.REDIS_URL or "",
                "CAUSEWAY_INPROCESS_WORKER": "0",
                "CAUSEWAY_FAILPOINTS": failpoints,
                "LOG_LEVEL": "INFO",
                "PYTHONUNBUFFERED": "1",
            }
        )
        log_path = ROOT / "test-artifacts" / f"bridge-{self.name}-{len(self.procs)}.log"
        log_path.parent.mkdir(exist_ok=True)
        log = log_path.open("w")
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "run_worker", *args],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.procs.append(proc)
        self.log_paths.append(log_path)
        self.logs.append(log)
        return proc

    def run_once(self, failpoints: str = "") -> subprocess.Popen[bytes]:
        """``run_worker --once``, waited for (bounded)."""
        proc = self.start("--once", failpoints=failpoints)
        proc.wait(WAIT_SECONDS)
        return proc

    def log(self, proc: subprocess.Popen[bytes]) -> str:
        return self.log_paths[self.procs.index(proc)].read_text()

    def assert_running(self) -> None:
        for proc in self.procs:
            assert proc.poll() is None, f"worker exited {proc.returncode}: {self.log(proc)[-2000:]}"

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        for log in self.logs:
            log.close()


@pytest.fixture
def workers(request: pytest.FixtureRequest, transactional_db: None) -> Iterator[Workers]:
    """Every worker a test starts is stopped before the test database is flushed."""
    started = Workers(request.node.name)
    try:
        yield started
    finally:
        started.stop()


def wait_for(
    what: str,
    check: Callable[[], T | None],
    workers: Workers | None = None,
    seconds: float = WAIT_SECONDS,
) -> T:
    """Poll ``check`` until it returns a value, for at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found is not None:
            return found
        if workers is not None:
            workers.assert_running()
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def wait_until_drained(workers: Workers, seconds: float = WAIT_SECONDS) -> None:
    wait_for(
        "the outbox to drain",
        lambda: True if not OutboxEntry.objects.filter(status=PENDING).exists() else None,
        workers,
        seconds,
    )


def relayed_counts(workers: Workers) -> list[int]:
    """How many entries each worker says it relayed (``causeway.jobs`` INFO lines)."""
    return [
        sum(int(n) for n in re.findall(r"bridge relayed (\d+) entries", workers.log(proc)))
        for proc in workers.procs
    ]


@contextmanager
def outbox_gate() -> Iterator[Callable[[int], None]]:
    """Hold the outbox table locked; ``wait(n)`` returns once n workers queue on it.

    Leaving the block opens the gate, so the waiting workers start together.
    """
    table = OutboxEntry._meta.db_table

    def wait(n: int) -> None:
        def queued() -> bool | None:
            with connection.cursor() as cursor:
                cursor.execute(
                    """
                    select count(*) from pg_locks
                    join pg_database on pg_database.oid = pg_locks.database
                    where datname = current_database() and relation = %s::regclass
                      and not granted
                    """,
                    [table],
                )
                return True if cursor.fetchone()[0] >= n else None

        wait_for(f"{n} workers to queue at the outbox", queued)

    with psycopg.connect(database_url()) as gate:
        gate.execute(f'lock table "{table}" in exclusive mode')
        yield wait


# --- data ----------------------------------------------------------------------------


def say(person: User, team: Team, body: str, thread: Message | None = None) -> Message:
    return check_send_message(
        person,
        room_id=team.shared.id,
        client_id=uuid.uuid4().hex,
        body=body,
        thread=thread.id if thread else None,
    )[0]


def backlog(person: User, team: Team, body: str, thread: Message) -> Message:
    """``say`` without the checks and rate limit: a quick way to queue hundreds of replies.

    The outbox entry is written by ``do_send_message`` either way.
    """
    return do_send_message(
        person, team.shared, client_id=uuid.uuid4().hex, body=body, thread_root=thread
    )[0]


def mirror_of(team: Team, root: Message) -> Mirror:
    return check_create_mirror(
        team.supplier_member,
        source_room_id=team.shared.id,
        root_id=root.id,
        target_room_id=team.supplier_internal.id,
    )


def authors(team: Team) -> list[User]:
    return [team.client_member, team.supplier_member, team.client_admin, team.supplier_admin]


def copies(mirror: Mirror) -> list[Message]:
    """The mirror's copies of replies, in the internal room's order."""
    return list(
        Message.objects.filter(
            room_id=mirror.target_room_id,
            thread_root_id=mirror.root_copy_id,
            kind=Message.Kind.MIRROR,
        ).order_by("seq")
    )


def copies_of(mirror: Mirror, source: Message) -> int:
    return Message.objects.filter(room_id=mirror.target_room_id, mirror_source=source).count()


def statuses(root: Message) -> list[str]:
    return list(
        OutboxEntry.objects.filter(thread_root=root).order_by("id").values_list("status", flat=True)
    )


def relay_one(now: datetime.datetime) -> OutboxEntry:
    """The entry ``relay_next`` handled at ``now``; nothing ready fails the test."""
    entry = relay.relay_next(now)
    assert entry is not None, "no outbox entry was ready"
    return entry


# --- a worker killed mid-entry -------------------------------------------------------


def test_a_worker_killed_between_relaying_and_marking_done_leaves_no_duplicate(live_team, workers):
    root = say(live_team.client_member, live_team, "Lot 7 is late")
    mirror = mirror_of(live_team, root)
    people = authors(live_team)
    replies = [say(people[i % 4], live_team, f"r{i}", thread=root) for i in range(5)]
    assert statuses(root) == [PENDING] * 5

    crashed = workers.run_once(failpoints="bridge.after_relay")
    assert crashed.returncode == 137
    assert "failpoint bridge.after_relay: exiting" in workers.log(crashed)
    # The copy was made, then the process died before commit: all of it rolled back.
    assert copies(mirror) == []
    assert MirrorDelivery.objects.filter(mirror=mirror).count() == 0
    first = OutboxEntry.objects.filter(thread_root=root).earliest("id")
    assert (first.status, first.attempts, first.done_at) == (PENDING, 0, None)
    assert statuses(root) == [PENDING] * 5

    assert workers.run_once().returncode == 0
    assert [copies_of(mirror, reply) for reply in replies] == [1] * 5
    assert [c.mirror_source_id for c in copies(mirror)] == [r.id for r in replies]
    assert statuses(root) == [OutboxEntry.Status.DONE] * 5
    assert MirrorDelivery.objects.filter(mirror=mirror).count() == 5


def test_applying_an_entry_twice_creates_no_second_copy(live_team):
    root = say(live_team.client_member, live_team, "Lot 7 is late")
    mirror = mirror_of(live_team, root)
    reply = say(live_team.supplier_member, live_team, "On it", thread=root)
    entry = OutboxEntry.objects.get(thread_root=root)

    assert relay.apply_entry(entry) == 1
    assert relay.apply_entry(entry) == 0
    assert copies_of(mirror, reply) == 1
    assert MirrorDelivery.objects.filter(mirror=mirror, event__outbox=entry).count() == 1


# --- two workers at once -------------------------------------------------------------


def test_two_workers_at_once_relay_each_entry_once_in_thread_order(live_team, workers):
    roots = [
        say(live_team.client_member, live_team, "Lot 7 is late"),
        say(live_team.supplier_member, live_team, "Lot 9 ships Friday"),
    ]
    mirrors = [mirror_of(live_team, root) for root in roots]
    people = authors(live_team)
    replies: list[list[Message]] = [[], []]
    for i in range(100):
        for t, root in enumerate(roots):
            replies[t].append(backlog(people[(i + t) % 4], live_team, f"t{t} r{i}", thread=root))
    assert OutboxEntry.objects.filter(status=PENDING).count() == 200

    with outbox_gate() as wait_queued:
        workers.start("--interval", "0.05")
        workers.start("--interval", "0.05")
        wait_queued(2)
    wait_until_drained(workers)

    def reported() -> list[int] | None:
        # A worker logs after its pass ends, which can be just after the last commit.
        counts = relayed_counts(workers)
        return counts if sum(counts) >= 200 else None

    counts = wait_for("both workers to report their work", reported, workers)
    workers.stop()

    assert sum(counts) == 200
    assert min(counts) > 0, counts  # both workers really took part
    for mirror, thread_replies in zip(mirrors, replies, strict=True):
        # Exactly one copy of each reply, in the shared thread's order.
        assert [c.mirror_source_id for c in copies(mirror)] == [r.id for r in thread_replies]
    assert MirrorDelivery.objects.count() == 200
    assert len(set(MirrorDelivery.objects.values_list("event_id", "mirror_id"))) == 200
    assert OutboxEntry.objects.filter(status=OutboxEntry.Status.DEAD).count() == 0
    assert OutboxEntry.objects.filter(status=OutboxEntry.Status.DONE).count() == 200


# --- a backlog after downtime --------------------------------------------------------


def test_all_500_messages_sent_while_the_worker_is_down_are_mirrored_in_order_after_restart(
    live_team, workers
):
    root = say(live_team.client_member, live_team, "Lot 7 is late")
    mirror = mirror_of(live_team, root)
    people = authors(live_team)
    for i in range(500):
        backlog(people[i % 4], live_team, f"m{i}", thread=root)
    assert OutboxEntry.objects.filter(thread_root=root, status=PENDING).count() == 500
    assert copies(mirror) == []

    workers.start("--interval", "0.05")
    wait_until_drained(workers, seconds=90)  # ~20 s on a quiet machine; one thread is serial
    workers.stop()

    assert [c.body for c in copies(mirror)] == [f"m{i}" for i in range(500)]
    assert statuses(root) == [OutboxEntry.Status.DONE] * 500
    assert MirrorDelivery.objects.filter(mirror=mirror).count() == 500


# --- an entry that keeps failing -----------------------------------------------------


def test_a_failing_entry_retries_with_backoff_and_ends_as_a_dead_letter_with_its_reason(
    live_team, monkeypatch
):
    root = say(live_team.client_member, live_team, "Lot 7 is late")
    mirror = mirror_of(live_team, root)
    doomed = say(live_team.client_member, live_team, "Photos attached", thread=root)
    later = say(live_team.supplier_member, live_team, "Thanks", thread=root)
    first, second = OutboxEntry.objects.filter(thread_root=root).order_by("id")
    apply = sinks.apply_to_mirror

    def exploding(mirror: Mirror, event: RoomEvent) -> Message | None:
        if event.message_id == doomed.id:
            raise RuntimeError("target room exploded")
        return apply(mirror, event)

    monkeypatch.setattr(sinks, "apply_to_mirror", exploding)

    now = timezone.now()
    attempts, delays = [], []
    for _ in range(relay.MAX_ATTEMPTS - 1):
        entry = relay_one(now)
        assert entry.pk == first.pk
        attempts.append(entry.attempts)
        delays.append((entry.next_attempt_at - now).total_seconds())
        # Backing off, the entry still holds its thread: the later reply waits.
        assert relay.relay_next(now) is None
        assert relay.relay_next(entry.next_attempt_at - datetime.timedelta(seconds=1)) is None
        assert copies(mirror) == []
        now = entry.next_attempt_at

    assert attempts == list(range(1, relay.MAX_ATTEMPTS))
    assert delays == [relay.BACKOFF_BASE_SECONDS * 2**n for n in range(relay.MAX_ATTEMPTS - 1)]
    assert statuses(root) == [PENDING, PENDING]

    assert relay_one(now).pk == first.pk
    first.refresh_from_db()
    assert (first.status, first.attempts) == (OutboxEntry.Status.DEAD, relay.MAX_ATTEMPTS)
    assert "target room exploded" in first.last_error
    assert first.done_at is None

    # The dead letter no longer holds the thread.
    assert relay_one(now).pk == second.pk
    assert relay.relay_next(now) is None
    assert statuses(root) == [OutboxEntry.Status.DEAD, OutboxEntry.Status.DONE]
    assert [c.mirror_source_id for c in copies(mirror)] == [later.id]
    assert MirrorDelivery.objects.filter(mirror=mirror, event__outbox=first).count() == 0
