"""RAClient against a real FakeRA on 127.0.0.1: answers, errors, retries, cache, pacing, key secrecy."""

from __future__ import annotations

import asyncio
import logging
import tracemalloc
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import aiohttp
import pytest

from bot.errors import RAConfigurationError, RAInvalidRequest, RARateLimited, RAUnavailable, UserNotFound
from bot.ra.backends import MemoryRateLimiter, MemoryResponseStore
from bot.ra.client import BODY_LIMITS, RAClient, RAClientOptions, parse_retry_after
from bot.ra.models import MAX_NUMBER, GameInfo, GameProgress
from bot.sandbox.fake_ra import FAILURE_KINDS, Dataset, FakeRA, demo_dataset, edge_case_dataset
from bot.secret import Secret

KEY = "TESTKEY0123456789abcdef"
SENTINEL = "SENTINELKEY0123456789abcdef"
PROGRESS = "API_GetUserProgress"
MakeClient = Callable[..., RAClient]


def fast_options(base_url: str, key: str = KEY, **overrides: Any) -> RAClientOptions:
    settings: dict[str, Any] = {
        "timeout_seconds": 2.0,
        "max_retries": 2,
        "retry_base_seconds": 0.001,
        "retry_cap_seconds": 0.005,
        "requests_per_second": 1000.0,
        "burst": 1000,
    }
    settings.update(overrides)
    return RAClientOptions(base_url=base_url, api_key=Secret(key), **settings)


async def started(dataset: Dataset, key: str = KEY) -> FakeRA:
    server = FakeRA(dataset, api_key=key)
    await server.start()
    return server


@pytest.fixture
async def fake() -> AsyncIterator[FakeRA]:
    server = await started(demo_dataset())
    yield server
    await server.stop()


@pytest.fixture
async def make_client(fake: FakeRA) -> AsyncIterator[MakeClient]:
    clients: list[RAClient] = []

    def make(**overrides: Any) -> RAClient:
        key = overrides.pop("key", KEY)
        base_url = overrides.pop("base_url", fake.base_url)
        client = RAClient(fast_options(base_url, key, **overrides))
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


# -- answers ------------------------------------------------------------------------------------


async def test_documented_example(make_client: MakeClient) -> None:
    progress = await make_client().get_user_progress("MaxMilyin", [1])
    assert progress == {1: GameProgress(1, 23, 251, 23, 251, 23, 251)}
    assert progress[1].mastered


async def test_demo_progress_completed_not_mastered_and_order_kept(make_client: MakeClient) -> None:
    progress = await make_client().get_user_progress("maxmilyin", [3, 2, 4, 3])
    assert list(progress) == [3, 2, 4]
    assert progress[3].completed and not progress[3].mastered
    assert progress[2] == GameProgress(2, 35, 400, 20, 210, 12, 130)
    assert progress[4] == GameProgress(4, 0, 0, 0, 0, 0, 0)


async def test_edge_case_fixture_through_the_wire() -> None:
    server = await started(edge_case_dataset())
    try:
        async with RAClient(fast_options(server.base_url)) as client:
            progress = await client.get_user_progress("EdgeCase", [1, 2, 3, 15934])
    finally:
        await server.stop()
    assert progress == {
        1: GameProgress(1, 3, 40, 2, 15, 1, 5),
        2: GameProgress(2, 5, 50, 0, 0, 0, 0),
        3: GameProgress(3, 0, 0, 0, 0, 0, 0),
        15934: GameProgress(15934, 0, 0, 0, 0, 0, 0),
    }


async def test_string_numbers(fake: FakeRA, make_client: MakeClient) -> None:
    fake.string_numbers = True
    client = make_client()
    assert await client.get_user_progress("MaxMilyin", [1]) == {1: GameProgress(1, 23, 251, 23, 251, 23, 251)}
    profile = await client.get_user_profile("maxmilyin")
    assert profile.user == "MaxMilyin"
    assert profile.total_points > 0


