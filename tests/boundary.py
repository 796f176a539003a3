"""The frame recorder: what the partner organization receives must not depend on A's internals.

The product's boundary invariant: nothing from organization A's internal
network, nor anything A has not deliberately shared, reaches anyone outside
A, and the partner cannot even tell that A mirrored, noted or discussed
something internally. A field, an id pattern, a count or a moment that
differs is enough to give it away, so this harness does not look for known
secrets. It runs each scenario twice, in two independent worlds in the same
database:

- the *internal* twin: A (the supplier) also mirrors, writes notes, edits and
  deletes them, talks in its escalation room, types, connects an
  internal-only colleague, and so on;
- the *plain* twin: the same steps without any of that internal activity
  (a share-back becomes A typing the same text in the shared thread).

Everything B (the client) receives is recorded: every frame of a socket per
B person subscribed to every room they are in (new rooms, such as B's
escalation room, are subscribed as soon as B is in them), and at checkpoints
the JSON bodies of what B can GET, the boot data and text of B's HTML pages,
and the e-mails sent to any address on B's domains. The two recordings must
be identical once normalized (``normalize``): ids become their order of first
appearance per kind (so the equality structure is compared, not the values,
which may be sequential or random), timestamps become ``<time>``, and a client id becomes
a description of its form (a browser's ``crypto.randomUUID()`` is
``<uuid4>``; anything else stays as written, with 32-digit hex runs shown as
``<hex32>``). Seqs, counts, names, bodies and the order of frames in each
room are compared exactly, step by step.

A new field that carries an id under a key this module does not know is
compared by value, and then differs between the two worlds: the recorder
fails, and whoever added the field decides here, deliberately, whether it is
an id that the partner's own actions explain.

Determinism: the steps run one at a time, and after each one the harness
waits for quiescence (``Run.settle``): the bridge relay has nothing pending,
every A socket answered a ping, and every B socket answered a ping *and*
received a fence frame published through the channel layer after the step,
so everything published before it has arrived. Frames of one step are
grouped into streams (the socket's replies, the person's own frames, each
room's in the order the socket subscribed), because the interleaving of
independent streams on one socket is scheduling, not content.
"""

from __future__ import annotations

import asyncio
import difflib
import hashlib
import html
import itertools
import json
import re
import secrets
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core import mail
from django.test import Client as DjangoClient

from hub import publish as hub_publish
from hub.models import Organization, Partnership, User
from presence.heartbeat import PresenceKeeper
from rooms.actions.escalation_clock import run_escalation_clock
from rooms.actions.escalation_settings import check_set_escalation_contacts
from rooms.actions.members import do_add_member
from rooms.actions.rooms import do_create_room
from rooms.bridge.relay import relay_all
from rooms.connectors.relay import do_relay_connectors
from rooms.models.bridge import OutboxEntry
from rooms.models.connectors import Connector, ConnectorDeadLetter
from rooms.models.rooms import Membership, Room
from rooms.wire.types import ROOM_EVENT_TYPES

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "boundary"
PASSWORD = "pw-for-tests-123"
FENCE = "recorder.fence"

# --- the world ------------------------------------------------------------------------


@dataclass
class World:
    """Supplier A (with an internal-only person) and client B, with their rooms.

    ``tag`` makes slugs, domains and e-mail addresses unique in the database;
    normalization replaces it, so both twins look alike where they should.
    """

    tag: str
    a_org: Organization
    b_org: Organization
    anna: User  # A's admin, owner of the shared room
    ben: User  # A's member, A's escalation contact
    ines: User  # A's member who is in no shared room at all
    carla: User  # B's admin
    dev: User  # B's member, B's escalation contact
    partnership: Partnership
    shared: Room
    a_internal: Room
    b_internal: Room

    @property
    def a_people(self) -> list[User]:
        return [self.anna, self.ben, self.ines]

    @property
    def b_people(self) -> list[User]:
        return [self.carla, self.dev]


