"""An async token bucket that lets callers through strictly in the order they asked, with a background lane
that always yields to them."""

from __future__ import annotations

import asyncio
from collections import deque


class TokenBucket:
    """`rate` tokens per second, at most `burst` saved up; `acquire()` takes one.

    A caller takes a token at once only when nobody is queued; otherwise it joins a FIFO queue
    that a single timer drains as tokens appear, so no newcomer can overtake a waiting caller.
    Time is the running event loop's clock.

    Background callers (`acquire(background=True)`) have a queue of their own, served only while no
    foreground caller waits and only from tokens above `reserve` (default: half the burst): background
    work uses the rate members leave unused, and a member arriving during it still finds `reserve`
    tokens saved up, so never waits behind it. A background caller never holds a token a member could
    have had: it is handed one only at the moment it may spend it.
    """

    def __init__(self, rate: float, burst: int, *, reserve: int | None = None) -> None:
        if not rate > 0:
            raise ValueError("rate must be greater than 0")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.rate = rate
        self.burst = burst
        self.reserve = min(burst - 1, burst // 2 if reserve is None else max(0, reserve))
        self._tokens = float(burst)
        self._updated: float | None = None
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._background: deque[asyncio.Future[None]] = deque()
        self._timer: asyncio.TimerHandle | None = None
        self.waits = 0
        self.total_wait_seconds = 0.0
        self.background_waits = 0
        self.background_wait_seconds = 0.0

    def __repr__(self) -> str:
        return (
            f"TokenBucket(rate={self.rate}, burst={self.burst}, waiting={len(self._waiters)}, "
            f"background={len(self._background)})"
        )

    def _refill(self, now: float) -> None:
        if self._updated is not None:
            self._tokens = min(float(self.burst), self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    async def acquire(self, *, background: bool = False) -> None:
        """Wait for a token, first come first served within each lane; the foreground lane first."""
        loop = asyncio.get_running_loop()
        self._refill(loop.time())
        if background:
            if not self._waiters and not self._background and self._tokens >= 1.0 + self.reserve:
                self._tokens -= 1.0
                return
            queue = self._background
            self.background_waits += 1
        else:
            if not self._waiters and self._tokens >= 1.0:
                self._tokens -= 1.0
                return
            queue = self._waiters
            self.waits += 1
        start = loop.time()
        waiter: asyncio.Future[None] = loop.create_future()
        queue.append(waiter)
        if background:
            self._schedule(loop)
        else:
            self._reschedule(loop)
        try:
            await waiter
        except asyncio.CancelledError:
            self._forget(waiter, queue)
            raise
        finally:
            waited = loop.time() - start
            if background:
                self.background_wait_seconds += waited
            else:
                self.total_wait_seconds += waited

    def _forget(self, waiter: asyncio.Future[None], queue: deque[asyncio.Future[None]]) -> None:
        """A cancelled caller leaves its queue; if it had already been handed a token, return it."""
        if waiter in queue:
            queue.remove(waiter)
        elif waiter.done() and not waiter.cancelled():
            self._tokens = min(float(self.burst), self._tokens + 1.0)
            self._wake()

    def _reschedule(self, loop: asyncio.AbstractEventLoop) -> None:
        """A new foreground waiter may need tokens sooner than a background one: time for it."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._schedule(loop)

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._timer is not None:
            return
        if self._waiters:
            needed = 1.0
        elif self._background:
            needed = 1.0 + self.reserve
        else:
            return
        delay = max(0.0, (needed - self._tokens) / self.rate)
        self._timer = loop.call_later(delay, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._wake()

    def _wake(self) -> None:
        """Hand out every token that exists now: the foreground queue's head first, in order; the
        background queue only once the foreground one is empty, and only tokens above the reserve."""
        loop = asyncio.get_running_loop()
        self._refill(loop.time())
        while self._waiters and self._tokens >= 1.0:
            waiter = self._waiters.popleft()
            if waiter.done():
                continue
            self._tokens -= 1.0
            waiter.set_result(None)
        while not self._waiters and self._background and self._tokens >= 1.0 + self.reserve:
            waiter = self._background.popleft()
            if waiter.done():
                continue
            self._tokens -= 1.0
            waiter.set_result(None)
        self._schedule(loop)
