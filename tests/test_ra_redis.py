"""What only the Redis backends do: sharing across processes, locks, fallbacks, secrecy.

Each test works under its own key namespace on the server at TEST_REDIS_URL and deletes it after.
Without a reachable server these tests are skipped, unless REQUIRE_TEST_SERVICES=1 (then they fail).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import socket
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.errors import ConfigError, UserNotFound
from bot.ra.backends import GAME_CODEC, MISSING, game_key, progress_key
from bot.ra.client import RAClient, RAClientOptions
from bot.ra.models import GameInfo
from bot.ra.redis_backend import (
    RedisBreaker,
    RedisRateLimiter,
    RedisResponseStore,
    connect_redis,
    redact_url,
)
from bot.sandbox.fake_ra import FakeRA, demo_dataset
from bot.secret import Secret
from tests.services import services_unavailable
from tests.tcp_faults import FreezableProxy, HungServer

KEY = "REDISTESTKEY0123456789abcdef"
PROGRESS = "API_GetUserProgress"


# -- shared with tests/test_ra_cache.py and tests/test_ratelimit.py -------------------------------


@asynccontextmanager
async def redis_namespace() -> AsyncIterator[tuple[Redis, str]]:
    """A client for TEST_REDIS_URL and a fresh key prefix, deleted afterwards; skips if unreachable."""
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6390/0")
    try:
        redis = await connect_redis(url)
    except ConfigError as exc:
        services_unavailable(str(exc))
    namespace = f"test:{uuid.uuid4().hex}:"
    try:
        yield redis, namespace
    finally:
        keys = [key async for key in redis.scan_iter(match=namespace + "*", count=1000)]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


class Loader:
    """Counts its calls; optionally sleeps, blocks forever or raises."""

    def __init__(self, value: object = "value", delay: float = 0.0, error: Exception | None = None) -> None:
        self.calls = 0
        self.value = value
        self.delay = delay
        self.error = error
        self.started = asyncio.Event()

    async def __call__(self) -> Any:
        self.calls += 1
        self.started.set()
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.error is not None:
            raise self.error
        return self.value


class Plain:
    """A codec for JSON values."""

    def dump(self, value: object) -> Any:
        return value

    def load(self, data: Any) -> object:
        return data


PLAIN = Plain()


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
async def ns() -> AsyncIterator[tuple[Redis, str]]:
    async with redis_namespace() as pair:
        yield pair


@pytest.fixture
async def fake() -> AsyncIterator[FakeRA]:
    server = FakeRA(demo_dataset(), api_key=KEY)
    await server.start()
    yield server
    await server.stop()


def options(base_url: str, **overrides: Any) -> RAClientOptions:
    settings: dict[str, Any] = {
        "timeout_seconds": 2.0,
        "max_retries": 1,
        "retry_base_seconds": 0.001,
        "retry_cap_seconds": 0.005,
        "requests_per_second": 1000.0,
        "burst": 1000,
    }
    settings.update(overrides)
    return RAClientOptions(base_url=base_url, api_key=Secret(KEY), **settings)


async def until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    """Wait for `condition()`, checking every 10 ms; fail after `seconds` (a hang, not a measurement)."""
    for _ in range(round(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    pytest.fail("the condition never became true")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def point_at(redis: Redis, port: int) -> None:
    """Drop the client's connections; new ones go to `port` (a closed port: the server "went away")."""
    pool = redis.connection_pool
    await pool.disconnect()
    pool.reset()  # type: ignore[no-untyped-call]
    pool.connection_kwargs["port"] = port