def build_world() -> World:
    tag = f"w{uuid.uuid4().hex[:10]}"

    def org(name: str) -> Organization:
        slug = f"{name.lower()}-{tag}"
        return Organization.objects.create(name=name, slug=slug, verified_domains=[f"{slug}.test"])

    def person(organization: Organization, local: str, name: str, title: str, admin: bool) -> User:
        return User.objects.create_user(
            f"{local}@{organization.slug}.test",
            PASSWORD,
            # Handles are unique across the hub: the world's tag keeps the two
            # twins' people apart (normalized like slugs), where a name-derived
            # handle would be "anna.berg" in one twin and "anna.berg2" in the other.
            handle=f"{local}-{tag}",
            display_name=name,
            title=title,
            organization=organization,
            org_role=User.OrgRole.ADMIN if admin else User.OrgRole.MEMBER,
        )

    a_org, b_org = org("Northwind"), org("Acme")
    anna = person(a_org, "anna", "Anna Berg", "Account manager", True)
    ben = person(a_org, "ben", "Ben Okafor", "Supply engineer", False)
    ines = person(a_org, "ines", "Ines Holm", "Controller", False)
    carla = person(b_org, "carla", "Carla Diaz", "Procurement lead", True)
    dev = person(b_org, "dev", "Dev Patel", "Quality engineer", False)
    partnership = Partnership.objects.create(
        supplier=a_org, client=b_org, proposed_by=anna, status=Partnership.Status.ACTIVE
    )
    shared = do_create_room(
        anna, kind=Room.Kind.SHARED, name="Acme + Northwind", partnership=partnership
    )
    for member in (ben, carla, dev):
        do_add_member(anna, shared, member)
    a_internal = do_create_room(
        anna, kind=Room.Kind.INTERNAL, name="Northwind team", organization=a_org
    )
    for member in (ben, ines):
        do_add_member(anna, a_internal, member)
    b_internal = do_create_room(
        carla, kind=Room.Kind.INTERNAL, name="Acme team", organization=b_org
    )
    do_add_member(carla, b_internal, dev)
    check_set_escalation_contacts(anna, partnership_id=partnership.pk, person_ids=[ben.pk])
    check_set_escalation_contacts(carla, partnership_id=partnership.pk, person_ids=[dev.pk])
    return World(
        tag, a_org, b_org, anna, ben, ines, carla, dev, partnership, shared, a_internal, b_internal
    )


def rooms_of(person: User) -> list[int]:
    """The person's rooms in the order B's recorder subscribes to them: by name."""
    return list(
        Membership.objects.active()
        .filter(user=person, room__archived_at__isnull=True)
        .order_by("room__name")
        .values_list("room_id", flat=True)
    )


# --- transports: in this process, or two live Daphne processes ----------------------------


class Wire(Protocol):
    """A JSON socket: tests.conftest.Socket (in process) or tests.live.Client (live)."""

    async def send(self, frame: Any) -> None: ...

    async def recv(self, timeout: float = ...) -> dict[str, Any]: ...

    async def close(self) -> None: ...


class Transport(Protocol):
    async def open(self, person: User) -> tuple[Wire, dict[str, Any]]:
        """A socket of ``person`` and the ``hello`` it opened with."""
        ...

    async def http(
        self, person: User, method: str, path: str, body: Any = None
    ) -> tuple[int, Any]: ...

    async def upload(self, person: User, room_id: int, name: str, data: bytes) -> tuple[int, Any]:
        """POST a file to the room (the body is the file), as the web app does."""
        ...

    async def fetch(self, person: User, path: str) -> dict[str, Any]:
        """GET a file: status, the headers it is served with, and a digest of its bytes."""
        ...

    async def relay(self) -> None:
        """Return once the bridge has relayed everything pending."""
        ...

    def use(self, world: World) -> None:
        """The world the next twin runs in."""
        ...

    @property
    def records_mail(self) -> bool: ...


def _parse(status: int, content_type: str, text: str) -> tuple[int, Any]:
    if content_type.startswith("application/json"):
        return status, json.loads(text)
    if content_type.startswith("application/x-ndjson"):  # the audit log's export
        return status, [json.loads(line) for line in text.splitlines()]
    return status, text


SERVED_HEADERS = (
    "Content-Type",
    "Content-Disposition",
    "Content-Length",
    "X-Content-Type-Options",
    "Content-Security-Policy",
    "Cache-Control",
)


def served(status: int, headers: Any, body: bytes) -> dict[str, Any]:
    """What a file's GET shows: status, the headers that matter, the bytes' digest."""
    return {
        "status": status,
        "headers": {name: headers.get(name) for name in SERVED_HEADERS},
        "sha256": hashlib.sha256(body).hexdigest(),
    }


def _dead_letters() -> list[str]:
    return [
        *OutboxEntry.objects.filter(status=OutboxEntry.Status.DEAD).values_list(
            "last_error", flat=True
        ),
        # A's connectors (an outgoing webhook) deliver everything, or the scenario
        # is not the one it claims to be.
        *ConnectorDeadLetter.objects.values_list("error", flat=True),
        *Connector.objects.exclude(last_error="").values_list("last_error", flat=True),
    ]


