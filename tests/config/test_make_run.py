"""`make run` for real: the links in its e-mails reach the address it serves on.

The whole newcomer path (migrate, seed, collectstatic, Daphne) on the
embedded defaults, in a SQLite file of the test's own, on a port other than
the default 8000.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.live import free_port

ROOT = Path(__file__).resolve().parents[2]
DEMO_PASSWORD = "causeway-demo-2026"  # README, hub/management/commands/seed_demo.py
LINK = re.compile(r"https?://\S+/invitations/[\w-]+/")

# Both tests must not run at once: each `make run` collects the static files
# into the same staticfiles/ folder. In parallel runs they stay on one worker
# with the rest of this module (`--dist loadfile`, pyproject.toml).
pytestmark = pytest.mark.live


class MakeRun:
    """``make run PORT=…`` in a session of its own, logging to test-artifacts/."""

    def __init__(self, tmp_path: Path, port: int, **env: str) -> None:
        self.port = port
        self.log_path = ROOT / "test-artifacts" / f"make-run-{port}.log"
        self.log_path.parent.mkdir(exist_ok=True)
        environment = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "REDIS_URL", "SITE_URL", "DEBUG", "HTTPS"}
        }
        environment.update(
            {
                "SQLITE_PATH": str(tmp_path / "causeway.sqlite3"),
                "SECRET_KEY": "make-run-test-key-" + "x" * 40,
                "PYTHONUNBUFFERED": "1",
                **env,
            }
        )
        with self.log_path.open("w") as log:
            # `-o .venv/.installed`: the virtualenv is already installed
            # (make test did it); do not reinstall from here.
            self.proc = subprocess.Popen(
                ["make", "-o", ".venv/.installed", "run", f"PORT={port}"],
                cwd=ROOT,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"make run exited: {self.log()[-3000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.2):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"make run did not serve on {self.port}: {self.log()[-3000:]}")

    def log(self) -> str:
        return self.log_path.read_text()

    def stop(self) -> None:
        if self.proc.poll() is None:
            # make and the Daphne it started: the group of the session we made.
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(15)


class Browser:
    """Cookies and CSRF like a browser, over plain HTTP."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def cookie(self, name: str) -> str:
        return next(c.value for c in self.jar if c.name == name and c.value is not None)

    def request(self, method: str, path: str, data: bytes | None = None, **headers: str) -> Any:
        url = path if path.startswith("http") else self.base + path
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            return self.opener.open(request, timeout=60)
        except urllib.error.HTTPError as error:
            return error

    def sign_in(self, email: str, password: str) -> None:
        page = self.request("GET", "/accounts/login/").read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, page[:500]
        form = {"csrfmiddlewaretoken": token.group(1), "login": email, "password": password}
        answer = self.request("POST", "/accounts/login/", urlencode(form).encode())
        assert answer.status == 200 and any(c.name == "sessionid" for c in self.jar), answer

    def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json", "X-CSRFToken": self.cookie("csrftoken")}
        return self.request(method, path, data, **headers)


@pytest.fixture
def make_run(tmp_path: Path) -> Any:
    started: list[MakeRun] = []

    def start(**env: str) -> MakeRun:
        run = MakeRun(tmp_path, free_port(), **env)
        started.append(run)
        run.wait_ready()
        return run

    yield start
    for run in started:
        run.stop()


def invite_someone(base: str) -> None:
    """As the demo's Anna, invite a newcomer into her internal room; the link in the mail."""
    anna = Browser(base)
    anna.sign_in("anna@northwind.example", DEMO_PASSWORD)
    rooms = json.loads(anna.api("GET", "/api/rooms/").read())["rooms"]
    internal = next(r for r in rooms if r["kind"] == "internal")
    answer = anna.api(
        "POST", "/api/invitations/", {"room": internal["id"], "email": "newt@northwind.example"}
    )
    assert answer.status == 201, answer.read()


def test_make_run_mails_links_to_the_port_it_serves_on(make_run):
    run = make_run()
    base = f"http://127.0.0.1:{run.port}"

    invite_someone(base)

    # The console e-mail backend writes the mail to make run's output.
    links = LINK.findall(run.log())
    assert len(links) == 1, run.log()[-3000:]
    assert links[0].startswith(f"{base}/invitations/")
    # And the link works there: the invitation page, for someone not signed in.
    assert Browser(base).request("GET", links[0]).status == 200


def test_an_exported_site_url_wins_over_the_served_address(make_run):
    # Behind a proxy the public address is not the one Daphne binds.
    run = make_run(SITE_URL="https://causeway.example.com")

    invite_someone(f"http://127.0.0.1:{run.port}")

    links = LINK.findall(run.log())
    assert len(links) == 1, run.log()[-3000:]
    assert links[0].startswith("https://causeway.example.com/invitations/")
