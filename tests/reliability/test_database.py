"""The database under load and out of reach, seen through real Daphne processes.

Each process borrows connections from a bounded pool (``DB_POOL_SIZE``), so
concurrent requests queue for a connection instead of opening one each, and
the servers together never hold more than processes x pool size. When no
connection can be had, because PostgreSQL is unreachable or the pool stays
busy past ``DB_POOL_TIMEOUT``, every API endpoint answers the documented 503
JSON (docs/protocol.md, *Errors*), also when the failure happens while
loading the session, before any view runs.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest
from django.db import connection
from django.urls import reverse

from config.urls import api
from rooms.actions.messages import check_send_message
from tests.conftest import session_cookie
from tests.live import DaphneProcess, Response, database_url, free_port, http_request

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.live,
    pytest.mark.django_db(transaction=True),
]

UNAVAILABLE = "unavailable"


def application_name() -> str:
    """A name for one test's server connections (libpq's PGAPPNAME) in pg_stat_activity."""
    return f"causeway-test-{uuid.uuid4().hex[:12]}"


def server_connections(app: str, *, waiting_on_lock: bool = False) -> int:
    """How many connections the servers named ``app`` hold to the test database now."""
    sql = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND application_name = %s"
    if waiting_on_lock:
        sql += " AND wait_event_type = 'Lock'"
    with psycopg.connect(database_url()) as conn:
        row = conn.execute(sql, [connection.settings_dict["NAME"], app]).fetchone()
    return int(row[0]) if row else 0


class ConnectionWatch:
    """The most connections the servers named ``app`` held at once, sampled while in use."""

    def __init__(self, app: str) -> None:
        self.app = app
        self.peak = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        sql = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND application_name = %s"
        with psycopg.connect(database_url(), autocommit=True) as conn:
            while not self.stop.is_set():
                row = conn.execute(sql, [connection.settings_dict["NAME"], self.app]).fetchone()
                self.peak = max(self.peak, int(row[0]) if row else 0)
                self.stop.wait(0.01)

    def __enter__(self) -> ConnectionWatch:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(10)


def wait_until(condition: Any, what: str, timeout: float = 30) -> None:
    """A synchronisation point, not an assertion on time: fails only if it never happens."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.02)


def is_unavailable(response: Response) -> bool:
    return (
        response.status == 503
        and response.content_type == "application/json"
        and response.json()["error"]["code"] == UNAVAILABLE
        and set(response.json()["error"]) == {"code", "detail"}
    )


# --- many concurrent reads --------------------------------------------------------------

POOL_SIZE = 4