class InProcess:
    """Sockets through the ASGI application in this process; HTTP through Django's test client.

    ``connect`` is the ``tests.conftest.connect`` fixture. The bridge relay
    runs here, synchronously, at every settle.
    """

    records_mail = True

    def __init__(self, connect: Callable[..., Awaitable[Any]]) -> None:
        self.connect = connect
        self.clients: dict[int, DjangoClient] = {}

    def use(self, world: World) -> None:
        pass

    async def open(self, person: User) -> tuple[Wire, dict[str, Any]]:
        sock = await self.connect(person, hello=False)
        hello = await sock.recv(10)
        return sock, hello

    def _client(self, person: User) -> DjangoClient:
        if person.pk not in self.clients:
            client = DjangoClient()
            client.force_login(person)
            self.clients[person.pk] = client
        return self.clients[person.pk]

    async def http(self, person: User, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        def call() -> Any:
            return self._client(person).generic(
                method,
                path,
                json.dumps(body) if body is not None else "",
                content_type="application/json",
            )

        response = await sync_to_async(call)()
        if response.streaming:  # a download (the audit log's export), read as it streams
            content = b"".join([chunk async for chunk in response.streaming_content])
        else:
            content = response.content
        return _parse(response.status_code, response.get("Content-Type", ""), content.decode())

    async def upload(self, person: User, room_id: int, name: str, data: bytes) -> tuple[int, Any]:
        from tests.conftest import post_file

        def call() -> tuple[int, Any]:
            response = post_file(self._client(person), room_id, data, name)
            return response.status_code, json.loads(response.content)

        return await sync_to_async(call)()

    async def fetch(self, person: User, path: str) -> dict[str, Any]:
        response = await sync_to_async(self._client(person).get)(path)
        if response.streaming:
            body = b"".join([chunk async for chunk in response.streaming_content])
        else:
            body = response.content
        return served(response.status_code, response.headers, body)

    async def relay(self) -> None:
        def drain() -> list[str]:
            relay_all()
            # After the bridge, as the worker does: the copies it wrote go out too.
            do_relay_connectors()
            return _dead_letters()

        dead = await sync_to_async(drain)()
        assert not dead, f"the bridge failed: {dead}"


class Live:
    """A's sockets and HTTP on one Daphne process, B's on another; a real ``run_worker`` relays."""

    records_mail = False  # the servers' mail goes to their console, not to this process

    def __init__(self, a_server: Any, b_server: Any) -> None:
        self.a_server = a_server
        self.b_server = b_server
        self.a_org_id: int | None = None
        self.sessions: dict[int, str] = {}
        self.relayed = 0  # outbox entries done, as of the last settle

    def use(self, world: World) -> None:
        self.a_org_id = world.a_org.pk

    def _server(self, person: User) -> Any:
        return self.a_server if person.organization_id == self.a_org_id else self.b_server

    async def _session(self, person: User) -> str:
        from tests.conftest import session_cookie

        if person.pk not in self.sessions:
            self.sessions[person.pk] = await sync_to_async(session_cookie)(person)
        return self.sessions[person.pk]

    async def open(self, person: User) -> tuple[Wire, dict[str, Any]]:
        from tests.live import Client

        client = await Client(self._server(person), await self._session(person)).open()
        return client, client.frames[0]

    async def http(self, person: User, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        server = self._server(person)
        key = await self._session(person)
        # Django accepts any 32-character secret as the CSRF cookie, sent back in the header.
        csrf = secrets.token_hex(16)
        request = urllib.request.Request(
            f"{server.origin}{path}",
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers={
                "Cookie": f"{settings.SESSION_COOKIE_NAME}={key}; csrftoken={csrf}",
                "X-CSRFToken": csrf,
                "Origin": server.origin,
                "Content-Type": "application/json",
            },
        )

        def call() -> tuple[int, Any]:
            try:
                with urllib.request.urlopen(request, timeout=15) as response:
                    return _parse(
                        response.status,
                        response.headers.get("Content-Type", ""),
                        response.read().decode(),
                    )
            except urllib.error.HTTPError as error:
                return _parse(
                    error.code, error.headers.get("Content-Type", ""), error.read().decode()
                )

        return await asyncio.to_thread(call)

    async def _raw(
        self, person: User, method: str, path: str, data: bytes | None, content_type: str
    ) -> tuple[int, Any, bytes]:
        server = self._server(person)
        key = await self._session(person)
        csrf = secrets.token_hex(16)
        request = urllib.request.Request(
            f"{server.origin}{path}",
            data=data,
            method=method,
            headers={
                "Cookie": f"{settings.SESSION_COOKIE_NAME}={key}; csrftoken={csrf}",
                "X-CSRFToken": csrf,
                "Origin": server.origin,
                "Content-Type": content_type,
            },
        )

        def call() -> tuple[int, Any, bytes]:
            try:
                with urllib.request.urlopen(request, timeout=15) as response:
                    return response.status, response.headers, response.read()
            except urllib.error.HTTPError as error:
                return error.code, error.headers, error.read()

        return await asyncio.to_thread(call)

    async def upload(self, person: User, room_id: int, name: str, data: bytes) -> tuple[int, Any]:
        status, _, content = await self._raw(
            person,
            "POST",
            f"/api/rooms/{room_id}/files/?name={urllib.parse.quote(name)}",
            data,
            "application/octet-stream",
        )
        return status, json.loads(content)

    async def fetch(self, person: User, path: str) -> dict[str, Any]:
        status, headers, body = await self._raw(person, "GET", path, None, "application/json")
        return served(status, headers, body)

    async def relay(self) -> None:
        def state() -> tuple[bool, int, list[str]]:
            entries = OutboxEntry.objects.all()
            return (
                entries.filter(status=OutboxEntry.Status.PENDING).exists(),
                entries.filter(status=OutboxEntry.Status.DONE).count(),
                _dead_letters(),
            )

        loop = asyncio.get_running_loop()
        deadline = loop.time() + 15
        while True:
            waiting, done, dead = await sync_to_async(state)()
            assert not dead, f"the bridge failed: {dead}"
            if not waiting:
                break
            assert loop.time() < deadline, "the bridge worker did not drain the outbox"
            await asyncio.sleep(0.05)
        if done != self.relayed:
            # The worker publishes the copies' events right after the commit
            # that marked the entry done; give that publish its moment.
            self.relayed = done
            await asyncio.sleep(0.1)


# --- sockets: A's are driven, B's are recorded --------------------------------------------

ROOM_STREAM_TYPES = ROOM_EVENT_TYPES | {
    "subscribed",
    "resync",
    "unsubscribed",
    "room.removed",
    "typing",
    "presence",
    "unread",
    "thread.unread",
}


class Peer:
    """One socket of one person. B's peers keep every frame they receive until the next settle."""

    def __init__(self, name: str, person: User, wire: Wire, hello: dict[str, Any], recorded: bool):
        self.name = name
        self.person = person
        self.wire = wire
        self.recorded = recorded
        self.pending: list[dict[str, Any]] = [hello] if recorded else []
        self.rooms: list[int] = []  # subscription order
        self.refs = itertools.count(1)
        self.heads: dict[int, int] = {}  # room -> last room event seq seen

    async def recv(self) -> dict[str, Any]:
        frame = await self.wire.recv(10)
        kind = frame.get("type")
        if kind == FENCE or (kind == "pong" and str(frame.get("ref", "")).startswith("fence-")):
            return frame  # the harness's own, never part of the recording
        if kind in ROOM_STREAM_TYPES and "seq" in frame:
            self.heads[frame["room"]] = max(self.heads.get(frame["room"], 0), frame["seq"])
        if self.recorded:
            self.pending.append(frame)
        return frame

    async def request(self, frame: dict[str, Any], *, error: str | None = None) -> dict[str, Any]:
        """Send a frame with a ref and return its reply (``ack``, ``ok``, ``subscribed``).

        With ``error``, the reply must be an ``error`` frame with that code.
        """
        # Refs count per person, so B's own refs do not depend on what A did.
        ref = f"{self.name}-{next(self.refs)}"
        await self.wire.send({**frame, "ref": ref})
        while True:
            reply = await self.recv()
            if reply.get("ref") == ref:
                if error is None:
                    assert reply["type"] != "error", (self.name, frame, reply)
                else:
                    assert (reply["type"], reply.get("code")) == ("error", error), reply
                return reply

    async def fence(self, publish: bool) -> None:
        """Return once every frame sent to this socket before now has arrived.

        The ping covers the socket's own replies (frames are handled in
        order, so its pong comes after everything sent before it was
        handled, and committed). Only then is the fence frame published to
        the person's group: it follows every event those frames published,
        on the same path, and covers the events of the step's other actions.
        Publishing it before the pong raced a frame still being handled (a
        ``read`` whose ``unread`` came after the fence).
        """
        token = uuid.uuid4().hex
        await self.wire.send({"type": "ping", "ref": f"fence-{token}"})
        await self._until(lambda f: f.get("type") == "pong" and f.get("ref") == f"fence-{token}")
        if publish:
            await sync_to_async(hub_publish.send)(
                hub_publish.deliver_message(
                    hub_publish.user_group(self.person.pk), {"type": FENCE, "token": token}
                )
            )
            await self._until(lambda f: f.get("type") == FENCE and f.get("token") == token)

    async def _until(self, found: Callable[[dict[str, Any]], bool]) -> None:
        while not found(await self.recv()):
            pass

    def take(self) -> list[dict[str, Any]]:
        """This step's frames as streams: the socket's replies, the person's frames, then
        each room's in subscription order.

        Within a stream the order is content. Between streams it is scheduling:
        rooms are independent, and a reply (``ok``, ``ack``) goes straight down
        the socket while what the same action published for the person
        (``notifications.updated``) comes back through the channel layer after
        the commit, so either may arrive first.
        """
        streams: dict[tuple[int, int, str, int | None], list[dict[str, Any]]] = {}
        for frame in self.pending:
            streams.setdefault(self._stream(frame), []).append(frame)
        self.pending = []
        return [
            {"stream": name, "room": room, "frames": frames}
            for (_, _, name, room), frames in sorted(streams.items(), key=lambda kv: kv[0][:2])
        ]

    def _stream(self, frame: dict[str, Any]) -> tuple[int, int, str, int | None]:
        """Where the frame sorts (rank, position), and the stream's name and room."""
        if frame.get("type") in ROOM_STREAM_TYPES:
            room = frame.get("room")
            if room in self.rooms:
                return (2, self.rooms.index(room), "room", room)
            return (3, 0, "unsubscribed room", room)  # a leak: keep it visible
        if "ref" in frame:
            return (0, 0, "replies", None)
        return (1, 0, "person", None)


# --- one twin's run -------------------------------------------------------------------------


@dataclass
class Run:
    """One twin: a world, its sockets, and what B received, step by step."""

    world: World
    transport: Transport
    internal: bool
    search_words: list[str] = field(default_factory=list)
    peers: dict[str, Peer] = field(default_factory=dict)
    recording: list[dict[str, Any]] = field(default_factory=list)
    mail_seen: int = 0

    # --- sockets

    def _name(self, person: User) -> str:
        return person.email.split("@")[0]

    def _is_b(self, person: User) -> bool:
        return person.organization_id == self.world.b_org.pk

    async def connect(self, person: User, name: str | None = None) -> Peer:
        """Open a socket (``name`` distinguishes a person's second tab)."""
        wire, hello = await self.transport.open(person)
        peer = Peer(name or self._name(person), person, wire, hello, recorded=self._is_b(person))
        self.peers[peer.name] = peer
        return peer

    async def disconnect(self, name: str) -> None:
        await self.peers.pop(name).wire.close()

    def peer(self, person: User) -> Peer:
        return self.peers[self._name(person)]

    @property
    def recorders(self) -> list[Peer]:
        return [p for p in self.peers.values() if p.recorded]

    async def start(self) -> None:
        """A's people (not the internal-only one) and B's people come online; B subscribes."""
        w = self.world
        self.mail_seen = len(getattr(mail, "outbox", []))
        for person in (w.anna, w.ben, w.carla, w.dev):
            await self.connect(person)
        await self.settle("A and B connect, B subscribes to every room it is in")

    async def finish(self) -> None:
        await self.settle("the end", checkpoint=True)

    async def close(self) -> None:
        for name in list(self.peers):
            await self.disconnect(name)

    async def subscribe(self, person: User, room: Room | int, **extra: Any) -> dict[str, Any]:
        peer = self.peer(person)
        room_id = room if isinstance(room, int) else room.pk
        reply = await peer.request({"type": "subscribe", "room": room_id, **extra})
        if room_id not in peer.rooms:
            peer.rooms.append(room_id)
        return reply

    # --- actions over the public protocol

    async def say(
        self,
        person: User,
        room: Room | int,
        body: str,
        *,
        thread: int | None = None,
        files: list[str] | None = None,
    ) -> dict[str, Any]:
        """``message.send`` with a client id like the web app's (``crypto.randomUUID()``)."""
        frame: dict[str, Any] = {
            "type": "message.send",
            "room": room if isinstance(room, int) else room.pk,
            "client_id": str(uuid.uuid4()),
            "body": body,
        }
        if thread is not None:
            frame["thread"] = thread
        if files:
            frame["files"] = files
        return await self.peer(person).request(frame)

    async def upload(self, person: User, room: Room | int, name: str, data: bytes) -> Any:
        """Upload a file to send in ``room``; its ``FileData``."""
        room_id = room if isinstance(room, int) else room.pk
        status, body = await self.transport.upload(person, room_id, name, data)
        assert status == 201, (name, status, body)
        return body

    async def send(
        self, person: User, frame: dict[str, Any], *, error: str | None = None
    ) -> dict[str, Any]:
        return await self.peer(person).request(frame, error=error)

    async def typing(self, person: User, room: Room | int, thread: int | None = None) -> None:
        """A typing notice (no reply; the throttle allows one per room and thread per 2 s)."""
        room_id = room if isinstance(room, int) else room.pk
        await self.peer(person).wire.send({"type": "typing", "room": room_id, "thread": thread})

    async def http(
        self, person: User, method: str, path: str, body: Any = None, *, expect: int = 200
    ) -> Any:
        status, data = await self.transport.http(person, method, path, body)
        assert status == expect, (method, path, status, data)
        return data

    async def clock(self, escalation_id: int, minutes_late: int) -> None:
        """The worker's escalation clock, run at a fixed time past the escalation's target."""
        import datetime

        from rooms.models import Escalation

        def tick() -> None:
            due = Escalation.objects.get(pk=escalation_id).ack_due_at
            run_escalation_clock(now=due + datetime.timedelta(minutes=minutes_late, seconds=30))

        await sync_to_async(tick)()

    # --- quiescence and recording

    async def settle(self, label: str, *, checkpoint: bool = False) -> None:
        """Wait until the step's effects have all arrived, then record what B received."""
        await self.transport.relay()
        # Presence is announced once per tick (presence.announce); the twins
        # run with a tick too long to fire, so each step's changes are
        # announced here, together, in both twins alike.
        await PresenceKeeper.flush_all()
        for peer in self.peers.values():
            await peer.fence(publish=peer.recorded)
        for peer in self.recorders:
            new = [r for r in await sync_to_async(rooms_of)(peer.person) if r not in peer.rooms]
            for room_id in new:
                await self.subscribe(peer.person, room_id)
            if new:
                await peer.fence(publish=True)
        entry: dict[str, Any] = {
            "step": label,
            "frames": {peer.name: peer.take() for peer in self.recorders},
        }
        if self.transport.records_mail:
            entry["mail"] = self._take_mail()
        if checkpoint:
            entry["http"] = {p.name: await self.capture_http(p.person) for p in self.recorders}
        self.recording.append(entry)

    def _take_mail(self) -> list[dict[str, Any]]:
        outbox = getattr(mail, "outbox", [])
        new, self.mail_seen = outbox[self.mail_seen :], len(outbox)
        b_domains = set(self.world.b_org.verified_domains)

        def to_b(message: Any) -> bool:
            recipients = [*message.to, *message.cc, *message.bcc]
            return any(address.rsplit("@", 1)[-1] in b_domains for address in recipients)

        return [
            {
                "to": sorted([*m.to, *m.cc, *m.bcc]),
                "subject": m.subject,
                "body": m.body,
            }
            for m in new
            if to_b(m)
        ]

    async def capture_http(self, person: User) -> list[dict[str, Any]]:
        """Everything ``person`` can GET about their rooms, work, notifications and searches."""
        got: list[dict[str, Any]] = []

        # Everything asked for is B's own to see: anything but a 200 (a
        # redirect to sign-in, say) would make both twins equal and the check empty.
        async def get(request: str, path: str, **ids: Any) -> Any:
            status, body = await self.transport.http(person, "GET", path)
            assert status == 200, (person.email, path, status, body)
            got.append({"request": request, **ids, "status": status, "body": body})
            return body

        async def page(request: str, path: str, **ids: Any) -> None:
            status, text = await self.transport.http(person, "GET", path)
            boot, rest = split_page(text)
            assert status == 200 and boot is not None, (person.email, path, status)
            got.append({"request": request, **ids, "status": status, "boot": boot, "page": rest})

        rooms = (await get("/api/rooms/", "/api/rooms/"))["rooms"]
        await page("/", "/")
        for room in rooms:
            rid = room["id"]
            base = f"/api/rooms/{rid}"
            history = await get("messages", f"{base}/messages/?limit=200", room=rid)
            for message in history["messages"]:
                await get(
                    "permalink",
                    f"{base}/messages/{message['id']}/",
                    room=rid,
                    message=message["id"],
                )
                if message["reply_count"] or message["kind"] == "workitem":
                    await get(
                        "thread", f"{base}/threads/{message['id']}/", room=rid, root=message["id"]
                    )
            await get("members", f"{base}/members/", room=rid)
            listed = await get("files", f"{base}/files/", room=rid)
            for entry in listed["files"]:
                for url in (entry["file"]["url"], entry["file"]["thumbnail"]):
                    if url:
                        got.append(
                            {
                                "request": "file",
                                "url": url,
                                **await self.transport.fetch(person, url),
                            }
                        )
            board = await get("board", f"{base}/workitems/", room=rid)
            for column in board["columns"].values():
                for item in column:
                    await get(
                        "work item", f"{base}/workitems/{item['id']}/", room=rid, item=item["id"]
                    )
            await page("room page", f"/rooms/{rid}/", room=rid)
            if person.is_org_admin:
                # B's own exports of the room: A's export of it must not show.
                await get("exports", f"{base}/exports/", room=rid)
        for path in (
            "/api/workitems/mine/",
            "/api/notifications/",
            "/api/mirrors/",
            "/api/invitations/",
            "/api/partnerships/",
        ):
            await get(path, path)
        # Each person B may know of, by their card: its rooms must not depend on A's internals.
        for someone in (await get("/api/people/", "/api/people/"))["people"]:
            await get("card", f"/api/people/{someone['id']}/", person=someone["id"])
        for word in self.search_words:
            await get("search", f"/api/search/?q={urllib.parse.quote(word)}", q=word)
        # B's own audit log, as its admin reads and exports it: nothing A does internally may
        # show in it (each export is itself an entry, alike in both twins).
        if person.is_org_admin:
            log = await get("audit log", "/api/organization/audit/?limit=200")
            assert log["next_before"] is None, "B's audit log outgrew one page"
            status, rows = await self.transport.http(
                person, "GET", "/api/organization/audit/export/?format=jsonl"
            )
            assert status == 200, (person.email, status, rows)
            got.append({"request": "audit export", "status": status, "entries": rows})
            # B's own settings: A's internal activity may change none of them.
            for path in (
                "/api/organization/",
                "/api/organization/retention/",
                "/api/organization/holds/",
                "/api/organization/identity-provider/",
                "/api/organization/file-policy/",
                "/api/organization/connectors/",
            ):
                await get(path, path)
            await page("organization page", "/organization/")
        else:
            for path in (
                "/api/organization/audit/",
                "/api/organization/",
                "/api/organization/connectors/",
            ):
                status, body = await self.transport.http(person, "GET", path)
                got.append({"request": path, "status": status, "body": body})
        return got


_BOOT = re.compile(r'<script id="boot" type="application/json">(.*?)</script>', re.S)
_CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')


def split_page(text: Any) -> tuple[Any, Any]:
    """An HTML page's boot data (parsed) and the rest of its text, minus the CSRF token."""
    if not isinstance(text, str):
        return None, text
    found = _BOOT.search(text)
    boot = json.loads(html.unescape(found.group(1))) if found else None
    rest = _CSRF.sub(r"\1<csrf>\2", _BOOT.sub("", text))
    return boot, rest


async def twins(
    transport: Transport,
    scenario: Callable[[Run], Awaitable[None]],
    *,
    name: str,
    search_words: list[str] | None = None,
) -> dict[bool, list[dict[str, Any]]]:
    """Run ``scenario`` in two fresh worlds, with and without A's internal activity."""
    recordings: dict[bool, list[dict[str, Any]]] = {}
    for internal in (True, False):
        world = await sync_to_async(build_world)()
        transport.use(world)
        run = Run(world, transport, internal, search_words=list(search_words or []))
        try:
            await run.start()
            await scenario(run)
            await run.finish()
        finally:
            await run.close()
        recordings[internal] = normalize(run.recording, world.tag)
    return recordings


# --- normalization ---------------------------------------------------------------------------

_UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
_HEX32 = re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])")
_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:[+-]\d{2}:?\d{2}|Z)?"
)
_ROOM_URL = re.compile(r"/rooms/(\d+)/")
_FILE_URL = re.compile(r"/api/files/([A-Za-z0-9_-]{20,})/")
_INVITATION_URL = re.compile(r"/invitations/[A-Za-z0-9_-]{20,}/")
_MIRROR_COPY = re.compile(r"mirror-(\d+)-(\d+)")
_MIRROR_NOTICE = re.compile(r"mirror-(\d+)-event-(\d+)")
# In the HTML pages: data attributes that carry ids.
_PAGE_IDS = re.compile(r'data-(room|mentions|unread|partnership|accept|decline|end)="(\d+)"')
_PAGE_KIND = {"room": "room", "mentions": "room", "unread": "room"}

