"""Real Daphne processes for end-to-end tests, and a small JSON socket client.

The processes share the test database (PostgreSQL) and Redis with the test
process, so rows a test commits are what the servers see.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

import websockets
from django.conf import settings
from django.db import connection

from config.serving import DAPHNE_ARGS

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def database_url() -> str:
    """The URL of the database the tests are using right now (the test database)."""
    db = connection.settings_dict
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def server_env(extra_env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a server process sharing this test run's database and Redis."""
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url(),
            "REDIS_URL": settings.REDIS_URL,
            # Small pools: several test runs may share one PostgreSQL.
            "DB_POOL_SIZE": "4",
            "SECRET_KEY": settings.SECRET_KEY,
            "CAUSEWAY_INPROCESS_WORKER": "0",
            # As in-process tests (tests/conftest.py): leaving shows at once.
            "CAUSEWAY_PRESENCE_GRACE": "0",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra_env or {})
    return env


class ServerProcess:
    """A subprocess of this project, logging to test-artifacts/<name>.log."""

    def __init__(self, name: str, argv: list[str], extra_env: dict[str, str] | None = None) -> None:
        self.log_path = ROOT / "test-artifacts" / f"{name}.log"
        self.log_path.parent.mkdir(exist_ok=True)
        self.log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            argv, cwd=ROOT, env=server_env(extra_env), stdout=self.log, stderr=subprocess.STDOUT
        )

    def kill(self) -> None:
        """SIGKILL: no disconnect handlers, no cleanup — a crashed process."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


class BridgeWorker(ServerProcess):
    """``manage.py run_worker``: the outbox relay and the escalation clock."""

    def __init__(self, *args: str, extra_env: dict[str, str] | None = None) -> None:
        super().__init__(
            f"bridge-{free_port()}",
            [sys.executable, "manage.py", "run_worker", *(args or ("--interval", "0.05"))],
            extra_env,
        )


def daphne_argv(port: int) -> list[str]:
    """Daphne on ``port`` with the flags every Causeway launcher passes (config/serving.py)."""
    return [
        *(sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)),
        *DAPHNE_ARGS,
        "config.asgi:application",
    ]


class DaphneProcess(ServerProcess):
    def __init__(self, extra_env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        super().__init__(f"daphne-{self.port}", daphne_argv(self.port), extra_env)
        self.wait_ready()

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/"

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"daphne exited: {self.log_path.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.2):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"daphne did not start on {self.port}")


class Response:
    """What ``http_request`` got back: status, content type and body."""

    def __init__(self, status: int, content_type: str, body: bytes) -> None:
        self.status = status
        self.content_type = content_type
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)

    def __repr__(self) -> str:
        return f"<{self.status} {self.content_type} {self.body[:200]!r}>"


def http_request(
    server: DaphneProcess,
    method: str,
    path: str,
    *,
    session_key: str | None = None,
    body: dict[str, Any] | None = None,
    timeout: float = 60,
) -> Response:
    """One real HTTP request to ``server``, as a signed-in browser page would send it.

    With a body it is JSON, with the CSRF cookie, header and a same-origin
    ``Origin``, so it passes Django's CSRF check.
    """
    from django.middleware.csrf import _get_new_csrf_string

    cookies = {}
    headers = {"Host": f"127.0.0.1:{server.port}"}
    if session_key is not None:
        cookies[settings.SESSION_COOKIE_NAME] = session_key
    data = None
    if body is not None:
        token = _get_new_csrf_string()
        cookies[settings.CSRF_COOKIE_NAME] = token
        headers.update(
            {"X-CSRFToken": token, "Origin": server.origin, "Content-Type": "application/json"}
        )
        data = json.dumps(body).encode()
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    conn = HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        return Response(response.status, response.getheader("Content-Type", ""), response.read())
    finally:
        conn.close()


class Client:
    """A browser-like socket: session cookie, same-origin, JSON frames."""

    def __init__(self, server: DaphneProcess, session_key: str) -> None:
        self.server = server
        self.session_key = session_key
        self.frames: list[dict[str, Any]] = []
        self.ws: Any = None

    async def open(self) -> Client:
        self.ws = await websockets.connect(
            self.server.ws_url,
            origin=self.server.origin,  # type: ignore[arg-type]
            additional_headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={self.session_key}"},
            max_size=2**24,
        )
        hello = await self.recv()
        assert hello["type"] == "hello", hello
        return self

    async def send(self, frame: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(frame))

    async def recv(self, timeout: float = 5) -> dict[str, Any]:
        frame = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        self.frames.append(frame)
        return frame

    async def expect(self, type_: str, timeout: float = 5, **match: Any) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {type_} {match}; got {self.frames[-5:]}")
            frame = await self.recv(remaining)
            if frame.get("type") == type_ and all(frame.get(k) == v for k, v in match.items()):
                return frame

    async def presence(self, user: int, timeout: float = 5, state: str | None = None) -> str:
        """The next state announced for ``user`` (a frame holds everyone of a tick)."""
        deadline = time.monotonic() + timeout
        while True:
            frame = await self.expect("presence", max(deadline - time.monotonic(), 0.01))
            got = frame["people"].get(str(user))
            if got is not None and state in (None, got):
                return str(got)

    async def drain(self, quiet: float = 0.3) -> list[dict[str, Any]]:
        got = []
        while True:
            try:
                got.append(await self.recv(quiet))
            except TimeoutError:
                return got

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


class RedisProcess:
    """A Redis of the test's own on a free port, so restarting it hurts nobody else."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def restart(self) -> None:
        """Kill and start again: everything it held (groups, presence) is gone."""
        self.stop()
        self.start()
