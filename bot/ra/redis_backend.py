"""The response cache, single flight and rate limit shared by every bot process through Redis.

Cache values are JSON `{"t": <unix time loaded>, "v": <codec dump>}` under the store's key, with a
Redis expiry of the storing call's ttl; a read accepts a value only while `now - t < its ttl`. All
times (`t`, "now", the rate limit's clock) are the Redis server's `TIME`, one clock for all.

Single flight across processes: the first process to miss takes `lock:<key>` (SET NX PX, a random
token; renewed while its loader runs, so a crashed holder's lock lapses within `lock_seconds`),
loads, then stores the value and deletes its lock in one script. The others poll (10 ms doubling
to 50 ms): each poll is one script that returns the value if it is there, or takes the lock if it
is gone, so a dead holder's work is taken over by exactly one waiter. Polling rather than pub/sub:
a message published before a waiter subscribes is lost, so a poll would be needed anyway, and with
in-process single flight in front only one task per process polls a given key.

If the loader raises, the lock is released and nothing stored: the caller (and the callers that
joined it in this process) get the exception; waiting processes see no lock and no value, so one
of them takes the lock and runs its own loader.

Redis failing after start never fails a command, and holds commands up at most `timeout_seconds`
once per outage: a `RedisBreaker` (one per process, shared by the store and the limiter) bounds each
Redis operation to that. The first timeout or connection error opens it, which also releases every
operation still waiting on Redis. While it is open, the store uses an in-process TTLCache and the
limiter an in-process token bucket at the same rate (so the total rate is then at most the number of
processes times the limit), at once and without touching Redis. Every `breaker_seconds` a background
probe pings Redis, and the first answer closes the breaker. Opening and closing are logged once each.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import RedisError

from bot.errors import ConfigError
from bot.ra.backends import Codec, MemoryRateLimiter
from bot.ra.cache import MISSING, Missing, TTLCache

log = logging.getLogger(__name__)
V = TypeVar("V")

DEFAULT_RATE_LIMIT_KEY = "ra:v1:ratelimit"
DEFAULT_BREAKER_SECONDS = 30.0
DEFAULT_OPERATION_SECONDS = 1.0
REDIS_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)

# KEYS: value, lock. ARGV: max age (µs), token, lock ms.
# Returns {1, value} for a fresh value, {2} when this caller now holds the lock, {3} when another does.
_FETCH = """
local now = redis.call('TIME')
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local value = redis.call('GET', KEYS[1])
if value then
  local t = tonumber(string.match(value, '^{%s*"t"%s*:%s*([0-9.]+)%s*,'))
  if t and now_us - t * 1000000 < tonumber(ARGV[1]) then
    return {1, value}
  end
end
if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3]) then
  return {2}
end
return {3}
"""

# KEYS: value, lock. ARGV: JSON of the value, expiry ms (0: do not store), token.
_STORE = """
if tonumber(ARGV[2]) > 0 then
  local now = redis.call('TIME')
  local t = now[1] .. '.' .. string.format('%06d', tonumber(now[2]))
  redis.call('SET', KEYS[1], '{"t":' .. t .. ',"v":' .. ARGV[1] .. '}', 'PX', ARGV[2])
end
if redis.call('GET', KEYS[2]) == ARGV[3] then
  redis.call('DEL', KEYS[2])
end
return 1
"""

# A lock held under a random token (here: a load's; also the feed's lease, bot.feed.lease).
# KEYS: lock. ARGV: token. The lock is deleted only by its holder.
RELEASE_IF_HELD = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""

# KEYS: lock. ARGV: token, lock ms. 1 if renewed (still held by that token), else 0.
RENEW_IF_HELD = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

# GCRA with reservation. KEYS: the limit's key. ARGV: µs per request, burst tolerance (µs).
# Every call books the next free slot and returns how many µs until it; callers sleep that long, so
# slots are handed out first come first served across all processes.
_GCRA = """
local now = redis.call('TIME')
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]))
if not tat or tat < now_us then
  tat = now_us
end
local wait = tat - tonumber(ARGV[2]) - now_us
if wait < 0 then
  wait = 0
end
local new_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.ceil((new_tat - now_us) / 1000) + 1000)
return math.floor(wait)
"""

# The background lane. KEYS: the limit's key. ARGV: µs per request, burst tolerance (µs), reserve (µs).
# Books the next slot only if it is free now with `reserve` of the burst to spare (so it is never ahead
# of a foreground caller, who books ahead); else books nothing. Returns 0 when booked, else the µs until
# it may be (the caller sleeps, then asks again).
_GCRA_BACKGROUND = """
local now = redis.call('TIME')
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]))
if not tat or tat < now_us then
  tat = now_us
