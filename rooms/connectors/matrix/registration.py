"""What the admin installs in their homeserver, and the Matrix ids the bridge uses.

One application service per connector: its own tokens, its own user namespace
(``@causeway_<connector>_.*``, exclusive, so nobody else on the homeserver can
register a puppet's name), no room or alias namespace (the bridge claims no
rooms: it joins the one the admin invites its bot to). The homeserver calls
``<SITE_URL>/matrix/<connector>/_matrix/app/v1/...``: the path names the
connector, ``hs_token`` proves it is that connector's homeserver.
"""

from __future__ import annotations

import re
import secrets

from django.conf import settings

from rooms.models.matrix import MatrixBridge


def new_token() -> str:
    return secrets.token_urlsafe(32)


def prefix(bridge: MatrixBridge) -> str:
    return f"causeway_{bridge.connector_id}_"


def bot_localpart(bridge: MatrixBridge) -> str:
    return f"{prefix(bridge)}bot"


def bot_user_id(bridge: MatrixBridge) -> str:
    return f"@{bot_localpart(bridge)}:{bridge.server_name}"


def puppet_localpart(bridge: MatrixBridge, person_id: int) -> str:
    return f"{prefix(bridge)}{person_id}"


def puppet_user_id(bridge: MatrixBridge, person_id: int) -> str:
    return f"@{puppet_localpart(bridge, person_id)}:{bridge.server_name}"


def is_ours(bridge: MatrixBridge, user_id: str) -> bool:
    """The bot or one of its puppets: never bridged back."""
    return user_id.startswith(f"@{prefix(bridge)}")


def appservice_url(bridge: MatrixBridge) -> str:
    return f"{settings.SITE_URL}/matrix/{bridge.connector_id}"


def registration_yaml(bridge: MatrixBridge) -> str:
    """The registration file (YAML), as the application-service spec lays it out."""
    # The server's name, if the room named it; else any (the bot learns it at its first call).
    server = re.escape(bridge.server_name) if bridge.server_name else ".+"
    users = f"@{re.escape(prefix(bridge))}.*:{server}"
    # JSON strings are valid YAML scalars: every value is quoted safely.
    import json

    def q(value: str) -> str:
        return json.dumps(value)

    return (
        "# Causeway's Matrix bridge: add this file to app_service_config_files in\n"
        "# homeserver.yaml and restart the homeserver. It holds two secrets.\n"
        f"id: {q(f'causeway-{bridge.connector_id}')}\n"
        f"url: {q(appservice_url(bridge))}\n"
        f"as_token: {q(bridge.as_token)}\n"
        f"hs_token: {q(bridge.hs_token)}\n"
        f"sender_localpart: {q(bot_localpart(bridge))}\n"
        "rate_limited: false\n"
        "namespaces:\n"
        "  users:\n"
        f"    - exclusive: true\n      regex: {q(users)}\n"
        "  aliases: []\n"
        "  rooms: []\n"
    )