async def test_ulid_is_accepted_as_user(make_client: MakeClient) -> None:
    progress = await make_client().get_user_progress("00003EMFWR7XB8SDPEHB3K56ZQ", [1])
    assert progress[1].mastered


async def test_unknown_user_raises_user_not_found(make_client: MakeClient) -> None:
    client = make_client()
    with pytest.raises(UserNotFound):
        await client.get_user_progress("NoSuchUser42", [1])
    with pytest.raises(UserNotFound):
        await client.get_user_profile("NoSuchUser42")


async def test_profile(fake: FakeRA, make_client: MakeClient) -> None:
    client = make_client()
    profile = await client.get_user_profile("MAXMILYIN")
    assert profile.user == "MaxMilyin"
    assert profile.ulid == "00003EMFWR7XB8SDPEHB3K56ZQ"
    assert profile.user_pic == "/UserPic/MaxMilyin.png"
    await client.get_user_profile("maxmilyin")
    assert fake.count("API_GetUserProfile") == 1


async def test_unknown_game_is_none_and_cached(fake: FakeRA, make_client: MakeClient) -> None:
    client = make_client()
    assert await client.get_game(999999) is None
    assert await client.get_game(999999) is None
    assert fake.count("API_GetGame") == 1


async def test_get_games(fake: FakeRA, make_client: MakeClient) -> None:
    games = await make_client().get_games([2, 1, 999, 2])
    assert list(games) == [2, 1, 999]
    assert games[1] is not None and games[1].title == "Sonic the Hedgehog"
    assert games[1].image_icon == "/Images/085573.png"
    assert games[999] is None
    assert fake.count("API_GetGame") == 3


async def test_no_ids_makes_no_request(fake: FakeRA, make_client: MakeClient) -> None:
    assert await make_client().get_user_progress("MaxMilyin", []) == {}
    assert fake.requests == []


# -- errors -------------------------------------------------------------------------------------


async def test_wrong_key_is_a_configuration_error_without_retry(
    fake: FakeRA, make_client: MakeClient
) -> None:
    with pytest.raises(RAConfigurationError):
        await make_client(key="WRONGKEY0123456789")._get_json(PROGRESS, {"u": "MaxMilyin", "i": "1"})
    assert fake.count() == 1


async def test_injected_401(fake: FakeRA, make_client: MakeClient) -> None:
    fake.fail_next(PROGRESS, "401")
    with pytest.raises(RAConfigurationError):
        await make_client().get_user_progress("MaxMilyin", [1])
    assert fake.count() == 1


async def test_422_is_invalid_request_without_retry(fake: FakeRA, make_client: MakeClient) -> None:
    fake.fail_next(PROGRESS, "422")
    with pytest.raises(RAInvalidRequest, match="The u field is required"):
        await make_client().get_user_progress("MaxMilyin", [1])
    assert fake.count() == 1


async def test_bad_user_name_is_refused_before_any_request(fake: FakeRA, make_client: MakeClient) -> None:
    with pytest.raises(RAInvalidRequest):
        await make_client().get_user_progress("not a name!", [1])
    assert fake.requests == []


async def test_429_retry_after_is_honoured(fake: FakeRA, make_client: MakeClient) -> None:
    fake.fail_next(PROGRESS, "429", retry_after=0.2)
    progress = await make_client().get_user_progress("MaxMilyin", [1])
    assert progress[1].mastered
    first, second = fake.requests
    assert second.time - first.time >= 0.19


async def test_429_forever_is_rate_limited(fake: FakeRA, make_client: MakeClient) -> None:
    fake.fail_next(PROGRESS, "429", times=100, retry_after=0)
    client = make_client()
    with pytest.raises(RARateLimited):
        await client.get_user_progress("MaxMilyin", [1])
    assert fake.count() == 3
    assert client.stats.retries == 2


async def test_429_asking_too_long_gives_up_at_once(fake: FakeRA, make_client: MakeClient) -> None:
    fake.fail_next(PROGRESS, "429", retry_after=60)
    with pytest.raises(RARateLimited):
        await make_client(max_retry_after_seconds=30.0).get_user_progress("MaxMilyin", [1])
    assert fake.count() == 1


