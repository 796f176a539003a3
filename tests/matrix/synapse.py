"""A real Synapse for the Matrix bridge's tests, and a small client-server API client.

Synapse runs from its own venv (``.venv-synapse``, made by ``make test`` from
tests/matrix/requirements.txt) as a real process on loopback: SQLite, no
federation listener (``federation_domain_whitelist: []``, no trusted key
servers), registration only through the shared secret (the admin API), rate
limits off for the test's own users and the application services. Its data
directory outlives a restart, so the fault tests can ``kill()`` it (SIGKILL,
a crash) mid-relay and ``start()`` it again on the same data, or ``pause()``
it (SIGSTOP: a homeserver that stops answering) and ``resume()`` it.

Application services are read at start-up, as on a real homeserver:
``install_appservice`` writes the registration Causeway generated and
restarts Synapse, which is what an admin does with the file.

``MatrixUser`` plays the engineer on the Matrix side with plain HTTP against
the client-server API (the spec's own endpoints, no SDK: matrix-nio would
bring aiohttp and an encryption stack we do not use).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

ROOT = Path(__file__).resolve().parent.parent.parent
SERVER_NAME = "acme.test"
SHARED_SECRET = "causeway-tests-registration-secret"


def synapse_python() -> Path:
    """The Python of Synapse's own venv (``make synapse``); a clear failure if it is missing."""
    path = Path(
        os.environ.get("CAUSEWAY_SYNAPSE_PYTHON", ROOT / ".venv-synapse" / "bin" / "python")
    )
    if not path.exists():
        raise RuntimeError(
            f"Synapse is not installed at {path}: run `make synapse` (make test does it)."
        )
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _config(data: Path, port: int, appservices: list[Path]) -> dict[str, Any]:
    unlimited = {"per_second": 10000, "burst_count": 100000}
    return {
        "server_name": SERVER_NAME,
        "pid_file": str(data / "homeserver.pid"),
        "public_baseurl": f"http://127.0.0.1:{port}/",
        "listeners": [
            {
                "port": port,
                "bind_addresses": ["127.0.0.1"],
                "type": "http",
                "tls": False,
                "x_forwarded": False,
                # The client-server API only: no federation resource at all.
                "resources": [{"names": ["client"], "compress": False}],
            }
        ],
        "database": {"name": "sqlite3", "args": {"database": str(data / "homeserver.db")}},
        "log_config": str(data / "log.yaml"),
        "media_store_path": str(data / "media"),
        "signing_key_path": str(data / "signing.key"),
        "registration_shared_secret": SHARED_SECRET,
        "enable_registration": False,
        "report_stats": False,
        "macaroon_secret_key": "causeway-tests-macaroon",
        "form_secret": "causeway-tests-form",
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "federation_domain_whitelist": [],
        "app_service_config_files": [str(p) for p in appservices],
        "rc_message": unlimited,
        "rc_registration": unlimited,
        "rc_login": {"address": unlimited, "account": unlimited, "failed_attempts": unlimited},
        "rc_joins": {"local": unlimited, "remote": unlimited},
        "rc_joins_per_room": unlimited,
        "rc_invites": {"per_room": unlimited, "per_user": unlimited, "per_issuer": unlimited},
        "rc_admin_redaction": unlimited,
        "rc_room_creation": unlimited,
        "presence": {"enabled": False},
        "url_preview_enabled": False,
        "enable_metrics": False,
    }


_LOG_CONFIG = """\
version: 1
formatters:
  precise:
    format: '%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(message)s'
handlers:
  console:
    class: logging.StreamHandler
    formatter: precise
loggers:
  synapse.storage.SQL:
    level: WARNING
root:
  level: INFO
  handlers: [console]
disable_existing_loggers: false
"""


