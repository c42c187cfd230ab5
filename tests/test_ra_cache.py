"""The TTL cache: hits, single flight, shared failures, None values, expiry, LRU bound."""

from __future__ import annotations

import asyncio

import pytest

from bot.ra.cache import MISSING, TTLCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingLoader:
    def __init__(self, value: object = "value", delay: float = 0.0, error: Exception | None = None) -> None:
        self.calls = 0
        self.value = value
        self.delay = delay
        self.error = error

    async def __call__(self) -> object:
        self.calls += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.error is not None:
            raise self.error
        return self.value


async def test_fresh_hit_does_not_call_the_loader_again() -> None:
    cache: TTLCache[str, object] = TTLCache()
    loader = CountingLoader("v")
    assert await cache.get_or_load("k", loader, ttl=60) == "v"
    assert await cache.get_or_load("k", loader, ttl=60) == "v"
    assert loader.calls == 1
    assert (cache.hits, cache.misses) == (1, 1)


async def test_concurrent_callers_share_one_load() -> None:
    cache: TTLCache[str, object] = TTLCache()
    loader = CountingLoader("shared", delay=0.01)
    results = await asyncio.gather(*(cache.get_or_load("k", loader, ttl=60) for _ in range(200)))
    assert results == ["shared"] * 200
    assert loader.calls == 1
    assert cache.misses == 1
    assert cache.coalesced == 199


async def test_a_failed_load_reaches_every_caller_and_is_not_cached() -> None:
    cache: TTLCache[str, object] = TTLCache()
    failing = CountingLoader(delay=0.01, error=RuntimeError("boom"))
    results = await asyncio.gather(
        *(cache.get_or_load("k", failing, ttl=60) for _ in range(10)), return_exceptions=True
    )
    assert failing.calls == 1
    assert all(isinstance(r, RuntimeError) and str(r) == "boom" for r in results)
    assert len(cache) == 0
    working = CountingLoader("ok")
    assert await cache.get_or_load("k", working, ttl=60) == "ok"
    assert working.calls == 1


async def test_none_is_cached_like_any_value() -> None:
    cache: TTLCache[int, object] = TTLCache()
    loader = CountingLoader(None)
    assert await cache.get_or_load(1, loader, ttl=60) is None
    assert await cache.get_or_load(1, loader, ttl=60) is None
    assert loader.calls == 1


async def test_entries_expire_after_their_ttl() -> None:
    clock = Clock()
    cache: TTLCache[str, object] = TTLCache(clock=clock)
    loader = CountingLoader()
    await cache.get_or_load("k", loader, ttl=10)
    clock.now += 9.9
    await cache.get_or_load("k", loader, ttl=10)
    assert loader.calls == 1
    clock.now += 0.2
    await cache.get_or_load("k", loader, ttl=10)
    assert loader.calls == 2


async def test_zero_ttl_is_never_stored() -> None:
    cache: TTLCache[str, object] = TTLCache()
    loader = CountingLoader()
    await cache.get_or_load("k", loader, ttl=0)
    await cache.get_or_load("k", loader, ttl=0)
    assert loader.calls == 2


async def test_least_recently_used_entry_is_evicted_first() -> None:
    cache: TTLCache[str, object] = TTLCache(max_entries=2)
    await cache.get_or_load("a", CountingLoader("A"), ttl=60)
    await cache.get_or_load("b", CountingLoader("B"), ttl=60)
    await cache.get_or_load("a", CountingLoader("unused"), ttl=60)  # a is now the most recent
    await cache.get_or_load("c", CountingLoader("C"), ttl=60)
    assert len(cache) == 2
    reload_b = CountingLoader("B2")
    assert await cache.get_or_load("b", reload_b, ttl=60) == "B2"
    assert reload_b.calls == 1
    keep_a = CountingLoader("unused")
    assert await cache.get_or_load("c", keep_a, ttl=60) == "C"
    assert keep_a.calls == 0


async def test_a_cancelled_caller_does_not_cancel_the_shared_load() -> None:
    cache: TTLCache[str, object] = TTLCache()
    loader = CountingLoader("v", delay=0.02)
    first = asyncio.create_task(cache.get_or_load("k", loader, ttl=60))
    second = asyncio.create_task(cache.get_or_load("k", loader, ttl=60))
    await asyncio.sleep(0.005)
    first.cancel()
    assert await second == "v"
    with pytest.raises(asyncio.CancelledError):
        await first
    assert loader.calls == 1


async def test_invalidate_forgets_a_key() -> None:
    cache: TTLCache[str, object] = TTLCache()
    loader = CountingLoader()
    await cache.get_or_load("k", loader, ttl=60)
    cache.invalidate("k")
    await cache.get_or_load("k", loader, ttl=60)
    assert loader.calls == 2


def test_max_entries_must_be_positive() -> None:
    with pytest.raises(ValueError):
        TTLCache(max_entries=0)


async def test_a_read_gets_no_value_older_than_its_own_ttl() -> None:
    clock = Clock()
    cache: TTLCache[str, object] = TTLCache(clock=clock)
    loader = CountingLoader()
    await cache.get_or_load("k", loader, ttl=900)  # a leaderboard keeps answers 15 minutes
    clock.now += 120
    await cache.get_or_load("k", loader, ttl=900)
    assert loader.calls == 1
    await cache.get_or_load("k", loader, ttl=60)  # /progress wants answers at most a minute old
    assert loader.calls == 2


def test_peek_never_loads() -> None:
    clock = Clock()
    cache: TTLCache[str, object] = TTLCache(clock=clock)
    assert cache.peek("k", 10) is MISSING
    cache._store("k", "v", 10)
    assert cache.peek("k", 10) == "v"
    clock.now += 10
    assert cache.peek("k", 10) is MISSING