async def test_429_without_retry_after_uses_backoff(fake: FakeRA, make_client: MakeClient) -> None:
    fake.fail_next(PROGRESS, "429")
    assert (await make_client().get_user_progress("MaxMilyin", [1]))[1].mastered
    assert fake.count() == 2


@pytest.mark.parametrize("kind", ["500", "html", "html200", "truncated", "drop"])
async def test_transient_failure_then_success(fake: FakeRA, make_client: MakeClient, kind: str) -> None:
    fake.fail_next(PROGRESS, kind)
    client = make_client()
    assert (await client.get_user_progress("MaxMilyin", [1]))[1].mastered
    assert fake.count() == 2
    if kind != "drop":  # aiohttp itself re-sends a GET once when a kept-alive connection drops
        assert client.stats.requests[PROGRESS] == 2
        assert client.stats.retries == 1


@pytest.mark.parametrize("kind", ["500", "html", "html200", "truncated", "drop"])
async def test_failure_forever_is_unavailable(fake: FakeRA, make_client: MakeClient, kind: str) -> None:
    fake.fail_next(PROGRESS, kind, times=100)
    client = make_client()
    with pytest.raises(RAUnavailable) as caught:
        await client.get_user_progress("MaxMilyin", [1])
    assert client.stats.requests[PROGRESS] == 3
    assert fake.count() >= 3
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None


async def test_wrong_shape_is_unavailable_without_retry(fake: FakeRA, make_client: MakeClient) -> None:
    fake.fail_next(None, "wrong_types", times=2)
    client = make_client()
    with pytest.raises(RAUnavailable, match="unexpected shape"):
        await client.get_user_progress("MaxMilyin", [1])
    with pytest.raises(RAUnavailable, match="unexpected shape"):
        await client.get_game(1)
    assert fake.count() == 2


async def test_slow_answer_times_out(fake: FakeRA, make_client: MakeClient) -> None:
    fake.fail_next(PROGRESS, "slow", times=10)
    loop = asyncio.get_running_loop()
    start = loop.time()
    with pytest.raises(RAUnavailable, match="timed out"):
        await make_client(timeout_seconds=0.2, max_retries=1).get_user_progress("MaxMilyin", [1])
    assert loop.time() - start < 2.0
    assert fake.count() == 2


async def test_connection_refused_is_unavailable(make_client: MakeClient) -> None:
    closed = await started(demo_dataset())
    url = closed.base_url
    await closed.stop()
    with pytest.raises(RAUnavailable, match="connection failed"):
        await make_client(base_url=url).get_user_progress("MaxMilyin", [1])


def test_parse_retry_after() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("0.5") == 0.5
    assert parse_retry_after("-4") == 0.0
    date = format_datetime(datetime(2026, 1, 1, 0, 0, 10, tzinfo=UTC), usegmt=True)
    assert parse_retry_after(date, now=lambda: now) == pytest.approx(10.0)
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


# -- chunking, single flight, cache, pacing, request details --------------------------------------


async def test_long_id_lists_are_split_into_chunks(fake: FakeRA, make_client: MakeClient) -> None:
    ids = list(range(1, 251))
    progress = await make_client(ids_per_request=100).get_user_progress("MaxMilyin", ids)
    assert list(progress) == ids
    assert progress[1].mastered and progress[250] == GameProgress(250, 0, 0, 0, 0, 0, 0)
    assert fake.count(PROGRESS) == 3
    sizes = [len(r.params["i"].split(",")) for r in fake.requests]
    assert sorted(sizes) == [50, 100, 100]


async def test_concurrent_identical_calls_make_one_request(fake: FakeRA, make_client: MakeClient) -> None:
    fake.delay = 0.05
    client = make_client()
    results = await asyncio.gather(*(client.get_user_progress("MaxMilyin", [1, 2]) for _ in range(200)))
    assert all(r == results[0] for r in results)
    assert fake.count() == 1
    assert client.stats.requests == {PROGRESS: 1}
    assert client.stats.cache_misses == 1
    assert client.stats.cache_hits == 199


