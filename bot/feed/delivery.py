"""Delivery: post the ledger's pending messages, each server's in order, and record what Discord said.

A message is posted with its nonce and marked posted once Discord acknowledges it. A channel that refuses
every post (deleted, or a permission missing; or embeds dropped for want of Embed Links) pauses its
server's feed with the reason, for `/feed status` to show: no retries until an admin sets the feed again.
A failure that may pass (Discord 5xx, network) leaves the message pending for the next poll, once a poll
interval, never in a loop. Discord refusing the message itself (400) drops that message alone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from bot.errors import RAError
from bot.feed.planner import award_from_json
from bot.feed.posting import EMBED_LINKS, FAILED, INVALID, POSTED, Poster, missing_permission
from bot.metrics import FeedMetrics
from bot.ra.awards import GameAward
from bot.ra.client import RAClient
from bot.render.feed import FeedItem, render_feed_message
from bot.storage import Storage
from bot.storage.feed import PendingPost

log = logging.getLogger(__name__)

#: Pending posts read per delivery (about a hundred messages); the rest wait for the next poll.
BATCH = 1000
#: Servers posted to at once (each server's messages go one after the other).
CONCURRENCY = 8


class Deliverer:
    def __init__(
        self,
        storage: Storage,
        poster: Poster,
        ra: RAClient,
        metrics: FeedMetrics,
        *,
        clock: Callable[[], datetime],
        batch: int = BATCH,
        concurrency: int = CONCURRENCY,
    ) -> None:
        self._storage = storage
        self._poster = poster
        self._ra = ra
        self._metrics = metrics
        self._clock = clock
        self._batch = batch
        self._slots = asyncio.Semaphore(concurrency)

    async def deliver(self) -> int:
        """Posts what is pending; returns how many messages were posted."""
        pending = await self._storage.pending_feed_posts(self._batch)
        servers: dict[int, dict[str, list[PendingPost]]] = {}
        for post in pending:
            servers.setdefault(post.guild_id, {}).setdefault(post.nonce, []).append(post)
        posted = await asyncio.gather(
            *(self._deliver_server(list(messages.values())) for messages in servers.values())
        )
        return sum(posted)

    async def _deliver_server(self, messages: Sequence[list[PendingPost]]) -> int:
        async with self._slots:
            posted = 0
            for posts in messages:
                outcome = await self._deliver(posts)
                posted += outcome == POSTED
                if outcome != POSTED and outcome != INVALID:
                    break  # paused, or failing for now: the rest waits
            return posted

    async def _deliver(self, posts: Sequence[PendingPost]) -> str:
        first = posts[0]
        guild_id, channel_id, nonce = first.guild_id, first.channel_id, first.nonce
        storage, metrics = self._storage, self._metrics
        try:
            awards = [award_from_json(post.award) for post in posts]
        except (ValueError, KeyError, TypeError):
            await storage.feed_failed(
                guild_id, "an award could not be read back", self._clock(), drop_nonce=nonce
            )
            metrics.posts.labels("dropped").inc()
            return INVALID
        icons = await self._icons(awards)
        items = [
            FeedItem(award, post.discord_user_id, icons.get(award.game_id))
            for award, post in zip(awards, posts, strict=True)
        ]
        result = await self._poster.post(channel_id, render_feed_message(items), nonce)
        now = self._clock()
        if result.outcome == POSTED and result.message_id is not None:
            await storage.mark_feed_posted(guild_id, nonce, result.message_id, now)
            metrics.posts.labels(POSTED).inc()
            for award in awards:
                metrics.lag_seconds.observe(max(0.0, (now - award.awarded_at).total_seconds()))
            if result.embeds_dropped:
                await self._pause(guild_id, missing_permission(EMBED_LINKS, channel_id), now)
                return "paused"
            return POSTED
        if result.outcome == INVALID:
            log.error("Feed: Discord refused a post for server %d: %s", guild_id, result.reason)
            await storage.feed_failed(guild_id, result.reason, now, drop_nonce=nonce)
            metrics.posts.labels("dropped").inc()
            return INVALID
        if result.outcome == FAILED:
            log.warning(
                "Feed: posting for server %d failed, retried at the next poll: %s", guild_id, result.reason
            )
            await storage.feed_failed(guild_id, result.reason, now)
            metrics.posts.labels(FAILED).inc()
            return FAILED
        await self._pause(guild_id, result.reason, now)
        return "paused"

    async def _pause(self, guild_id: int, reason: str, now: datetime) -> None:
        log.warning("Feed of server %d paused: %s", guild_id, reason)
        await self._storage.feed_failed(guild_id, reason, now, pause=True)
        self._metrics.posts.labels("paused").inc()

    async def _icons(self, awards: Sequence[GameAward]) -> dict[int, str | None]:
        """Each game's icon (from the long-lived game cache); none if RetroAchievements cannot say now."""
        try:
            games = await self._ra.get_games([award.game_id for award in awards])
        except RAError as error:
            log.info("Feed: posting without game icons (%s)", error)
            return {}
        return {game_id: info.icon_url for game_id, info in games.items() if info is not None}
