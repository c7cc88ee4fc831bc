"""Who a request is from, for the rate limits: a key per client and day that holds no address.

The client is the peer address (or, behind a proxy listed in PRIVACY_QA_TRUSTED_PROXIES, the
address it names in X-Forwarded-For), written one way whatever its form (ports, brackets,
IPv4 mapped into IPv6), an IPv6 client counted by its /64, and keyed by an HMAC with a secret
and the day, so that neither the memory nor Redis holds an address, and a key cannot be
followed across days.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

from starlette.types import Scope

from qa.settings import Settings

UNKNOWN = "unknown"
IPV6_PREFIX = 64  # one subscriber's network: a host has billions of addresses in its /64

IPAddress = IPv4Address | IPv6Address


def parse_address(text: str) -> IPAddress | None:
    """The IP address a peer or an X-Forwarded-For hop names, however written: with a port
    (203.0.113.5:443, [2001:db8::1]:443), in brackets, in capitals, with a zone, or IPv4
    mapped into IPv6 (::ffff:203.0.113.5, which is the IPv4 address); None if it names none."""
    text = text.strip().lower()
    if text.startswith("["):
        text, bracket, _ = text[1:].partition("]")
        if not bracket:
            return None
    elif text.count(":") == 1:  # IPv4 and a port; an IPv6 address has two colons or more
        text = text.partition(":")[0]
    try:
        ip = ip_address(text.partition("%")[0])
    except ValueError:
        return None
    if isinstance(ip, IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def client_bucket(text: str) -> str:
    """Whose bucket an address counts against: an IPv4 address, an IPv6 address's /64, or
    one shared "unknown" for what is not an address (so made-up text buys no fresh bucket)."""
    ip = parse_address(text)
    if ip is None:
        return UNKNOWN
    if isinstance(ip, IPv6Address):
        return str(ip_network(f"{ip}/{IPV6_PREFIX}", strict=False))
    return str(ip)


class Clients:
    """Who a request is from, as a key that holds no address."""

    def __init__(self, secret: bytes, trusted_proxies: tuple[str, ...] = ()) -> None:
        self._secret = secret
        self._trusted = tuple(ip_network(n) for n in trusted_proxies)

    def _is_trusted(self, address: str) -> bool:
        ip = parse_address(address)
        return ip is not None and any(ip in network for network in self._trusted)

    def address(self, scope: Scope) -> str:
        """The client's bucket (client_bucket): of the peer, or of the address a trusted proxy
        forwarded."""
        return client_bucket(self._address(scope))

    def _address(self, scope: Scope) -> str:
        peer = scope.get("client")
        address = str(peer[0]) if peer else ""
        if not self._trusted or not self._is_trusted(address):
            return address
        forwarded: list[str] = []
        for name, value in scope["headers"]:
            if name == b"x-forwarded-for":
                forwarded += [a.strip() for a in value.decode("latin-1").split(",")]
        # The nearest hop a trusted proxy did not add is the client; those before it are
        # whatever the client chose to send.
        for hop in reversed(forwarded):
            if hop and not self._is_trusted(hop):
                return hop
        return forwarded[0] if forwarded and forwarded[0] else address

    def key(self, scope: Scope, today: str | None = None) -> str:
        """The client's key for today (UTC)."""
        day = today or datetime.now(UTC).date().isoformat()
        message = f"{day}|{self.address(scope)}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:32]


def client_secret(settings: Settings) -> bytes:
    """The key for client keys: from the form secret, which every worker and server shares
    (so that Redis buckets are shared too), else random for this process."""
    if settings.form_secret:
        return hmac.new(settings.form_secret.encode(), b"rate-limit clients", "sha256").digest()
    return secrets.token_bytes(32)