async def broken_redis() -> Redis:
    """A client that worked once and whose server then went away (new connections are refused)."""
    redis = await connect_redis(os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6390/0"))
    await point_at(redis, closed_port())
    return redis


@pytest.fixture
async def make_client(fake: FakeRA, ns: tuple[Redis, str]) -> AsyncIterator[Callable[..., RAClient]]:
    """A client as another process would have it: its own store, limiter and session, shared Redis."""
    redis, namespace = ns
    clients: list[RAClient] = []

    def make(redis_client: Redis = redis, **overrides: Any) -> RAClient:
        opts = options(fake.base_url, **overrides)
        breaker = RedisBreaker(redis_client)  # one per process, as the bot wires it
        store = RedisResponseStore(redis_client, namespace=namespace, breaker=breaker)
        limiter = RedisRateLimiter(
            redis_client, f"{namespace}ratelimit", opts.requests_per_second, opts.burst, breaker=breaker
        )
        client = RAClient(opts, store=store, limiter=limiter)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


# -- two processes, one RetroAchievements key ------------------------------------------------------


async def test_identical_calls_from_two_processes_make_one_request(
    fake: FakeRA, make_client: Callable[..., RAClient]
) -> None:
    fake.delay = 0.05
    first, second = make_client(), make_client()
    calls = [(first if n % 2 else second).get_user_progress("MaxMilyin", [1, 2]) for n in range(100)]
    results = await asyncio.gather(*calls)
    assert all(result == results[0] for result in results)
    assert results[0][1].mastered
    assert fake.count() == 1
    assert first.stats.cache_misses + second.stats.cache_misses == 1
    assert first.stats.cache_hits + second.stats.cache_hits == 99


async def test_a_shared_rate_limit_holds_across_processes(
    fake: FakeRA, make_client: Callable[..., RAClient]
) -> None:
    first = make_client(requests_per_second=10.0, burst=2)
    second = make_client(requests_per_second=10.0, burst=2)
    loop = asyncio.get_running_loop()
    start = loop.time()
    await asyncio.gather(first.get_games(list(range(100, 112))), second.get_games(list(range(200, 212))))
    elapsed = loop.time() - start
    assert fake.count() == 24
    assert fake.max_requests_in_any_second() <= 2 + 10
    assert elapsed >= (24 - 2) / 10 - 0.05
    assert first.stats.rate_limit_waits + second.stats.rate_limit_waits >= 20


async def test_a_value_loaded_by_one_process_is_read_by_the_other(
    fake: FakeRA, make_client: Callable[..., RAClient]
) -> None:
    first, second = make_client(), make_client()
    assert (await first.get_game(1)) == (await second.get_game(1))
    profile_a = await first.get_user_profile("MaxMilyin")
    assert await second.get_user_profile("maxmilyin") == profile_a
    with pytest.raises(UserNotFound):
        await first.get_user_progress("NoSuchUser42", [1])
    with pytest.raises(UserNotFound):
        await second.get_user_progress("nosuchuser42", [1])
    assert fake.count() == 3


async def test_a_crashed_lock_holder_is_taken_over(ns: tuple[Redis, str], fake: FakeRA) -> None:
    """Another process takes the lock, its loader hangs, and it is killed (no cleanup at all)."""
    redis, namespace = ns
    key = progress_key("MaxMilyin", [1])
    holder = f"""
import asyncio, sys
from bot.ra.redis_backend import RedisResponseStore, connect_redis

async def main() -> None:
    redis = await connect_redis({os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6390/0")!r})
    store = RedisResponseStore(redis, namespace={namespace!r}, lock_seconds=0.3)

    async def hang() -> object:
        print("loading", flush=True)
        await asyncio.Event().wait()

    await store.get_or_load({key!r}, hang, 60.0, None)

asyncio.run(main())
"""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", holder, stdout=asyncio.subprocess.PIPE, cwd=os.getcwd()
    )
    try:
        assert process.stdout is not None
        assert await asyncio.wait_for(process.stdout.readline(), 10) == b"loading\n"
        assert await redis.exists(f"{namespace}lock:{key}")
        store = RedisResponseStore(redis, namespace=namespace, lock_seconds=0.3)
        async with RAClient(options(fake.base_url), store=store) as client:
            waiting = asyncio.create_task(client.get_user_progress("MaxMilyin", [1]))
            await asyncio.sleep(0.5)  # the holder is alive and renews its lock: nobody takes over
            assert not waiting.done()
            assert fake.count() == 0
            process.kill()
            await process.wait()
            loop = asyncio.get_running_loop()
            killed = loop.time()
            assert (await asyncio.wait_for(waiting, 5))[1].mastered
            assert loop.time() - killed < 0.3 + 0.2
        assert fake.count() == 1
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_redis_failing_after_start_does_not_fail_the_call(
    fake: FakeRA, make_client: Callable[..., RAClient], caplog: pytest.LogCaptureFixture
) -> None:
    broken = await broken_redis()
    try:
        client = make_client(broken, requests_per_second=20.0, burst=1)
        progress = await client.get_user_progress("MaxMilyin", [1])
        assert progress[1].mastered
        # The in-process fallback still caches, and still limits the rate.
        assert await client.get_user_progress("MaxMilyin", [1]) == progress
        assert fake.count() == 1
        await client.get_games([1, 2, 3])
        times = [r.time for r in fake.requests]
        assert all(b - a >= 0.04 for a, b in itertools.pairwise(times))
    finally:
        await broken.aclose()
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1  # the store and the limiter share one breaker: one line per outage
    assert warnings[0].startswith("Redis unreachable while reading the cache (ConnectionError")
    assert "uses its own cache and rate limit" in warnings[0]


