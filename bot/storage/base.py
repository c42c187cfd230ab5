"""What the bot keeps about members, behind an interface any database can implement.

Callers depend only on `Storage`, `LinkedAccount` and `StorageError`; the SQLite file
database is one implementation, and a server database can be another.

Every call on an open storage returns or raises within its time limit (`DEFAULT_TIMEOUT_SECONDS` unless
the backend is given another). A database that is there but cannot answer right now (unreachable,
hung, locked by another program, disk full) raises `StorageUnavailable`, a `StorageError`: the next
call tries again, and succeeds once the database is back.
"""

from __future__ import annotations

import enum
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.catalogue.model import CatalogueGame, Console, StoredConsole
from bot.storage.feed import FeedCursor, FeedMember, FeedSettings, FeedStatus, PendingPost, PlannedPost

RA_ULID_PATTERN = re.compile(r"[0-9A-Z]{26}")

DEFAULT_TIMEOUT_SECONDS = 5.0


class StorageError(Exception):
    """The database cannot be used; the message names the file and what the operator should do."""


class StorageUnavailable(StorageError):
    """The database cannot answer right now (unreachable, too slow, locked, disk full); retry later."""


class NotKnown(enum.Enum):
    """`Storage.known_link` has no memory of the member: ask `get_link`."""

    NOT_KNOWN = enum.auto()


NOT_KNOWN = NotKnown.NOT_KNOWN


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


def lease_key(name: str) -> int:
    """A stable signed 64-bit number for a lease's name (PostgreSQL's advisory lock keys)."""
    return int.from_bytes(hashlib.sha256(f"ra-bot-lease:{name}".encode()).digest()[:8], "big", signed=True)


def check_link_fields(ra_ulid: str, ra_name: str) -> None:
    """Raise ValueError unless `ra_ulid` is a ULID and `ra_name` is not blank."""
    if not RA_ULID_PATTERN.fullmatch(ra_ulid):
        raise ValueError(f"not a RetroAchievements ULID (26 characters 0-9, A-Z): {ra_ulid!r}")
    if not ra_name.strip():
        raise ValueError("a RetroAchievements name cannot be blank")


def escape_like(text: str) -> str:
    """`text` with LIKE wildcards escaped for `ESCAPE '\\'` (the same in SQLite and PostgreSQL)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


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

    async def cached_link(self, discord_user_id: int) -> LinkedAccount | None:
        """The member's link as `get_link` gives it, from memory once this process has read it: for what
        runs at every keystroke. Another process's change reaches the memory a few milliseconds after its
        commit (PostgreSQL's notifications), so commands use `get_link`."""
        ...

    def known_link(self, discord_user_id: int) -> LinkedAccount | NotKnown | None:
        """What `cached_link` would answer from memory, at once; NOT_KNOWN when it would have to read."""
        ...

    async def count_links(self) -> int:
        """How many members are linked, in the whole database."""
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

    def member_known(self, guild_id: int, discord_user_id: int) -> bool:
        """True when `record_member` would have nothing to write (answered from memory, at once)."""
        ...

    def name_known(self, ra_ulid: str, ra_name: str) -> bool:
        """True when `refresh_name` would have nothing to write (answered from memory, at once)."""
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

    # -- the game catalogue (bot.catalogue) -----------------------------------------------------

    async def catalogue_consoles(self) -> list[StoredConsole]:
        """Every console of the catalogue, by ID."""
        ...

    async def save_catalogue_consoles(self, consoles: Sequence[Console], listed_at: float) -> None:
        """Note that the console list named these consoles at `listed_at` (Unix seconds), adding new ones
        and renaming known ones; consoles it did not name are kept as they are."""
        ...

    async def replace_catalogue_games(
        self, console: Console, games: Sequence[CatalogueGame], refreshed_at: float
    ) -> None:
        """In one transaction: the console's games become exactly `games` (a game filed under another
        console moves), and the console notes `refreshed_at` and how many games it has."""
        ...

    async def add_catalogue_games(self, games: Sequence[CatalogueGame]) -> None:
        """Add games learned one by one; a game already in the catalogue is left as it is."""
        ...

    async def catalogue_games(self) -> list[CatalogueGame]:
        """Every game of the catalogue, by ID."""
        ...

    async def catalogue_stamp(self) -> tuple[int, float]:
        """(how many games, the latest console refresh): changes whenever the catalogue does."""
        ...

    async def hold_lease(self, name: str) -> bool:
        """True while this storage holds the lease `name`, taking it if it is free; held until close().

        One holder among every process sharing the database. A holder that dies loses it: the database
        frees it when the holder's session ends (PostgreSQL) or its file lock goes (SQLite)."""
        ...

    # -- the award feed (see bot.storage.feed) ------------------------------------------------------

    async def set_feed(
        self, guild_id: int, channel_id: int, kinds: frozenset[str], locale: str | None = None
    ) -> FeedSettings:
        """Turn the server's feed on (or move it), from now, posting in `locale` (the server's Discord
        locale; None: English); clears a pause and the last error."""
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
