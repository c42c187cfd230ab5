"""Rate limiters, in memory and in Redis, by one suite: bursts, pacing, refill, the waits they
report; then what only the TokenBucket does: FIFO order under many waiters, cancellation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from bot.ra.backends import MemoryRateLimiter, RateLimiter
from bot.ra.ratelimit import TokenBucket
from bot.ra.redis_backend import RedisRateLimiter
from tests.test_ra_redis import redis_namespace

MakeLimiter = Callable[[float, int], RateLimiter]


@pytest.fixture(params=["memory", "redis"])
async def make_limiter(request: pytest.FixtureRequest) -> AsyncIterator[MakeLimiter]:
    limiters: list[RateLimiter] = []
    if request.param == "memory":

        def memory(rate: float, burst: int) -> RateLimiter:
            limiters.append(MemoryRateLimiter(rate, burst))
            return limiters[-1]

        yield memory
    else:
        async with redis_namespace() as (redis, namespace):

            def shared(rate: float, burst: int) -> RateLimiter:
                limiters.append(RedisRateLimiter(redis, f"{namespace}limit{len(limiters)}", rate, burst))
                return limiters[-1]

            yield shared
    for limiter in limiters:
        await limiter.close()


async def test_burst_passes_without_waiting(make_limiter: MakeLimiter) -> None:
    limiter = make_limiter(1.0, 5)
    loop = asyncio.get_running_loop()
    start = loop.time()
    waited = [await limiter.acquire() for _ in range(5)]
    assert loop.time() - start < 0.05
    assert waited == [0.0] * 5
    assert limiter.waits == 0
    assert limiter.total_wait_seconds == 0.0


async def test_requests_beyond_burst_are_paced_at_rate(make_limiter: MakeLimiter) -> None:
    limiter = make_limiter(50.0, 2)
    loop = asyncio.get_running_loop()
    start = loop.time()
    waited = [await limiter.acquire() for _ in range(12)]
    elapsed = loop.time() - start
    assert elapsed >= 10 / 50 - 0.01
    assert elapsed < 0.5
    assert limiter.waits == 10
    assert limiter.total_wait_seconds == pytest.approx(10 / 50, abs=0.03)
    assert sum(waited) == pytest.approx(limiter.total_wait_seconds, abs=0.005)
    assert waited[:2] == [0.0, 0.0] and all(w > 0 for w in waited[2:])


async def test_concurrent_callers_never_pass_faster_than_the_rate(make_limiter: MakeLimiter) -> None:
    limiter = make_limiter(200.0, 3)
    loop = asyncio.get_running_loop()
    passed: list[float] = []

    async def caller() -> None:
        await limiter.acquire()
        passed.append(loop.time())

    await asyncio.gather(*(caller() for _ in range(43)))
    passed.sort()
    assert passed[-1] - passed[0] >= 40 / 200 - 0.01
    for n, t in enumerate(passed):  # at most burst + rate * T in any window of T = 0.1 s (+1 jitter)
        assert sum(1 for u in passed[n:] if u - t < 0.1) <= 3 + 20 + 1


async def test_tokens_refill_after_idle_time_up_to_burst(make_limiter: MakeLimiter) -> None:
    limiter = make_limiter(100.0, 3)
    for _ in range(3):
        await limiter.acquire()
    await asyncio.sleep(0.1)  # 10 tokens' worth of time, capped at 3
    waits_before = limiter.waits
    for _ in range(3):
        await limiter.acquire()
    assert limiter.waits == waits_before
    await limiter.acquire()
    assert limiter.waits == waits_before + 1


@pytest.mark.parametrize(("rate", "burst"), [(0.0, 1), (-1.0, 1), (1.0, 0)])
async def test_invalid_settings_are_refused(make_limiter: MakeLimiter, rate: float, burst: int) -> None:
    with pytest.raises(ValueError):
        make_limiter(rate, burst)


# -- TokenBucket, the memory limiter's engine -----------------------------------------------------


async def test_hundreds_of_waiters_leave_in_arrival_order() -> None:
    bucket = TokenBucket(rate=3000.0, burst=1)
    finished: list[int] = []

    async def waiter(n: int) -> None:
        await bucket.acquire()
        finished.append(n)

    await asyncio.gather(*(waiter(n) for n in range(300)))
    assert finished == list(range(300))
    assert bucket.waits == 299


async def test_cancelled_waiter_gives_its_token_back() -> None:
    bucket = TokenBucket(rate=10.0, burst=1)
    loop = asyncio.get_running_loop()
    await bucket.acquire()
    doomed = asyncio.create_task(bucket.acquire())
    await asyncio.sleep(0)
    doomed.cancel()
    with pytest.raises(asyncio.CancelledError):
        await doomed
    start = loop.time()
    await bucket.acquire()
    # One token's worth (0.1 s), not two: the cancelled caller's reservation was returned.
    assert loop.time() - start < 0.15


# -- the background lane --------------------------------------------------------------------------


async def test_background_callers_wait_while_members_wait(make_limiter: MakeLimiter) -> None:
    limiter = make_limiter(50.0, 2)
    await limiter.acquire()
    await limiter.acquire()
    order: list[str] = []

    async def caller(name: str, background: bool) -> None:
        await limiter.acquire(background=background)
        order.append(name)

    first = asyncio.create_task(caller("background", True))
    await asyncio.sleep(0)
    members = [asyncio.create_task(caller(f"member{n}", False)) for n in range(4)]
    await asyncio.gather(first, *members)
    # Members pass in the order they reached the limiter (in Redis: the order their requests arrived).
    assert sorted(order[:4]) == ["member0", "member1", "member2", "member3"]
    assert order[4] == "background"


async def test_background_work_leaves_part_of_the_burst_to_members(make_limiter: MakeLimiter) -> None:
    limiter = make_limiter(5.0, 4)  # a token every 200 ms; half the burst is kept for members
    assert [await limiter.acquire(background=True) for _ in range(2)] == [0.0, 0.0]
    third = asyncio.create_task(limiter.acquire(background=True))
    await asyncio.sleep(0.05)
    assert not third.done()
    assert [await limiter.acquire() for _ in range(2)] == [0.0, 0.0]
    assert limiter.waits == 0  # background waits are not members' waits
    third.cancel()
    with pytest.raises(asyncio.CancelledError):
        await third


async def test_background_alone_uses_the_whole_rate(make_limiter: MakeLimiter) -> None:
    limiter = make_limiter(200.0, 2)
    loop = asyncio.get_running_loop()
    start = loop.time()
    for _ in range(20):
        await limiter.acquire(background=True)
    assert loop.time() - start < 0.5  # 20 tokens at 200/s: about 0.1 s, not stuck behind the reserve


async def test_a_member_never_queues_behind_queued_background_callers() -> None:
    bucket = TokenBucket(rate=100.0, burst=4)
    queued = [asyncio.create_task(bucket.acquire(background=True)) for _ in range(30)]
    await asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    start = loop.time()
    await bucket.acquire()
    assert loop.time() - start < 0.005  # the reserve was there, whatever the background queue
    assert bucket.waits == 0
    for task in queued:
        task.cancel()
    await asyncio.gather(*queued, return_exceptions=True)
    await bucket.acquire(background=True)  # cancelled background callers left nothing behind


async def test_a_member_arriving_while_background_waits_is_served_first() -> None:
    bucket = TokenBucket(rate=20.0, burst=1)  # no reserve with a burst of 1
    await bucket.acquire()
    order: list[str] = []

    async def caller(name: str, background: bool) -> None:
        await bucket.acquire(background=background)
        order.append(name)

    background = asyncio.create_task(caller("background", True))
    await asyncio.sleep(0.01)
    await asyncio.gather(background, caller("member", False))
    assert order == ["member", "background"]