async def test_cache_expires_after_ttl(fake: FakeRA, make_client: MakeClient) -> None:
    client = make_client(cache_progress_seconds=0.1)
    await client.get_user_progress("MaxMilyin", [1])
    await client.get_user_progress("maxmilyin", [1])
    assert fake.count() == 1
    await asyncio.sleep(0.12)
    await client.get_user_progress("MaxMilyin", [1])
    assert fake.count() == 2


async def test_rate_limiter_paces_requests(fake: FakeRA, make_client: MakeClient) -> None:
    client = make_client(requests_per_second=20.0, burst=2)
    await client.get_games(list(range(1, 25)))
    assert fake.count() == 24
    assert fake.max_requests_in_any_second() <= 20 + 2
    times = [r.time for r in fake.requests]
    assert times[-1] - times[0] >= (24 - 2) / 20 - 0.05
    assert client.stats.rate_limit_waits >= 20


async def test_retries_also_wait_for_the_rate_limiter(fake: FakeRA, make_client: MakeClient) -> None:
    fake.fail_next(PROGRESS, "500", times=2)
    client = make_client(requests_per_second=10.0, burst=1)
    await client.get_user_progress("MaxMilyin", [1])
    times = [r.time for r in fake.requests]
    assert times[1] - times[0] >= 0.09 and times[2] - times[1] >= 0.09


async def test_request_details(fake: FakeRA, make_client: MakeClient) -> None:
    await make_client().get_user_progress("MaxMilyin", [1])
    await make_client(username="MyBotUser", user_agent="Tester/1.0").get_user_progress("Scott", [1])
    plain, named = fake.requests
    assert plain.params == {"y": KEY, "u": "MaxMilyin", "i": "1"}
    assert plain.user_agent == "RAProgressBot/0.1 (+Discord bot)"
    assert named.params["z"] == "MyBotUser"
    assert named.user_agent == "Tester/1.0"


async def test_given_session_is_used_and_left_open(fake: FakeRA) -> None:
    async with aiohttp.ClientSession() as session:
        client = RAClient(fast_options(fake.base_url), session=session)
        await client.get_game(1)
        await client.close()
        assert not session.closed
    assert fake.requests[0].user_agent == "RAProgressBot/0.1 (+Discord bot)"


# -- the API key never leaks ----------------------------------------------------------------------


def _exception_texts(exc: BaseException | None, seen: set[int] | None = None) -> Iterator[str]:
    seen = set() if seen is None else seen
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield str(exc)
        yield repr(exc)
        yield from (repr(arg) for arg in exc.args)
        yield repr(vars(exc))
        yield from _exception_texts(exc.__cause__, seen)
        exc = exc.__context__


