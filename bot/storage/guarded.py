"""One watcher for every storage call, whatever the backend: an outage is logged once and counted.

A database outage makes every command that needs it fail at once, at the rate commands arrive. Logging
each failure buries the log (a 10 s outage at 80 commands/s once wrote 1,665 tracebacks), so the first
failure is logged, the others are only counted, and the end of the outage is logged with their number.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TypeVar

from bot.catalogue.model import CatalogueGame, Console, StoredConsole
from bot.storage.base import LinkedAccount, NotKnown, Storage, StorageError
from bot.storage.feed import FeedCursor, FeedMember, FeedSettings, FeedStatus, PendingPost, PlannedPost

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_SETTLE_SECONDS = 5.0


class GuardedStorage:
    """A `Storage` that passes each call to `backend` and keeps count of the failures.

    Errors reach the caller unchanged; the caller decides what a member sees. `failures` counts every
    call that raised StorageError since start (for metrics). The first failure while healthy logs one
    warning; the outage ends, with one more line, at the first success of a call that started after the
    last failure and at least `settle_seconds` after it (calls answered from a backend's memory succeed
    during an outage too, and must not end it every time).
    """

    def __init__(
        self,
        backend: Storage,
        *,
        settle_seconds: float = DEFAULT_SETTLE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.backend = backend
        self.failures = 0
        self._settle_seconds = settle_seconds
        self._clock = clock
        self._down_since: float | None = None
        self._last_failure = 0.0
        self._failed_in_outage = 0

    def __repr__(self) -> str:
        return f"GuardedStorage({self.backend!r}, failures={self.failures}, healthy={self.healthy})"

    @property
    def healthy(self) -> bool:
        """False from a failed call until the outage is over (see the class doc)."""
        return self._down_since is None

    # -- lifecycle: not counted, a failure there stops the bot with its own message -----------------

    async def open(self) -> None:
        """Create or migrate the database and check it; raise StorageError if it cannot be used."""
        await self.backend.open()

    async def close(self) -> None:
        """Release the database; calling it again does nothing."""
        await self.backend.close()

    # -- calls -------------------------------------------------------------------------------------

    async def link(
        self, discord_user_id: int, ra_ulid: str, ra_name: str, guild_id: int | None
    ) -> LinkedAccount:
        """Link a member to an RA account, replacing their older link; join `guild_id` when given."""
        return await self._watch(self.backend.link(discord_user_id, ra_ulid, ra_name, guild_id))

    async def get_link(self, discord_user_id: int) -> LinkedAccount | None:
        """The member's link, if any."""
        return await self._watch(self.backend.get_link(discord_user_id))

    async def cached_link(self, discord_user_id: int) -> LinkedAccount | None:
        """The member's link, from memory when this process knows it (see `Storage.cached_link`)."""
        return await self._watch(self.backend.cached_link(discord_user_id))

    def known_link(self, discord_user_id: int) -> LinkedAccount | NotKnown | None:
        return self.backend.known_link(discord_user_id)

    async def count_links(self) -> int:
        """How many members are linked, in the whole database."""
        return await self._watch(self.backend.count_links())

    async def unlink(self, discord_user_id: int) -> bool:
        """Forget the member everywhere (link, memberships, the feed's posts of them); True if anything
        was deleted."""
        return await self._watch(self.backend.unlink(discord_user_id))

    async def record_member(self, guild_id: int, discord_user_id: int) -> None:
        """Note that the member used the bot in the guild; idempotent and cheap."""
        await self._watch(self.backend.record_member(guild_id, discord_user_id))

    async def refresh_name(self, ra_ulid: str, ra_name: str) -> None:
        """Follow a rename on RetroAchievements for every link to this account."""
        await self._watch(self.backend.refresh_name(ra_ulid, ra_name))

    def member_known(self, guild_id: int, discord_user_id: int) -> bool:
        return self.backend.member_known(guild_id, discord_user_id)

    def name_known(self, ra_ulid: str, ra_name: str) -> bool:
        return self.backend.name_known(ra_ulid, ra_name)

    async def guild_links(self, guild_id: int) -> list[LinkedAccount]:
        """Linked members of the guild, ordered by RA name (case-insensitive)."""
        return await self._watch(self.backend.guild_links(guild_id))

    async def search_guild_links(self, guild_id: int, text: str, limit: int = 25) -> list[LinkedAccount]:
        """Linked members of the guild whose RA name contains `text` (any case), prefix matches first."""
        return await self._watch(self.backend.search_guild_links(guild_id, text, limit))

    async def get_meta(self, key: str) -> str | None:
        """A small stored value, if set."""
        return await self._watch(self.backend.get_meta(key))

    async def set_meta(self, key: str, value: str) -> None:
        """Store a small value under `key`, replacing any older one."""
        await self._watch(self.backend.set_meta(key, value))

    # -- the game catalogue (bot.catalogue) -----------------------------------------------------

    async def catalogue_consoles(self) -> list[StoredConsole]:
        """Every console of the catalogue, by ID."""
        return await self._watch(self.backend.catalogue_consoles())

    async def save_catalogue_consoles(self, consoles: Sequence[Console], listed_at: float) -> None:
        """Note that the console list named these consoles at `listed_at`; others are kept."""
        await self._watch(self.backend.save_catalogue_consoles(consoles, listed_at))

    async def replace_catalogue_games(
        self, console: Console, games: Sequence[CatalogueGame], refreshed_at: float
    ) -> None:
        """In one transaction: the console's games become exactly `games`."""
        await self._watch(self.backend.replace_catalogue_games(console, games, refreshed_at))

    async def add_catalogue_games(self, games: Sequence[CatalogueGame]) -> None:
        """Add games learned one by one; a game already in the catalogue is left as it is."""
        await self._watch(self.backend.add_catalogue_games(games))

    async def catalogue_games(self) -> list[CatalogueGame]:
        """Every game of the catalogue, by ID."""
        return await self._watch(self.backend.catalogue_games())

    async def catalogue_stamp(self) -> tuple[int, float]:
        """(how many games, the latest console refresh): changes whenever the catalogue does."""
        return await self._watch(self.backend.catalogue_stamp())

    async def hold_lease(self, name: str) -> bool:
        """True while this storage holds the lease `name`, taking it if it is free."""
        return await self._watch(self.backend.hold_lease(name))

    # -- the award feed (bot.storage.feed) ---------------------------------------------------------

    async def set_feed(
        self, guild_id: int, channel_id: int, kinds: frozenset[str], locale: str | None = None
    ) -> FeedSettings:
        """Turn the server's feed on (or move it), from now; clears a pause and the last error."""
        return await self._watch(self.backend.set_feed(guild_id, channel_id, kinds, locale))

    async def remove_feed(self, guild_id: int) -> bool:
        """Turn the server's feed off and drop its pending posts; True if it was on."""
        return await self._watch(self.backend.remove_feed(guild_id))

    async def get_feed(self, guild_id: int) -> FeedSettings | None:
        """The server's feed, if any."""
        return await self._watch(self.backend.get_feed(guild_id))

    async def active_feeds(self) -> list[FeedSettings]:
        """Every feed that is on and not paused."""
        return await self._watch(self.backend.active_feeds())

    async def feed_members(self, ra_ulids: Sequence[str]) -> list[FeedMember]:
        """Members linked to these RA accounts, on the board of a server whose feed is active."""
        return await self._watch(self.backend.feed_members(ra_ulids))

    async def known_feed_posts(self, keys: Sequence[tuple[int, str]]) -> set[tuple[int, str]]:
        """Which (server, award key) pairs the ledger already holds."""
        return await self._watch(self.backend.known_feed_posts(keys))

    async def feed_cursor(self) -> FeedCursor:
        """The deployment's feed cursor (version 0 before the first poll)."""
        return await self._watch(self.backend.feed_cursor())

    async def commit_feed_poll(
        self, expected_version: int, cursor: FeedCursor, posts: Sequence[PlannedPost]
    ) -> bool:
        """In one transaction: store `cursor` (its version must be `expected_version` + 1) and the posts
        whose member is still linked to that account. False, writing nothing, if the stored cursor is no
        longer at `expected_version` (another poller went on)."""
        return await self._watch(self.backend.commit_feed_poll(expected_version, cursor, posts))

    async def record_feed_poll_error(self, error: str, at: datetime) -> None:
        """Note why the last poll failed (shown by `/feed status`)."""
        await self._watch(self.backend.record_feed_poll_error(error, at))

    async def pending_feed_posts(self, limit: int) -> list[PendingPost]:
        """Posts to deliver, oldest message first, for active feeds and members still linked."""
        return await self._watch(self.backend.pending_feed_posts(limit))

    async def mark_feed_posted(self, guild_id: int, nonce: str, message_id: int, at: datetime) -> None:
        """The message `nonce` is in the server's channel."""
        await self._watch(self.backend.mark_feed_posted(guild_id, nonce, message_id, at))

    async def feed_failed(
        self, guild_id: int, error: str, at: datetime, *, pause: bool = False, drop_nonce: str | None = None
    ) -> None:
        """Record why posting failed; `pause` also pauses the feed and drops its pending posts,
        `drop_nonce` drops that message's posts only."""
        await self._watch(self.backend.feed_failed(guild_id, error, at, pause=pause, drop_nonce=drop_nonce))

    async def feed_status(self, guild_id: int, since: datetime) -> FeedStatus | None:
        """The server's feed with the number of awards posted since `since`, or None if it has none."""
        return await self._watch(self.backend.feed_status(guild_id, since))

    async def prune_feed_posts(self, before: datetime) -> int:
        """Forget posts planned before `before` (pending ones too: too old to post); returns how many."""
        return await self._watch(self.backend.prune_feed_posts(before))

    # -- health ------------------------------------------------------------------------------------

    async def _watch(self, call: Awaitable[T]) -> T:
        started = self._clock()
        try:
            result = await call
        except StorageError as exc:
            self._failed(exc)
            raise
        if self._down_since is not None:
            self._succeeded(started)
        return result

    def _failed(self, exc: StorageError) -> None:
        self.failures += 1
        self._last_failure = now = self._clock()
        if self._down_since is not None:
            self._failed_in_outage += 1
            return
        self._down_since = now
        self._failed_in_outage = 1
        log.warning(
            "Storage is failing: %s Further failures are counted, not logged, until it works again.", exc
        )

    def _succeeded(self, started: float) -> None:
        assert self._down_since is not None
        now = self._clock()
        if started <= self._last_failure or now - self._last_failure < self._settle_seconds:
            return
        log.warning(
            "Storage works again after %.0f s; %d call(s) failed meanwhile.",
            now - self._down_since,
            self._failed_in_outage,
        )
        self._down_since = None
