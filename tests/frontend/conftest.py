"""Real headless Chromium (Debian's, driven by Playwright) against real Daphne processes.

No browser is downloaded: the tests use ``/usr/bin/chromium``, which `.ci/run`
installs with apt-get (``CAUSEWAY_CHROMIUM`` names another binary). Without it
the browser tests skip with a reason, and fail when ``CI=true``. Screenshots go to
``test-artifacts/screenshots/``, and with ``UPDATE_SCREENSHOTS=1`` also to
``docs/screenshots/`` (README's "Screens").
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import HAS_POSTGRES, HAS_REDIS, IN_CI
from tests.live import ROOT, DaphneProcess, ServerProcess, daphne_argv

CHROMIUM = Path(os.environ.get("CAUSEWAY_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "pw-for-tests-123"  # tests/conftest.py make_person
# What every browser journey needs: Chromium, live Daphne processes on PostgreSQL and
# Redis, and a database whose writes those processes see (committed, not rolled back).
BROWSER_JOURNEY = [
    pytest.mark.browser,
    pytest.mark.live,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]

DESKTOP = {"width": 1200, "height": 800}
PHONE = {"width": 390, "height": 844}
# Short presence expiry, so a killed process's people go offline quickly. The
# servers keep Django's async-safety check (see `browser`).
FAST_PRESENCE = {
    "CAUSEWAY_PRESENCE_TTL": "3",
    "CAUSEWAY_PRESENCE_HEARTBEAT": "1",
    "DJANGO_ALLOW_ASYNC_UNSAFE": "",
}
SERVER_ENV = {"DJANGO_ALLOW_ASYNC_UNSAFE": ""}
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _unavailable(
            f"no Chromium at {CHROMIUM}: install Debian's `chromium` package "
            "(`.ci/run` does, with apt-get)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - pinned in requirements-dev.txt
        _unavailable("the `playwright` package is not installed (requirements-dev.txt)")
    # Playwright's sync API runs an event loop in this thread, so Django would
    # refuse the tests' own (synchronous) ORM calls while a browser is open.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    # Generous waits: this runs next to two servers and a worker on small machines.
    from playwright.sync_api import expect

    expect.set_options(timeout=10_000)
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()
    playwright.stop()
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="module")
def servers(
    browser: Any, django_db_setup: None, django_db_blocker: Any
) -> Iterator[list[DaphneProcess]]:
    """Two Daphne processes on the test database and Redis, shared by a module's tests.

    After ``browser``: without Chromium there is nothing to start them for.
    """
    if not (HAS_POSTGRES and HAS_REDIS):
        pytest.skip("needs PostgreSQL and Redis: set DATABASE_URL and REDIS_URL")
    with django_db_blocker.unblock():
        started = [DaphneProcess(FAST_PRESENCE), DaphneProcess(FAST_PRESENCE)]
    yield started
    for server in started:
        server.stop()


class DaphneAt(DaphneProcess):
    """A Daphne process on a given port: the same address again after a crash."""

    def __init__(self, port: int, extra_env: dict[str, str] | None = None) -> None:
        self.port = port
        name = f"daphne-{port}-{os.urandom(2).hex()}"
        ServerProcess.__init__(self, name, daphne_argv(port), extra_env)
        self.wait_ready()


def off_loop(function: Any, *args: Any, **kwargs: Any) -> Any:
    """Run an action from the test in a thread of its own.

    Playwright's event loop runs in the test's thread, and the events an
    action publishes after commit go out through ``async_to_sync``, which
    refuses to run there.
    """
    from django.db import connection

    def call() -> Any:
        try:
            return function(*args, **kwargs)
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(call).result()


def prepare_for_browser(*people: Any) -> None:
    """Verified e-mail addresses, and a password hash the servers' hashers can check.

    The test process hashes with MD5 for speed (tests/conftest.py), which the
    servers do not accept; a cheap PBKDF2 hash they do.
    """
    from allauth.account.models import EmailAddress
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    hasher = PBKDF2PasswordHasher()
    for person in people:
        person.password = hasher.encode(PASSWORD, hasher.salt(), iterations=1000)
        person.save(update_fields=["password"])
        EmailAddress.objects.update_or_create(
            user=person, email=person.email, defaults={"verified": True, "primary": True}
        )


class Session:
    """One person's browser context and page, signed in through the login page."""

    def __init__(self, browser: Any, server: DaphneProcess, person: Any, viewport: dict) -> None:
        self.server = server
        self.person = person
        self.context = browser.new_context(viewport=viewport)
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("dialog", self._dialog)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def url(self, path: str) -> str:
        return f"{self.server.origin}{path}"

    def sign_in(self) -> Session:
        from playwright.sync_api import expect

        page = self.page
        page.goto(self.url("/accounts/login/"))
        page.get_by_label("Email").fill(self.person.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign In").click()
        page.wait_for_url(self.url("/"))
        expect(page.locator("#conn")).to_have_attribute("data-state", "live")
        return self

    def open_room(self, room: Any, query: str = "") -> Any:
        from playwright.sync_api import expect

        self.page.goto(self.url(f"/rooms/{room.id}/{query}"))
        expect(self.page.locator("#conn")).to_have_attribute("data-state", "live")
        # History loaded and the room subscribed (the header counts members).
        expect(self.page.locator("#members-button")).to_contain_text("online")
        return self.page

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def sessions(browser: Any) -> Iterator[Any]:
    """``open_session(server, person, viewport=DESKTOP)`` -> a signed-in Session."""
    opened: list[Session] = []

    def open_session(server: DaphneProcess, person: Any, viewport: dict = DESKTOP) -> Session:
        session = Session(browser, server, person, viewport).sign_in()
        opened.append(session)
        return session

    yield open_session
    problems = [f"{s.person.email}: {e}" for s in opened for e in s.errors]
    for session in opened:
        with contextlib.suppress(Exception):  # already closed by the test
            session.close()
    assert not problems, f"JavaScript errors in the page: {problems}"


@pytest.fixture
def live_team(transactional_db: None) -> Any:
    """tests/conftest.py's Team, built where its events can be published (see off_loop)."""
    from tests.conftest import Team

    return off_loop(Team)


def screenshot(page: Any, name: str) -> None:
    """A small JPEG of the page, in test-artifacts/ and, with UPDATE_SCREENSHOTS=1, in docs/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.jpg"
    page.mouse.move(0, 0)  # no hover toolbars in the picture
    page.screenshot(path=str(path), type="jpeg", quality=70)
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SCREENSHOTS / path.name)


# --- page helpers shared by the browser tests ------------------------------------------


def composer(page: Any) -> Any:
    return page.locator("#composer-slot textarea")


def send(page: Any, text: str) -> None:
    box = composer(page)
    box.fill(text)
    box.press("Enter")


def message(page: Any, text: str) -> Any:
    return page.locator("#messages .msg", has_text=text)