async def test_the_store_uses_redis_again_once_it_is_back(ns: tuple[Redis, str]) -> None:
    redis, namespace = ns
    broken = await broken_redis()
    try:
        breaker = RedisBreaker(broken, breaker_seconds=0.1)
        store = RedisResponseStore(broken, namespace=namespace, breaker=breaker)
        limiter = RedisRateLimiter(broken, f"{namespace}ratelimit", 100.0, 1, breaker=breaker)
        assert await store.get_or_load("k", Loader("v"), 60, PLAIN) == "v"
        await limiter.acquire()
        assert store.redis_down and limiter.redis_down
        assert store.peek("k", 60, PLAIN) == "v"  # the fallback can be read without I/O
        await point_at(broken, redis.connection_pool.connection_kwargs["port"])
        await until(lambda: not breaker.is_open)  # the background probe found Redis again
        assert await store.get_or_load("k2", Loader("v2"), 60, PLAIN) == "v2"
        await limiter.acquire()
        assert not store.redis_down and not limiter.redis_down
        assert await redis.exists(f"{namespace}k2", f"{namespace}ratelimit") == 2
        assert breaker.opened == 1
    finally:
        await store.close()
        await broken.aclose()


# -- a hung Redis: the circuit breaker ---------------------------------------------------------


@pytest.fixture
async def frozen_redis(ns: tuple[Redis, str]) -> AsyncIterator[tuple[Redis, FreezableProxy, str]]:
    """A client that reaches the test Redis through a proxy the test can freeze (a hung server)."""
    redis, namespace = ns
    async with FreezableProxy(redis.connection_pool.connection_kwargs["port"]) as proxy:
        client = await connect_redis(f"redis://127.0.0.1:{proxy.port}/0")
        try:
            yield client, proxy, namespace
        finally:
            proxy.thaw()
            await client.aclose()


async def test_a_hung_redis_opens_the_breaker_and_lookups_stop_waiting_on_it(
    frozen_redis: tuple[Redis, FreezableProxy, str], caplog: pytest.LogCaptureFixture
) -> None:
    client, proxy, namespace = frozen_redis
    breaker = RedisBreaker(client, breaker_seconds=0.2, timeout_seconds=0.2)
    store = RedisResponseStore(client, namespace=namespace, breaker=breaker)
    limiter = RedisRateLimiter(client, f"{namespace}ratelimit", 1000.0, 1000, breaker=breaker)
    try:
        assert await store.get_or_load("shared", Loader("from redis"), 60, PLAIN) == "from redis"
        proxy.freeze()
        # Lookups in flight when Redis hangs all fall back, each loading its value itself.
        loaders = [Loader(f"local {n}") for n in range(30)]
        in_flight = [store.get_or_load(f"k{n}", loader, 60, PLAIN) for n, loader in enumerate(loaders)]
        assert await asyncio.wait_for(asyncio.gather(*in_flight), 10) == [f"local {n}" for n in range(30)]
        assert breaker.is_open and store.redis_down and limiter.redis_down
        # While open, nothing is sent to Redis: no lookup or rate-limit slot can wait on it.
        sent = breaker.fallbacks
        for n in range(100):
            assert await store.get_or_load(f"k{n % 30}", Loader("unused"), 60, PLAIN) == f"local {n % 30}"
            assert await limiter.acquire() == 0.0
        assert breaker.fallbacks == sent + 200
        proxy.thaw()
        await until(lambda: not breaker.is_open)
        assert await store.get_or_load("shared", Loader("unused"), 60, PLAIN) == "from redis"
    finally:
        await store.close()
        await limiter.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.ra.redis_backend"]
    assert len(lines) == 2, lines
    assert lines[0].startswith("Redis unreachable while reading the cache (no answer within 0.2 s)")
    assert lines[1].startswith("Redis reachable again after ")
    assert lines[1].endswith("(230 operations used the fallback meanwhile)")
    assert breaker.opened == 1