# Keys whose integer value (or list of integers) is an id of one kind.
ID_KEYS = {
    "room": "room",
    "room_id": "room",
    "work_item_room": "room",
    "target_room": "room",
    "source_room": "room",
    "thread": "message",
    "root": "message",
    "root_copy": "message",
    "source_message": "message",
    "from_message": "message",
    "message": "message",  # an int in a mirror's provenance; a dict elsewhere
    "anchor": "message",
    "user": "person",
    "person": "person",
    "assignee": "person",  # an int in a work item's `changes`
    "people": "person",
    "mentions": "person",  # a list of person ids in a message; a count in the room list
    "work_item": "workitem",
    "item": "workitem",
    "mirror": "mirror",
    # notifications.updated: lists of notification ids (``read`` is a boolean elsewhere).
    "read": "notification",
    "removed": "notification",
    # In the audit log: its page cursor, and what its entries' data names.
    "next_before": "audit",
    "author": "person",
    "rooms": "room",
    "invited_to": "org",
    "supplier": "org",
    "client": "org",
}
# What the `id` of an object is, by the key that holds the object.
ID_OF = {
    **dict.fromkeys(
        (
            "author",
            "member",
            "person",
            "by",
            "assignee",
            "created_by",
            "raised_by",
            "acknowledged_by",
            "resolved_by",
            "me",
        ),
        "person",
    ),
    "people": "person",
    **dict.fromkeys(("org", "raised_by_org", "partner", "supplier", "client"), "org"),
    **dict.fromkeys(("message", "messages", "results"), "message"),
    **dict.fromkeys(
        ("item", "items", "raised", "open", "in_progress", "blocked", "done", "cancelled"),
        "workitem",
    ),
    "escalation": "escalation",
    "rooms": "room",
    "room": "room",
    "mirrors": "mirror",
    "notifications": "notification",
    "invitations": "invitation",
    "partnerships": "partnership",
    "entries": "audit",
    "actor": "person",
}
# The `id` of a frame itself, by its type (`ok` by its op).
FRAME_ID = {
    "ack": "message",
    "message.deleted": "message",
    "notification": "notification",
    "ok:message.edit": "message",
    "ok:message.delete": "message",
    "ok:reaction.add": "message",
    "ok:reaction.remove": "message",
    "ok:workitem.create": "workitem",
    "ok:workitem.update": "workitem",
}


