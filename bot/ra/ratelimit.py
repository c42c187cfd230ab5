"""An async token bucket that lets callers through strictly in the order they asked."""

from __future__ import annotations

import asyncio
from collections import deque


class TokenBucket:
    """`rate` tokens per second, at most `burst` saved up; `acquire()` takes one.

    A caller takes a token at once only when nobody is queued; otherwise it joins a FIFO queue
    that a single timer drains as tokens appear, so no newcomer can overtake a waiting caller.
    Time is the running event loop's clock.
    """

    def __init__(self, rate: float, burst: int) -> None:
        if not rate > 0:
            raise ValueError("rate must be greater than 0")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._updated: float | None = None
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._timer: asyncio.TimerHandle | None = None
        self.waits = 0
        self.total_wait_seconds = 0.0

    def __repr__(self) -> str:
        return f"TokenBucket(rate={self.rate}, burst={self.burst}, waiting={len(self._waiters)})"

    def _refill(self, now: float) -> None:
        if self._updated is not None:
            self._tokens = min(float(self.burst), self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    async def acquire(self) -> None:
        """Wait for a token, first come first served."""
        loop = asyncio.get_running_loop()
        self._refill(loop.time())
        if not self._waiters and self._tokens >= 1.0:
            self._tokens -= 1.0
            return
        start = loop.time()
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiters.append(waiter)
        self.waits += 1
        self._schedule(loop)
        try:
            await waiter
        except asyncio.CancelledError:
            self._forget(waiter)
            raise
        finally:
            self.total_wait_seconds += loop.time() - start

    def _forget(self, waiter: asyncio.Future[None]) -> None:
        """A cancelled caller leaves the queue; if it had already been handed a token, return it."""
        if waiter in self._waiters:
            self._waiters.remove(waiter)
        elif waiter.done() and not waiter.cancelled():
            self._tokens = min(float(self.burst), self._tokens + 1.0)
            self._wake()

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._timer is None and self._waiters:
            delay = max(0.0, (1.0 - self._tokens) / self.rate)
            self._timer = loop.call_later(delay, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._wake()

    def _wake(self) -> None:
        """Hand out every token that exists now to the queue's head, in order."""
        loop = asyncio.get_running_loop()
        self._refill(loop.time())
        while self._waiters and self._tokens >= 1.0:
            waiter = self._waiters.popleft()
            if waiter.done():
                continue
            self._tokens -= 1.0
            waiter.set_result(None)
        self._schedule(loop)
