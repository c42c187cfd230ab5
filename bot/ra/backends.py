"""What RAClient needs from a response cache and a rate limiter, and the in-memory versions of both.

A `ResponseStore` caches decoded answers under string keys (see `progress_key`, `game_key`,
`profile_key`; the versioned prefix means a change of format never reads old data) and makes
identical concurrent loads one load. A `RateLimiter` paces requests. The in-memory versions are
the single-process default; `bot.ra.redis_backend` shares both across processes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict
from typing import Any, Protocol, TypeVar

from bot.ra.cache import MISSING, Missing, TTLCache
from bot.ra.models import GameInfo, GameProgress, UserProfile
from bot.ra.ratelimit import TokenBucket

V = TypeVar("V")
KEY_PREFIX = "ra:v1:"


class Codec(Protocol[V]):
    """Turns a cached value into JSON-able data and back."""

    def dump(self, value: V) -> Any: ...

    def load(self, data: Any) -> V: ...


class ResponseStore(Protocol):
    """A TTL cache with single flight; a read's `ttl` is also the oldest value that read accepts."""

    @property
    def hits(self) -> int: ...

    @property
    def misses(self) -> int: ...

    @property
    def coalesced(self) -> int: ...

    async def get_or_load(
        self, key: str, loader: Callable[[], Awaitable[V]], ttl: float, codec: Codec[V]
    ) -> V: ...

    def peek(self, key: str, ttl: float, codec: Codec[V]) -> V | Missing:
        """A fresh cached value or MISSING, without I/O; a remote store may always say MISSING."""
        ...

    async def close(self) -> None: ...


class RateLimiter(Protocol):
    """Paces requests; `acquire()` returns the seconds it waited.

    `acquire(background=True)` is the lower-priority lane: such a caller waits while any foreground
    caller waits and leaves part of the burst unused, so members never wait behind background work.
    `waits` and `total_wait_seconds` count foreground waits only."""

    @property
    def waits(self) -> int: ...

    @property
    def total_wait_seconds(self) -> float: ...

    async def acquire(self, *, background: bool = False) -> float: ...

    async def close(self) -> None: ...


class RAObserver(Protocol):
    """Metrics hook: told about every HTTP attempt, cache lookup and rate-limit wait."""

    def request(self, endpoint: str, status: str) -> None:
        """One per HTTP attempt: "200", "429", "500", "timeout", "connection_error", "bad_body" (not
        JSON), "too_large" (over the endpoint's body limit)..."""

    def cache(self, kind: str, hit: bool) -> None:
        """One per cache lookup; kind is "progress", "game" or "profile"."""

    def rate_limit_wait(self, seconds: float) -> None:
        """Only when a request had to wait (seconds > 0)."""


# -- keys --------------------------------------------------------------------------------------


def progress_key(user: str, game_ids: Sequence[int]) -> str:
    return f"{KEY_PREFIX}progress:{user.lower()}:{','.join(map(str, game_ids))}"


def game_key(game_id: int) -> str:
    return f"{KEY_PREFIX}game:{game_id}"


def profile_key(user: str) -> str:
    return f"{KEY_PREFIX}profile:{user.lower()}"


# -- codecs ------------------------------------------------------------------------------------


class ProgressCodec:
    """`dict[int, GameProgress] | None` <-> a list of field objects (order kept) or null."""

    def dump(self, value: dict[int, GameProgress] | None) -> Any:
        return None if value is None else [asdict(progress) for progress in value.values()]

    def load(self, data: Any) -> dict[int, GameProgress] | None:
        if data is None:
            return None
        return {progress.game_id: progress for progress in (GameProgress(**fields) for fields in data)}


class GameCodec:
    """`GameInfo | None` <-> an object or null."""

    def dump(self, value: GameInfo | None) -> Any:
        return None if value is None else asdict(value)

    def load(self, data: Any) -> GameInfo | None:
        return None if data is None else GameInfo(**data)


class ProfileCodec:
    """`UserProfile | None` <-> an object or null."""

    def dump(self, value: UserProfile | None) -> Any:
        return None if value is None else asdict(value)

    def load(self, data: Any) -> UserProfile | None:
        return None if data is None else UserProfile(**data)


PROGRESS_CODEC = ProgressCodec()
GAME_CODEC = GameCodec()
PROFILE_CODEC = ProfileCodec()


# -- in memory ---------------------------------------------------------------------------------


class MemoryResponseStore:
    """The single-process store: a TTLCache holding the values themselves (the codec is not used)."""

    def __init__(self, max_entries: int = 30_000, clock: Callable[[], float] | None = None) -> None:
        self.cache: TTLCache[str, Any] = TTLCache(max_entries, clock)

    def __repr__(self) -> str:
        return f"MemoryResponseStore({self.cache!r})"

    @property
    def hits(self) -> int:
        return self.cache.hits

    @property
    def misses(self) -> int:
        return self.cache.misses

    @property
    def coalesced(self) -> int:
        return self.cache.coalesced

    async def get_or_load(
        self, key: str, loader: Callable[[], Awaitable[V]], ttl: float, codec: Codec[V]
    ) -> V:
        value: V = await self.cache.get_or_load(key, loader, ttl)
        return value

    def peek(self, key: str, ttl: float, codec: Codec[V]) -> V | Missing:
        value: V | Missing = self.cache.peek(key, ttl)
        return value

    async def close(self) -> None:
        self.cache.clear()


class MemoryRateLimiter:
    """The single-process limiter: a FIFO TokenBucket."""

    def __init__(self, rate: float, burst: int) -> None:
        self.bucket = TokenBucket(rate, burst)

    def __repr__(self) -> str:
        return f"MemoryRateLimiter({self.bucket!r})"

    @property
    def rate(self) -> float:
        return self.bucket.rate

    @property
    def burst(self) -> int:
        return self.bucket.burst

    @property
    def waits(self) -> int:
        return self.bucket.waits

    @property
    def total_wait_seconds(self) -> float:
        return self.bucket.total_wait_seconds

    async def acquire(self, *, background: bool = False) -> float:
        bucket = self.bucket
        waits_before = bucket.background_waits if background else bucket.waits
        start = asyncio.get_running_loop().time()
        await bucket.acquire(background=background)
        # Taking a token at once never suspends nor counts a wait: an unchanged count means none.
        if (bucket.background_waits if background else bucket.waits) == waits_before:
            return 0.0
        return asyncio.get_running_loop().time() - start

    async def close(self) -> None:
        return None


__all__ = [
    "GAME_CODEC",
    "KEY_PREFIX",
    "MISSING",
    "PROFILE_CODEC",
    "PROGRESS_CODEC",
    "Codec",
    "GameCodec",
    "MemoryRateLimiter",
    "MemoryResponseStore",
    "Missing",
    "ProfileCodec",
    "ProgressCodec",
    "RAObserver",
    "RateLimiter",
    "ResponseStore",
]