class Ids:
    """Each (kind, id) becomes ``<kind:n>``, n counting first appearances of that kind."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, int | str], str] = {}
        self.counts: dict[str, int] = {}

    def __call__(self, kind: str, value: int | str) -> str:
        # File ids are random strings; every other id is a number.
        key = (kind, int(value) if _is_int(value) or str(value).isdigit() else str(value))
        if key not in self.seen:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            self.seen[key] = f"<{kind}:{self.counts[kind]}>"
        return self.seen[key]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def normalize(recording: Any, tag: str) -> Any:
    """The recording with ids, timestamps, client id values and the world's tag made comparable."""
    ids = Ids()

    def text(value: str, key: str | None) -> str:
        value = value.replace(tag, "<world>")
        if key in ("client_id", "ref"):
            if _UUID4.fullmatch(value):
                return "<uuid4>"
            value = _MIRROR_NOTICE.sub(
                lambda m: f"mirror-{ids('mirror', m[1])}-event-{ids('event', m[2])}", value
            )
            value = _MIRROR_COPY.sub(
                lambda m: f"mirror-{ids('mirror', m[1])}-{ids('message', m[2])}", value
            )
            return _HEX32.sub("<hex32>", value)
        value = _TIME.sub("<time>", value)
        value = _ROOM_URL.sub(lambda m: f"/rooms/{ids('room', m[1])}/", value)
        value = _FILE_URL.sub(lambda m: f"/api/files/{ids('file', m[1])}/", value)
        value = _INVITATION_URL.sub("/invitations/<token>/", value)
        if key == "page":
            value = _PAGE_IDS.sub(
                lambda m: f'data-{m[1]}="{ids(_PAGE_KIND.get(m[1], "partnership"), m[2])}"', value
            )
        return value

    def walk(value: Any, key: str | None) -> Any:
        """``value``, found under ``key`` (a list passes its key on to its items)."""
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            # Sorted keys: a frame replayed from the database has its keys in
            # another order than the live one, and first appearance must not
            # depend on that. "members" sorts before "presence", so a presence
            # map's person ids are already numbered by the member list.
            for k in sorted(value, key=str):
                v = value[k]
                if key in ("presence", "people") and str(k).isdigit():
                    out[ids("person", k)] = walk(v, None)
                elif k == "id" and _is_int(v):
                    kind = _id_kind(key, value)
                    out[k] = ids(kind, v) if kind else v
                elif k == "id" and key in ("files", "file") and isinstance(v, str):
                    out[k] = ids("file", v)
                else:
                    out[k] = walk(v, k)
            return out
        if isinstance(value, list):
            if key == "mentions":
                # Person ids (a count in the room list), sorted by raw id on
                # the server: a set, whose order says nothing once ids are
                # numbered by appearance (or random).
                return sorted(ids("person", v) if _is_int(v) else v for v in value)
            return [walk(v, key) for v in value]
        if isinstance(value, str):
            return text(value, key)
        if _is_int(value) and key in ID_KEYS and key != "mentions":
            return ids(ID_KEYS[key], value)
        return value

    return walk(recording, None)


