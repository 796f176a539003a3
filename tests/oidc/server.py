"""A real OpenID Connect provider on loopback (tests/oidc/provider.mjs, node's oidc-provider).

Its accounts (provider.mjs ACCOUNTS): ada, carl (acme.example, verified), carla
(northwind.example, verified) and una (acme.example, not verified).
"""

from __future__ import annotations

import shutil
import socket
import time

from tests.live import ROOT, ServerProcess, free_port

SCRIPT = ROOT / "tests" / "oidc" / "provider.mjs"
MODULE = ROOT / "node_modules" / "oidc-provider"
CLIENT_ID = "causeway-tests"
CLIENT_SECRET = "a-secret-for-tests-only"


def unavailable_reason() -> str | None:
    if shutil.which("node") is None:
        return "no `node` on PATH (.ci/run installs nodejs)"
    if not MODULE.exists():
        return "node_modules/oidc-provider is missing: run `npm ci` (make client-check does)"
    return None


class OidcProvider(ServerProcess):
    def __init__(self, redirect_uris: list[str]) -> None:
        self.port = free_port()
        super().__init__(
            f"oidc-{self.port}",
            ["node", str(SCRIPT)],
            {
                "OIDC_PORT": str(self.port),
                "OIDC_CLIENT_ID": CLIENT_ID,
                "OIDC_CLIENT_SECRET": CLIENT_SECRET,
                "OIDC_REDIRECT_URIS": " ".join(redirect_uris),
            },
        )
        self.wait_ready()

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"oidc-provider exited: {self.log_path.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.2):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"oidc-provider did not start on {self.port}")
