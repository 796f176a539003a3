"""The one rule for addresses the server calls on an admin's behalf.

A webhook's URL and a Matrix homeserver are typed in by an organization's
admin, and the server then calls them from inside the operator's network: left
unchecked, any admin could point one at Redis on loopback, a cloud metadata
address or another tenant's service (server-side request forgery). So an
address must be http(s), carry no credentials, and every address its host
resolves to must be public, unless the operator lists the network in
``CAUSEWAY_CONNECTOR_PRIVATE_NETWORKS`` (an organization's own homeserver
often lives on a private network). The rule runs when the connector is made
and again before every delivery (DNS changes), and the delivery connects to
the very addresses that were checked (``post``), so a name that resolves
differently a moment later (DNS rebinding) cannot slip past it.

Unlike single sign-on's issuer (``hub.identity.parse_issuer``: https only), plain
http is allowed: the receiver signs nothing back and the body is signed with
the connector's secret, and many in-house receivers (chat servers on an
intranet, test receivers) speak plain http; the addresses rule is what keeps
the server's own network out of reach.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

from django.conf import settings

from hub.errors import Invalid

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class OutboundTarget:
    """A checked address: the URL, and the addresses its host resolved to (all allowed)."""

    url: str
    scheme: str
    host: str
    port: int
    # The path and query to request.
    target: str
    addresses: tuple[str, ...]


@cache
def _operator_networks(raw: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(n.strip(), strict=False) for n in raw if n.strip())


def allowed_networks() -> tuple[Network, ...]:
    """The private networks the operator lets connectors call (empty by default)."""
    return _operator_networks(tuple(settings.CAUSEWAY_CONNECTOR_PRIVATE_NETWORKS))


def address_allowed(address: str) -> bool:
    """Public (globally routable, not multicast), or in a network the operator allows."""
    ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in network for network in allowed_networks()):
        return True
    return ip.is_global and not ip.is_multicast


def _resolve(host: str, port: int) -> tuple[str, ...]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise Invalid(f"{host} could not be resolved.") from error
    return tuple(dict.fromkeys(str(info[4][0]) for info in infos))


def resolve_outbound(url: str) -> OutboundTarget:
    """``url`` checked and resolved, or ``Invalid`` saying why it may not be called."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise Invalid("The URL is not valid.") from error
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid("The URL must start with http:// or https:// and name a host.")
    if parts.username is not None or parts.password is not None:
        raise Invalid("The URL must not contain a user name or password.")
    if parts.fragment:
        raise Invalid("The URL must not contain a fragment (#...).")
    host = parts.hostname
    port = port or (443 if parts.scheme == "https" else 80)
    addresses = _resolve(host, port)
    if not addresses or not all(address_allowed(a) for a in addresses):
        raise Invalid(
            f"{host} is a private, loopback or link-local address: the server does not call "
            "those unless its operator allows the network."
        )
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return OutboundTarget(
        url=url, scheme=parts.scheme, host=host, port=port, target=target, addresses=addresses
    )


def check_outbound_url(url: str) -> str:
    """``url`` if the server may call it (see the module's rule); else ``Invalid``."""
    return resolve_outbound(url).url


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to a checked address, whatever the host name resolves to now."""

    def __init__(self, address: str, host: str, port: int, *, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.pinned = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.pinned, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to a checked address; the certificate is verified for the host name (SNI)."""

    def __init__(self, address: str, host: str, port: int, *, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.pinned = address

    def connect(self) -> None:
        sock = socket.create_connection((self.pinned, self.port), self.timeout)
        context = ssl.create_default_context()
        self.sock = context.wrap_socket(sock, server_hostname=self.host)


@dataclass(frozen=True)
class Response:
    status: int
    # The body's start, at most the ``limit`` asked for.
    body: bytes

    @property
    def text(self) -> str:
        """The start of the body, for the error a dead letter shows."""
        return self.body[:2000].decode("utf-8", "replace")


def send(
    target: OutboundTarget,
    method: str,
    path: str,
    body: bytes | None,
    headers: dict[str, str],
    *,
    timeout: float,
    limit: int = 2000,
) -> Response:
    """``method`` ``path`` on a checked target, at the first of its checked addresses;
    reads at most ``limit`` bytes of the answer.

    Raises ``OSError`` (refused, reset, timed out) or ``http.client.HTTPException``.
    No redirects are followed: a redirect could lead anywhere, past the rule.
    """
    cls = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = cls(target.addresses[0], target.host, target.port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return Response(status=response.status, body=response.read(limit))
    finally:
        connection.close()


def post(
    target: OutboundTarget, body: bytes, headers: dict[str, str], *, timeout: float
) -> Response:
    """POST ``body`` to the target's own address (a webhook)."""
    return send(target, "POST", target.target, body, headers, timeout=timeout)
