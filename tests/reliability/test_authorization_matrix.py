"""Who may do what: every role against every resource, over HTTP and the socket.

One table (``MATRIX``) states the answer of each cell, and one parametrized
test checks it. The answers:

- ``OK``: allowed, and the reply shows it worked.
- ``HIDDEN``: the role may not know the object exists, so the answer is
  byte-for-byte the answer for an id that exists nowhere: HTTP 404 with the
  same JSON body, or the same ``error`` frame (code ``not_found``, same
  ``detail``, same ``ref``). For lists and search, "hidden" means the object
  is not in the answer.
- ``FORBIDDEN``: the role can see the object but may not do this (403 JSON
  ``forbidden``, or an ``error`` frame with code ``forbidden``).
- ``SIGNED_OUT``: HTTP 401 ``unauthenticated``; the socket handshake is refused.
- ``GONE`` (410), ``LOGIN`` (the admin's redirect to its login page),
  ``NO_ACCOUNT`` (the sign-in form refuses the e-mail; no account exists).
- ``NOT_FOUND``: exactly the 404 of nothing, whatever the id (a bot's token on a
  route outside its few, rooms.api.bearer).

A bot of the supplier (``supplier_bot``: a token scoped to the supplier's
internal room, sent as ``Authorization: Bearer`` on HTTP and at the socket's
handshake) has its own list of cells (``SUPPLIER_BOT``).

The world is built once per module and committed, because sockets read the
database from other threads. Tests here are not wrapped in a transaction;
the module flushes the database when it is done, like a transactional test.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone

from hub.models import IdentityProvider, Partnership, User
from rooms.actions.bots import check_create_bot_token, check_create_incoming_webhook
from rooms.actions.exports import check_request_room_export
from rooms.actions.invitations import do_create_invitation
from rooms.actions.members import check_remove_member, do_add_member
from rooms.actions.messages import do_send_message
from rooms.actions.people import do_deactivate_person, do_set_avatar, prepare_avatar, store_avatar
from rooms.actions.workitems import do_create_work_item
from rooms.bridge.mirrors import check_create_mirror, do_create_mirror
from rooms.connectors.actions import do_create_connector
from rooms.connectors.matrix.actions import do_create_matrix_bridge
from rooms.models.connectors import Connector, ConnectorDeadLetter
from rooms.models.files import FilePolicy, Upload
from rooms.models.invitations import Invitation
from rooms.models.matrix import MatrixBridge, MatrixLink
from rooms.models.messages import Message
from rooms.models.retention import LegalHold, RetentionPolicy
from rooms.models.rooms import Membership, Room
from tests.conftest import (
    PDF_BYTES,
    Team,
    make_internal_room,
    make_org,
    make_person,
    make_shared_room,
    make_upload,
    png_bytes,
    send_files,
    session_cookie,
    socket_headers,
)
from tests.reliability.committed import committed, db  # noqa: F401

# Every test runs on the committed world, with no transaction around it.
pytestmark = pytest.mark.usefixtures("db")

MISSING = 2**62  # a well-formed id that no row has
NOT_FOUND_BODY = b'{"error": {"code": "not_found", "detail": "Not found."}}'
UNAUTHENTICATED_BODY = b'{"error": {"code": "unauthenticated", "detail": "Sign in first."}}'
REPLIES = {"error", "subscribed", "unsubscribed", "ack", "ok", "pong"}

OK = "allowed"
HIDDEN = "hidden"
FORBIDDEN = "forbidden"
SIGNED_OUT = "signed out"
GONE = 410
LOGIN = "login"
NO_ACCOUNT = "no account"
NOT_FOUND = "not found"

HTTP = "http"
WS = "ws"

ROLES = (
    "anonymous",
    "supplier_member",
    "supplier_admin",
    "client_member",
    "client_admin",
    "outsider",  # a member of an unrelated organization
    "removed",  # a client person removed from the shared room (still in the client's room)
    "deactivated",  # a client person whose account was deactivated (holds an old session)
)

# Short names keep the table one row per line.
OK_, HID, FBD, SO, LGN, GON = OK, HIDDEN, FORBIDDEN, SIGNED_OUT, LOGIN, GONE

# fmt: off
MATRIX: list[tuple[str, str, tuple[Any, ...]]] = [
    # resource                       transport anon  s_mem s_adm c_mem c_adm outsd remvd deact
    ("shared.subscribe",                WS,   (SO,   OK_,  OK_,  OK_,  OK_,  HID,  HID,  SO)),
    ("shared.history",                  HTTP, (SO,   OK_,  OK_,  OK_,  OK_,  HID,  HID,  SO)),
    ("shared.send",                     WS,   (SO,   OK_,  OK_,  OK_,  OK_,  HID,  HID,  SO)),
    # A message by client_member: only its author edits it.
    ("shared.edit",                     WS,   (SO,   FBD,  FBD,  OK_,  FBD,  HID,  HID,  SO)),
    # Only the author and the author's own org admin delete: never the other
    # side, not even the room's owner (supplier_admin).
    ("shared.delete",                   WS,   (SO,   FBD,  FBD,  OK_,  OK_,  HID,  HID,  SO)),
    ("shared.workitems.list",           HTTP, (SO,   OK_,  OK_,  OK_,  OK_,  HID,  HID,  SO)),
    ("shared.workitems.create",         HTTP, (SO,   OK_,  OK_,  OK_,  OK_,  HID,  HID,  SO)),
    ("shared.workitems.create",         WS,   (SO,   OK_,  OK_,  OK_,  OK_,  HID,  HID,  SO)),
    ("shared.escalate",                 HTTP, (SO,   OK_,  OK_,  OK_,  OK_,  HID,  HID,  SO)),
    ("shared.members",                  HTTP, (SO,   OK_,  OK_,  OK_,  OK_,  HID,  HID,  SO)),
    ("shared.search",                   HTTP, (SO,   OK_,  OK_,  OK_,  OK_,  HID,  HID,  SO)),
    ("supplier_internal.subscribe",     WS,   (SO,   OK_,  OK_,  HID,  HID,  HID,  HID,  SO)),
    ("supplier_internal.history",       HTTP, (SO,   OK_,  OK_,  HID,  HID,  HID,  HID,  SO)),
    # A permalink: the same check as the room's history.
    ("shared.permalink",                HTTP, (SO,   OK_,  OK_,  OK_,  OK_,  HID,  HID,  SO)),
    ("supplier_internal.permalink",     HTTP, (SO,   OK_,  OK_,  HID,  HID,  HID,  HID,  SO)),
    ("client_internal.permalink",       HTTP, (SO,   HID,  HID,  OK_,  OK_,  HID,  OK_,  SO)),
    ("supplier_internal.send",          WS,   (SO,   OK_,  OK_,  HID,  HID,  HID,  HID,  SO)),
    ("client_internal.subscribe",       WS,   (SO,   HID,  HID,  OK_,  OK_,  HID,  OK_,  SO)),
    ("client_internal.history",         HTTP, (SO,   HID,  HID,  OK_,  OK_,  HID,  OK_,  SO)),
    ("client_internal.send",            WS,   (SO,   HID,  HID,  OK_,  OK_,  HID,  OK_,  SO)),
    # Files: fetched on the same check as the messages that show them.
    ("shared.file",                     HTTP, (SO,   OK_,  OK_,  OK_,  OK_,  HID,  HID,  SO)),
    ("supplier_internal.file",          HTTP, (SO,   OK_,  OK_,  HID,  HID,  HID,  HID,  SO)),
    ("client_internal.file",            HTTP, (SO,   HID,  HID,  OK_,  OK_,  HID,  OK_,  SO)),
    ("shared.files.list",               HTTP, (SO,   OK_,  OK_,  OK_,  OK_,  HID,  HID,  SO)),
    ("supplier_internal.files.list",    HTTP, (SO,   OK_,  OK_,  HID,  HID,  HID,  HID,  SO)),
    ("shared.files.upload",             HTTP, (SO,   OK_,  OK_,  OK_,  OK_,  HID,  HID,  SO)),
    ("client_internal.files.upload",    HTTP, (SO,   HID,  HID,  OK_,  OK_,  HID,  OK_,  SO)),
    # A message with the sender's own upload (others': not found, as for a missing one).
    ("shared.send_file",                WS,   (SO,   OK_,  OK_,  OK_,  OK_,  HID,  HID,  SO)),
    # An organization's own admins set its file policy; it governs only its own people.
    ("file_policy.change",              HTTP, (SO,   FBD,  OK_,  FBD,  OK_,  FBD,  FBD,  SO)),
    # The own organization's settings page data: its admins only; to anyone else nothing.
    ("organization.settings",           HTTP, (SO,   HID,  OK_,  HID,  OK_,  HID,  HID,  SO)),
    # The rest of the settings and the audit log: read by its admins only (to anyone
    # else they do not exist); changed by its admins (a colleague is refused).
    ("organization.audit_log",          HTTP, (SO,   HID,  OK_,  HID,  OK_,  HID,  HID,  SO)),
    ("organization.audit_export",       HTTP, (SO,   HID,  OK_,  HID,  OK_,  HID,  HID,  SO)),
    ("organization.retention",          HTTP, (SO,   HID,  OK_,  HID,  OK_,  HID,  HID,  SO)),
    ("organization.retention.change",   HTTP, (SO,   FBD,  OK_,  FBD,  OK_,  FBD,  FBD,  SO)),
    ("organization.holds.place",        HTTP, (SO,   FBD,  OK_,  FBD,  OK_,  FBD,  FBD,  SO)),
    ("organization.sso",                HTTP, (SO,   HID,  OK_,  HID,  OK_,  HID,  HID,  SO)),
    ("organization.sso.change",         HTTP, (SO,   FBD,  OK_,  FBD,  OK_,  FBD,  FBD,  SO)),
    # Connectors (outgoing webhooks): read by the organization's admins only; made on
    # an internal room of their own that they are in; a shared room or the other
    # side's internal room is a room that does not exist. The supplier's connector:
    # its admins change it, a colleague is refused, to anyone else it is not there.
    ("organization.connectors",         HTTP, (SO,   HID,  OK_,  HID,  OK_,  HID,  HID,  SO)),
    ("organization.connectors.create",  HTTP, (SO,   FBD,  OK_,  FBD,  OK_,  FBD,  FBD,  SO)),
    ("connectors.create_on_supplier_internal", HTTP, (SO, FBD, OK_, FBD, HID, FBD, FBD, SO)),
    ("connectors.create_on_shared",     HTTP, (SO,   FBD,  HID,  FBD,  HID,  FBD,  FBD,  SO)),
    ("supplier_connector.read",         HTTP, (SO,   HID,  OK_,  HID,  HID,  HID,  HID,  SO)),
    ("supplier_connector.pause",        HTTP, (SO,   FBD,  OK_,  FBD,  HID,  FBD,  FBD,  SO)),
    ("supplier_connector.remove",       HTTP, (SO,   FBD,  OK_,  FBD,  HID,  FBD,  FBD,  SO)),
    ("supplier_connector.retry",        HTTP, (SO,   FBD,  OK_,  FBD,  HID,  FBD,  FBD,  SO)),
    ("supplier_connector.discard",      HTTP, (SO,   FBD,  OK_,  FBD,  HID,  FBD,  FBD,  SO)),
    # The Matrix bridge: a connector like the others (made on an internal room of the
    # admin's own; the other side's rooms are not there); its settings, registration
    # file (two secrets) and links: the supplier's admins only.
    ("matrix.create",                   HTTP, (SO,   FBD,  OK_,  FBD,  OK_,  FBD,  FBD,  SO)),
    ("matrix.create_on_supplier_internal", HTTP, (SO, FBD, OK_,  FBD,  HID,  FBD,  FBD,  SO)),
    ("matrix.create_on_shared",         HTTP, (SO,   FBD,  HID,  FBD,  HID,  FBD,  FBD,  SO)),
    ("supplier_matrix.read",            HTTP, (SO,   HID,  OK_,  HID,  HID,  HID,  HID,  SO)),
    ("supplier_matrix.registration",    HTTP, (SO,   HID,  OK_,  HID,  HID,  HID,  HID,  SO)),
    ("supplier_matrix.link",            HTTP, (SO,   FBD,  OK_,  FBD,  HID,  FBD,  FBD,  SO)),
    # client_member made a member (again): her own organization's admins; a colleague
    # who is not one is refused; to anyone else she is not there to change.
    ("client_member.role",              HTTP, (SO,   HID,  HID,  FBD,  OK_,  HID,  FBD,  SO)),
    # The supplier's mirror of a shared thread into its internal room.
    ("mirrors.list",                    HTTP, (SO,   OK_,  OK_,  HID,  HID,  HID,  HID,  SO)),
    # A shared thread into the role's own organization's internal room.
    ("mirrors.create",                  HTTP, (SO,   OK_,  OK_,  OK_,  OK_,  HID,  HID,  SO)),
    # A shared thread into the supplier's internal room: never the client's to use.
    ("mirrors.create_into_supplier",    HTTP, (SO,   OK_,  OK_,  HID,  HID,  HID,  HID,  SO)),
    ("mirrors.stop",                    HTTP, (SO,   OK_,  OK_,  HID,  HID,  HID,  HID,  SO)),
    ("mirrors.share_back",              HTTP, (SO,   OK_,  OK_,  HID,  HID,  HID,  HID,  SO)),
    # Into the shared room, for an e-mail on the supplier's verified domain.
    ("invitations.create",              HTTP, (SO,   OK_,  OK_,  OK_,  OK_,  HID,  HID,  SO)),
    # Sent by supplier_member into the supplier: the inviter and the supplier's admin see it.
    ("invitations.list",                HTTP, (SO,   OK_,  OK_,  HID,  HID,  HID,  HID,  SO)),
    ("invitations.revoke",              HTTP, (SO,   OK_,  OK_,  HID,  HID,  HID,  HID,  SO)),
    # Sent by supplier_admin: not in supplier_member's list, so not theirs to know of.
    ("invitations.revoke_admins",       HTTP, (SO,   HID,  OK_,  HID,  HID,  HID,  HID,  SO)),
    # A supplier person who shares no room with anyone: the client cannot know of them.
    ("shared.members.add_stranger",     HTTP, (SO,   OK_,  OK_,  HID,  HID,  HID,  HID,  SO)),
    # Into a second shared room (owned by supplier_admin), a client person the
    # supplier people know from the shared room: only an owner adds across.
    ("second.members.add_partner",      HTTP, (SO,   FBD,  OK_,  OK_,  OK_,  HID,  HID,  SO)),
    ("me",                              HTTP, (SO,   OK_,  OK_,  OK_,  OK_,  OK_,  OK_,  SO)),
    # supplier_member's card: whoever may know of her; the client's people see only
    # shared rooms on it (the removed client person shares no room with her now).
    ("supplier_member.card",            HTTP, (SO,   OK_,  OK_,  OK_,  OK_,  HID,  HID,  SO)),
    # Her picture: to exactly the people who may know of her.
    ("supplier_member.avatar",          HTTP, (SO,   OK_,  OK_,  OK_,  OK_,  HID,  HID,  SO)),
    ("partnerships.list",               HTTP, (SO,   OK_,  OK_,  OK_,  OK_,  HID,  OK_,  SO)),
    # A third organization proposes to the client: only the client's admin decides.
    ("partnerships.accept",             HTTP, (SO,   HID,  HID,  FBD,  OK_,  HID,  FBD,  SO)),
    # A third organization's active partnership with the client: its admin ends it.
    ("partnerships.end",                HTTP, (SO,   HID,  HID,  FBD,  OK_,  HID,  FBD,  SO)),
    # A room export: an admin of an organization that takes part in the room; the
    # partner's internal rooms are hidden like missing ones.
    ("shared.export",                   HTTP, (SO,   HID,  OK_,  HID,  OK_,  HID,  HID,  SO)),
    ("supplier_internal.export",        HTTP, (SO,   HID,  OK_,  HID,  HID,  HID,  HID,  SO)),
    ("client_internal.export",          HTTP, (SO,   HID,  HID,  HID,  OK_,  HID,  HID,  SO)),
    # The room's past exports: by the same rule as asking for one.
    ("shared.exports.list",             HTTP, (SO,   HID,  OK_,  HID,  OK_,  HID,  HID,  SO)),
    ("client_internal.exports.list",    HTTP, (SO,   HID,  HID,  HID,  OK_,  HID,  HID,  SO)),
    # The supplier admin's export of the shared room: theirs (and their org's admins') only.
    ("export.status",                   HTTP, (SO,   HID,  OK_,  HID,  HID,  HID,  HID,  SO)),
    # Nobody here is staff.
    ("admin",                           HTTP, (LGN,  LGN,  LGN,  LGN,  LGN,  LGN,  LGN,  LGN)),
    # The link of an expired invitation, whoever opens it.
    ("invitations.expired_link",        HTTP, (GON,  GON,  GON,  GON,  GON,  GON,  GON,  GON)),
    # Messages over HTTP: the same checks as the socket's frames.
    ("shared.send",                     HTTP, (SO,   OK_,  OK_,  OK_,  OK_,  HID,  HID,  SO)),
    ("supplier_internal.send",          HTTP, (SO,   OK_,  OK_,  HID,  HID,  HID,  HID,  SO)),
    # Bot tokens and incoming webhooks: the own organization's admins, in internal rooms
    # they are in. Listed to admins only; made by admins (a colleague is refused).
    ("bots.list",                       HTTP, (SO,   HID,  OK_,  HID,  OK_,  HID,  HID,  SO)),
    ("bots.create",                     HTTP, (SO,   FBD,  OK_,  FBD,  OK_,  FBD,  FBD,  SO)),
    # For a shared room: nobody, and an admin is answered as for a room that does not exist.
    ("bots.create_in_shared",           HTTP, (SO,   FBD,  HID,  FBD,  HID,  FBD,  FBD,  SO)),
    # The supplier's token: its admins revoke it; the client's admin cannot know of it.
    ("bots.revoke",                     HTTP, (SO,   FBD,  OK_,  FBD,  HID,  FBD,  FBD,  SO)),
    ("hooks.create",                    HTTP, (SO,   FBD,  OK_,  FBD,  OK_,  FBD,  FBD,  SO)),
    ("hooks.create_in_shared",          HTTP, (SO,   FBD,  HID,  FBD,  HID,  FBD,  FBD,  SO)),
    # The webhook's secret address is its credential, whoever holds it (no session).
    ("hooks.post",                      HTTP, (OK_,  OK_,  OK_,  OK_,  OK_,  OK_,  OK_,  OK_)),
]
# fmt: on

# An invited e-mail that never got an account, holding an expired invitation
# link: the link is gone, and the e-mail cannot sign in or reach anything.
EXPIRED_INVITEE = [
    ("invitations.expired_link", HTTP, GONE),
    ("account.sign_in", HTTP, NO_ACCOUNT),
    ("shared.history", HTTP, SIGNED_OUT),
    ("shared.subscribe", WS, SIGNED_OUT),
]


# The supplier's bot: its internal room only; every other route is not found.
NF = NOT_FOUND
SUPPLIER_BOT = [
    ("supplier_internal.subscribe", WS, OK),
    ("supplier_internal.send", WS, OK),
    ("supplier_internal.history", HTTP, OK),
    ("supplier_internal.permalink", HTTP, OK),
    ("supplier_internal.send", HTTP, OK),
    ("shared.subscribe", WS, HIDDEN),
    ("shared.send", WS, HIDDEN),
    ("shared.edit", WS, HIDDEN),
    ("shared.delete", WS, HIDDEN),
    ("shared.history", HTTP, HIDDEN),
    ("shared.permalink", HTTP, HIDDEN),
    ("shared.send", HTTP, HIDDEN),
    ("client_internal.subscribe", WS, HIDDEN),
    ("client_internal.send", WS, HIDDEN),
    ("client_internal.history", HTTP, HIDDEN),
    ("client_internal.permalink", HTTP, HIDDEN),
    ("shared.workitems.list", HTTP, NF),
    ("shared.workitems.create", HTTP, NF),
    ("shared.escalate", HTTP, NF),
    ("shared.members", HTTP, NF),
    ("shared.search", HTTP, NF),
    ("shared.file", HTTP, NF),
    ("supplier_internal.file", HTTP, NF),
    ("supplier_internal.files.list", HTTP, NF),
    ("shared.files.upload", HTTP, NF),
    ("file_policy.change", HTTP, NF),
    ("organization.settings", HTTP, NF),
    ("organization.audit_log", HTTP, NF),
    ("organization.retention.change", HTTP, NF),
    ("organization.holds.place", HTTP, NF),
    ("organization.sso.change", HTTP, NF),
    ("client_member.role", HTTP, NF),
    ("mirrors.list", HTTP, NF),
    ("mirrors.create", HTTP, NF),
    ("mirrors.create_into_supplier", HTTP, NF),
    ("mirrors.stop", HTTP, NF),
    ("mirrors.share_back", HTTP, NF),
    ("invitations.create", HTTP, NF),
    ("invitations.list", HTTP, NF),
    ("shared.members.add_stranger", HTTP, NF),
    ("second.members.add_partner", HTTP, NF),
    ("me", HTTP, NF),
    ("supplier_member.card", HTTP, NF),
    ("partnerships.list", HTTP, NF),
    ("partnerships.accept", HTTP, NF),
    ("partnerships.end", HTTP, NF),
    ("shared.export", HTTP, NF),
    ("supplier_internal.export", HTTP, NF),
    ("bots.list", HTTP, NF),
    ("bots.create", HTTP, NF),
    ("bots.revoke", HTTP, NF),
    ("hooks.create", HTTP, NF),
    ("hooks.post", HTTP, OK),
    # The Matrix bridge's settings are an admin's, never a bot's.
    ("matrix.create", HTTP, NF),
    ("supplier_matrix.read", HTTP, NF),
    ("supplier_matrix.registration", HTTP, NF),
    ("supplier_matrix.link", HTTP, NF),
]


@dataclass(frozen=True)
class Case:
    role: str
    resource: str
    transport: str
    expected: Any

    def __str__(self) -> str:
        return f"{self.resource}[{self.transport}]-{self.role}-{self.expected}"


CASES = (
    [
        Case(role, resource, transport, expected)
        for resource, transport, row in MATRIX
        for role, expected in zip(ROLES, row, strict=True)
    ]
    + [
        Case("expired_invitee", resource, transport, expected)
        for resource, transport, expected in EXPIRED_INVITEE
    ]
    + [
        Case("supplier_bot", resource, transport, expected)
        for resource, transport, expected in SUPPLIER_BOT
    ]
)


# --- the world ------------------------------------------------------------------------


def say(author: User, room: Room, body: str) -> Message:
    message, _ = do_send_message(
        author, room, client_id=uuid.uuid4().hex, body=body, thread_root=None
    )
    return message


class World:
    """Two partners, an unrelated organization, and people whose access ended. Committed."""

    def __init__(self) -> None:
        t = self.team = Team()
        self.outsider_org = make_org("Unrelated")
        self.outsider = make_person(self.outsider_org, name="Una Unrelated")
        self.outsider_room = make_internal_room(self.outsider, name="Unrelated internal")
        self.removed = make_person(t.client, name="Remy Removed")
        self.deactivated = make_person(t.client, name="Dee Deactivated")
        for person in (self.removed, self.deactivated):
            do_add_member(t.supplier_admin, t.shared, person)
            do_add_member(t.client_admin, t.client_internal, person)
        self.people: dict[str, User | None] = {
            "anonymous": None,
            "expired_invitee": None,
            "supplier_member": t.supplier_member,
            "supplier_admin": t.supplier_admin,
            "client_member": t.client_member,
            "client_admin": t.client_admin,
            "outsider": self.outsider,
            "removed": self.removed,
            "deactivated": self.deactivated,
        }
        # Sessions from before the access ended: the removed and the
        # deactivated person still hold their cookies.
        self.sessions = {
            role: session_cookie(person) if person is not None else None
            for role, person in self.people.items()
        }
        check_remove_member(t.client_admin, room_id=t.shared.id, person_id=self.removed.id)
        do_deactivate_person(t.client_admin, self.deactivated)
        # The supplier's bot, in the supplier's internal room; a second token to revoke;
        # an incoming webhook into the same room.
        made = check_create_bot_token(
            t.supplier_admin, name="Deploy", rooms=[t.supplier_internal.id]
        )
        self.bot_token = made.secret
        self.people["supplier_bot"] = made.credential.bot
        self.sessions["supplier_bot"] = None
        self.revocable_token = check_create_bot_token(
            t.supplier_admin, name="Old deploy", rooms=[t.supplier_internal.id]
        ).credential.pk
        self.hook_secret = check_create_incoming_webhook(
            t.supplier_admin, name="CI", room=t.supplier_internal.id
        ).secret

        # supplier_member's picture, as PUT /api/me/avatar/ stores it.
        picture = store_avatar(prepare_avatar(png_bytes(96, 96)))
        do_set_avatar(t.supplier_member, picture)
        self.avatar_url = t.supplier_member.avatar_url

        self.secret = f"matrix-secret-{uuid.uuid4().hex}"
        self.shared_message = say(t.supplier_member, t.shared, f"shared {self.secret}")
        self.internal_messages = {
            t.supplier_internal.id: say(t.supplier_member, t.supplier_internal, "supplier note"),
            t.client_internal.id: say(t.client_member, t.client_internal, "client note"),
        }
        self.mirror = check_create_mirror(
            t.supplier_admin,
            source_room_id=t.shared.id,
            root_id=self.shared_message.id,
            target_room_id=t.supplier_internal.id,
        )
        self.files: dict[int, Upload] = {}
        for author, room in (
            (t.supplier_member, t.shared),
            (t.supplier_member, t.supplier_internal),
            (t.client_member, t.client_internal),
        ):
            self.files[room.id] = make_upload(author, room, PDF_BYTES, "report.pdf")
            send_files(author, room, [self.files[room.id]], "a file")
        self.second = make_shared_room(
            t.partnership,
            t.supplier_admin,
            t.supplier_member,
            t.client_admin,
            t.client_member,
            name="Second",
        )
        self.invitation, _ = do_create_invitation(
            t.supplier_member,
            organization=t.supplier,
            email=f"listed@{t.supplier.verified_domains[0]}",
            room=t.shared,
        )
        self.expired_email = f"expired@{t.client.verified_domains[0]}"
        expired, self.expired_token = do_create_invitation(
            t.client_admin, organization=t.client, email=self.expired_email, room=t.shared
        )
        Invitation.objects.filter(pk=expired.pk).update(
            expires_at=timezone.now() - timedelta(minutes=1)
        )

    def own_internal_room(self, role: str) -> Room:
        if role.startswith("supplier"):
            return self.team.supplier_internal
        if role == "outsider":
            return self.outsider_room
        return self.team.client_internal

    def room(self, name: str) -> Room:
        return {
            "shared": self.team.shared,
            "supplier_internal": self.team.supplier_internal,
            "client_internal": self.team.client_internal,
        }[name]

    # Fresh objects for cells that use one up.

    def client_message(self) -> Message:
        return say(self.team.client_member, self.team.shared, "to edit or delete")

    def shared_root(self) -> Message:
        return say(self.team.supplier_member, self.team.shared, "a thread to mirror")

    def work_item(self) -> int:
        item = do_create_work_item(
            self.team.supplier_member,
            self.team.shared,
            title="Escalate me",
            description="",
            assignee=None,
            priority=3,
            due_date=None,
            labels=[],
            source_message=None,
        )
        return item.pk

    def supplier_connector(self) -> Connector:
        return do_create_connector(
            self.team.supplier_admin,
            organization=self.team.supplier,
            room=self.team.supplier_internal,
            kind="webhook_out",
            name="Hook",
            config={"url": "http://93.184.216.34/hook"},
        )[0]

    def supplier_matrix(self) -> MatrixBridge:
        connector = do_create_connector(
            self.team.supplier_admin,
            organization=self.team.supplier,
            room=self.team.supplier_internal,
            kind="matrix",
            name="Matrix",
            config={"homeserver": HOMESERVER, "matrix_room": "!ops:acme.test"},
        )[0]
        return do_create_matrix_bridge(connector)

    def dead_letter(self) -> ConnectorDeadLetter:
        connector = self.supplier_connector()
        return ConnectorDeadLetter.objects.create(connector=connector, seq=1, error="HTTP 500")

    def stoppable_mirror(self) -> int:
        root = self.shared_root()
        return do_create_mirror(self.team.supplier_admin, root, self.team.supplier_internal).pk

    def revocable_invitation(self) -> int:
        domain = self.team.supplier.verified_domains[0]
        invitation, _ = do_create_invitation(
            self.team.supplier_member,
            organization=self.team.supplier,
            email=f"revoke-{uuid.uuid4().hex[:8]}@{domain}",
            room=self.team.shared,
        )
        return invitation.pk

    def admins_invitation(self) -> int:
        domain = self.team.supplier.verified_domains[0]
        invitation, _ = do_create_invitation(
            self.team.supplier_admin,
            organization=self.team.supplier,
            email=f"by-admin-{uuid.uuid4().hex[:8]}@{domain}",
            room=self.team.shared,
        )
        return invitation.pk

    def stranger(self) -> User:
        """A supplier person in no room at all."""
        return make_person(self.team.supplier, name="Stella Stranger")

    def known_client_person(self) -> User:
        """A client person in the shared room, not yet in the second one."""
        person = make_person(self.team.client, name="Kim Known")
        do_add_member(self.team.client_admin, self.team.shared, person)
        return person

    def proposal_to_client(self) -> int:
        prospect = make_org("Prospect")
        admin = make_person(prospect, admin=True)
        return Partnership.objects.create(
            supplier=prospect, client=self.team.client, proposed_by=admin
        ).pk


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    yield from committed(World, django_db_blocker)


# --- what each resource asks --------------------------------------------------------


@dataclass
class Http:
    method: str
    path: str
    data: dict[str, Any] | None = None
    missing_path: str | None = None
    missing_data: dict[str, Any] | None = None
    ok: Callable[[HttpResponse], bool] = lambda r: r.status_code in (200, 201)
    # Lists and search: how the object's absence shows (HIDDEN cells).
    absent: Callable[[Any], bool] | None = None
    # Sent as multipart/form-data, field ``file`` (an upload).
    upload: bytes | None = None


@dataclass
class Ws:
    frame: dict[str, Any]
    missing_frame: dict[str, Any]
    ok: Callable[[dict[str, Any]], bool]


def _subscribe(room_name: str) -> Callable[[World, str], Ws]:
    def plan(w: World, role: str) -> Ws:
        room = w.room(room_name)
        return Ws(
            {"type": "subscribe", "room": room.id, "ref": "m"},
            {"type": "subscribe", "room": MISSING, "ref": "m"},
            lambda f: f["type"] == "subscribed" and f["room"] == room.id,
        )

    return plan


def _send(room_name: str) -> Callable[[World, str], Ws]:
    def plan(w: World, role: str) -> Ws:
        room = w.room(room_name)
        frame = {"type": "message.send", "client_id": uuid.uuid4().hex, "body": "hi", "ref": "m"}
        return Ws(
            {**frame, "room": room.id},
            {**frame, "room": MISSING},
            lambda f: (
                f["type"] == "ack"
                and f["room"] == room.id
                and Message.objects.filter(pk=f["id"], room=room).exists()
            ),
        )

    return plan


def _history(room_name: str) -> Callable[[World, str], Http]:
    def plan(w: World, role: str) -> Http:
        room = w.room(room_name)
        expected = w.shared_message if room == w.team.shared else w.internal_messages[room.id]
        return Http(
            "get",
            f"/api/rooms/{room.id}/messages/",
            missing_path=f"/api/rooms/{MISSING}/messages/",
            ok=lambda r: (
                r.status_code == 200 and expected.id in [m["id"] for m in r.json()["messages"]]
            ),
        )

    return plan


def _permalink(room_name: str) -> Callable[[World, str], Http]:
    def plan(w: World, role: str) -> Http:
        room = w.room(room_name)
        expected = w.shared_message if room == w.team.shared else w.internal_messages[room.id]
        return Http(
            "get",
            f"/api/rooms/{room.id}/messages/{expected.id}/",
            missing_path=f"/api/rooms/{room.id}/messages/{MISSING}/",
            ok=lambda r: r.status_code == 200 and r.json()["message"]["id"] == expected.id,
        )

    return plan


def shared_edit(w: World, role: str) -> Ws:
    message = w.client_message()
    frame = {"type": "message.edit", "body": "edited", "ref": "m"}
    return Ws(
        {**frame, "room": w.team.shared.id, "id": message.id},
        {**frame, "room": MISSING, "id": MISSING},
        lambda f: (
            f == {"type": "ok", "op": "message.edit", "id": message.id, "ref": "m"}
            and Message.objects.get(pk=message.id).body == "edited"
        ),
    )


def shared_delete(w: World, role: str) -> Ws:
    message = w.client_message()
    frame = {"type": "message.delete", "ref": "m"}
    return Ws(
        {**frame, "room": w.team.shared.id, "id": message.id},
        {**frame, "room": MISSING, "id": MISSING},
        lambda f: (
            f == {"type": "ok", "op": "message.delete", "id": message.id, "ref": "m"}
            and Message.objects.get(pk=message.id).is_deleted
        ),
    )


def shared_workitem_create_ws(w: World, role: str) -> Ws:
    frame = {"type": "workitem.create", "title": "From the matrix", "ref": "m"}
    return Ws(
        {**frame, "room": w.team.shared.id},
        {**frame, "room": MISSING},
        lambda f: f["type"] == "ok" and f["op"] == "workitem.create",
    )


def shared_workitems_list(w: World, role: str) -> Http:
    return Http(
        "get",
        f"/api/rooms/{w.team.shared.id}/workitems/",
        missing_path=f"/api/rooms/{MISSING}/workitems/",
        ok=lambda r: r.status_code == 200 and r.json()["room"] == w.team.shared.id,
    )


def shared_workitems_create(w: World, role: str) -> Http:
    return Http(
        "post",
        f"/api/rooms/{w.team.shared.id}/workitems/",
        {"title": "From the matrix"},
        missing_path=f"/api/rooms/{MISSING}/workitems/",
        ok=lambda r: r.status_code == 201 and r.json()["item"]["room"] == w.team.shared.id,
    )


def shared_escalate(w: World, role: str) -> Http:
    item = w.work_item()
    return Http(
        "post",
        f"/api/rooms/{w.team.shared.id}/workitems/{item}/escalate/",
        {"severity": "S3", "reason": "From the matrix"},
        missing_path=f"/api/rooms/{MISSING}/workitems/{item}/escalate/",
        ok=lambda r: r.status_code == 201 and r.json()["escalation"]["severity"] == "S3",
    )


def shared_members(w: World, role: str) -> Http:
    person = w.people[role]
    return Http(
        "get",
        f"/api/rooms/{w.team.shared.id}/members/",
        missing_path=f"/api/rooms/{MISSING}/members/",
        ok=lambda r: (
            r.status_code == 200
            and person is not None
            and person.id in [m["person"]["id"] for m in r.json()["members"]]
        ),
    )


def shared_search(w: World, role: str) -> Http:
    return Http(
        "get",
        f"/api/search/?q={w.secret}",
        # A search for text nobody wrote: a hidden message must look the same.
        missing_path=f"/api/search/?q=missing-{uuid.uuid4().hex}",
        ok=lambda r: (
            r.status_code == 200
            and w.shared_message.id in [h["message"]["id"] for h in r.json()["results"]]
        ),
        absent=lambda body: body == {"results": [], "next": None},
    )


def mirrors_list(w: World, role: str) -> Http:
    def ids(body: Any) -> list[int]:
        return [m["id"] for m in body["mirrors"]]

    return Http(
        "get",
        "/api/mirrors/",
        ok=lambda r: r.status_code == 200 and w.mirror.id in ids(r.json()),
        absent=lambda body: w.mirror.id not in ids(body),
    )


def mirrors_create(w: World, role: str) -> Http:
    root = w.shared_root()
    data = {
        "source_room": w.team.shared.id,
        "thread": root.id,
        "target_room": w.own_internal_room(role).id,
    }
    return Http(
        "post",
        "/api/mirrors/",
        data,
        missing_path="/api/mirrors/",
        missing_data={**data, "source_room": MISSING},
        ok=lambda r: r.status_code == 201 and r.json()["thread"] == root.id,
    )


def mirrors_create_into_supplier(w: World, role: str) -> Http:
    root = w.shared_root()
    data = {
        "source_room": w.team.shared.id,
        "thread": root.id,
        "target_room": w.team.supplier_internal.id,
    }
    return Http(
        "post",
        "/api/mirrors/",
        data,
        missing_path="/api/mirrors/",
        missing_data={**data, "target_room": MISSING},
        ok=lambda r: r.status_code == 201 and r.json()["thread"] == root.id,
    )


def mirrors_stop(w: World, role: str) -> Http:
    mirror = w.stoppable_mirror()
    return Http(
        "delete",
        f"/api/mirrors/{mirror}/",
        missing_path=f"/api/mirrors/{MISSING}/",
        ok=lambda r: r.status_code == 200 and r.json()["stopped_at"] is not None,
    )


def mirrors_share_back(w: World, role: str) -> Http:
    return Http(
        "post",
        f"/api/mirrors/{w.mirror.id}/share-back/",
        {"body": "Shared from the matrix"},
        missing_path=f"/api/mirrors/{MISSING}/share-back/",
        ok=lambda r: r.status_code == 201 and r.json()["room"] == w.team.shared.id,
    )


def invitations_create(w: World, role: str) -> Http:
    domain = w.team.supplier.verified_domains[0]
    data = {"room": w.team.shared.id, "email": f"new-{uuid.uuid4().hex[:8]}@{domain}"}
    return Http(
        "post",
        "/api/invitations/",
        data,
        missing_path="/api/invitations/",
        missing_data={**data, "room": MISSING},
        ok=lambda r: r.status_code == 201 and r.json()["email"] == data["email"],
    )


def invitations_list(w: World, role: str) -> Http:
    def ids(body: Any) -> list[int]:
        return [i["id"] for i in body["invitations"]]

    return Http(
        "get",
        "/api/invitations/",
        ok=lambda r: r.status_code == 200 and w.invitation.id in ids(r.json()),
        absent=lambda body: w.invitation.id not in ids(body),
    )


def _revoke(invitation: int) -> Http:
    return Http(
        "delete",
        f"/api/invitations/{invitation}/",
        missing_path=f"/api/invitations/{MISSING}/",
        ok=lambda r: (
            r.status_code == 200 and Invitation.objects.get(pk=invitation).revoked_at is not None
        ),
    )


def invitations_revoke(w: World, role: str) -> Http:
    return _revoke(w.revocable_invitation())


def invitations_revoke_admins(w: World, role: str) -> Http:
    return _revoke(w.admins_invitation())


def _add_member(room: Room, person: User) -> Http:
    path = f"/api/rooms/{room.id}/members/"
    return Http(
        "post",
        path,
        {"person": person.id},
        # Hidden means: the same answer as for a person who exists nowhere.
        missing_path=path,
        missing_data={"person": MISSING},
        ok=lambda r: (
            r.status_code == 201
            and Membership.objects.active().filter(room=room, user=person).exists()
        ),
    )


def shared_members_add_stranger(w: World, role: str) -> Http:
    return _add_member(w.team.shared, w.stranger())


def second_members_add_partner(w: World, role: str) -> Http:
    return _add_member(w.second, w.known_client_person())


def me(w: World, role: str) -> Http:
    person = w.people[role]
    return Http(
        "get", "/api/me/", ok=lambda r: person is not None and r.json()["me"]["id"] == person.id
    )


def supplier_member_card(w: World, role: str) -> Http:
    person = w.people[role]
    sue = w.team.supplier_member

    def ok(r: HttpResponse) -> bool:
        card = r.json()["card"]
        kinds = {room["kind"] for room in card["rooms"]}
        across = person is not None and person.organization_id != sue.organization_id
        return card["person"]["id"] == sue.id and (kinds <= {"shared"} or not across)

    return Http("get", f"/api/people/{sue.id}/", missing_path=f"/api/people/{MISSING}/", ok=ok)


def supplier_member_avatar(w: World, role: str) -> Http:
    url = w.avatar_url
    assert url is not None
    return Http(
        "get",
        url,
        missing_path=url.replace(str(w.team.supplier_member.id), str(MISSING)),
        ok=lambda r: r.status_code == 200 and r["Content-Type"] == "image/jpeg",
    )


def partnerships_list(w: World, role: str) -> Http:
    def ids(body: Any) -> list[int]:
        return [p["id"] for p in body["partnerships"]]

    return Http(
        "get",
        "/api/partnerships/",
        ok=lambda r: r.status_code == 200 and w.team.partnership.id in ids(r.json()),
        absent=lambda body: w.team.partnership.id not in ids(body),
    )


def partnerships_end(w: World, role: str) -> Http:
    partnership = Partnership.objects.get(pk=w.proposal_to_client())
    partnership.status = Partnership.Status.ACTIVE
    partnership.save(update_fields=["status"])
    return Http(
        "post",
        f"/api/partnerships/{partnership.pk}/end/",
        {"reason": "From the matrix"},
        missing_path=f"/api/partnerships/{MISSING}/end/",
        missing_data={"reason": "From the matrix"},
        ok=lambda r: r.status_code == 200 and r.json() == {"id": partnership.pk, "status": "ended"},
    )


def partnerships_accept(w: World, role: str) -> Http:
    proposal = w.proposal_to_client()
    return Http(
        "post",
        f"/api/partnerships/{proposal}/accept/",
        missing_path=f"/api/partnerships/{MISSING}/accept/",
        ok=lambda r: r.status_code == 200 and r.json() == {"id": proposal, "status": "active"},
    )


def _file(room_name: str) -> Callable[[World, str], Http]:
    def plan(w: World, role: str) -> Http:
        upload = w.files[w.room(room_name).id]
        return Http(
            "get",
            f"/api/files/{upload.key}/",
            missing_path=f"/api/files/{uuid.uuid4().hex}/",
            ok=lambda r: (
                r.status_code == 200
                and b"".join(async_to_sync(_read)(r)) == PDF_BYTES
                and r["Content-Disposition"].startswith("attachment")
            ),
        )

    return plan


async def _read(response: Any) -> list[bytes]:
    return [chunk async for chunk in response.streaming_content]


def _files_list(room_name: str) -> Callable[[World, str], Http]:
    def plan(w: World, role: str) -> Http:
        room = w.room(room_name)
        key = w.files[room.id].key
        return Http(
            "get",
            f"/api/rooms/{room.id}/files/",
            missing_path=f"/api/rooms/{MISSING}/files/",
            ok=lambda r: (
                r.status_code == 200 and [f["file"]["id"] for f in r.json()["files"]] == [key]
            ),
        )

    return plan


def _export(room_name: str) -> Callable[[World, str], Http]:
    def plan(w: World, role: str) -> Http:
        room = w.room(room_name)
        return Http(
            "post",
            f"/api/rooms/{room.id}/exports/",
            missing_path=f"/api/rooms/{MISSING}/exports/",
            ok=lambda r: r.status_code == 201 and r.json()["status"] == "queued",
        )

    return plan


def _exports_list(room_name: str) -> Callable[[World, str], Http]:
    def plan(w: World, role: str) -> Http:
        room = w.room(room_name)
        return Http(
            "get",
            f"/api/rooms/{room.id}/exports/",
            missing_path=f"/api/rooms/{MISSING}/exports/",
            # Earlier rows may have exported the room: whatever is listed is of this room.
            ok=lambda r: (
                r.status_code == 200
                and all(e["room"]["id"] == room.id for e in r.json()["exports"])
            ),
        )

    return plan


def export_status(w: World, role: str) -> Http:
    export = check_request_room_export(w.team.supplier_admin, room_id=w.team.shared.id)
    return Http(
        "get",
        f"/api/exports/{export.pk}/",
        missing_path=f"/api/exports/{MISSING}/",
        ok=lambda r: r.status_code == 200 and r.json()["id"] == export.pk,
    )


def _upload(room_name: str) -> Callable[[World, str], Http]:
    def plan(w: World, role: str) -> Http:
        room = w.room(room_name)
        return Http(
            "post",
            f"/api/rooms/{room.id}/files/",
            missing_path=f"/api/rooms/{MISSING}/files/",
            upload=png_bytes(),
            ok=lambda r: (
                r.status_code == 201
                and Upload.objects.filter(key=r.json()["id"], room=room).exists()
            ),
        )

    return plan


def shared_send_file(w: World, role: str) -> Ws:
    person = w.people[role]
    t = w.team
    may_upload = role in ("supplier_member", "supplier_admin", "client_member", "client_admin")
    upload = make_upload(person if may_upload else t.supplier_member, t.shared)  # type: ignore[arg-type]
    frame = {
        "type": "message.send",
        "client_id": uuid.uuid4().hex,
        "files": [upload.key],
        "ref": "m",
    }
    return Ws(
        {**frame, "room": t.shared.id},
        {**frame, "room": MISSING},
        lambda f: (
            f["type"] == "ack"
            and Message.objects.get(pk=f["id"]).attachments.get().upload_id == upload.pk
        ),
    )


def file_policy_change(w: World, role: str) -> Http:
    person = w.people[role]
    return Http(
        "put",
        "/api/organization/file-policy/",
        {"uploads_allowed": True, "kinds": ["image", "pdf"], "max_mb": 20},
        ok=lambda r: (
            r.status_code == 200
            and person is not None
            and FilePolicy.objects.get(organization_id=person.organization_id).kinds
            == ["image", "pdf"]
        ),
    )


def organization_settings(w: World, role: str) -> Http:
    person = w.people[role]
    return Http(
        "get",
        "/api/organization/",
        # No id in the path: hidden must be exactly the answer for nothing.
        missing_path="/api/organization/",
        ok=lambda r: (
            r.status_code == 200
            and person is not None
            and {p["id"] for p in r.json()["organization"]["people"]}
            == set(
                # Its people: bots are listed in their own section (GET /api/organization/bots/).
                User.objects.filter(organization=person.organization, is_bot=False).values_list(
                    "pk", flat=True
                )
            )
        ),
    )


def _own_settings(path: str, ok: Callable[[HttpResponse], bool]) -> Callable[[World, str], Http]:
    def resource(w: World, role: str) -> Http:
        # No id in the path: hidden must be exactly the answer for nothing.
        return Http("get", path, missing_path=path, ok=ok)

    return resource


def retention_change(w: World, role: str) -> Http:
    person = w.people[role]
    return Http(
        "put",
        "/api/organization/retention/",
        {"shared_days": 90, "internal_days": None},
        ok=lambda r: (
            r.status_code == 200
            and person is not None
            and RetentionPolicy.objects.get(organization_id=person.organization_id).shared_days
            == 90
        ),
    )


def holds_place(w: World, role: str) -> Http:
    person = w.people[role]
    return Http(
        "post",
        "/api/organization/holds/",
        {"reason": "case 12"},
        ok=lambda r: (
            r.status_code == 201
            and person is not None
            and LegalHold.objects.filter(organization_id=person.organization_id).exists()
        ),
    )


def sso_change(w: World, role: str) -> Http:
    person = w.people[role]
    return Http(
        "put",
        "/api/organization/identity-provider/",
        {
            "issuer": "https://login.example",
            "client_id": "causeway",
            "client_secret": "s3cret",
            "require_sso": False,
        },
        ok=lambda r: (
            r.status_code == 200
            and person is not None
            and IdentityProvider.objects.filter(organization_id=person.organization_id).exists()
        ),
    )


def client_member_role(w: World, role: str) -> Http:
    cleo = w.team.client_member
    return Http(
        "put",
        f"/api/organization/people/{cleo.id}/",
        {"role": "member"},
        missing_path=f"/api/organization/people/{MISSING}/",
        ok=lambda r: r.status_code == 200 and r.json()["person"]["role"] == "member",
    )


HOOK = "http://93.184.216.34/hook"  # public: the outbound rule lets it be made


def _connector_create(room: Callable[[World, str], Room]) -> Callable[[World, str], Http]:
    def resource(w: World, role: str) -> Http:
        target = room(w, role)
        return Http(
            "post",
            "/api/organization/connectors/",
            {"room": target.id, "name": "Hook", "url": HOOK},
            missing_path="/api/organization/connectors/",
            missing_data={"room": MISSING, "name": "Hook", "url": HOOK},
            ok=lambda r: (
                r.status_code == 201
                and Connector.objects.filter(pk=r.json()["connector"]["id"], room=target).exists()
                and len(r.json()["secret"]) >= 40
            ),
        )

    return resource


def _bots_create(path: str, shared: bool) -> Callable[[World, str], Http]:
    def resource(w: World, role: str) -> Http:
        room = w.team.shared if shared else w.own_internal_room(role)
        data = {"name": "Deploy"}
        rooms = {"rooms": [room.id]} if path.endswith("bots/") else {"room": room.id}
        missing = {"rooms": [MISSING]} if path.endswith("bots/") else {"room": MISSING}
        return Http(
            "post",
            path,
            {**data, **rooms},
            missing_path=path,
            missing_data={**data, **missing},
            ok=lambda r: r.status_code == 201 and ("token" in r.json() or "url" in r.json()),
        )

    return resource


def supplier_connector_read(w: World, role: str) -> Http:
    connector = w.supplier_connector()
    return Http(
        "get",
        f"/api/organization/connectors/{connector.id}/",
        missing_path=f"/api/organization/connectors/{MISSING}/",
        ok=lambda r: r.status_code == 200 and r.json()["connector"]["id"] == connector.id,
    )


def supplier_connector_pause(w: World, role: str) -> Http:
    connector = w.supplier_connector()
    return Http(
        "put",
        f"/api/organization/connectors/{connector.id}/",
        {"paused": True},
        missing_path=f"/api/organization/connectors/{MISSING}/",
        ok=lambda r: r.status_code == 200 and Connector.objects.get(pk=connector.id).paused,
    )


def supplier_connector_remove(w: World, role: str) -> Http:
    connector = w.supplier_connector()
    return Http(
        "delete",
        f"/api/organization/connectors/{connector.id}/",
        missing_path=f"/api/organization/connectors/{MISSING}/",
        ok=lambda r: (
            r.status_code == 200 and Connector.objects.get(pk=connector.id).removed_at is not None
        ),
    )


def _dead_letter(method: str, state: str) -> Callable[[World, str], Http]:
    def resource(w: World, role: str) -> Http:
        letter = w.dead_letter()
        return Http(
            method,
            f"/api/organization/connectors/{letter.connector_id}/dead-letters/{letter.id}/",
            missing_path=f"/api/organization/connectors/{MISSING}/dead-letters/{letter.id}/",
            ok=lambda r: (
                r.status_code == 200
                and ConnectorDeadLetter.objects.get(pk=letter.id).state == state
            ),
        )

    return resource


def bots_revoke(w: World, role: str) -> Http:
    return Http(
        "delete",
        f"/api/organization/bots/{w.revocable_token}/",
        missing_path=f"/api/organization/bots/{MISSING}/",
        ok=lambda r: r.status_code == 200 and r.json()["tokens"] is not None,
    )


def hooks_post(w: World, role: str) -> Http:
    return Http(
        "post",
        f"/hooks/in/{w.hook_secret}/",
        {"text": f"posted with {role}'s credentials around it"},
        ok=lambda r: r.status_code == 200 and r.json()["ok"] is True,
    )


def _send_http(room_name: str) -> Callable[[World, str], Http]:
    def resource(w: World, role: str) -> Http:
        room = w.room(room_name)
        data = {"client_id": uuid.uuid4().hex, "body": "over HTTP"}
        return Http(
            "post",
            f"/api/rooms/{room.id}/messages/",
            data,
            missing_path=f"/api/rooms/{MISSING}/messages/",
            ok=lambda r: (
                r.status_code == 201
                and Message.objects.filter(pk=r.json()["id"], room=room).exists()
            ),
        )

    return resource


HOMESERVER = "http://93.184.216.34"  # public: the outbound rule lets it be made


def _matrix_create(room: Callable[[World, str], Room]) -> Callable[[World, str], Http]:
    def resource(w: World, role: str) -> Http:
        target = room(w, role)
        data = {"room": target.id, "homeserver": HOMESERVER, "matrix_room": "#ops:acme.test"}
        return Http(
            "post",
            "/api/organization/connectors/matrix/",
            data,
            missing_path="/api/organization/connectors/matrix/",
            missing_data={**data, "room": MISSING},
            ok=lambda r: (
                r.status_code == 201
                and MatrixBridge.objects.filter(
                    connector_id=r.json()["connector"]["id"], connector__room=target
                ).exists()
                and "hs_token" in r.json()["registration"]
            ),
        )

    return resource


def supplier_matrix_read(w: World, role: str) -> Http:
    bridge = w.supplier_matrix()
    return Http(
        "get",
        f"/api/organization/connectors/{bridge.pk}/matrix/",
        missing_path=f"/api/organization/connectors/{MISSING}/matrix/",
        ok=lambda r: r.status_code == 200 and r.json()["matrix"]["connector"] == bridge.pk,
    )


def supplier_matrix_registration(w: World, role: str) -> Http:
    bridge = w.supplier_matrix()
    return Http(
        "get",
        f"/api/organization/connectors/{bridge.pk}/matrix/registration.yaml",
        missing_path=f"/api/organization/connectors/{MISSING}/matrix/registration.yaml",
        ok=lambda r: r.status_code == 200 and bridge.hs_token.encode() in r.content,
    )


def supplier_matrix_link(w: World, role: str) -> Http:
    bridge = w.supplier_matrix()
    data = {"matrix_user": "@sue:acme.test", "person": w.team.supplier_member.id}
    return Http(
        "post",
        f"/api/organization/connectors/{bridge.pk}/matrix/links/",
        data,
        missing_path=f"/api/organization/connectors/{MISSING}/matrix/links/",
        ok=lambda r: (
            r.status_code == 200
            and MatrixLink.objects.filter(bridge=bridge, matrix_user_id="@sue:acme.test").exists()
        ),
    )


def admin(w: World, role: str) -> Http:
    return Http("get", "/admin/")


def expired_link(w: World, role: str) -> Http:
    return Http("get", f"/invitations/{w.expired_token}/")


def sign_in(w: World, role: str) -> Http:
    return Http("post", "/accounts/login/", {"login": w.expired_email, "password": "guess-123!"})


RESOURCES: dict[tuple[str, str], Callable[[World, str], Http | Ws]] = {
    ("shared.subscribe", WS): _subscribe("shared"),
    ("shared.history", HTTP): _history("shared"),
    ("shared.send", WS): _send("shared"),
    ("shared.edit", WS): shared_edit,
    ("shared.delete", WS): shared_delete,
    ("shared.workitems.list", HTTP): shared_workitems_list,
    ("shared.workitems.create", HTTP): shared_workitems_create,
    ("shared.workitems.create", WS): shared_workitem_create_ws,
    ("shared.escalate", HTTP): shared_escalate,
    ("shared.members", HTTP): shared_members,
    ("shared.search", HTTP): shared_search,
    ("supplier_internal.subscribe", WS): _subscribe("supplier_internal"),
    ("supplier_internal.history", HTTP): _history("supplier_internal"),
    ("shared.permalink", HTTP): _permalink("shared"),
    ("supplier_internal.permalink", HTTP): _permalink("supplier_internal"),
    ("client_internal.permalink", HTTP): _permalink("client_internal"),
    ("supplier_internal.send", WS): _send("supplier_internal"),
    ("client_internal.subscribe", WS): _subscribe("client_internal"),
    ("client_internal.history", HTTP): _history("client_internal"),
    ("client_internal.send", WS): _send("client_internal"),
    ("shared.file", HTTP): _file("shared"),
    ("supplier_internal.file", HTTP): _file("supplier_internal"),
    ("client_internal.file", HTTP): _file("client_internal"),
    ("shared.files.list", HTTP): _files_list("shared"),
    ("supplier_internal.files.list", HTTP): _files_list("supplier_internal"),
    ("shared.files.upload", HTTP): _upload("shared"),
    ("client_internal.files.upload", HTTP): _upload("client_internal"),
    ("shared.send_file", WS): shared_send_file,
    ("file_policy.change", HTTP): file_policy_change,
    ("organization.settings", HTTP): organization_settings,
    ("organization.audit_log", HTTP): _own_settings(
        "/api/organization/audit/", lambda r: r.status_code == 200 and "entries" in r.json()
    ),
    ("organization.audit_export", HTTP): _own_settings(
        "/api/organization/audit/export/?format=json", lambda r: r.status_code == 200
    ),
    ("organization.retention", HTTP): _own_settings(
        "/api/organization/retention/", lambda r: r.status_code == 200
    ),
    ("organization.retention.change", HTTP): retention_change,
    ("organization.holds.place", HTTP): holds_place,
    ("organization.sso", HTTP): _own_settings(
        "/api/organization/identity-provider/",
        lambda r: r.status_code == 200 and "identity_provider" in r.json(),
    ),
    ("organization.sso.change", HTTP): sso_change,
    ("organization.connectors", HTTP): _own_settings(
        "/api/organization/connectors/",
        lambda r: r.status_code == 200 and "connectors" in r.json(),
    ),
    ("organization.connectors.create", HTTP): _connector_create(
        lambda w, role: w.own_internal_room(role)
    ),
    ("connectors.create_on_supplier_internal", HTTP): _connector_create(
        lambda w, role: w.team.supplier_internal
    ),
    ("connectors.create_on_shared", HTTP): _connector_create(lambda w, role: w.team.shared),
    ("supplier_connector.read", HTTP): supplier_connector_read,
    ("supplier_connector.pause", HTTP): supplier_connector_pause,
    ("supplier_connector.remove", HTTP): supplier_connector_remove,
    ("supplier_connector.retry", HTTP): _dead_letter("post", "retrying"),
    ("supplier_connector.discard", HTTP): _dead_letter("delete", "discarded"),
    ("matrix.create", HTTP): _matrix_create(lambda w, role: w.own_internal_room(role)),
    ("matrix.create_on_supplier_internal", HTTP): _matrix_create(
        lambda w, role: w.team.supplier_internal
    ),
    ("matrix.create_on_shared", HTTP): _matrix_create(lambda w, role: w.team.shared),
    ("supplier_matrix.read", HTTP): supplier_matrix_read,
    ("supplier_matrix.registration", HTTP): supplier_matrix_registration,
    ("supplier_matrix.link", HTTP): supplier_matrix_link,
    ("shared.export", HTTP): _export("shared"),
    ("supplier_internal.export", HTTP): _export("supplier_internal"),
    ("client_internal.export", HTTP): _export("client_internal"),
    ("shared.exports.list", HTTP): _exports_list("shared"),
    ("client_internal.exports.list", HTTP): _exports_list("client_internal"),
    ("export.status", HTTP): export_status,
    ("client_member.role", HTTP): client_member_role,
    ("mirrors.list", HTTP): mirrors_list,
    ("mirrors.create", HTTP): mirrors_create,
    ("mirrors.create_into_supplier", HTTP): mirrors_create_into_supplier,
    ("mirrors.stop", HTTP): mirrors_stop,
    ("mirrors.share_back", HTTP): mirrors_share_back,
    ("invitations.create", HTTP): invitations_create,
    ("invitations.list", HTTP): invitations_list,
    ("invitations.revoke", HTTP): invitations_revoke,
    ("invitations.revoke_admins", HTTP): invitations_revoke_admins,
    ("shared.members.add_stranger", HTTP): shared_members_add_stranger,
    ("second.members.add_partner", HTTP): second_members_add_partner,
    ("me", HTTP): me,
    ("supplier_member.card", HTTP): supplier_member_card,
    ("supplier_member.avatar", HTTP): supplier_member_avatar,
    ("partnerships.list", HTTP): partnerships_list,
    ("partnerships.accept", HTTP): partnerships_accept,
    ("partnerships.end", HTTP): partnerships_end,
    ("admin", HTTP): admin,
    ("invitations.expired_link", HTTP): expired_link,
    ("account.sign_in", HTTP): sign_in,
    ("shared.send", HTTP): _send_http("shared"),
    ("supplier_internal.send", HTTP): _send_http("supplier_internal"),
    ("bots.list", HTTP): _own_settings(
        "/api/organization/bots/", lambda r: r.status_code == 200 and "tokens" in r.json()
    ),
    ("bots.create", HTTP): _bots_create("/api/organization/bots/", shared=False),
    ("bots.create_in_shared", HTTP): _bots_create("/api/organization/bots/", shared=True),
    ("bots.revoke", HTTP): bots_revoke,
    ("hooks.create", HTTP): _bots_create("/api/organization/hooks/", shared=False),
    ("hooks.create_in_shared", HTTP): _bots_create("/api/organization/hooks/", shared=True),
    ("hooks.post", HTTP): hooks_post,
}


# --- transports -----------------------------------------------------------------------


def http_client(w: World, role: str) -> Client:
    if role == "supplier_bot":
        return Client(HTTP_AUTHORIZATION=f"Bearer {w.bot_token}")
    client = Client()
    key = w.sessions[role]
    if key is not None:
        client.cookies[settings.SESSION_COOKIE_NAME] = key
    return client


def request(
    client: Client,
    method: str,
    path: str,
    data: dict[str, Any] | None,
    upload: bytes | None = None,
) -> HttpResponse:
    if upload is not None:
        return client.post(f"{path}?name=matrix.png", upload, content_type="image/png")
    if method == "get":
        return client.get(path)
    if path.startswith("/accounts/"):
        return client.post(path, data)  # a real HTML form
    return getattr(client, method)(path, json.dumps(data or {}), content_type="application/json")


async def exchange(
    session_key: str | None, frames: list[dict[str, Any]], bot_token: str | None = None
) -> list[dict] | None:
    """Each frame's reply over one socket, or None if the handshake was refused (a bot's:
    ``Authorization: Bearer``, no cookie, no Origin, as a script's client connects)."""
    from config.asgi import application
    from presence.heartbeat import PresenceKeeper
    from presence.store import reset_store
    from rooms.socket.fanout import Fanout

    reset_store()
    headers = socket_headers(session_key)
    if bot_token is not None:
        headers = [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {bot_token}".encode())]
    comm = WebsocketCommunicator(application, "/ws/", headers=headers)
    try:
        connected, _ = await comm.connect()
        if not connected:
            return None
        assert (await comm.receive_json_from())["type"] == "hello"
        replies = []
        for frame in frames:
            await comm.send_json_to(frame)
            while (reply := await comm.receive_json_from(timeout=3))["type"] not in REPLIES:
                pass  # replayed and live events, presence
            replies.append(reply)
        return replies
    finally:
        await comm.disconnect()
        await Fanout.shutdown_all()
        await PresenceKeeper.shutdown_all()
        reset_store()


def check_http(w: World, case: Case, plan: Http) -> None:
    client = http_client(w, case.role)
    response = request(client, plan.method, plan.path, plan.data, plan.upload)
    content = b"<a file>" if response.streaming else response.content[:300]
    shown = f"{response.status_code} {content!r}"
    if case.expected == OK:
        assert plan.ok(response), shown
    elif case.expected == HIDDEN:
        if plan.absent is not None:
            assert response.status_code == 200, shown
            assert plan.absent(response.json()), shown
        if plan.missing_path is not None:
            # The same request, with an id that exists nowhere.
            data = plan.missing_data if plan.missing_data is not None else plan.data
            missing = request(client, plan.method, plan.missing_path, data, plan.upload)
            if plan.absent is None:
                assert (response.status_code, response.content) == (404, NOT_FOUND_BODY), shown
            assert (response.status_code, response.content) == (
                missing.status_code,
                missing.content,
            )
    elif case.expected == FORBIDDEN:
        assert response.status_code == 403, shown
        assert response.json()["error"]["code"] == "forbidden", shown
    elif case.expected == SIGNED_OUT:
        assert (response.status_code, response.content) == (401, UNAUTHENTICATED_BODY), shown
    elif case.expected == GONE:
        assert response.status_code == 410, shown
    elif case.expected == LOGIN:
        assert response.status_code == 302, shown
        assert response["Location"] == "/admin/login/?next=/admin/"
    elif case.expected == NOT_FOUND:
        assert (response.status_code, response.content) == (404, NOT_FOUND_BODY), shown
        if plan.missing_path is not None:
            data = plan.missing_data if plan.missing_data is not None else plan.data
            missing = request(client, plan.method, plan.missing_path, data, plan.upload)
            assert (missing.status_code, missing.content) == (404, NOT_FOUND_BODY)
    elif case.expected == NO_ACCOUNT:
        assert response.status_code == 200, shown  # the form again, with its error
        assert "_auth_user_id" not in client.session
        assert not User.objects.filter(email__iexact=w.expired_email).exists()
    else:  # pragma: no cover - a typo in the table
        raise AssertionError(f"unknown expectation {case.expected!r}")


def check_ws(w: World, case: Case, plan: Ws) -> None:
    frames = [plan.frame, plan.missing_frame] if case.expected == HIDDEN else [plan.frame]
    token = w.bot_token if case.role == "supplier_bot" else None
    replies = async_to_sync(exchange)(w.sessions[case.role], frames, token)
    if case.expected == SIGNED_OUT:
        assert replies is None, "the handshake was accepted"
        return
    assert replies is not None, "the handshake was refused"
    reply = replies[0]
    if case.expected == OK:
        assert plan.ok(reply), reply
    elif case.expected == HIDDEN:
        assert reply["type"] == "error" and reply["code"] == "not_found", reply
        assert reply == replies[1]
    elif case.expected == FORBIDDEN:
        assert reply["type"] == "error" and reply["code"] == "forbidden", reply
    else:  # pragma: no cover - a typo in the table
        raise AssertionError(f"unknown expectation {case.expected!r}")


def test_the_matrix_names_every_resource_once_per_role():
    assert {(c.resource, c.transport) for c in CASES} == set(RESOURCES)
    keys = [(c.role, c.resource, c.transport) for c in CASES]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("case", CASES, ids=str)
def test_authorization_matrix(case: Case, world: World) -> None:
    plan = RESOURCES[(case.resource, case.transport)](world, case.role)
    if isinstance(plan, Http):
        check_http(world, case, plan)
    else:
        check_ws(world, case, plan)