end
local wait = tat - tonumber(ARGV[2]) + tonumber(ARGV[3]) - now_us
if wait > 0 then
  return math.ceil(wait)
end
local new_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.ceil((new_tat - now_us) / 1000) + 1000)
return 0
"""

_HIT, _LOCKED_BY_US, _LOCKED = 1, 2, 3


class RedisUnavailable(Exception):
    """The breaker is open, or this operation just failed and opened it: use the in-process fallback."""


class RedisBreaker:
    """Decides whether Redis is used at all; one per process, shared by its store and limiter.

    `run` bounds each operation to `timeout_seconds`. A timeout or connection error opens the breaker
    and cuts short every operation still waiting; while open, `run` raises RedisUnavailable at once.
    A background probe pings Redis every `breaker_seconds` and closes the breaker on the first answer.
    `opened` counts the outages, `fallbacks` the operations that did not use Redis because of one.
    """

    def __init__(
        self,
        redis: Redis,
        *,
        breaker_seconds: float = DEFAULT_BREAKER_SECONDS,
        timeout_seconds: float = DEFAULT_OPERATION_SECONDS,
    ) -> None:
        if not breaker_seconds > 0 or not timeout_seconds > 0:
            raise ValueError("breaker_seconds and timeout_seconds must be greater than 0")
        self._redis = redis
        self.breaker_seconds = breaker_seconds
        self.timeout_seconds = timeout_seconds
        self._open_since: float | None = None
        self._fallbacks_before = 0
        self._waiting: set[asyncio.Timeout] = set()
        self._probe: asyncio.Task[None] | None = None
        self.opened = 0
        self.fallbacks = 0

    def __repr__(self) -> str:
        return f"RedisBreaker(open={self.is_open}, opened={self.opened}, fallbacks={self.fallbacks})"

    @property
    def is_open(self) -> bool:
        """True while Redis is not used."""
        return self._open_since is not None

    async def run(self, doing: str, operation: Callable[[], Awaitable[V]]) -> V:
        """`await operation()` within the time limit; RedisUnavailable if the breaker is or gets open."""
        if self._open_since is not None:
            self.fallbacks += 1
            raise RedisUnavailable
        try:
            async with asyncio.timeout(self.timeout_seconds) as limit:
                self._waiting.add(limit)
                try:
                    return await operation()
                finally:
                    self._waiting.discard(limit)
        except REDIS_ERRORS as exc:
            self.fallbacks += 1
            self._trip(doing, exc)
            raise RedisUnavailable from None

    def _trip(self, doing: str, exc: BaseException) -> None:
        if self._open_since is not None:
            return
        self._open_since = time.monotonic()
        self._fallbacks_before = self.fallbacks - 1
        self.opened += 1
        log.warning(
            "Redis unreachable while %s (%s); this process uses its own cache and rate limit, "
            "and checks Redis again every %g s",
            doing,
            _describe(exc) if str(exc) else f"no answer within {self.timeout_seconds:g} s",
            self.breaker_seconds,
        )
        now = asyncio.get_running_loop().time()
        for limit in self._waiting:
            if not limit.expired():
                limit.reschedule(now)  # everyone waiting on Redis gives up now, not at their own deadline
        self._probe = asyncio.get_running_loop().create_task(self._probe_until_back())

    async def _probe_until_back(self) -> None:
        while True:
            await asyncio.sleep(self.breaker_seconds)
            try:
                async with asyncio.timeout(self.timeout_seconds):
                    await self._redis.ping()
            except Exception as exc:  # whatever it is, Redis is not back: the probe must go on
                log.debug("Redis probe failed: %s", _describe(exc))
                continue
            break
        assert self._open_since is not None
        log.warning(
            "Redis reachable again after %.0f s; back to the shared cache and rate limit "
            "(%d operations used the fallback meanwhile)",
            time.monotonic() - self._open_since,
            self.fallbacks - self._fallbacks_before,
        )
        self._open_since = None
        self._probe = None

    async def close(self) -> None:
        """Stop probing; calling it again does nothing."""
        probe, self._probe = self._probe, None
        if probe is not None:
            probe.cancel()
            await asyncio.gather(probe, return_exceptions=True)


class _ThrottledWarning:
    """A warning logged at most once per `interval` seconds, with a count of the ones left out."""

    def __init__(self, logger: logging.Logger, interval: float = 30.0) -> None:
        self._logger = logger
        self._interval = interval
        self._next = 0.0
        self._suppressed = 0

    def __call__(self, message: str, *args: object) -> None:
        now = time.monotonic()
        if now < self._next:
            self._suppressed += 1
            return
        if self._suppressed:
            message += " (%d similar warnings not shown)"
            args = (*args, self._suppressed)
        self._next = now + self._interval
        self._suppressed = 0
        self._logger.warning(message, *args)


def _describe(exc: BaseException) -> str:
    text = str(exc)[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _text(reply: object) -> str:
    return reply.decode("utf-8") if isinstance(reply, bytes) else str(reply)


class RedisResponseStore:
    """A `ResponseStore` in Redis, with single flight within this process and across processes.

    `namespace` prefixes every key (tests use one per test). `lock_seconds`: how long a crashed
    holder's lock outlives it. `wait_seconds`: how long a process waits for another's load before
    loading itself. `breaker`: shared with the process's limiter (by default, one of its own). The
    Redis client is not closed by `close()`: its owner closes it.
    """

    def __init__(
        self,
        redis: Redis,
        *,
        namespace: str = "",
        lock_seconds: float = 5.0,
        wait_seconds: float = 60.0,
        poll_seconds: tuple[float, float] = (0.01, 0.05),
        breaker: RedisBreaker | None = None,
        max_local_entries: int = 10_000,
    ) -> None:
        if lock_seconds <= 0 or wait_seconds <= 0:
            raise ValueError("lock_seconds and wait_seconds must be greater than 0")
        self._namespace = namespace
        self._lock_ms = max(1, round(lock_seconds * 1000))
        self._lock_seconds = lock_seconds
        self._wait_seconds = wait_seconds
        self._poll_min, self._poll_max = poll_seconds
        self.breaker = breaker or RedisBreaker(redis)
        self._fetch_script = redis.register_script(_FETCH)
        self._store_script = redis.register_script(_STORE)
        self._release_script = redis.register_script(RELEASE_IF_HELD)
        self._renew_script = redis.register_script(RENEW_IF_HELD)
        self._inflight: dict[tuple[str, float], asyncio.Task[Any]] = {}
        self._local: TTLCache[str, Any] = TTLCache(max_local_entries)
        self._warn = _ThrottledWarning(log)
        self._hits = 0
        self._misses = 0
        self._coalesced = 0

    def __repr__(self) -> str:
        return f"RedisResponseStore(namespace={self._namespace!r}, inflight={len(self._inflight)})"

    @property
    def hits(self) -> int:
        return self._hits + self._local.hits

    @property
    def misses(self) -> int:
        return self._misses + self._local.misses

    @property
    def coalesced(self) -> int:
        return self._coalesced + self._local.coalesced

    @property
    def redis_down(self) -> bool:
        """True while the store uses its in-process fallback (the breaker is open)."""
        return self.breaker.is_open

    def peek(self, key: str, ttl: float, codec: Codec[V]) -> V | Missing:
        """Only the in-process fallback can be read without I/O; otherwise MISSING."""
        if self.breaker.is_open:
            value: V | Missing = self._local.peek(key, ttl)
            return value
        return MISSING

    async def get_or_load(
        self, key: str, loader: Callable[[], Awaitable[V]], ttl: float, codec: Codec[V]
    ) -> V:
        """The fresh value from Redis, or load it once across all processes (see the module doc)."""
        if self.breaker.is_open:
            self.breaker.fallbacks += 1
            local: V = await self._local.get_or_load(key, loader, ttl)
            return local
        flight = (key, ttl)
        task = self._inflight.get(flight)
        if task is None:
            task = asyncio.ensure_future(self._fetch_or_load(key, loader, ttl, codec))
            self._inflight[flight] = task
            task.add_done_callback(lambda done: self._landed(flight, done))
        else:
            self._coalesced += 1
        value: V = await asyncio.shield(task)
        return value

    async def close(self) -> None:
        """Stop the loads still running here (their locks are released); the Redis client stays open."""
        tasks = list(self._inflight.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._local.clear()
        await self.breaker.close()

    def _landed(self, flight: tuple[str, float], task: asyncio.Task[Any]) -> None:
        if self._inflight.get(flight) is task:
            del self._inflight[flight]
        if not task.cancelled():
            task.exception()

    async def _fetch(self, key: str, ttl: float, token: str, codec: Codec[V]) -> tuple[int, V | Missing]:
        """One round-trip: the fresh value, or the lock taken for us, or word that another holds it."""
        reply = await self.breaker.run(
            "reading the cache",
            lambda: self._fetch_script(
                keys=[self._namespace + key, f"{self._namespace}lock:{key}"],
                args=[max(0, int(ttl * 1_000_000)), token, self._lock_ms],
            ),
        )
        state = int(reply[0])
        if state != _HIT:
            return state, MISSING
        try:
            document = json.loads(_text(reply[1]))
            return state, codec.load(document["v"])
        except (ValueError, TypeError, KeyError) as exc:
            self._warn("Redis cache: unreadable value under %s (%s); loading it again", key, _describe(exc))
            return state, MISSING

    async def _fetch_or_load(
        self, key: str, loader: Callable[[], Awaitable[V]], ttl: float, codec: Codec[V]
    ) -> V:
        token = secrets.token_hex(16)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._wait_seconds
        delay = self._poll_min
        first = True
        while True:
            try:
                fetched = await self._fetch(key, ttl, token, codec)
            except RedisUnavailable:
                local: V = await self._local.get_or_load(key, loader, ttl)
                return local
            state, value = fetched
            if state == _HIT:
                if isinstance(value, Missing):
                    break  # unreadable: load and overwrite it
                if first:
                    self._hits += 1
                else:
                    self._coalesced += 1
                return value
            if state == _LOCKED_BY_US:
                self._misses += 1
                return await self._load_holding_lock(key, token, loader, ttl, codec)
            if loop.time() >= deadline:
                self._warn(
                    "Redis cache: waited %.0f s for another process to load %s", self._wait_seconds, key
                )
                break
            first = False
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._poll_max)
        self._misses += 1
        loaded = await loader()
        await self._save(key, token, loaded, ttl, codec)
        return loaded

    async def _load_holding_lock(
        self, key: str, token: str, loader: Callable[[], Awaitable[V]], ttl: float, codec: Codec[V]
    ) -> V:
        lock = f"{self._namespace}lock:{key}"
        keeper = asyncio.ensure_future(self._keep_lock(lock, token))
        try:
            value = await loader()
        except BaseException:
            keeper.cancel()
            with contextlib.suppress(RedisUnavailable):
                await self.breaker.run(
                    "releasing a lock", lambda: self._release_script(keys=[lock], args=[token])
                )
            raise
        keeper.cancel()
        await self._save(key, token, value, ttl, codec)
        return value

    async def _save(self, key: str, token: str, value: V, ttl: float, codec: Codec[V]) -> None:
        """Store the value (for `ttl`) and release our lock, if we still hold it, in one round-trip."""
        try:
            data = json.dumps(codec.dump(value), separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError) as exc:
            log.error("Redis cache: cannot encode the value of %s (%s)", key, _describe(exc))
            data = None
        expiry_ms = max(1, round(ttl * 1000)) if ttl > 0 and data is not None else 0
        with contextlib.suppress(RedisUnavailable):
            await self.breaker.run(
                "storing in the cache",
                lambda: self._store_script(
                    keys=[self._namespace + key, f"{self._namespace}lock:{key}"],
                    args=[data or "null", expiry_ms, token],
                ),
            )

    async def _keep_lock(self, lock: str, token: str) -> None:
        """Renew our lock while the loader runs, so only a dead process's lock lapses."""
        while True:
            await asyncio.sleep(self._lock_seconds / 3)
            try:
                renewed = await self.breaker.run(
                    "renewing a lock", lambda: self._renew_script(keys=[lock], args=[token, self._lock_ms])
                )
            except RedisUnavailable:
                continue
            if not renewed:
                return


