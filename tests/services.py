"""Find the real PostgreSQL and Redis for the test run; print shell exports.

Used by ``make test``. With CI=true a missing service fails the run, naming
it; locally the suite falls back to the embedded defaults and the tests that
need the real service skip with a reason.
"""

from __future__ import annotations

import os
import shlex
import socket
import sys
from urllib.parse import urlparse

DEFAULTS = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test",
    # A database number of its own: the suite flushes it.
    "REDIS_URL": "redis://127.0.0.1:6379/15",
}
NAMES = {"DATABASE_URL": "PostgreSQL", "REDIS_URL": "Redis"}


def reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 0), 2):
            return True
    except OSError:
        return False


def main() -> int:
    in_ci = os.environ.get("CI", "").lower() == "true"
    for name, default in DEFAULTS.items():
        url = os.environ.get(name) or default
        if reachable(url):
            print(f"export {name}={shlex.quote(url)}")
        elif in_ci:
            print(f"CI=true but {NAMES[name]} is not reachable at {url} ({name}).", file=sys.stderr)
            return 1
        else:
            print(
                f"note: {NAMES[name]} not reachable at {url}; using the embedded default, "
                f"and tests that need {NAMES[name]} will skip.",
                file=sys.stderr,
            )
            print(f"unset {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
