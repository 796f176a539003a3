"""Shared fixtures and factories.

Services: ``make test`` exports DATABASE_URL and REDIS_URL when PostgreSQL and
Redis answer on their standard ports (tests/services.py). With CI=true both
are required; locally the tests marked ``postgres`` / ``redis`` skip with a
reason when they are missing. ``make test`` then runs the tests marked
``embedded`` once more on the embedded defaults (``CAUSEWAY_TEST_EMBEDDED=1``).

In parallel (``make test`` runs pytest-xdist workers, ``-n``): each worker
has a test database of its own (``test_<name>_gw0``, pytest-django), its own
Redis keys and channel names (``own_redis_keys``) and its own temporary
folders. Each test module runs whole on one worker (``--dist loadfile``,
pyproject.toml), so a module-wide fixture (a browser and its servers, an S3
server, a committed world) is made once and no other module's tests come in
between.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import os
import re
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from hub.models import Organization, Partnership, User
from rooms.actions.members import do_add_member
from rooms.actions.rooms import do_create_room
from rooms.models.rooms import Room

IN_CI = os.environ.get("CI", "").lower() == "true"
# `make test`'s second run: the tests marked `embedded`, on SQLite on purpose.
ON_EMBEDDED = os.environ.get("CAUSEWAY_TEST_EMBEDDED") == "1"
HAS_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
HAS_REDIS = bool(settings.REDIS_URL)

# The pytest-xdist worker this process is ("gw0", "gw1", ...); None when the
# suite runs in one process, and in xdist's controller, which runs no test.
WORKER = os.environ.get("PYTEST_XDIST_WORKER")

_counter = itertools.count(1)


def pytest_sessionstart(session: pytest.Session) -> None:
    if IN_CI and not ON_EMBEDDED:
        missing = [
            name for name, ok in (("PostgreSQL", HAS_POSTGRES), ("Redis", HAS_REDIS)) if not ok
        ]
        if missing:
            raise pytest.UsageError(
                f"CI=true but {' and '.join(missing)} not configured: run the suite with "
                "`make test` on a machine where they answer on their standard ports."
            )
    if HAS_REDIS and WORKER is None:
        import redis

        # The suite owns its Redis database (15 by default): start clean. In
        # parallel the controller does it, before it starts the workers; a
        # worker flushing would wipe the keys of the others, already running.
        redis.Redis.from_url(settings.REDIS_URL).flushdb()


def delete_redis_keys(prefix: str) -> None:
    """Delete the keys under ``prefix`` (``<prefix>:...``) in the suite's Redis database.

    What ``cache.clear()`` did for a test, without its FLUSHDB: that empties
    the whole database, under the other workers' running tests too.
    """
    import redis

    pattern = re.sub(r"([*?\[\]\\])", r"\\\1", prefix) + ":*"
    server = redis.Redis.from_url(settings.REDIS_URL)
    keys = list(server.scan_iter(match=pattern, count=1000))
    for start in range(0, len(keys), 500):
        server.delete(*keys[start : start + 500])


def clear_cache() -> None:
    """Empty the default cache: this worker's keys only, when it is Redis."""
    from django.core.cache import cache

    if HAS_REDIS:
        delete_redis_keys(settings.CACHES["default"]["KEY_PREFIX"])
    else:
        cache.clear()  # in this process's memory


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "postgres" in item.keywords and not HAS_POSTGRES:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL"))
        if "redis" in item.keywords and not HAS_REDIS:
            item.add_marker(pytest.mark.skip(reason="needs Redis: set REDIS_URL"))


# --- factories ------------------------------------------------------------------


def make_org(name: str | None = None, domains: list[str] | None = None) -> Organization:
    n = next(_counter)
    name = name or f"Org {n}"
    slug = f"{name.lower().replace(' ', '-')}-{n}"
    return Organization.objects.create(
        name=name, slug=slug, verified_domains=domains if domains is not None else [f"{slug}.test"]
    )


def client_for(person: User | None) -> Client:
    """A Django test client signed in as ``person`` (signed out for None)."""
    client = Client()
    if person is not None:
        client.force_login(person)
    return client


