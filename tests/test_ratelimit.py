"""The token bucket: bursts, pacing, FIFO order under many waiters, cancellation."""

from __future__ import annotations

import asyncio

import pytest

from bot.ra.ratelimit import TokenBucket


async def test_burst_passes_without_waiting() -> None:
    bucket = TokenBucket(rate=1.0, burst=5)
    loop = asyncio.get_running_loop()
    start = loop.time()
    for _ in range(5):
        await bucket.acquire()
    assert loop.time() - start < 0.05
    assert bucket.waits == 0
    assert bucket.total_wait_seconds == 0.0


async def test_requests_beyond_burst_are_paced_at_rate() -> None:
    bucket = TokenBucket(rate=50.0, burst=2)
    loop = asyncio.get_running_loop()
    start = loop.time()
    for _ in range(12):
        await bucket.acquire()
    elapsed = loop.time() - start
    assert elapsed >= 10 / 50 - 0.01
    assert elapsed < 0.5
    assert bucket.waits == 10
    assert bucket.total_wait_seconds == pytest.approx(10 / 50, abs=0.03)


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


async def test_tokens_refill_after_idle_time_up_to_burst() -> None:
    bucket = TokenBucket(rate=100.0, burst=3)
    for _ in range(3):
        await bucket.acquire()
    await asyncio.sleep(0.1)  # 10 tokens' worth of time, capped at 3
    waits_before = bucket.waits
    for _ in range(3):
        await bucket.acquire()
    assert bucket.waits == waits_before
    await bucket.acquire()
    assert bucket.waits == waits_before + 1


@pytest.mark.parametrize(("rate", "burst"), [(0.0, 1), (-1.0, 1), (1.0, 0)])
def test_invalid_settings_are_refused(rate: float, burst: int) -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate=rate, burst=burst)