class RedisRateLimiter:
    """A `RateLimiter` shared by every process using `key`: GCRA on the Redis server's clock.

    In any window of T seconds at most `burst + rate * T` calls pass, across all processes. Each
    call books the next free slot in one script and sleeps until it, so callers pass in the order
    they reached Redis (no process is starved). A cancelled caller's slot is not given back.
    """

    def __init__(
        self,
        redis: Redis,
        key: str = DEFAULT_RATE_LIMIT_KEY,
        rate: float = 3.0,
        burst: int = 6,
        *,
        breaker: RedisBreaker | None = None,
    ) -> None:
        if not rate > 0:
            raise ValueError("rate must be greater than 0")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.key = key
        self.rate = rate
        self.burst = burst
        self._interval_us = 1_000_000 / rate
        self._tolerance_us = (burst - 1) * self._interval_us
        self._script = redis.register_script(_GCRA)
        self._background_script = redis.register_script(_GCRA_BACKGROUND)
        self._local = MemoryRateLimiter(rate, burst)
        self._reserve_us = self._local.bucket.reserve * self._interval_us
        self.breaker = breaker or RedisBreaker(redis)
        self._waits = 0
        self._total_wait_seconds = 0.0

    def __repr__(self) -> str:
        return f"RedisRateLimiter(key={self.key!r}, rate={self.rate}, burst={self.burst})"

    @property
    def waits(self) -> int:
        return self._waits + self._local.waits

    @property
    def total_wait_seconds(self) -> float:
        return self._total_wait_seconds + self._local.total_wait_seconds

    @property
    def redis_down(self) -> bool:
        """True while the limiter uses its in-process fallback (the breaker is open)."""
        return self.breaker.is_open

    async def acquire(self, *, background: bool = False) -> float:
        """Wait for this caller's slot; returns the seconds waited."""
        if background:
            return await self._acquire_background()
        try:
            wait_us = await self.breaker.run(
                "booking a rate-limit slot",
                lambda: self._script(keys=[self.key], args=[self._interval_us, self._tolerance_us]),
            )
        except RedisUnavailable:
            return await self._local.acquire()
        wait = int(wait_us) / 1_000_000
        if wait <= 0:
            return 0.0
        self._waits += 1
        loop = asyncio.get_running_loop()
        start = loop.time()
        try:
            await asyncio.sleep(wait)
        finally:
            waited = loop.time() - start
            self._total_wait_seconds += waited
        return waited

    async def _acquire_background(self) -> float:
        """The background lane: asks for a slot with part of the burst to spare, sleeping until there
        may be one; never books ahead, so foreground callers in any process are never behind it."""
        waited = 0.0
        while not self.redis_down:
            try:
                wait_us = int(
                    await self.breaker.run(
                        "booking a background rate-limit slot",
                        lambda: self._background_script(
                            keys=[self.key], args=[self._interval_us, self._tolerance_us, self._reserve_us]
                        ),
                    )
                )
            except RedisUnavailable:
                break
            if wait_us <= 0:
                return waited
            delay = max(wait_us / 1_000_000, 0.005)
            await asyncio.sleep(delay)
            waited += delay
        return waited + await self._local.acquire(background=True)

    async def close(self) -> None:
        await self._local.close()
        await self.breaker.close()