def body_of(response: Any) -> bytes:
    """A response's bytes; a streamed one (a file, an export) read off the event loop,
    as a browser reads it."""
    if not response.streaming:
        return bytes(response.content)

    async def read() -> bytes:
        return b"".join([chunk async for chunk in response.streaming_content])

    return async_to_sync(read)()


def make_person(
    org: Organization, *, admin: bool = False, name: str | None = None, email: str | None = None
) -> User:
    n = next(_counter)
    domain = org.verified_domains[0] if org.verified_domains else f"{org.slug}.test"
    return User.objects.create_user(
        email or f"person{n}@{domain}",
        "pw-for-tests-123",
        display_name=name or f"Person {n}",
        organization=org,
        org_role=User.OrgRole.ADMIN if admin else User.OrgRole.MEMBER,
    )


def make_partnership(
    supplier: Organization, client: Organization, *, active: bool = True
) -> Partnership:
    proposer = supplier.people.filter(org_role="admin").first() or make_person(supplier, admin=True)
    partnership = Partnership.objects.create(supplier=supplier, client=client, proposed_by=proposer)
    if active:
        partnership.status = Partnership.Status.ACTIVE
        partnership.save(update_fields=["status"])
    return partnership


def make_shared_room(
    partnership: Partnership, owner: User, *members: User, name: str = "Shared"
) -> Room:
    room = do_create_room(owner, kind=Room.Kind.SHARED, name=name, partnership=partnership)
    for member in members:
        do_add_member(owner, room, member)
    return room


def make_internal_room(owner: User, *members: User, name: str = "Internal") -> Room:
    room = do_create_room(
        owner, kind=Room.Kind.INTERNAL, name=name, organization=owner.organization
    )
    for member in members:
        do_add_member(owner, room, member)
    return room


def png_bytes(width: int = 64, height: int = 48, color: str = "teal") -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


# The smallest well-formed PDF that every reader opens: one empty page.
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def make_upload(
    person: User, room: Room, data: bytes | None = None, name: str = "photo.png"
) -> Any:
    """An upload as the HTTP endpoint makes it (checks, detection, row, storage)."""
    from rooms.actions.files import upload_file

    data = png_bytes() if data is None else data
    return upload_file(person, room_id=room.pk, stream=io.BytesIO(data), name=name, size=len(data))


def post_file(client: Any, room_id: int, data: bytes, name: str, **extra: Any) -> Any:
    """Upload over HTTP as the web app does: the body is the file, its name in ``?name=``."""
    from urllib.parse import quote

    return client.post(
        f"/api/rooms/{room_id}/files/?name={quote(name)}",
        data,
        content_type="application/octet-stream",
        **extra,
    )


def send_files(person: User, room: Room, uploads: list[Any], body: str = "", **kw: Any) -> Any:
    """``person`` sends ``uploads`` (and ``body``) in ``room``, as ``message.send`` does."""
    from rooms.actions.messages import check_send_message

    message, _ = check_send_message(
        person,
        room_id=room.pk,
        client_id=str(uuid.uuid4()),
        body=body,
        files=[u.key for u in uploads],
        **kw,
    )
    return message


def say(person: User, room: Room, body: str, thread: Any = None, **kw: Any) -> Any:
    """``person`` sends ``body`` in ``room`` (a reply in ``thread``), as ``message.send`` does."""
    from rooms.actions.messages import check_send_message

    message, _ = check_send_message(
        person,
        room_id=room.pk,
        client_id=uuid.uuid4().hex,
        body=body,
        thread=thread.pk if thread is not None else None,
        **kw,
    )
    return message


class Team:
    """Two partner organizations with people on both sides and their rooms."""

    def __init__(self) -> None:
        self.supplier = make_org("Supplier")
        self.client = make_org("Client")
        self.supplier_admin = make_person(self.supplier, admin=True, name="Sam Supplier-Admin")
        self.supplier_member = make_person(self.supplier, name="Sue Supplier")
        self.client_admin = make_person(self.client, admin=True, name="Cal Client-Admin")
        self.client_member = make_person(self.client, name="Cleo Client")
        self.partnership = make_partnership(self.supplier, self.client)
        self.shared = make_shared_room(
            self.partnership,
            self.supplier_admin,
            self.supplier_member,
            self.client_admin,
            self.client_member,
        )
        self.supplier_internal = make_internal_room(
            self.supplier_admin, self.supplier_member, name="Supplier internal"
        )
        self.client_internal = make_internal_room(
            self.client_admin, self.client_member, name="Client internal"
        )