async def test_operations_waiting_on_redis_are_released_when_the_breaker_opens(
    frozen_redis: tuple[Redis, FreezableProxy, str],
) -> None:
    _, proxy, namespace = frozen_redis
    client = await connect_redis(f"redis://127.0.0.1:{proxy.port}/0", socket_timeout=60.0)
    refused = await broken_redis()
    try:
        breaker = RedisBreaker(client, timeout_seconds=60.0)  # only a failure elsewhere can release it
        store = RedisResponseStore(client, namespace=namespace, breaker=breaker)
        limiter = RedisRateLimiter(refused, f"{namespace}ratelimit", 10.0, 1, breaker=breaker)
        proxy.freeze()
        waiting = asyncio.create_task(store.get_or_load("k", Loader("loaded here"), 60, PLAIN))
        await asyncio.sleep(0.1)
        assert not waiting.done()  # hung on the frozen Redis
        await limiter.acquire()  # refused at once: the shared breaker opens
        assert breaker.is_open
        assert await asyncio.wait_for(waiting, 5) == "loaded here"  # not after its own 60 s
    finally:
        await store.close()
        await refused.aclose()
        await client.aclose()


async def test_a_probe_that_fails_keeps_the_breaker_open(ns: tuple[Redis, str]) -> None:
    redis, namespace = ns
    async with HungServer() as hung:
        client = await connect_redis(os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6390/0"))
        await point_at(client, hung.port)
        breaker = RedisBreaker(client, breaker_seconds=0.05, timeout_seconds=0.1)
        store = RedisResponseStore(client, namespace=namespace, breaker=breaker)
        try:
            assert await store.get_or_load("k", Loader("v"), 60, PLAIN) == "v"
            await until(lambda: hung.accepted >= 3)  # the first lookup, then probes
            assert breaker.is_open and breaker.opened == 1
            await point_at(client, redis.connection_pool.connection_kwargs["port"])
            await until(lambda: not breaker.is_open)
            assert await store.get_or_load("k", Loader("v2"), 60, PLAIN) == "v2"
            assert await redis.exists(f"{namespace}k")
        finally:
            await store.close()
            await client.aclose()


async def test_the_api_key_is_never_written_to_redis(
    fake: FakeRA, make_client: Callable[..., RAClient]
) -> None:
    client = make_client()
    await client.get_user_progress("MaxMilyin", [1, 2, 3])
    await client.get_games([1, 2, 999])
    await client.get_user_profile("MaxMilyin")
    with pytest.raises(UserNotFound):
        await client.get_user_profile("NoSuchUser42")
    redis = Redis.from_url(os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6390/0"))
    try:
        seen = 0
        async for key in redis.scan_iter(count=1000):
            assert KEY.encode() not in key
            kind = await redis.type(key)
            if kind == b"string":
                value = await redis.get(key)
                assert value is None or KEY.encode() not in value
            elif kind == b"hash":
                assert KEY.encode() not in repr(await redis.hgetall(key)).encode()
            elif kind in (b"list", b"set", b"zset"):
                dump = await redis.dump(key)
                assert dump is None or KEY.encode() not in dump
            seen += 1
        assert seen >= 7  # 3 progress/profile values, 3 games, the rate limit (at least)
    finally:
        await redis.aclose()


# -- the store: format, freshness, locks ------------------------------------------------------


async def test_values_are_stored_as_json_with_the_time_and_expire_with_the_ttl(
    ns: tuple[Redis, str],
) -> None:
    redis, namespace = ns
    store = RedisResponseStore(redis, namespace=namespace)
    game = GameInfo(1, "Sonic the Hedgehog", "Genesis/Mega Drive", "/Images/085573.png")
    await store.get_or_load(game_key(1), Loader(game), 30.0, GAME_CODEC)
    raw = await redis.get(f"{namespace}{game_key(1)}")
    assert raw is not None
    document = json.loads(raw)
    assert set(document) == {"t", "v"}
    server_now = float(".".join(str(part) for part in await redis.time()))
    assert 0 <= server_now - document["t"] < 1.0
    assert document["v"] == {
        "game_id": 1,
        "title": "Sonic the Hedgehog",
        "console_name": "Genesis/Mega Drive",
        "image_icon": "/Images/085573.png",
    }
    assert 29_000 < await redis.pttl(f"{namespace}{game_key(1)}") <= 30_000
    assert not await redis.exists(f"{namespace}lock:{game_key(1)}")
    other = RedisResponseStore(redis, namespace=namespace)
    assert await other.get_or_load(game_key(1), Loader(), 30.0, GAME_CODEC) == game
    assert other.peek(game_key(1), 30.0, GAME_CODEC) is MISSING


async def test_an_old_or_unreadable_value_is_loaded_again(ns: tuple[Redis, str]) -> None:
    redis, namespace = ns
    store = RedisResponseStore(redis, namespace=namespace)
    seconds, _ = await redis.time()
    await redis.set(f"{namespace}old", json.dumps({"t": seconds - 120, "v": "old"}), px=600_000)
    await redis.set(f"{namespace}bad", "not json at all", px=600_000)
    loader = Loader("new")
    assert await store.get_or_load("old", loader, 900, PLAIN) == "old"  # 2 minutes old is fine here
    assert await store.get_or_load("old", loader, 60, PLAIN) == "new"  # but not for a 1-minute read
    assert await store.get_or_load("bad", loader, 60, PLAIN) == "new"
    assert loader.calls == 2
    assert json.loads(await redis.get(f"{namespace}bad") or b"")["v"] == "new"


async def test_a_process_waits_for_the_load_another_is_running(ns: tuple[Redis, str]) -> None:
    redis, namespace = ns
    first = RedisResponseStore(redis, namespace=namespace, lock_seconds=0.15)
    second = RedisResponseStore(redis, namespace=namespace, lock_seconds=0.15)
    slow = Loader("slow", delay=0.5)  # longer than the lock: the holder must keep renewing it
    unused = Loader("unused")
    running = asyncio.create_task(first.get_or_load("k", slow, 60, PLAIN))
    await slow.started.wait()
    assert await second.get_or_load("k", unused, 60, PLAIN) == "slow"
    assert await running == "slow"
    assert (slow.calls, unused.calls) == (1, 0)
    assert (second.hits, second.misses, second.coalesced) == (0, 0, 1)


async def test_an_abandoned_lock_is_taken_over_once_it_lapses(ns: tuple[Redis, str]) -> None:
    redis, namespace = ns
    await redis.set(f"{namespace}lock:k", "a process that died", px=300)
    store = RedisResponseStore(redis, namespace=namespace)
    loader = Loader("mine")
    loop = asyncio.get_running_loop()
    start = loop.time()
    results = await asyncio.gather(*(store.get_or_load("k", loader, 60, PLAIN) for _ in range(20)))
    assert results == ["mine"] * 20
    assert loader.calls == 1
    assert 0.25 <= loop.time() - start < 0.6


async def test_a_failed_load_releases_the_lock_and_a_waiting_process_tries_itself(
    ns: tuple[Redis, str],
) -> None:
    redis, namespace = ns
    first = RedisResponseStore(redis, namespace=namespace)
    second = RedisResponseStore(redis, namespace=namespace)
    failing = Loader(delay=0.1, error=RuntimeError("boom"))
    working = Loader("second's")
    running = asyncio.create_task(first.get_or_load("k", failing, 60, PLAIN))
    await failing.started.wait()
    waiting = asyncio.create_task(second.get_or_load("k", working, 60, PLAIN))
    with pytest.raises(RuntimeError, match="boom"):
        await running
    assert await waiting == "second's"
    assert (failing.calls, working.calls) == (1, 1)
    assert not await redis.exists(f"{namespace}lock:k")


async def test_a_holder_that_never_finishes_is_not_waited_for_forever(ns: tuple[Redis, str]) -> None:
    redis, namespace = ns
    first = RedisResponseStore(redis, namespace=namespace, lock_seconds=0.1)
    second = RedisResponseStore(redis, namespace=namespace, wait_seconds=0.3)
    hanging = Loader(delay=3600)
    running = asyncio.create_task(first.get_or_load("k", hanging, 60, PLAIN))
    await hanging.started.wait()
    loop = asyncio.get_running_loop()
    start = loop.time()
    assert await second.get_or_load("k", Loader("impatient"), 60, PLAIN) == "impatient"
    assert 0.3 <= loop.time() - start < 0.6
    running.cancel()
    await first.close()
    assert not await redis.exists(f"{namespace}lock:k")  # closing released the lock


# -- the limiter -------------------------------------------------------------------------------


async def test_limiters_of_two_processes_share_one_rate_fairly(ns: tuple[Redis, str]) -> None:
    redis, namespace = ns
    limiters = [RedisRateLimiter(redis, f"{namespace}ratelimit", 50.0, 3) for _ in range(2)]
    loop = asyncio.get_running_loop()
    passed: list[tuple[float, int]] = []

    async def hammer(which: int) -> None:
        for _ in range(20):
            await limiters[which].acquire()
            passed.append((loop.time(), which))

    await asyncio.gather(*(hammer(which) for which in (0, 1) for _ in range(2)))
    times = sorted(t for t, _ in passed)
    for n, t in enumerate(times):
        window = sum(1 for u in times[n:] if u - t < 0.5)
        assert window <= 3 + 50 * 0.5 + 1  # +1: timer and scheduling jitter at the window's edges
    assert times[-1] - times[0] >= (80 - 3) / 50 - 0.05
    first_half = [which for _, which in sorted(passed)[:40]]
    assert 12 <= first_half.count(0) <= 28


async def test_limiter_sleeps_are_counted(ns: tuple[Redis, str]) -> None:
    redis, namespace = ns
    limiter = RedisRateLimiter(redis, f"{namespace}ratelimit", 100.0, 1)
    waited = [await limiter.acquire() for _ in range(5)]
    assert waited[0] == 0.0
    assert all(w > 0 for w in waited[1:])
    assert limiter.waits == 4
    assert limiter.total_wait_seconds == pytest.approx(sum(waited))
    assert 0 < await redis.pttl(f"{namespace}ratelimit") <= 1100  # an idle limit leaves nothing behind


# -- connecting ----------------------------------------------------------------------------------


async def test_an_unreachable_server_is_a_config_error_without_the_password() -> None:
    url = f"redis://botuser:hunter2secret@127.0.0.1:{closed_port()}/0"
    with pytest.raises(ConfigError) as caught:
        await connect_redis(url)
    message = str(caught.value)
    assert "hunter2secret" not in message and "botuser" not in message
    assert message.startswith(f"REDIS_URL redis://***@127.0.0.1:{url.rsplit(':', 1)[1]} is not reachable: ")
    assert message.endswith("check the server is running")
    assert caught.value.__cause__ is None and caught.value.__context__ is None


async def test_a_malformed_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="not a valid Redis URL") as caught:
        await connect_redis("http://user:pa55word@host/0")
    assert "pa55word" not in str(caught.value)


def test_redact_url() -> None:
    assert redact_url("redis://:pw@h:1/0") == "redis://***@h:1/0"
    assert redact_url("rediss://u:p@w@h/2") == "rediss://***@h/2"
    assert redact_url("redis://h:6379/0") == "redis://h:6379/0"
    assert redact_url("u:p@h") == "***"


async def test_a_store_works_through_its_protocol(ns: tuple[Redis, str]) -> None:
    redis, namespace = ns
    store = RedisResponseStore(redis, namespace=namespace)
    load: Callable[[], Awaitable[object]] = Loader(None)
    assert await store.get_or_load("none", load, 60, PLAIN) is None
    assert await store.get_or_load("none", load, 60, PLAIN) is None
    assert (store.hits, store.misses) == (1, 1)