async def test_sentinel_key_never_appears(caplog: pytest.LogCaptureFixture) -> None:
    loggers = ["", "aiohttp", "aiohttp.client", "aiohttp.server", "aiohttp.access", "asyncio", "bot"]
    for name in loggers:
        caplog.set_level(logging.DEBUG, logger=name)
    server = await started(demo_dataset(), key=SENTINEL)
    wrong_key_server = await started(demo_dataset(), key="SomeOtherKey1234567890")
    closed = await started(demo_dataset())
    closed_url = closed.base_url
    await closed.stop()
    errors: list[BaseException] = []
    clients = [
        RAClient(fast_options(server.base_url, SENTINEL, timeout_seconds=0.2, max_retries=1)),
        RAClient(fast_options(wrong_key_server.base_url, SENTINEL, max_retries=1)),
        RAClient(fast_options(closed_url, SENTINEL, max_retries=1)),
    ]
    good, wrong_key, refused = clients

    async def record(call: Awaitable[object]) -> None:
        try:
            await call
        except Exception as exc:
            errors.append(exc)

    try:
        for kind in [
            "401",
            "422",
            "429",
            "500",
            "html",
            "html200",
            "truncated",
            "wrong_types",
            "slow",
            "drop",
        ]:
            server.fail_next(None, kind, times=5, retry_after=0 if kind == "429" else None)
            await record(good.get_user_progress("MaxMilyin", [len(errors) + 1]))
            server._failures.clear()
        server.fail_next(None, "429", retry_after=999)
        await record(good.get_game(5))
        await record(good.get_user_progress("NoSuchUser1", [1]))
        await record(good.get_user_profile("NoSuchUser1"))
        await record(good.get_user_progress("bad name", [1]))
        await record(wrong_key.get_user_progress("MaxMilyin", [1]))
        await record(wrong_key.get_user_profile("MaxMilyin"))
        await record(refused.get_game(1))
        texts = [repr(c) for c in clients] + [repr(good._options), str(good.stats.snapshot())]
    finally:
        for client in clients:
            await client.close()
        await server.stop()
        await wrong_key_server.stop()

    assert len(errors) == 17
    assert len(caplog.records) > 0
    for exc in errors:
        texts.extend(_exception_texts(exc))
        # Nothing is chained: an aiohttp error (whose text can hold the URL) never rides along.
        assert exc.__cause__ is None and exc.__context__ is None, repr(exc)
    for record_ in caplog.records:
        texts.append(record_.getMessage())
        if record_.exc_info:
            texts.append(logging.Formatter().formatException(record_.exc_info))
    texts.append(caplog.text)
    leaks = [text for text in texts if SENTINEL in text]
    assert leaks == []
    # The test itself must be able to see the key where it legitimately is.
    assert any(r.params.get("y") == SENTINEL for r in server.requests)


# -- the store, the limiter and the observer it is given -------------------------------------------


class RecordingObserver:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        self.caches: list[tuple[str, bool]] = []
        self.waits: list[float] = []

    def request(self, endpoint: str, status: str) -> None:
        self.requests.append((endpoint, status))

    def cache(self, kind: str, hit: bool) -> None:
        self.caches.append((kind, hit))

    def rate_limit_wait(self, seconds: float) -> None:
        self.waits.append(seconds)


async def test_observer_sees_attempts_cache_lookups_and_waits(fake: FakeRA) -> None:
    observer = RecordingObserver()
    fake.fail_next(PROGRESS, "500")
    fake.fail_next(PROGRESS, "html200")
    fake.fail_next("API_GetGame", "slow")
    options = fast_options(fake.base_url, requests_per_second=50.0, burst=1, timeout_seconds=0.2)
    async with RAClient(options, observer=observer) as client:
        await client.get_user_progress("MaxMilyin", [1])
        await client.get_user_progress("maxmilyin", [1])
        await client.get_games([1, 999])
        await client.get_games([1])
        with pytest.raises(UserNotFound):
            await client.get_user_profile("NoSuchUser42")
        wait_seconds = client.stats.rate_limit_wait_seconds
    assert observer.requests[:3] == [(PROGRESS, "500"), (PROGRESS, "bad_body"), (PROGRESS, "200")]
    assert Counter(observer.requests[3:6]) == Counter(
        {("API_GetGame", "200"): 2, ("API_GetGame", "timeout"): 1}
    )
    assert observer.requests[6:] == [("API_GetUserProfile", "404")]
    assert observer.caches == [
        ("progress", False),
        ("progress", True),
        ("game", False),
        ("game", False),
        ("game", True),
        ("profile", False),
    ]
    assert observer.waits and all(w > 0 for w in observer.waits)
    assert sum(observer.waits) == pytest.approx(wait_seconds, abs=0.005)


async def test_given_store_and_limiter_are_used_and_closed(fake: FakeRA) -> None:
    store, limiter = ClosingStore(), ClosingLimiter()
    client = RAClient(fast_options(fake.base_url), store=store, limiter=limiter)
    await client.get_game(1)
    await client.get_game(1)
    assert client.stats.cache_hits == 1 and client.stats.cache_misses == 1
    assert limiter.acquired == 1
    await client.close()
    assert store.closed and limiter.closed


class ClosingStore(MemoryResponseStore):
    closed = False

    async def close(self) -> None:
        self.closed = True
        await super().close()


