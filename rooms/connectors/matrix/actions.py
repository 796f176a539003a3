"""Connecting an internal room to a Matrix room, and who on Matrix speaks as whom.

An organization's admins only, as every connector (``rooms.connectors.actions``):
the bridge is a connector of kind "matrix" made by ``check_create_connector``
(an internal room of their own organization that they are in) with its Matrix
side (``MatrixBridge``: fresh tokens) in the same transaction. The admin then
installs the registration (``registration_of``) in the homeserver and invites
the bot to the Matrix room; the first delivery joins it.

Links: an admin says which Matrix user is which person of the organization.
Nobody on Matrix can claim to be a person: the homeserver vouches for the
Matrix user id of every event it pushes, and only a link an admin made maps it
to a Causeway person (one person per Matrix user, the organization's own people).
"""

from __future__ import annotations

import re
from typing import Any, TypedDict

from django.db import transaction

from hub import audit
from hub.errors import Conflict, Invalid, NotFound
from hub.models import User
from rooms.connectors.actions import access_connector, check_create_connector
from rooms.connectors.matrix import registration
from rooms.connectors.outbound import check_outbound_url
from rooms.models.connectors import Connector
from rooms.models.matrix import MatrixBridge, MatrixLink

# A room id ("!opaque:server", or "!opaque": room version 12 ids name no server) or an
# alias ("#name:server"); the server part may carry a port.
ROOM_ID_RE = re.compile(r"^![^:\s]{1,200}(?::([A-Za-z0-9.\-]{1,230}(?::[0-9]{1,5})?))?$")
ALIAS_RE = re.compile(r"^#[^:\s]{1,200}:([A-Za-z0-9.\-]{1,230}(?::[0-9]{1,5})?)$")
USER_RE = re.compile(r"^@[a-z0-9._=\-/+]{1,200}:[A-Za-z0-9.\-]{1,230}(?::[0-9]{1,5})?$")


def check_matrix_config(config: dict[str, Any]) -> dict[str, Any]:
    """``{"homeserver": url, "matrix_room": "!id:server" or "#alias:server"}``: what is
    stored in ``Connector.config`` (no secrets)."""
    homeserver = config.get("homeserver")
    room = config.get("matrix_room")
    if not isinstance(homeserver, str) or not homeserver.strip() or len(homeserver) > 500:
        raise Invalid("`homeserver` must be the homeserver's http:// or https:// URL.")
    if not isinstance(room, str) or _room_match(room.strip()) is None:
        raise Invalid(
            "`matrix_room` must be a Matrix room id (!abc:example.org) or alias (#ops:example.org)."
        )
    return {"homeserver": check_outbound_url(homeserver), "matrix_room": room.strip()}


def server_name_of(room: str) -> str:
    """The homeserver's name as the room names it; blank if it does not (then the bot's
    own id, which the homeserver tells it, gives it: ``sink.ensure_room``)."""
    match = _room_match(room)
    assert match is not None
    return match.group(1) or ""


def _room_match(room: str) -> re.Match[str] | None:
    return ROOM_ID_RE.match(room) or ALIAS_RE.match(room)


class MatrixLinkData(TypedDict):
    matrix_user: str
    person: int
    person_name: str


class MatrixBridgeData(TypedDict):
    """The Matrix side of a connector, as its admins see it (no tokens: they are in the file)."""

    connector: int
    homeserver: str
    matrix_room: str
    room_id: str
    bot: str
    puppets: str
    links: list[MatrixLinkData]


def bridge_data(bridge: MatrixBridge) -> MatrixBridgeData:
    links = bridge.links.select_related("person").order_by("matrix_user_id")
    # A room id of room version 12 names no server: until the bot has asked the
    # homeserver, the admin fills in their own server's name.
    server = bridge.server_name or "<your server>"
    return {
        "connector": bridge.connector_id,
        "homeserver": bridge.homeserver_url,
        "matrix_room": bridge.room,
        "room_id": bridge.room_id,
        "bot": f"@{registration.bot_localpart(bridge)}:{server}",
        "puppets": f"@{registration.prefix(bridge)}…:{server}",
        "links": [
            {
                "matrix_user": link.matrix_user_id,
                "person": link.person_id,
                "person_name": link.person.name,
            }
            for link in links
        ],
    }