class Synapse:
    """One homeserver process on loopback, restartable on the same data directory."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.data.mkdir(parents=True, exist_ok=True)
        (self.data / "media").mkdir(exist_ok=True)
        (self.data / "log.yaml").write_text(_LOG_CONFIG)
        self.port = _free_port()
        self.appservices: list[Path] = []
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = ROOT / "test-artifacts" / f"synapse-{self.port}.log"
        self.log_path.parent.mkdir(exist_ok=True)
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _write_config(self) -> Path:
        path = self.data / "homeserver.yaml"
        # JSON is YAML: no YAML writer needed here.
        path.write_text(json.dumps(_config(self.data, self.port, self.appservices), indent=1))
        return path

    def start(self, timeout: float = 90) -> None:
        config = self._write_config()
        python = str(synapse_python())
        if not (self.data / "signing.key").exists():
            subprocess.run(
                [python, "-m", "synapse.app.homeserver", "-c", str(config), "--generate-keys"],
                check=True,
                capture_output=True,
                cwd=self.data,
            )
        log = self.log_path.open("a")
        self.starts += 1
        log.write(f"\n===== start {self.starts} =====\n")
        log.flush()
        self.proc = subprocess.Popen(
            [python, "-m", "synapse.app.homeserver", "-c", str(config)],
            cwd=self.data,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"synapse exited: {self.log_path.read_text()[-3000:]}")
            try:
                if requests.get(f"{self.url}/_matrix/client/versions", timeout=1).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"synapse did not answer within {timeout} s")

    def kill(self) -> None:
        """SIGKILL: a crash, nothing flushed or said goodbye."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait(30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()

    def pause(self) -> None:
        """SIGSTOP: connections are accepted by the kernel and never answered (slow)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def restart(self) -> None:
        self.stop()
        self.start()

    def install_appservice(self, registration_yaml: str) -> Path:
        """Install an application service's registration, as an admin does: file + restart."""
        path = self.data / f"appservice-{len(self.appservices) + 1}.yaml"
        path.write_text(registration_yaml)
        self.appservices.append(path)
        self.restart()
        return path

    # --- accounts -----------------------------------------------------------------

    def register(self, localpart: str, *, admin: bool = False) -> MatrixUser:
        """A real account, made through the shared-secret admin API (no open registration)."""
        url = f"{self.url}/_synapse/admin/v1/register"
        nonce = requests.get(url, timeout=10).json()["nonce"]
        password = f"pw-{uuid.uuid4().hex}"
        mac = hmac.new(SHARED_SECRET.encode(), digestmod=hashlib.sha1)
        mac.update(
            b"\x00".join(
                [
                    nonce.encode(),
                    localpart.encode(),
                    password.encode(),
                    b"admin" if admin else b"notadmin",
                ]
            )
        )
        got = requests.post(
            url,
            json={
                "nonce": nonce,
                "username": localpart,
                "password": password,
                "admin": admin,
                "mac": mac.hexdigest(),
            },
            timeout=30,
        )
        got.raise_for_status()
        body = got.json()
        return MatrixUser(self, body["user_id"], body["access_token"])


class MatrixUser:
    """A person on the homeserver, speaking the client-server API (the engineer)."""

    def __init__(self, server: Synapse, user_id: str, token: str) -> None:
        self.server = server
        self.user_id = user_id
        self.token = token

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        got = requests.request(
            method,
            f"{self.server.url}/_matrix/client/v3{path}",
            json=body,
            params=params or None,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )
        if not got.ok:
            raise AssertionError(f"{method} {path}: {got.status_code} {got.text}")
        return got.json()

    def create_room(self, name: str, *, invite: list[str] | None = None) -> str:
        body = {"name": name, "preset": "private_chat", "invite": invite or []}
        return str(self.call("POST", "/createRoom", body)["room_id"])

    def invite(self, room_id: str, user_id: str) -> None:
        self.call("POST", f"/rooms/{quote(room_id)}/invite", {"user_id": user_id})

    def say(self, room_id: str, body: str, *, relates_to: dict[str, Any] | None = None) -> str:
        content: dict[str, Any] = {"msgtype": "m.text", "body": body}
        if relates_to:
            content["m.relates_to"] = relates_to
        txn = uuid.uuid4().hex
        got = self.call("PUT", f"/rooms/{quote(room_id)}/send/m.room.message/{txn}", content)
        return str(got["event_id"])

    def messages(self, room_id: str) -> list[dict[str, Any]]:
        """Every event of the room, oldest first (as a client's timeline shows them)."""
        events: list[dict[str, Any]] = []
        token = None
        while True:
            params: dict[str, Any] = {"dir": "b", "limit": 200}
            if token:
                params["from"] = token
            page = self.call("GET", f"/rooms/{quote(room_id)}/messages", **params)
            events.extend(page.get("chunk", []))
            token = page.get("end")
            if not page.get("chunk") or not token:
                return list(reversed(events))

    def text_messages(self, room_id: str) -> list[dict[str, Any]]:
        """The room's ``m.room.message`` events as they stand (redacted ones have no body)."""
        return [e for e in self.messages(room_id) if e["type"] == "m.room.message"]

    def display_name(self, user_id: str) -> str | None:
        got = requests.get(
            f"{self.server.url}/_matrix/client/v3/profile/{quote(user_id)}/displayname",
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=10,
        )
        return got.json().get("displayname") if got.ok else None
