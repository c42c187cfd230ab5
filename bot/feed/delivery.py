"""Delivery: post the ledger's pending messages, each server's in order, and record what Discord said.

A message is posted with its nonce and marked posted once Discord acknowledges it. A channel that refuses
every post (deleted, or a permission missing; or embeds dropped for want of Embed Links) pauses its
server's feed with the reason, for `/feed status` to show: no retries until an admin sets the feed again.
A failure that may pass (Discord 5xx, network) leaves the message pending for the next poll, once a poll
interval, never in a loop. Discord refusing the message itself (400) drops that message alone.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from bot.errors import RAError
from bot.feed.planner import award_from_json
from bot.feed.posting import EMBED_LINKS, FAILED, INVALID, POSTED, Poster, missing_permission
from bot.feed.reasons import encode_reason
from bot.i18n.catalogues import language_for
from bot.i18n.language import ENGLISH, Message, msg
from bot.metrics import FeedMetrics
from bot.ra.awards import GameAward
from bot.ra.models import GameInfo
from bot.render.feed import FeedItem, render_feed_message
from bot.storage import Storage, StorageError
from bot.storage.feed import PendingPost

log = logging.getLogger(__name__)

#: Pending posts read per delivery pass (about a hundred messages); the rest wait for the next pass.
BATCH = 1000


class GameIcons(Protocol):
    """Where posts' game icons come from: the game catalogue (or the RetroAchievements client)."""

    async def get_games(
        self, game_ids: Sequence[int], *, background: bool = ...
    ) -> dict[int, GameInfo | None]: ...


class Deliverer:
    """Each server's pending messages are posted one after the other by a worker of that server, so a
    slow channel (Discord's rate limit on it, a retry) holds up nobody else, and never the polls.

    `on_drained` is called when a worker has posted everything it had, so that new posts of that server
    planned meanwhile go out at once rather than at the next poll. `is_leader` is checked before each
    message: a process that lost the lease stops posting (the new poller posts the rest, same nonces).

    Posts are in the server's language: `locale_of(guild_id)` (its Discord locale, if this process sees
    the server), else the locale the feed noted when an admin last set it, else English.
    """

    def __init__(
        self,
        storage: Storage,
        poster: Poster,
        games: GameIcons,
        metrics: FeedMetrics,
        *,
        clock: Callable[[], datetime],
        is_leader: Callable[[], bool] = lambda: True,
        on_drained: Callable[[], None] = lambda: None,
        locale_of: Callable[[int], str | None] = lambda guild_id: None,
        batch: int = BATCH,
    ) -> None:
        self._storage = storage
        self._poster = poster
        self._games = games
        self._metrics = metrics
        self._clock = clock
        self._is_leader = is_leader
        self._on_drained = on_drained
        self._locale_of = locale_of
        self._batch = batch
        self._workers: dict[int, asyncio.Task[None]] = {}

    async def deliver(self, *, wait: bool = False) -> None:
        """Starts a worker for each server with pending posts and none at work; `wait`: until every worker
        is done. A server whose worker is busy gets its newer posts on a later pass.

        A server whose worker was at work when the read began is skipped even if the worker ended during the
        read: the read may predate its last posts. The worker's `on_drained` brings a fresh pass."""
        busy = set(self._workers)
        pending = await self._storage.pending_feed_posts(self._batch)
        servers: dict[int, dict[str, list[PendingPost]]] = {}
        for post in pending:
            servers.setdefault(post.guild_id, {}).setdefault(post.nonce, []).append(post)
        loop = asyncio.get_running_loop()
        for guild_id, messages in servers.items():
            if guild_id not in self._workers and guild_id not in busy:
                worker = loop.create_task(
                    self._deliver_server(list(messages.values())), name=f"feed-{guild_id}"
                )
                self._workers[guild_id] = worker
                worker.add_done_callback(functools.partial(self._forget, guild_id))
        if wait and self._workers:
            await asyncio.wait(set(self._workers.values()))

    async def close(self) -> None:
        """Stops every worker (a message being posted is retried later, with its nonce)."""
        workers = list(self._workers.values())
        for worker in workers:
            worker.cancel()
        if workers:
            await asyncio.wait(workers)

    def _forget(self, guild_id: int, worker: asyncio.Task[None]) -> None:
        if self._workers.get(guild_id) is worker:
            del self._workers[guild_id]

    async def _deliver_server(self, messages: Sequence[list[PendingPost]]) -> None:
        try:
            for posts in messages:
                if not self._is_leader():
                    return
                outcome = await self._deliver(posts)
                if outcome != POSTED and outcome != INVALID:
                    return  # paused, or failing for now: the rest waits for the next poll
        except StorageError as error:
            log.debug("Feed: delivery stopped, storage failed: %s", error)
            return
        except Exception:
            log.exception("Feed: delivery failed unexpectedly")
            return
        self._on_drained()

    async def _deliver(self, posts: Sequence[PendingPost]) -> str:
        first = posts[0]
        guild_id, channel_id, nonce = first.guild_id, first.channel_id, first.nonce
        storage, metrics = self._storage, self._metrics
        try:
            awards = [award_from_json(post.award) for post in posts]
        except (ValueError, KeyError, TypeError):
            unreadable = encode_reason(msg("an award could not be read back"))
            await storage.feed_failed(guild_id, unreadable, self._clock(), drop_nonce=nonce)
            metrics.posts.labels("dropped").inc()
            return INVALID
        icons = await self._icons(awards)
        items = [
            FeedItem(award, post.discord_user_id, icons.get(award.game_id))
            for award, post in zip(awards, posts, strict=True)
        ]
        language = language_for(self._locale_of(guild_id) or first.locale)
        result = await self._poster.post(channel_id, render_feed_message(items, language), nonce)
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
        reason = result.reason or msg("Discord did not say why")
        if result.outcome == INVALID:
            log.error("Feed: Discord refused a post for server %d: %s", guild_id, ENGLISH.render(reason))
            await storage.feed_failed(guild_id, encode_reason(reason), now, drop_nonce=nonce)
            metrics.posts.labels("dropped").inc()
            return INVALID
        if result.outcome == FAILED:
            log.warning(
                "Feed: posting for server %d failed, retried at the next poll: %s",
                guild_id,
                ENGLISH.render(reason),
            )
            await storage.feed_failed(guild_id, encode_reason(reason), now)
            metrics.posts.labels(FAILED).inc()
            return FAILED
        await self._pause(guild_id, reason, now)
        return "paused"

    async def _pause(self, guild_id: int, reason: Message, now: datetime) -> None:
        log.warning("Feed of server %d paused: %s", guild_id, ENGLISH.render(reason))
        await self._storage.feed_failed(guild_id, encode_reason(reason), now, pause=True)
        self._metrics.posts.labels("paused").inc()

    async def _icons(self, awards: Sequence[GameAward]) -> dict[int, str | None]:
        """Each game's icon (from the game catalogue); none if RetroAchievements cannot say now."""
        try:
            games = await self._games.get_games([award.game_id for award in awards], background=True)
        except RAError as error:
            log.info("Feed: posting without game icons (%s)", error)
            return {}
        return {game_id: info.icon_url for game_id, info in games.items() if info is not None}
