"""What the bot keeps about members, behind an interface any database can implement.

Callers depend only on `Storage`, `LinkedAccount` and `StorageError`; the SQLite file
database is one implementation, and a server database can be another.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.storage.feed import FeedCursor, FeedMember, FeedSettings, FeedStatus, PendingPost, PlannedPost

RA_ULID_PATTERN = re.compile(r"[0-9A-Z]{26}")


class StorageError(Exception):
    """The database cannot be used; the message names the file and what the operator should do."""


@dataclass(frozen=True)
class LinkedAccount:
    """A Discord member's link to a RetroAchievements account.

    `ra_ulid` is the stable key of the RA account; `ra_name` is its display name when last seen.
    `linked_at` is timezone-aware (UTC).
    """

    discord_user_id: int
    ra_ulid: str
    ra_name: str
    linked_at: datetime


def check_link_fields(ra_ulid: str, ra_name: str) -> None:
    """Raise ValueError unless `ra_ulid` is a ULID and `ra_name` is not blank."""
    if not RA_ULID_PATTERN.fullmatch(ra_ulid):
        raise ValueError(f"not a RetroAchievements ULID (26 characters 0-9, A-Z): {ra_ulid!r}")
    if not ra_name.strip():
        raise ValueError("a RetroAchievements name cannot be blank")


class Storage(Protocol):
    """Links, guild memberships and small settings; every acknowledged write is durable."""

    async def open(self) -> None:
        """Create or migrate the database and check it; raise StorageError if it cannot be used."""
        ...

    async def close(self) -> None:
        """Release the database; calling it again does nothing."""
        ...

    async def link(
        self, discord_user_id: int, ra_ulid: str, ra_name: str, guild_id: int | None
    ) -> LinkedAccount:
        """Link a member to an RA account, replacing their older link; join `guild_id` when given."""
        ...

    async def get_link(self, discord_user_id: int) -> LinkedAccount | None:
        """The member's link, if any."""
        ...

    async def unlink(self, discord_user_id: int) -> bool:
        """Forget the member everywhere (link, memberships, the feed's posts of them); True if anything
        was deleted."""
        ...

    async def record_member(self, guild_id: int, discord_user_id: int) -> None:
        """Note that the member used the bot in the guild; idempotent and cheap."""
        ...

    async def refresh_name(self, ra_ulid: str, ra_name: str) -> None:
        """Follow a rename on RetroAchievements for every link to this account."""
        ...

    async def guild_links(self, guild_id: int) -> list[LinkedAccount]:
        """Linked members of the guild, ordered by RA name (case-insensitive)."""
        ...

    async def search_guild_links(self, guild_id: int, text: str, limit: int = 25) -> list[LinkedAccount]:
        """Linked members of the guild whose RA name contains `text` (any case), prefix matches first."""
        ...

    async def get_meta(self, key: str) -> str | None:
        """A small stored value, if set."""
        ...

    async def set_meta(self, key: str, value: str) -> None:
        """Store a small value under `key`, replacing any older one."""
        ...

    # -- the award feed (see bot.storage.feed) ------------------------------------------------------

    async def set_feed(self, guild_id: int, channel_id: int, kinds: frozenset[str]) -> FeedSettings:
        """Turn the server's feed on (or move it), from now; clears a pause and the last error."""
        ...

    async def remove_feed(self, guild_id: int) -> bool:
        """Turn the server's feed off and drop its pending posts; True if it was on."""
        ...

    async def get_feed(self, guild_id: int) -> FeedSettings | None:
        """The server's feed, if any."""
        ...

    async def active_feeds(self) -> list[FeedSettings]:
        """Every feed that is on and not paused."""
        ...

    async def feed_members(self, ra_ulids: Sequence[str]) -> list[FeedMember]:
        """Members linked to these RA accounts, on the board of a server whose feed is active."""
        ...

    async def known_feed_posts(self, keys: Sequence[tuple[int, str]]) -> set[tuple[int, str]]:
        """Which (server, award key) pairs the ledger already holds."""
        ...

    async def feed_cursor(self) -> FeedCursor:
        """The deployment's feed cursor (version 0 before the first poll)."""
        ...

    async def commit_feed_poll(
        self, expected_version: int, cursor: FeedCursor, posts: Sequence[PlannedPost]
    ) -> bool:
        """In one transaction: store `cursor` (its version must be `expected_version` + 1) and the posts
        whose member is still linked to that account. False, writing nothing, if the stored cursor is no
        longer at `expected_version` (another poller went on)."""
        ...

    async def record_feed_poll_error(self, error: str, at: datetime) -> None:
        """Note why the last poll failed (shown by `/feed status`)."""
        ...

    async def pending_feed_posts(self, limit: int) -> list[PendingPost]:
        """Posts to deliver, oldest message first, for active feeds and members still linked."""
        ...

    async def mark_feed_posted(self, guild_id: int, nonce: str, message_id: int, at: datetime) -> None:
        """The message `nonce` is in the server's channel."""
        ...

    async def feed_failed(
        self, guild_id: int, error: str, at: datetime, *, pause: bool = False, drop_nonce: str | None = None
    ) -> None:
        """Record why posting failed; `pause` also pauses the feed and drops its pending posts,
        `drop_nonce` drops that message's posts only."""
        ...

    async def feed_status(self, guild_id: int, since: datetime) -> FeedStatus | None:
        """The server's feed with the number of awards posted since `since`, or None if it has none."""
        ...

    async def prune_feed_posts(self, before: datetime) -> int:
        """Forget posts planned before `before` (pending ones too: too old to post); returns how many."""
        ...