class ClosingLimiter(MemoryRateLimiter):
    def __init__(self) -> None:
        super().__init__(1000.0, 1000)
        self.acquired = 0
        self.closed = False

    async def acquire(self, *, background: bool = False) -> float:
        self.acquired += 1
        return await super().acquire(background=background)

    async def close(self) -> None:
        self.closed = True


# -- hostile answers ------------------------------------------------------------------------------

BODY_KINDS = ["huge_body", "huge_body_chunked", "endless_body", "gzip_bomb"]


@pytest.mark.parametrize("kind", BODY_KINDS)
async def test_body_over_the_limit_is_retried_then_unavailable(fake: FakeRA, kind: str) -> None:
    observer = RecordingObserver()
    fake.fail_next(PROGRESS, kind, times=100)
    async with RAClient(fast_options(fake.base_url), observer=observer) as client:
        with pytest.raises(RAUnavailable, match="over the size limit") as caught:
            await client.get_user_progress("MaxMilyin", [1])
        assert client.stats.requests[PROGRESS] == 3
    assert observer.requests == [(PROGRESS, "too_large")] * 3
    assert caught.value.__cause__ is None and caught.value.__context__ is None


@pytest.mark.parametrize("kind", BODY_KINDS)
async def test_body_over_the_limit_once_then_the_answer(
    fake: FakeRA, make_client: MakeClient, kind: str
) -> None:
    fake.fail_next(PROGRESS, kind)
    client = make_client()
    assert (await client.get_user_progress("MaxMilyin", [1]))[1].mastered
    assert client.stats.retries == 1


async def test_a_declared_length_over_the_limit_is_refused_without_reading(fake: FakeRA) -> None:
    """The fake declares 50 MB and then sends nothing: a client that waited for the body would time out."""
    observer = RecordingObserver()
    fake.fail_next(PROGRESS, "huge_declared_stall")
    async with RAClient(fast_options(fake.base_url, max_retries=0), observer=observer) as client:
        with pytest.raises(RAUnavailable, match="over the size limit"):
            await client.get_user_progress("MaxMilyin", [1])
    assert observer.requests == [(PROGRESS, "too_large")]


async def test_an_answer_exactly_at_the_limit_is_read(fake: FakeRA) -> None:
    async with aiohttp.ClientSession() as http:
        url = f"{fake.base_url}/API/{PROGRESS}.php"
        async with http.get(url, params={"y": KEY, "u": "MaxMilyin", "i": "1,2"}) as response:
            size = len(await response.read())
    for limit, works in ((size, True), (size - 1, False)):
        fake.requests.clear()
        client = RAClient(fast_options(fake.base_url, max_retries=0), body_limits={PROGRESS: limit})
        async with client:
            if works:
                assert list(await client.get_user_progress("MaxMilyin", [1, 2])) == [1, 2]
            else:
                with pytest.raises(RAUnavailable, match="over the size limit"):
                    await client.get_user_progress("MaxMilyin", [1, 2])


@pytest.mark.parametrize("kind", ["endless_body", "huge_body_chunked", "gzip_bomb"])
async def test_reading_a_hostile_body_holds_about_the_limit(fake: FakeRA, kind: str) -> None:
    """Peak memory allocated while the client meets a body that never ends stays near the limit.

    Reading the body whole would allocate the 50 MB (or everything that arrives before the timeout)."""
    limit = 256 * 1024
    fake.fail_next(PROGRESS, kind)
    client = RAClient(fast_options(fake.base_url, max_retries=0), body_limits={PROGRESS: limit})
    tracemalloc.start()
    try:
        with pytest.raises(RAUnavailable, match="over the size limit"):
            await client.get_user_progress("MaxMilyin", [1])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        await client.close()
    assert peak < 8 * limit


async def test_the_largest_real_progress_answer_fits_its_limit(fake: FakeRA, make_client: MakeClient) -> None:
    """RA_IDS_PER_REQUEST's most (500 IDs, the longest IDs) with numbers as strings, as older answers."""
    fake.string_numbers = True
    ids = list(range(999_501, 1_000_001))
    progress = await make_client(ids_per_request=500, max_retries=0).get_user_progress("MaxMilyin", ids)
    assert list(progress) == ids
    assert fake.count(PROGRESS) == 1


