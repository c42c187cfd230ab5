"""The feed's life in a process: wait for the lease, then poll every poll interval and deliver beside it.

Every process runs this; the lease lets one of them poll. The others try for the lease every third of its
ttl, so when the poller's process dies another takes over within about two poll intervals, and goes on
from the cursor it left: nothing is skipped and, thanks to the ledger, nothing is posted twice.

An upstream or database outage is logged once when it starts and once when it ends; the loop never stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.errors import RAConfigurationError, RAError, RARateLimited, RAUnavailable
from bot.feed.delivery import Deliverer
from bot.feed.lease import Lease
from bot.feed.poller import FeedPoller, PollResult
from bot.feed.reasons import encode_reason
from bot.i18n.language import msg
from bot.metrics import FeedMetrics
from bot.storage import Storage, StorageError
from bot.waiting import wait_until_set

log = logging.getLogger(__name__)

PRUNE_EVERY = timedelta(hours=1)
#: The ledger keeps a post at least this long (`/feed status` counts the last 24 hours).
MIN_RETENTION = timedelta(hours=48)


def poll_error_text(error: RAError) -> str:
    """What `/feed status` says about a failed poll (stored, shown in the admin's language); never the
    request or its key."""
    if isinstance(error, RAConfigurationError):
        reason = msg(
            "RetroAchievements refused the bot's API key (the operator must set a valid {setting})",
            setting="RA_API_KEY",
        )
    elif isinstance(error, RARateLimited):
        reason = msg("RetroAchievements asked the bot to slow down")
    elif isinstance(error, RAUnavailable):
        reason = msg("RetroAchievements is not answering")
    else:
        reason = msg("RetroAchievements refused the request for recent awards")
    return encode_reason(reason)


class FeedService:
    """Polls every `poll_seconds` while this process holds the lease, and delivers beside the polls: a post
    never delays a poll. `poll_now` runs one poll and waits for its posts (tests and benchmarks)."""

    def __init__(
        self,
        poller: FeedPoller,
        deliverer: Deliverer,
        lease: Lease,
        storage: Storage,
        metrics: FeedMetrics,
        *,
        poll_seconds: float,
        retry_seconds: float,
        retention: timedelta,
        clock: Callable[[], datetime],
        on_close: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._poller = poller
        self._deliverer = deliverer
        self._lease = lease
        self._storage = storage
        self._metrics = metrics
        self._poll_seconds = poll_seconds
        self._retry_seconds = retry_seconds
        self._retention = max(retention, MIN_RETENTION)
        self._clock = clock
        self._on_close = on_close
        self._task: asyncio.Task[None] | None = None
        self._delivering: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()  # posts are waiting: deliver now rather than at the next tick
        self._turn = asyncio.Lock()  # one poll at a time: the loop's, or `poll_now`'s
        self._pruned: datetime | None = None
        self._failing: str | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="feed")

    def wake(self) -> None:
        """Deliver now (a poll planned posts, or a server's worker finished while others waited)."""
        self._wake.set()

    async def stop(self) -> None:
        """Stops polling and posting and gives the lease up, so that another process takes over at once."""
        for task in (self._task, self._delivering):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._task = self._delivering = None
        await self._deliverer.close()
        self._metrics.leader.set(0)
        try:
            await self._lease.release()
        finally:
            if self._on_close is not None:
                await self._on_close()

    async def poll_now(self) -> PollResult | None:
        """One poll now, and its posts, if this process holds the lease (for tests and benchmarks)."""
        async with self._turn:
            if not await self._lease.hold():
                return None
            result = await self._poll()
        await self._deliver(wait=True)
        return result

    async def _run(self) -> None:
        was_leader: bool | None = None
        while True:
            async with self._turn:
                leader = await self._lease.hold()
                if leader != was_leader:
                    log.info("Feed: %s", "this process polls now" if leader else "another process polls")
                    self._metrics.leader.set(1 if leader else 0)
                    was_leader = leader
                if leader:
                    await self._poll()
                    if self._delivering is None or self._delivering.done():
                        self._delivering = asyncio.get_running_loop().create_task(
                            self._deliver_while_leader(), name="feed-delivery"
                        )
            await asyncio.sleep(self._poll_seconds if leader else self._retry_seconds)

    async def _deliver_while_leader(self) -> None:
        while self._lease.held:
            self._wake.clear()
            await self._deliver()
            await wait_until_set(self._wake, self._poll_seconds)

    async def _poll(self) -> PollResult | None:
        result: PollResult | None = None
        try:
            result = await self._poller.poll_once()
        except RAError as error:
            self._metrics.polls.labels("upstream_error").inc()
            self._failed(f"RetroAchievements: {error}")
            with contextlib.suppress(StorageError):
                await self._storage.record_feed_poll_error(poll_error_text(error), self._clock())
        except StorageError as error:
            self._metrics.polls.labels("storage_error").inc()
            self._failed(f"storage: {error}")
        except Exception:
            self._metrics.polls.labels("error").inc()
            log.exception("Feed: a poll failed unexpectedly")
        else:
            self._metrics.polls.labels(result.outcome).inc()
            self._recovered()
            if result.planned:
                self.wake()
        await self._prune()
        return result

    async def _deliver(self, *, wait: bool = False) -> None:
        try:
            await self._deliverer.deliver(wait=wait)
        except StorageError as error:
            self._failed(f"storage: {error}")
        except Exception:
            log.exception("Feed: delivery failed unexpectedly")

    async def _prune(self) -> None:
        now = self._clock()
        if self._pruned is not None and now - self._pruned < PRUNE_EVERY:
            return
        try:
            pruned = await self._storage.prune_feed_posts(now - self._retention)
        except StorageError as error:
            self._failed(f"storage: {error}")
            return
        self._pruned = now
        if pruned:
            log.info("Feed: forgot %d post(s) older than %s", pruned, self._retention)

    def _failed(self, what: str) -> None:
        if self._failing is None:
            log.warning("Feed: polling fails (%s); it is retried every %g s", what, self._poll_seconds)
        self._failing = what

    def _recovered(self) -> None:
        if self._failing is not None:
            log.warning("Feed: polling works again")
            self._failing = None
