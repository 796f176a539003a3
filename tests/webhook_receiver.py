"""A webhook receiver for the connector tests: a real HTTP server process on loopback.

    python tests/webhook_receiver.py PORT

``POST /hook`` (any path but /control and /requests): records the request
(headers, body, whether its X-Causeway-Signature verifies with the secret it
was given), then answers 500 while it has failures left, else 200. Holding
(``hold``), it records the request as received and waits to answer until
released: a worker can be killed while its POST is in flight.
``POST /control`` with JSON: ``secret``, ``fail`` (the next n answer 500),
``status`` (answer this instead of 200), ``hold`` (true/false; false releases).
``GET /requests``: every request so far, in arrival order, as JSON.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

lock = threading.Lock()
released = threading.Event()
released.set()
state: dict[str, Any] = {"secret": "", "fail": 0, "status": 200, "requests": []}
HOLD_LIMIT_SECONDS = 120.0


def verified(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(f"v1={mac.hexdigest()}", signature)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _json(self, status: int, data: Any) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        with lock:
            self._json(200, state["requests"])

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/control":
            change = json.loads(body)
            with lock:
                for key in ("secret", "fail", "status"):
                    if key in change:
                        state[key] = change[key]
            if change.get("hold") is True:
                released.clear()
            elif change.get("hold") is False:
                released.set()
            self._json(200, {"ok": True})
            return
        record = {
            "path": self.path,
            "received_at": time.time(),
            "delivery": self.headers.get("X-Causeway-Delivery"),
            "timestamp": self.headers.get("X-Causeway-Timestamp"),
            "signature": self.headers.get("X-Causeway-Signature"),
            "content_type": self.headers.get("Content-Type"),
            "body": body.decode("utf-8", "replace"),
            "status": None,
        }
        with lock:
            record["verified"] = verified(
                state["secret"], record["timestamp"] or "", body, record["signature"] or ""
            )
            state["requests"].append(record)
        released.wait(HOLD_LIMIT_SECONDS)
        with lock:
            if state["fail"] > 0:
                state["fail"] -= 1
                status = 500
            else:
                status = state["status"]
            record["status"] = status
            record["answered_at"] = time.time()
        try:
            self._json(status, {"ok": status < 300})
        except OSError:
            record["status"] = f"{status} (the sender was gone)"


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    server.daemon_threads = True
    print("listening", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