@pytest.fixture
def team(db: None) -> Team:
    return Team()


@pytest.fixture
def live_team(transactional_db: None) -> Team:
    """A Team whose rows are committed (for sockets and other processes)."""
    return Team()


# --- sockets ------------------------------------------------------------------------


def session_cookie(user: User) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def socket_headers(
    session_key: str | None, origin: str | None = "http://127.0.0.1"
) -> list[tuple[bytes, bytes]]:
    headers = [(b"host", b"127.0.0.1")]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    if session_key is not None:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={session_key}".encode()))
    return headers


class Socket:
    """A WebsocketCommunicator that speaks JSON frames and skips frames we are not checking."""

    def __init__(self, communicator: WebsocketCommunicator) -> None:
        self.comm = communicator
        self.frames: list[dict[str, Any]] = []

    async def send(self, frame: Any) -> None:
        await self.comm.send_json_to(frame)

    async def recv(self, timeout: float = 3) -> dict[str, Any]:
        frame = await self.comm.receive_json_from(timeout=timeout)
        self.frames.append(frame)
        return frame

    async def expect(self, type_: str, timeout: float = 3, **match: Any) -> dict[str, Any]:
        """The next frame of ``type_`` matching ``match``; other frames are recorded and skipped."""
        while True:
            frame = await self.recv(timeout)
            if frame.get("type") == type_ and all(frame.get(k) == v for k, v in match.items()):
                return frame

    async def presence(self, user: int, timeout: float = 3) -> str:
        """The next state announced for ``user`` (a frame holds everyone of a tick)."""
        while True:
            frame = await self.expect("presence", timeout)
            if str(user) in frame["people"]:
                return str(frame["people"][str(user)])

    async def nothing(self, timeout: float = 0.3) -> None:
        assert await self.comm.receive_nothing(timeout=timeout), "expected no frame"

    async def drain(self, timeout: float = 0.3) -> list[dict[str, Any]]:
        got = []
        while not await self.comm.receive_nothing(timeout=timeout):
            got.append(await self.recv())
        return got

    async def close(self) -> None:
        await self.comm.disconnect()


@pytest.fixture
async def connect() -> AsyncIterator[Callable[..., Any]]:
    """``await connect(user)`` opens an authenticated socket and reads its hello."""
    from asgiref.sync import sync_to_async

    from config.asgi import application
    from presence.heartbeat import PresenceKeeper
    from presence.store import reset_store
    from rooms.socket.fanout import Fanout
    from rooms.socket.seen import LastSeen

    opened: list[Socket] = []

    async def _connect(user: User, *, hello: bool = True) -> Socket:
        key = await sync_to_async(session_cookie)(user)
        comm = WebsocketCommunicator(application, "/ws/", headers=socket_headers(key))
        connected, _ = await comm.connect()
        assert connected, "socket refused"
        socket = Socket(comm)
        opened.append(socket)
        if hello:
            assert (await socket.recv())["type"] == "hello"
        return socket

    reset_store()
    yield _connect
    try:
        for socket in opened:
            # A test that failed may leave a socket that will not close
            # cleanly; the process-wide fanout and presence keeper must still
            # stop, or their tasks leak into the next test.
            with contextlib.suppress(Exception):
                await socket.comm.disconnect()
    finally:
        await Fanout.shutdown_all()
        await PresenceKeeper.shutdown_all()
        LastSeen.shutdown_all()
        reset_store()


class Published(list[dict[str, Any]]):
    """Layer messages that actions published, decoded, in order."""

    def frames(self, group: str | None = None) -> list[dict[str, Any]]:
        import json

        return [
            json.loads(m["text"])
            for m in self
            if "text" in m and (group is None or m["group"] == group)
        ]


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any) -> Any:
    """Record what actions publish: ``with published.capture(): ...`` commits at block end."""
    from hub import publish

    sent = Published()
    monkeypatch.setattr(publish, "send", sent.append)
    sent.capture = lambda: django_capture_on_commit_callbacks(execute=True)  # type: ignore[attr-defined]
    return sent


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def no_presence_grace(settings: Any) -> None:
    """Tests that watch someone leave wait for the frame; the grace that keeps
    a blip from showing anyone offline (5 s in production) only slows them.
    The tests of the grace set their own."""
    settings.CAUSEWAY_PRESENCE_GRACE_SECONDS = 0


