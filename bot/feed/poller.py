"""One poll: read the awards granted since the cursor, keep those of linked members, plan their posts, and
commit the posts with the new cursor in one transaction.

How far back a poll reads: to the cursor (the newest award already considered), but never before
`catchup_hours` ago (older awards are skipped, with one log line) nor before the oldest active feed began
(nothing older could be posted). Awards from `overlap_seconds` before the cursor on the pages read are
considered again, so an award the site dates a little in the past is not missed; the ledger keeps it from
being posted twice. Awards of accounts nobody linked are dropped here, in memory.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.feed.kinds import ALL_KINDS
from bot.feed.lease import Lease
from bot.feed.options import DEFAULT_CATCHUP_HOURS
from bot.feed.planner import plan_posts
from bot.feed.reader import read_awards
from bot.metrics import FeedMetrics
from bot.ra.client import RAClient
from bot.storage import Storage
from bot.storage.feed import FeedCursor, FeedMember

log = logging.getLogger(__name__)

DEFAULT_OVERLAP_SECONDS = 600.0


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class PollResult:
    outcome: str  # "ok", "idle" (no feed is on) or "superseded" (another poller went on)
    requests: int = 0
    awards: int = 0
    planned: int = 0


class FeedPoller:
    def __init__(
        self,
        ra: RAClient,
        storage: Storage,
        lease: Lease,
        metrics: FeedMetrics,
        *,
        catchup_hours: float = DEFAULT_CATCHUP_HOURS,
        overlap_seconds: float = DEFAULT_OVERLAP_SECONDS,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._ra = ra
        self._storage = storage
        self._lease = lease
        self._metrics = metrics
        self._catchup = timedelta(hours=catchup_hours)
        self._overlap = timedelta(seconds=overlap_seconds)
        self._clock = clock

    async def poll_once(self) -> PollResult:
        """Raises RAError or StorageError when upstream or the database fails; nothing is committed then."""
        storage = self._storage
        feeds = await storage.active_feeds()
        if not feeds:
            return PollResult("idle")
        cursor = await storage.feed_cursor()
        now = self._clock()
        cutoff = now - self._catchup
        earliest = min(feed.enabled_at for feed in feeds).replace(microsecond=0)
        high_water = cursor.high_water
        stop_before = max(cutoff, earliest, *([high_water] if high_water else []))
        keep_from = cutoff if high_water is None else max(cutoff, high_water - self._overlap)
        high_water_floor: datetime | None = None
        if high_water is not None and high_water < cutoff:
            # The new cursor is at least the cutoff, whatever this poll finds: a gap is reported once
            # (the next cutoffs pass it by a poll interval, less than the overlap, on a site with no awards).
            high_water_floor = cutoff
        if high_water is not None and high_water < cutoff - self._overlap:
            log.warning(
                "Feed: last checked %s, more than %g h ago: awards granted before %s are skipped",
                high_water.isoformat(timespec="seconds"),
                self._catchup.total_seconds() / 3600,
                cutoff.isoformat(timespec="seconds"),
            )
        wanted = frozenset().union(*(feed.kinds for feed in feeds))
        read = await read_awards(
            self._ra,
            stop_before=stop_before,
            keep_from=keep_from,
            kinds=() if wanted >= ALL_KINDS else wanted,
        )
        self._metrics.upstream_requests.inc(read.requests)
        self._metrics.awards_seen.inc(len(read.awards))
        members = await storage.feed_members(sorted({award.ulid for award in read.awards}))
        by_account: dict[str, list[FeedMember]] = defaultdict(list)
        for member in members:
            by_account[member.ra_ulid].append(member)
        ours = [award for award in read.awards if award.ulid in by_account]
        keys = [(member.guild_id, award.key) for award in ours for member in by_account[award.ulid]]
        known = await storage.known_feed_posts(keys) if keys else set()
        posts = plan_posts(ours, members, {feed.guild_id: feed for feed in feeds}, known)
        newest = max(filter(None, (high_water, read.newest, high_water_floor)), default=None)
        moved = FeedCursor(cursor.version + 1, newest, now)
        if not self._lease.held or not await storage.commit_feed_poll(cursor.version, moved, posts):
            log.info("Feed: another process polled meanwhile; this poll's work is dropped")
            return PollResult("superseded", read.requests, len(read.awards))
        self._metrics.awards_matched.inc(len(posts))
        return PollResult("ok", read.requests, len(read.awards), len(posts))
