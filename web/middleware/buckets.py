"""Token buckets for the rate limits: in this process, or in Redis (PRIVACY_QA_REDIS_URL) so
that every worker and server shares them."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any, Protocol

from qa.ratelimits import Limit

# The rate limits' one logger (web.middleware.throttle), wherever the warning comes from.
log = logging.getLogger("web.middleware.throttle")

REDIS_RETRY_SECONDS = 30.0


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