def redact_url(url: str) -> str:
    """The URL with any user and password replaced by `***`."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return "***" if "@" in url else url
    netloc, slash, path = rest.partition("/")
    if "@" in netloc:
        netloc = "***@" + netloc.rpartition("@")[2]
    return f"{scheme}://{netloc}{slash}{path}"


def _scrub(text: str, url: str) -> str:
    try:
        parts = urlsplit(url)
        secrets_in_url = [s for s in (parts.password, parts.username) if s]
    except ValueError:
        secrets_in_url = []
    for secret in secrets_in_url:
        for form in {secret, unquote(secret)}:
            text = text.replace(form, "***")
    return text.replace(url, redact_url(url))


async def connect_redis(url: str, *, socket_timeout: float = 2.0) -> Redis:
    """A Redis client for `url`, pinged once; ConfigError (password never shown) if that fails.

    The errors are raised outside the `except` blocks, so they carry no context holding the URL.
    """
    shown = redact_url(url)
    try:
        client = Redis.from_url(
            url,
            socket_timeout=socket_timeout,
            socket_connect_timeout=socket_timeout,
            retry=Retry(ExponentialWithJitterBackoff(cap=0.1, base=0.01), 1),
        )
    except (ValueError, TypeError) as exc:
        problem = type(exc).__name__
    else:
        problem = ""
    if problem:
        raise ConfigError(
            f"REDIS_URL {shown} is not a valid Redis URL ({problem}); "
            "expected redis://[user:password@]host:port/db"
        )
    try:
        await client.ping()
    except (RedisError, OSError, TimeoutError, ValueError) as exc:
        reason = _scrub(_describe(exc), url)
    else:
        return client
    await client.aclose()
    raise ConfigError(f"REDIS_URL {shown} is not reachable: {reason}; check the server is running")


__all__ = [
    "DEFAULT_BREAKER_SECONDS",
    "DEFAULT_OPERATION_SECONDS",
    "DEFAULT_RATE_LIMIT_KEY",
    "REDIS_ERRORS",
    "RedisBreaker",
    "RedisRateLimiter",
    "RedisResponseStore",
    "RedisUnavailable",
    "connect_redis",
    "redact_url",
]
