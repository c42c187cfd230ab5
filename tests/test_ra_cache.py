"""Response stores, in memory and in Redis, by one suite: hits, single flight, shared failures,
None values, expiry, a read's own ttl, cancellation, model codecs; then what only TTLCache has."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.ra.backends import (
    GAME_CODEC,
    PROFILE_CODEC,
    PROGRESS_CODEC,
    Codec,
    MemoryResponseStore,
    ResponseStore,
    game_key,
    profile_key,
    progress_key,
)
from bot.ra.cache import MISSING, SWEEP_EVERY, TTLCache
from bot.ra.models import GameInfo, GameProgress, UserProfile
from bot.ra.redis_backend import RedisResponseStore
from tests.test_ra_redis import PLAIN, Loader, redis_namespace


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[ResponseStore]:
    if request.param == "memory":
        memory = MemoryResponseStore()
        yield memory
        await memory.close()
        return
    async with redis_namespace() as (redis, namespace):
        shared = RedisResponseStore(redis, namespace=namespace)
        yield shared
        await shared.close()


async def test_fresh_hit_does_not_call_the_loader_again(store: ResponseStore) -> None:
    loader = Loader("v")
    assert await store.get_or_load("k", loader, 60, PLAIN) == "v"
    assert await store.get_or_load("k", loader, 60, PLAIN) == "v"
    assert loader.calls == 1
    assert (store.hits, store.misses) == (1, 1)


async def test_concurrent_callers_share_one_load(store: ResponseStore) -> None:
    loader = Loader("shared", delay=0.01)
    results = await asyncio.gather(*(store.get_or_load("k", loader, 60, PLAIN) for _ in range(200)))
    assert results == ["shared"] * 200
    assert loader.calls == 1
    assert store.misses == 1
    assert store.coalesced == 199


async def test_a_failed_load_reaches_every_caller_and_is_not_cached(store: ResponseStore) -> None:
    failing = Loader(delay=0.01, error=RuntimeError("boom"))
    results = await asyncio.gather(
        *(store.get_or_load("k", failing, 60, PLAIN) for _ in range(10)), return_exceptions=True
    )
    assert failing.calls == 1
    assert all(isinstance(r, RuntimeError) and str(r) == "boom" for r in results)
    working = Loader("ok")
    assert await store.get_or_load("k", working, 60, PLAIN) == "ok"
    assert working.calls == 1


async def test_none_is_cached_like_any_value(store: ResponseStore) -> None:
    loader = Loader(None)
    assert await store.get_or_load("k", loader, 60, PLAIN) is None
    assert await store.get_or_load("k", loader, 60, PLAIN) is None
    assert loader.calls == 1


async def test_entries_expire_after_their_ttl(store: ResponseStore) -> None:
    loader = Loader()
    await store.get_or_load("k", loader, 0.2, PLAIN)
    await store.get_or_load("k", loader, 0.2, PLAIN)
    assert loader.calls == 1
    await asyncio.sleep(0.25)
    await store.get_or_load("k", loader, 0.2, PLAIN)
    assert loader.calls == 2


async def test_zero_ttl_is_never_stored(store: ResponseStore) -> None:
    loader = Loader()
    await store.get_or_load("k", loader, 0, PLAIN)
    await store.get_or_load("k", loader, 0, PLAIN)
    assert loader.calls == 2


async def test_a_cancelled_caller_does_not_cancel_the_shared_load(store: ResponseStore) -> None:
    loader = Loader("v", delay=0.05)
    first = asyncio.create_task(store.get_or_load("k", loader, 60, PLAIN))
    second = asyncio.create_task(store.get_or_load("k", loader, 60, PLAIN))
    await loader.started.wait()
    first.cancel()
    assert await second == "v"
    with pytest.raises(asyncio.CancelledError):
        await first
    assert loader.calls == 1


async def test_a_read_gets_no_value_older_than_its_own_ttl(store: ResponseStore) -> None:
    loader = Loader()
    await store.get_or_load("k", loader, 900, PLAIN)  # a leaderboard keeps answers 15 minutes
    await asyncio.sleep(0.15)
    await store.get_or_load("k", loader, 900, PLAIN)
    assert loader.calls == 1
    await store.get_or_load("k", loader, 0.1, PLAIN)  # this read wants answers at most 0.1 s old
    assert loader.calls == 2


async def test_keys_are_independent(store: ResponseStore) -> None:
    assert await store.get_or_load("a", Loader("A"), 60, PLAIN) == "A"
    assert await store.get_or_load("b", Loader("B"), 60, PLAIN) == "B"
    assert await store.get_or_load("a", Loader("unused"), 60, PLAIN) == "A"


async def test_peek_never_loads(store: ResponseStore) -> None:
    loader = Loader("v")
    assert store.peek("k", 60, PLAIN) is MISSING
    await store.get_or_load("k", loader, 60, PLAIN)
    # A remote store may always answer MISSING; the memory store has the value.
    assert store.peek("k", 60, PLAIN) in (MISSING, "v")
    if isinstance(store, MemoryResponseStore):
        assert store.peek("k", 60, PLAIN) == "v"
    assert loader.calls == 1


PROGRESS = {
    3: GameProgress(3, 30, 300, 30, 300, 12, 120),
    1: GameProgress(1, 23, 251, 23, 251, 23, 251),
}
MODEL_VALUES: list[tuple[str, Codec[Any], object]] = [
    (progress_key("MaxMilyin", [3, 1]), PROGRESS_CODEC, PROGRESS),
    (progress_key("NoSuchUser", [1]), PROGRESS_CODEC, None),
    (progress_key("Empty", [1]), PROGRESS_CODEC, {}),
    (game_key(1), GAME_CODEC, GameInfo(1, "Sonic the Hedgehog", "Genesis/Mega Drive", "/Images/085573.png")),
    (game_key(2), GAME_CODEC, GameInfo(2, "Ünïcode ☃", "", None)),
    (game_key(999), GAME_CODEC, None),
    (profile_key("MaxMilyin"), PROFILE_CODEC, UserProfile("MaxMilyin", "01ABC", "/UserPic/M.png", 1, 2, 3)),
    (profile_key("Nobody"), PROFILE_CODEC, UserProfile("Nobody", None, None, 0, 0, 0)),
    (profile_key("Missing"), PROFILE_CODEC, None),
]


@pytest.mark.parametrize(("key", "codec", "value"), MODEL_VALUES, ids=[k for k, _, _ in MODEL_VALUES])
async def test_model_values_come_back_equal(
    store: ResponseStore, key: str, codec: Codec[Any], value: object
) -> None:
    assert await store.get_or_load(key, Loader(value), 60, codec) == value
    again = await store.get_or_load(key, Loader("unused"), 60, codec)
    assert again == value
    if isinstance(value, dict):
        assert list(again) == list(value)  # the order of the games is kept


@pytest.mark.parametrize(("key", "codec", "value"), MODEL_VALUES, ids=[k for k, _, _ in MODEL_VALUES])
def test_codecs_round_trip(key: str, codec: Codec[Any], value: object) -> None:
    assert codec.load(codec.dump(value)) == value


def test_keys_are_versioned_and_case_insensitive_for_users() -> None:
    assert progress_key("MaxMilyin", (1, 2)) == "ra:v1:progress:maxmilyin:1,2"
    assert game_key(7) == "ra:v1:game:7"
    assert profile_key("MAXMILYIN") == "ra:v1:profile:maxmilyin"


# -- TTLCache, the memory store's engine --------------------------------------------------------


async def test_ttlcache_entries_expire_after_their_ttl() -> None:
    clock = Clock()
    cache: TTLCache[str, object] = TTLCache(clock=clock)
    loader = Loader()
    await cache.get_or_load("k", loader, ttl=10)
    clock.now += 9.9
    await cache.get_or_load("k", loader, ttl=10)
    assert loader.calls == 1
    clock.now += 0.2
    await cache.get_or_load("k", loader, ttl=10)
    assert loader.calls == 2


async def test_ttlcache_a_read_gets_no_value_older_than_its_own_ttl() -> None:
    clock = Clock()
    cache: TTLCache[str, object] = TTLCache(clock=clock)
    loader = Loader()
    await cache.get_or_load("k", loader, ttl=900)
    clock.now += 120
    await cache.get_or_load("k", loader, ttl=900)
    assert loader.calls == 1
    await cache.get_or_load("k", loader, ttl=60)
    assert loader.calls == 2


async def test_ttlcache_a_failed_load_is_not_cached() -> None:
    cache: TTLCache[str, object] = TTLCache()
    with pytest.raises(RuntimeError):
        await cache.get_or_load("k", Loader(error=RuntimeError("boom")), ttl=60)
    assert len(cache) == 0


async def test_ttlcache_least_recently_used_entry_is_evicted_first() -> None:
    cache: TTLCache[str, object] = TTLCache(max_entries=2)
    await cache.get_or_load("a", Loader("A"), ttl=60)
    await cache.get_or_load("b", Loader("B"), ttl=60)
    await cache.get_or_load("a", Loader("unused"), ttl=60)  # a is now the most recent
    await cache.get_or_load("c", Loader("C"), ttl=60)
    assert len(cache) == 2
    reload_b = Loader("B2")
    assert await cache.get_or_load("b", reload_b, ttl=60) == "B2"
    assert reload_b.calls == 1
    keep_a = Loader("unused")
    assert await cache.get_or_load("c", keep_a, ttl=60) == "C"
    assert keep_a.calls == 0


async def test_ttlcache_invalidate_forgets_a_key() -> None:
    cache: TTLCache[str, object] = TTLCache()
    loader = Loader()
    await cache.get_or_load("k", loader, ttl=60)
    cache.invalidate("k")
    await cache.get_or_load("k", loader, ttl=60)
    assert loader.calls == 2


def test_ttlcache_max_entries_must_be_positive() -> None:
    with pytest.raises(ValueError):
        TTLCache(max_entries=0)


def test_ttlcache_peek_never_loads() -> None:
    clock = Clock()
    cache: TTLCache[str, object] = TTLCache(clock=clock)
    assert cache.peek("k", 10) is MISSING
    cache._store("k", "v", 10)
    assert cache.peek("k", 10) == "v"
    clock.now += 10
    assert cache.peek("k", 10) is MISSING


async def test_memory_store_keeps_the_objects_themselves() -> None:
    store = MemoryResponseStore(clock=Clock())
    value = GameInfo(1, "t", "c", None)
    await store.get_or_load("k", Loader(value), 60, GAME_CODEC)
    assert store.peek("k", 60, GAME_CODEC) is value


async def test_expired_entries_nobody_reads_again_are_swept() -> None:
    clock = Clock()
    cache: TTLCache[int, object] = TTLCache(clock=clock)

    async def load() -> object:
        return "value"

    for key in range(SWEEP_EVERY - 1):
        await cache.get_or_load(key, load, ttl=10)
    clock.now += 11
    await cache.get_or_load(-1, load, ttl=10)  # the store that triggers a sweep
    assert len(cache) == 1