def test_every_endpoint_has_a_limit_and_the_catalogue_the_largest() -> None:
    for endpoint in ("API_GetUserProgress", "API_GetGame", "API_GetUserProfile"):
        assert 0 < BODY_LIMITS[endpoint] <= 1024 * 1024
    assert BODY_LIMITS["API_GetGameList"] == max(BODY_LIMITS.values())
    assert BODY_LIMITS["API_GetGameList"] >= 10_000 * 350  # thousands of games with their hashes


@pytest.mark.parametrize("kind", ["masked_link_name", "long_name", "bidi_name"])
async def test_a_profile_name_breaking_the_name_rule_is_a_bad_answer(
    fake: FakeRA, make_client: MakeClient, kind: str
) -> None:
    fake.fail_next("API_GetUserProfile", kind)
    client = make_client()
    with pytest.raises(RAUnavailable, match="unexpected shape"):
        await client.get_user_profile("MaxMilyin")
    assert fake.count() == 1  # the same server would send the same name: no retry
    assert (await client.get_user_profile("MaxMilyin")).user == "MaxMilyin"  # nothing bad was cached


async def test_upstream_strings_lose_their_controls_and_images_their_odd_paths(
    fake: FakeRA, make_client: MakeClient
) -> None:
    fake.fail_next("API_GetGame", "hostile_strings")
    fake.fail_next("API_GetUserProfile", "hostile_strings")
    client = make_client()
    game = await client.get_game(1)
    profile = await client.get_user_profile("MaxMilyin")
    assert game == GameInfo(1, "Sonic the Hedgehog", "Genesis/Mega Drive", None)
    assert profile.user == "MaxMilyin" and profile.user_pic is None and profile.avatar_url is None


async def test_huge_points_are_clamped(fake: FakeRA, make_client: MakeClient) -> None:
    fake.fail_next(None, "huge_points", times=2)
    client = make_client()
    progress = await client.get_user_progress("MaxMilyin", [2])
    profile = await client.get_user_profile("MaxMilyin")
    assert progress[2] == GameProgress(2, 35, 400, 20, 400, 12, 400)
    assert (profile.total_points, profile.total_softcore_points, profile.total_true_points) == (
        MAX_NUMBER,
        MAX_NUMBER,
        MAX_NUMBER,
    )


async def test_unlocks_and_points_over_what_is_possible_are_clamped(
    fake: FakeRA, make_client: MakeClient
) -> None:
    fake.fail_next(PROGRESS, "over_full")
    progress = await make_client().get_user_progress("MaxMilyin", [2, 4])
    assert progress[2] == GameProgress(2, 35, 400, 35, 400, 35, 400)
    assert progress[4] == GameProgress(4, 0, 0, 0, 0, 0, 0)


async def test_hostile_answers_never_leak_the_key(caplog: pytest.LogCaptureFixture) -> None:
    for name in ["", "aiohttp", "asyncio", "bot"]:
        caplog.set_level(logging.DEBUG, logger=name)
    server = await started(demo_dataset(), key=SENTINEL)
    errors: list[BaseException] = []
    try:
        async with RAClient(fast_options(server.base_url, SENTINEL, max_retries=1)) as client:
            for kind in sorted(FAILURE_KINDS - {"slow"}):
                server.fail_next(None, kind, times=4, retry_after=0)
                for call in (client.get_user_profile("MaxMilyin"), client.get_game(len(errors) + 20)):
                    try:
                        await call
                    except Exception as exc:
                        errors.append(exc)
                server.clear_failures()
                client._store.cache.clear()  # type: ignore[attr-defined]
    finally:
        await server.stop()
    assert len(errors) > 10
    texts = [text for exc in errors for text in _exception_texts(exc)]
    texts += [record.getMessage() for record in caplog.records] + [caplog.text]
    assert [text for text in texts if SENTINEL in text] == []