# 2000 real requests: about a minute on two cores to itself, more while the
# other test worker (make test runs several) takes its share. The bound is a
# guard against a hang, not a claim about speed.
@pytest.mark.timeout(360)
def test_2000_concurrent_api_reads_on_two_processes_stay_within_their_pools(live_team):
    t = live_team
    for n in range(30):
        check_send_message(
            t.supplier_member, room_id=t.shared.id, client_id=f"m{n}", body=f"message {n}"
        )
    app = application_name()
    env = {"DB_POOL_SIZE": str(POOL_SIZE), "PGAPPNAME": app}
    servers = [DaphneProcess(env), DaphneProcess(env)]
    keys = [session_cookie(t.supplier_member), session_cookie(t.client_member)]
    paths = ["/api/rooms/", f"/api/rooms/{t.shared.id}/messages/"]

    def read(n: int) -> int:
        server = servers[n % 2]
        path = paths[(n // 2) % 2]
        return http_request(server, "GET", path, session_key=keys[(n // 4) % 2]).status

    try:
        with ConnectionWatch(app) as watch, ThreadPoolExecutor(50) as pool:
            statuses = Counter(pool.map(read, range(2000)))
        after = server_connections(app)
    finally:
        for server in servers:
            server.stop()

    assert statuses == {200: 2000}
    bound = len(servers) * POOL_SIZE
    assert 1 <= watch.peak <= bound, f"{watch.peak} connections at once, bound {bound}"
    assert after <= bound


# --- no connection to be had ------------------------------------------------------------

# One method each /api/ route accepts, so the request reaches the view.
ROUTE_METHODS = {
    "rooms": "GET",
    "room": "PATCH",
    "history": "GET",
    "message": "GET",
    "room-notify": "PUT",
    "thread": "GET",
    "threads": "GET",
    "people": "GET",
    "notification-settings": "GET",
    "members": "GET",
    "member-candidates": "GET",
    "member": "DELETE",
    "work-items": "GET",
    "work-item": "GET",
    "escalate": "POST",
    "escalation-action": "POST",
    "my-work": "GET",
    "mirrors": "GET",
    "mirror": "DELETE",
    "share-back": "POST",
    "notifications": "GET",
    "escalation-contacts": "POST",
    "ack-targets": "POST",
    "search": "GET",
    "partnerships": "GET",
    "partnership-decision": "POST",
    "partnership-end": "POST",
    "invitations": "GET",
    "invitation": "DELETE",
    "me": "PATCH",
    "deactivate-person": "POST",
    "room-files": "GET",
    "file": "GET",
    "file-thumbnail": "GET",
    "file-policy": "GET",
    "organization": "GET",
    "organization-domains": "POST",
    "organization-domain": "DELETE",
    "organization-person": "PUT",
    "organization-retention": "GET",
    "organization-holds": "GET",
    "organization-hold": "DELETE",
    "organization-connectors": "GET",
    "organization-connector": "DELETE",
    "organization-connector-dead-letter": "POST",
    "matrix-bridges": "POST",
    "matrix-bridge": "GET",
    "matrix-registration": "GET",
    "matrix-links": "POST",
    "organization-identity-provider": "GET",
    "audit-log": "GET",
    "audit-export": "GET",
    "room-exports": "POST",
    "room-export": "GET",
    "room-export-download": "GET",
    "person": "GET",
    "avatar": "GET",
    "my-avatar": "DELETE",
    "room-archive": "POST",
    "room-unarchive": "POST",
    "room-leave": "POST",
    "direct": "POST",
    "direct-people": "GET",
    "markdown-preview": "POST",
    "open-escalations": "GET",
    "bot-tokens": "GET",
    "bot-token": "DELETE",
    "incoming-webhooks": "POST",
    "incoming-webhook": "DELETE",
    "incoming-webhook-regenerate": "POST",
}
ROUTE_ARGS = {
    "action": "acknowledge",
    "decision": "accept",
    "version": "v1",
    "domain": "acme.example",
}


def api_requests() -> list[tuple[str, str]]:
    """(method, path) for every /api/ route, with ids that need not exist."""
    requests = []
    for pattern in api:
        name = pattern.name
        kwargs = {key: ROUTE_ARGS.get(key, 1) for key in pattern.pattern.converters}
        requests.append((ROUTE_METHODS[name], reverse(f"api:{name}", kwargs=kwargs)))
    return requests


def test_the_table_names_every_api_route():
    assert {pattern.name for pattern in api} == set(ROUTE_METHODS)


def test_every_api_endpoint_answers_503_json_when_the_database_is_unreachable(live_team):
    # Nothing listens on this port: every connection attempt is refused.
    unreachable = f"postgres://postgres@127.0.0.1:{free_port()}/causeway"
    server = DaphneProcess({"DATABASE_URL": unreachable, "DB_POOL_TIMEOUT": "0.5"})
    # A real session of a real person: loading it is each request's first query.
    key = session_cookie(live_team.supplier_member)

    def call(request: tuple[str, str]) -> tuple[str, str, Response]:
        method, path = request
        body = None if method == "GET" else {}
        return method, path, http_request(server, method, path, session_key=key, body=body)

    try:
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(call, api_requests()))
        signed_out = http_request(server, "GET", "/api/rooms/")
        page = http_request(server, "GET", "/", session_key=key)
    finally:
        server.stop()

    assert len(answers) == len(ROUTE_METHODS)
    assert [(m, p, r) for m, p, r in answers if not is_unavailable(r)] == []
    # Signed out needs no database: still the usual 401.
    assert signed_out.status == 401
    assert signed_out.json()["error"]["code"] == "unauthenticated"
    # Pages answer a plain 503 page.
    assert page.status == 503
    assert page.content_type.startswith("text/html")
    assert b"unavailable" in page.body


def test_a_bot_and_an_incoming_webhook_answer_503_json_when_the_database_is_unreachable():
    """Outside the ``api`` decorator: the bearer middleware (through the last-resort answer,
    config/errors.py) and the webhook's own view."""
    import http.client
    import json

    unreachable = f"postgres://postgres@127.0.0.1:{free_port()}/causeway"
    server = DaphneProcess({"DATABASE_URL": unreachable, "DB_POOL_TIMEOUT": "0.5"})

    def post(path: str, headers: dict[str, str]) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        try:
            body = json.dumps({"client_id": "x", "body": "hi", "text": "hi"})
            conn.request("POST", path, body=body, headers=headers)
            got = conn.getresponse()
            return Response(got.status, got.getheader("Content-Type", ""), got.read())
        finally:
            conn.close()

    json_type = {"Content-Type": "application/json"}
    try:
        bot = post("/api/rooms/1/messages/", {**json_type, "Authorization": "Bearer cw_bot_x"})
        hook = post("/hooks/in/" + "A" * 43 + "/", json_type)
    finally:
        server.stop()
    assert is_unavailable(bot), bot
    assert is_unavailable(hook), hook


def test_a_request_that_cannot_get_a_pooled_connection_in_time_answers_503_json(live_team):
    app = application_name()
    server = DaphneProcess(
        {
            "DB_POOL_SIZE": "1",
            "DB_POOL_TIMEOUT": "0.5",
            # The blocked request must hold its connection until we let go.
            "CAUSEWAY_DB_LOCK_TIMEOUT_MS": "60000",
            "PGAPPNAME": app,
        }
    )
    key = session_cookie(live_team.supplier_member)
    blocker = psycopg.connect(database_url())
    try:
        assert http_request(server, "GET", "/api/rooms/", session_key=key).status == 200
        # Every read of a person now waits, holding the process's only connection
        # (sessions come from the Redis cache: locking their table would hold nothing).
        blocker.execute("LOCK TABLE hub_user IN ACCESS EXCLUSIVE MODE")
        with ThreadPoolExecutor(1) as pool:
            first = pool.submit(http_request, server, "GET", "/api/rooms/", session_key=key)
            wait_until(
                lambda: server_connections(app, waiting_on_lock=True) == 1,
                "the first request waiting for the people table",
            )
            second = http_request(server, "GET", "/api/rooms/", session_key=key)
            blocker.rollback()
            assert first.result().status == 200
        again = http_request(server, "GET", "/api/rooms/", session_key=key)
    finally:
        blocker.close()
        server.stop()

    assert is_unavailable(second), second
    assert again.status == 200


def test_the_matrix_homeservers_api_answers_503_in_matrix_json_when_the_database_is_unreachable():
    """The homeserver retries a transaction that got a 5xx: the answer must say so, as JSON."""
    import json
    from http.client import HTTPConnection

    unreachable = f"postgres://postgres@127.0.0.1:{free_port()}/causeway"
    server = DaphneProcess({"DATABASE_URL": unreachable, "DB_POOL_TIMEOUT": "0.5"})
    try:
        conn = HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.request(
            "PUT",
            "/matrix/1/_matrix/app/v1/transactions/t1",
            body=b'{"events": []}',
            headers={"Authorization": "Bearer token", "Content-Type": "application/json"},
        )
        response = conn.getresponse()
        status, body = response.status, json.loads(response.read())
        conn.close()
    finally:
        server.stop()
    assert status == 503
    assert body["errcode"] == "M_UNKNOWN"
