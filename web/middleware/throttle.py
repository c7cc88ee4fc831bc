"""Rate limits per client on every public route: a token bucket per client and kind of request.

The client is the peer address (or, behind a proxy listed in PRIVACY_QA_TRUSTED_PROXIES, the
address it names in X-Forwarded-For), written one way whatever its form (ports, brackets,
IPv4 mapped into IPv6), an IPv6 client counted by its /64, and keyed by an HMAC with a secret
and the day, so that neither the memory nor Redis holds an address, and a key cannot be
followed across days.
Buckets live in this process, or in Redis (PRIVACY_QA_REDIS_URL) so that every worker and
server shares them. A refused request gets 429 with Retry-After, before its body is read.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network
from typing import Any, Protocol

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qa.ratelimits import Limit
from qa.settings import Settings
from web.errors import error_response
from web.pages.policy import render_page

log = logging.getLogger(__name__)

# Health checks come from load balancers. /metrics takes a support key, so it counts as the
# support API: otherwise it would be an unthrottled oracle for guessing keys.
EXEMPT = frozenset({"/healthz", "/readyz"})
ASK = frozenset({"/api/ask", "/", "/widget", "/api/feedback"})
SUBMIT = frozenset(
    {"/api/rights-requests", "/api/escalations", "/rights-requests/new", "/escalations/new"}
)
LOOKUP_PREFIXES = (
    "/api/rights-requests/",
    "/rights-requests/",
    "/api/escalations/",
    "/escalations/",
)
REDIS_RETRY_SECONDS = 30.0


def bucket_for(method: str, path: str) -> str | None:
    """The kind of limit a request counts against (qa/ratelimits.py), or None for none."""
    if path in EXEMPT:
        return None
    if path.startswith("/api/support/") or path == "/metrics":
        return "support"
    if path in ASK:
        return "ask"
    if path in SUBMIT:
        return "submit" if method == "POST" else "read"
    if path.startswith(LOOKUP_PREFIXES):
        return "lookup"
    return "read"


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


class Buckets(Protocol):
    """Where the buckets are kept."""

    async def take(self, key: str, limit: Limit) -> float:
        """Take a token from `key`'s bucket: 0 if there was one, else seconds until there is."""
        ...

    async def close(self) -> None:
        """Let go of connections."""
        ...


class MemoryBuckets:
    """Buckets in this process (each worker counts alone)."""

    SWEEP_EVERY = 4096

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        # key -> (tokens, when, when the bucket is full again)
        self._state: dict[str, tuple[float, float, float]] = {}
        self._takes = 0

    async def take(self, key: str, limit: Limit) -> float:
        """Take a token from `key`'s bucket: 0 if there was one, else seconds until there is."""
        now = self._clock()
        tokens, when, _ = self._state.get(key, (float(limit.burst), now, now))
        tokens = min(float(limit.burst), tokens + (now - when) * limit.rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / limit.rate
        self._state[key] = (tokens, now, now + (limit.burst - tokens) / limit.rate)
        self._takes += 1
        if self._takes % self.SWEEP_EVERY == 0:
            # A bucket that is full again is the same as no bucket: forget it.
            self._state = {k: v for k, v in self._state.items() if v[2] > now}
        return wait

    def __len__(self) -> int:
        return len(self._state)

    async def close(self) -> None:
        """Nothing to let go of."""


# One round trip, atomic: refill by the time passed (Redis's clock, the same for every
# server), take a token if there is one, and let the key expire once the bucket is full.
TAKE_SCRIPT = """
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 't', 'v')
local tokens = burst
if state[1] then
  tokens = math.min(burst, tonumber(state[2]) + math.max(0, now - tonumber(state[1])) * rate)
end
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 't', tostring(now), 'v', tostring(tokens))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return tostring(wait)
"""


class RedisBuckets:
    """Buckets in Redis, shared by every worker and server; open (allowing) if Redis fails."""

    PREFIX = "privacy-qa:rate:"

    def __init__(self, url: str) -> None:
        self._url = url
        self._client: Any = None
        self._script: Any = None
        self._warned_at = -math.inf

    async def take(self, key: str, limit: Limit) -> float:
        """Take a token from `key`'s bucket: 0 if there was one, else seconds until there is."""
        import redis.asyncio
        from redis.exceptions import RedisError

        if self._client is None:
            # Made here, in the event loop that serves requests: the client is bound to it.
            self._client = redis.asyncio.Redis.from_url(
                self._url, socket_timeout=0.5, socket_connect_timeout=0.5
            )
            self._script = self._client.register_script(TAKE_SCRIPT)
        try:
            wait = await self._script(keys=[self.PREFIX + key], args=[limit.rate, limit.burst])
        except (RedisError, OSError) as exc:
            # A limiter that is down must not take the assistant down with it.
            now = time.monotonic()
            if now - self._warned_at > REDIS_RETRY_SECONDS:
                self._warned_at = now
                log.warning("rate limits: Redis failed (%s); allowing requests", type(exc).__name__)
            return 0.0
        return float(wait)

    async def close(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def open_buckets(redis_url: str | None) -> Buckets:
    """Redis buckets when a URL is set, else this process's."""
    return RedisBuckets(redis_url) if redis_url else MemoryBuckets()


class Throttle:
    """Refuse a client's request with 429 and Retry-After once its bucket for the kind is empty."""

    def __init__(
        self, app: ASGIApp, limits: tuple[Limit, ...], buckets: Buckets, clients: Clients
    ) -> None:
        self.app = app
        self.limits = {limit.name: limit for limit in limits if not limit.off}
        self.buckets = buckets
        self.clients = clients

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, self._closing(send))
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        kind = bucket_for(scope["method"], scope["path"])
        limit = self.limits.get(kind) if kind else None
        if limit is not None:
            wait = await self.buckets.take(f"{kind}:{self.clients.key(scope)}", limit)
            if wait > 0:
                await self._refuse(scope, receive, send, math.ceil(wait))
                return
        await self.app(scope, receive, send)

    def _closing(self, send: Send) -> Send:
        async def closing_send(message: Message) -> None:
            if message["type"] == "lifespan.shutdown.complete":
                await self.buckets.close()
            await send(message)

        return closing_send

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, seconds: int) -> None:
        headers = {"Retry-After": str(seconds), "Cache-Control": "no-store"}
        wait = f"{seconds} second{'s' if seconds != 1 else ''}"
        accept = dict(scope["headers"]).get(b"accept", b"")
        response: Response
        if b"text/html" in accept and not scope["path"].startswith("/api/"):
            response = render_page(
                "message_page.html",
                status=429,
                title="Too many requests",
                heading="Too many requests",
                lines=[
                    f"We have had many requests from your address just now. Please wait {wait} "
                    "and try again."
                ],
                back=None,
            )
            response.headers.update(headers)
        else:
            response = error_response(
                429,
                "rate_limited",
                f"too many requests from your address; wait {wait} (Retry-After) and try again",
                headers=headers,
            )
        await response(scope, receive, send)