def _id_kind(holder: str | None, obj: dict[str, Any]) -> str | None:
    """The kind of ``obj["id"]``: by the frame's type, or by the key that holds ``obj``."""
    if isinstance(obj.get("type"), str):
        kind = obj["type"]
        if kind == "ok":
            kind = f"ok:{obj.get('op')}"
        return FRAME_ID.get(kind, f"id of {kind}")
    if holder in ID_OF:
        return ID_OF[holder]
    # An id under a key this module does not know: compared by value (see the docstring).
    return None


# --- comparison ------------------------------------------------------------------------------


def _first_difference(a: Any, b: Any, path: str = "") -> tuple[str, Any, Any] | None:
    if type(a) is not type(b):
        return path, a, b
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b), key=str):
            if k not in a or k not in b:
                return f"{path}.{k}", a.get(k, "<missing>"), b.get(k, "<missing>")
            found = _first_difference(a[k], b[k], f"{path}.{k}")
            if found:
                return found
        return None
    if isinstance(a, list):
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            found = _first_difference(x, y, f"{path}[{i}]")
            if found:
                return found
        if len(a) != len(b):
            return f"{path}[{min(len(a), len(b))}:]", a[len(b) :], b[len(a) :]
        return None
    return None if a == b else (path, a, b)


def _enclosing_frames(step: Any, path: str) -> Any:
    """The frame (or HTTP entry) that ``path`` points into, for the message."""
    match = re.match(r"\.(frames|http)\.([\w-]+)\[(\d+)\](?:\.frames\[(\d+)\])?", path)
    if not match:
        return None
    part, who, i, j = match.groups()
    try:
        found = step[part][who][int(i)]
        return found["frames"][int(j)] if j is not None else found
    except (KeyError, IndexError, TypeError):
        return None