@pytest.fixture(scope="session", autouse=True)
def own_redis_keys() -> Iterator[None]:
    """In parallel, this worker's Redis keys and channel names carry its name.

    The workers share one Redis database, and their test databases number
    rows alike, so without this one worker's sockets would get another's
    ``room.1`` events (pub/sub channels are not even per database), and its
    presence and rate-limit counts would mix with theirs. Session-wide, so
    that module-scoped fixtures, made before any test's own, use them too.
    Server processes get the prefixes through their environment.
    """
    if not (HAS_REDIS and WORKER):
        yield
        return
    from django.test.utils import override_settings

    from hub import publish
    from presence.store import reset_store

    layer = settings.CHANNEL_LAYERS["default"]
    cache = settings.CACHES["default"]
    channels_prefix = f"{layer['CONFIG']['prefix']}-{WORKER}"
    cache_prefix = f"{cache['KEY_PREFIX']}-{WORKER}"
    os.environ.update(CHANNELS_PREFIX=channels_prefix, CACHE_PREFIX=cache_prefix)
    with override_settings(
        CHANNEL_LAYERS={
            **settings.CHANNEL_LAYERS,
            "default": {**layer, "CONFIG": {**layer["CONFIG"], "prefix": channels_prefix}},
        },
        CACHES={**settings.CACHES, "default": {**cache, "KEY_PREFIX": cache_prefix}},
    ):
        # Both remember the prefix they were made with.
        publish._publisher.cache_clear()
        reset_store()
        yield


@pytest.fixture(scope="session", autouse=True)
def files_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The suite stores files in a temporary folder (the S3 tests switch to a bucket).

    Session-wide, so that module-scoped worlds, made before any test's own
    fixtures, store theirs there too; keys are random, so tests never collide.
    Live servers get it as CAUSEWAY_MEDIA_ROOT."""
    from django.test.utils import override_settings

    media = tmp_path_factory.mktemp("media")
    files = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": media / "files", "base_url": None},
    }
    os.environ["CAUSEWAY_MEDIA_ROOT"] = str(media)
    with override_settings(MEDIA_ROOT=media, STORAGES={**settings.STORAGES, "files": files}):
        yield media


@pytest.fixture(autouse=True)
def generous_rate_limits(settings: Any) -> None:
    """Tests send bursts; the rate-limit tests set their own limits."""
    from django.core.cache import cache

    settings.CAUSEWAY_INPROCESS_WORKER = False  # tests drive the clock themselves
    settings.CAUSEWAY_RATE_LIMIT_WRITES = (100_000, 10)
    settings.CAUSEWAY_RATE_LIMIT_FRAMES = (100_000, 10)
    settings.ACCOUNT_RATE_LIMITS = {"sso": "100000/m/ip"}
    if not HAS_REDIS:
        cache.clear()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """The test process itself connects without the pool (config/settings.py).

    Tests call the ORM from threads and contexts of their own (``sync_to_async``
    in an async test gets a fresh connection per test and never closes it),
    which would keep pooled connections forever and starve the pool. The
    server processes the tests start use the pool as in production
    (tests/live.py ``server_env``).
    """
    from django.db import connections

    for alias in connections:
        connections[alias].settings_dict.get("OPTIONS", {}).pop("pool", None)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> Any:
    """End connections that server subprocesses left behind, so the test database can be dropped."""
    yield
    if HAS_POSTGRES:
        from django.db import connection

        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


# --- a Matrix homeserver ----------------------------------------------------------------


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real Synapse on loopback for the session (tests/matrix/synapse.py), started on
    first use: the Matrix bridge's tests and its settings page's journey."""
    from tests.matrix.synapse import Synapse

    server = Synapse(Path(tmp_path_factory.mktemp("synapse")))
    server.start()
    yield server
    server.stop()