def check_create_matrix_bridge(
    actor: User, *, room_id: int, homeserver: str, matrix_room: str, name: str = ""
) -> MatrixBridge:
    """Connect one of the organization's internal rooms to a Matrix room."""
    # The address is checked (and resolved) before the transaction: no lookup under a lock.
    config = check_matrix_config({"homeserver": homeserver, "matrix_room": matrix_room})
    with transaction.atomic():
        connector, _ = check_create_connector(
            actor,
            room_id=room_id,
            kind=Connector.Kind.MATRIX,
            name=name or f"Matrix {config['matrix_room']}",
            config=config,
        )
        return do_create_matrix_bridge(connector)


def do_create_matrix_bridge(connector: Connector) -> MatrixBridge:
    """The Matrix side of a new connector: fresh tokens. Call inside its transaction."""
    return MatrixBridge.objects.create(
        connector=connector,
        homeserver_url=connector.config["homeserver"],
        room=connector.config["matrix_room"],
        server_name=server_name_of(connector.config["matrix_room"]),
        as_token=registration.new_token(),
        hs_token=registration.new_token(),
    )


def access_bridge(actor: User, connector_id: int, *, changing: bool) -> MatrixBridge:
    """The Matrix bridge of a live connector of the actor's organization (its admins only)."""
    connector = access_connector(actor, connector_id, changing=changing)
    if connector.kind != Connector.Kind.MATRIX:
        raise NotFound()
    bridge = MatrixBridge.objects.filter(connector=connector).first()
    if bridge is None:
        raise NotFound()
    bridge.connector = connector
    return bridge


def registration_of(actor: User, connector_id: int) -> tuple[MatrixBridge, str]:
    """The registration file the admin installs (it holds the two tokens)."""
    bridge = access_bridge(actor, connector_id, changing=False)
    return bridge, registration.registration_yaml(bridge)


def check_link_matrix_user(
    actor: User, *, connector_id: int, matrix_user: str, person_id: int
) -> MatrixLink:
    """Say that ``matrix_user`` writes in the bridged room as ``person_id`` (of the org)."""
    bridge = access_bridge(actor, connector_id, changing=True)
    matrix_user = matrix_user.strip()
    if USER_RE.match(matrix_user) is None:
        raise Invalid("`matrix_user` must be a Matrix user id (@name:example.org).")
    if registration.is_ours(bridge, matrix_user):
        raise Invalid("That is one of the bridge's own users.")
    person = User.objects.filter(
        pk=person_id, organization_id=bridge.connector.organization_id, is_active=True
    ).first()
    if person is None:
        raise NotFound()
    with transaction.atomic():
        if MatrixLink.objects.filter(bridge=bridge, matrix_user_id=matrix_user).exists():
            raise Conflict("That Matrix user is linked already; unlink them first.")
        link = MatrixLink.objects.create(
            bridge=bridge, matrix_user_id=matrix_user, person=person, created_by=actor
        )
        audit.record(
            actor,
            "matrix.linked",
            bridge.connector,
            matrix_user=matrix_user,
            person=person.pk,
        )
    return link


def check_unlink_matrix_user(actor: User, *, connector_id: int, matrix_user: str) -> None:
    bridge = access_bridge(actor, connector_id, changing=True)
    with transaction.atomic():
        deleted, _ = MatrixLink.objects.filter(bridge=bridge, matrix_user_id=matrix_user).delete()
        if not deleted:
            raise NotFound()
        audit.record(actor, "matrix.unlinked", bridge.connector, matrix_user=matrix_user)
