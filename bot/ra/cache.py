"""A TTL cache whose misses are single-flighted: one loader call per missing key at a time."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

SWEEP_EVERY = 1024
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass
class _Entry(Generic[V]):
    value: V
    loaded_at: float
    expires_at: float


class Missing:
    """The type of MISSING: no fresh value is cached."""


MISSING = Missing()


class TTLCache(Generic[K, V]):
    """Values (`None` included) kept for a per-call TTL, at most `max_entries`, least recently used out first.

    A read's `ttl` is also the oldest value that read accepts, so a caller wanting fresh data is not
    served a value another caller was happy to keep for longer.

    Counters: `hits` (fresh value served), `misses` (loader started), `coalesced` (joined a load
    already running for the same key).
    """

    def __init__(self, max_entries: int = 10_000, clock: Callable[[], float] | None = None) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[K, _Entry[V]] = OrderedDict()
        self._inflight: dict[K, asyncio.Task[V]] = {}
        self.hits = 0
        self.misses = 0
        self.coalesced = 0
        self._stores = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"TTLCache(entries={len(self._entries)}, max_entries={self.max_entries})"

    def _now(self) -> float:
        return self._clock() if self._clock is not None else asyncio.get_running_loop().time()

    def _fresh(self, key: K, max_age: float) -> _Entry[V] | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        now = self._now()
        if entry.expires_at <= now:
            del self._entries[key]
            return None
        if now - entry.loaded_at >= max_age:
            return None
        self._entries.move_to_end(key)
        return entry

    def peek(self, key: K, ttl: float) -> V | Missing:
        """The cached value if one no older than `ttl` is there, else MISSING; never loads."""
        entry = self._fresh(key, ttl)
        if entry is None:
            return MISSING
        self.hits += 1
        return entry.value

    def put(self, key: K, value: V, ttl: float) -> None:
        """Keeps `value` for `ttl` seconds (replacing what was there)."""
        self._store(key, value, ttl)

    def _store(self, key: K, value: V, ttl: float) -> None:
        if ttl <= 0:
            return
        now = self._now()
        self._entries[key] = _Entry(value, now, now + ttl)
        self._entries.move_to_end(key)
        self._stores += 1
        if self._stores % SWEEP_EVERY == 0:
            self._sweep(now)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def _sweep(self, now: float) -> None:
        """Drops expired entries that nobody asked for again, so unique keys do not pile up to the cap."""
        for key in [key for key, entry in self._entries.items() if entry.expires_at <= now]:
            del self._entries[key]

    def invalidate(self, key: K) -> None:
        """Forget one key (a load already running still finishes and stores its value)."""
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()

    async def get_or_load(self, key: K, loader: Callable[[], Awaitable[V]], ttl: float) -> V:
        """Return the fresh cached value, or load it once for all concurrent callers.

        If the loader raises, every waiting caller gets the exception and nothing is stored.
        A caller that is cancelled does not cancel the load for the others.
        """
        cached = self.peek(key, ttl)
        if not isinstance(cached, Missing):
            return cached
        task = self._inflight.get(key)
        if task is None:
            self.misses += 1
            task = asyncio.ensure_future(self._load(key, loader, ttl))
            self._inflight[key] = task
            task.add_done_callback(_retrieve_exception)
        else:
            self.coalesced += 1
        return await asyncio.shield(task)

    async def _load(self, key: K, loader: Callable[[], Awaitable[V]], ttl: float) -> V:
        try:
            value = await loader()
            self._store(key, value, ttl)
            return value
        finally:
            self._inflight.pop(key, None)


def _retrieve_exception(task: asyncio.Task[object]) -> None:
    """Mark a failed load as seen, so a load whose callers all left logs no 'never retrieved' error."""
    if not task.cancelled():
        task.exception()