def _dump(value: Any) -> str:
    return json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False)


def assert_partner_sees_the_same(name: str, recordings: dict[bool, list[dict[str, Any]]]) -> None:
    """Fail, readably, where what B received differs between the two twins."""
    __tracebackhide__ = True
    internal, plain = recordings[True], recordings[False]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for twin, recording in (("internal", internal), ("plain", plain)):
        (ARTIFACTS / f"{name}.{twin}.json").write_text(_dump(recording))
    if internal == plain:
        return
    lines = [f"B can tell A's internal activity apart in {name!r}:"]
    for i, (a, b) in enumerate(zip(internal, plain, strict=False)):
        if a == b:
            continue
        found = _first_difference(a, b)
        assert found is not None
        path, x, y = found
        lines.append(f"step {i}, {a.get('step')!r}: first difference at {path}")
        lines.append(f"  with internal activity: {json.dumps(x, ensure_ascii=False)[:600]}")
        lines.append(f"  without:                {json.dumps(y, ensure_ascii=False)[:600]}")
        for twin, step in (("with", a), ("without", b)):
            enclosing = _enclosing_frames(step, path)
            if enclosing is not None:
                shown = json.dumps(enclosing, ensure_ascii=False, sort_keys=True)
                lines.append(f"  in the frame {twin}: {shown[:1200]}")
        diff = difflib.unified_diff(
            _dump(b).splitlines(),
            _dump(a).splitlines(),
            "without",
            "with internal",
            n=2,
            lineterm="",
        )
        lines.extend(list(diff)[:80])
        break
    else:
        lines.append(f"the recordings have {len(internal)} and {len(plain)} steps")
    lines.append(f"full recordings: {ARTIFACTS}/{name}.{{internal,plain}}.json")
    raise AssertionError("\n".join(lines))
