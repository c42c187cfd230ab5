"""The award feed's tables in PostgreSQL (see `bot.storage.feed`), mixed into `PostgresStorage`.

Every method is one transaction through the storage's `_transact`. A poll's commit locks the links of
its members (FOR SHARE) before writing their posts, so an `/unlink` running at the same moment either
comes first (and the posts are not written) or waits for the commit (and then deletes them).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import asyncpg

from bot.storage.feed import (
    DROPPED,
    PENDING,
    POSTED,
    SETTINGS_COLUMNS,
    FeedCursor,
    FeedMember,
    FeedSettings,
    FeedStatus,
    PendingPost,
    PlannedPost,
    join_kinds,
    split_kinds,
)

if TYPE_CHECKING:
    from bot.storage.postgres import Connection

T = TypeVar("T")


def _settings(row: asyncpg.Record) -> FeedSettings:
    return FeedSettings(
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        kinds=split_kinds(row["kinds"]),
        enabled_at=row["enabled_at"],
        paused_reason=row["paused_reason"],
        last_error=row["last_error"],
        last_error_at=row["last_error_at"],
        last_post_at=row["last_post_at"],
        locale=row["locale"],
    )


def _cursor(row: asyncpg.Record | None) -> FeedCursor:
    if row is None:
        return FeedCursor(version=0)
    return FeedCursor(
        int(row["version"]), row["high_water"], row["checked_at"], row["last_error"], row["last_error_at"]
    )


class PostgresFeedStore:
    """The feed's half of `PostgresStorage`: it uses the storage's `_transact`."""

    if TYPE_CHECKING:

        async def _transact(self, write: Callable[[Connection], Awaitable[T]]) -> T: ...

    async def set_feed(
        self, guild_id: int, channel_id: int, kinds: frozenset[str], locale: str | None = None
    ) -> FeedSettings:
        """Turn the server's feed on (or move it), from now; clears a pause and the last error."""

        async def write(conn: Connection) -> FeedSettings:
            row = await conn.fetchrow(
                f"INSERT INTO feed_settings ({SETTINGS_COLUMNS}) "
                "VALUES ($1, $2, $3, now(), NULL, NULL, NULL, NULL, $4) "
                "ON CONFLICT (guild_id) DO UPDATE SET channel_id = excluded.channel_id, "
                "kinds = excluded.kinds, enabled_at = excluded.enabled_at, paused_reason = NULL, "
                "last_error = NULL, last_error_at = NULL, locale = excluded.locale "
                f"RETURNING {SETTINGS_COLUMNS}",
                guild_id,
                channel_id,
                join_kinds(kinds),
                locale,
            )
            assert row is not None  # INSERT ... RETURNING always returns the row
            return _settings(row)

        return await self._transact(write)

    async def remove_feed(self, guild_id: int) -> bool:
        """Turn the server's feed off and drop its pending posts; True if it was on."""

        async def write(conn: Connection) -> bool:
            removed = await conn.fetchval(
                "WITH gone AS (DELETE FROM feed_settings WHERE guild_id = $1 RETURNING 1) "
                "SELECT count(*) FROM gone",
                guild_id,
            )
            await conn.execute("DELETE FROM feed_posts WHERE guild_id = $1 AND state = $2", guild_id, PENDING)
            return bool(removed)

        return await self._transact(write)

    async def get_feed(self, guild_id: int) -> FeedSettings | None:
        """The server's feed, if any."""

        async def read(conn: Connection) -> FeedSettings | None:
            row = await conn.fetchrow(
                f"SELECT {SETTINGS_COLUMNS} FROM feed_settings WHERE guild_id = $1", guild_id
            )
            return None if row is None else _settings(row)

        return await self._transact(read)

    async def active_feeds(self) -> list[FeedSettings]:
        """Every feed that is on and not paused."""

        async def read(conn: Connection) -> list[FeedSettings]:
            rows = await conn.fetch(
                f"SELECT {SETTINGS_COLUMNS} FROM feed_settings WHERE paused_reason IS NULL ORDER BY guild_id"
            )
            return [_settings(row) for row in rows]

        return await self._transact(read)

    async def feed_members(self, ra_ulids: Sequence[str]) -> list[FeedMember]:
        """Members linked to these RA accounts, on the board of a server whose feed is active."""
        if not ra_ulids:
            return []

        async def read(conn: Connection) -> list[FeedMember]:
            rows = await conn.fetch(
                "SELECT m.guild_id, l.discord_user_id, l.ra_ulid, l.linked_at FROM links AS l "
                "JOIN guild_members AS m ON m.discord_user_id = l.discord_user_id "
                "JOIN feed_settings AS f ON f.guild_id = m.guild_id AND f.paused_reason IS NULL "
                "WHERE l.ra_ulid = ANY($1::text[]) ORDER BY m.guild_id, l.discord_user_id",
                sorted(set(ra_ulids)),
            )
            return [
                FeedMember(row["guild_id"], row["discord_user_id"], row["ra_ulid"], row["linked_at"])
                for row in rows
            ]

        return await self._transact(read)

    async def known_feed_posts(self, keys: Sequence[tuple[int, str]]) -> set[tuple[int, str]]:
        """Which (server, award key) pairs the ledger already holds."""
        if not keys:
            return set()

        async def read(conn: Connection) -> set[tuple[int, str]]:
            rows = await conn.fetch(
                "SELECT p.guild_id, p.award_key FROM feed_posts AS p "
                "JOIN unnest($1::bigint[], $2::text[]) AS wanted (guild_id, award_key) "
                "ON wanted.guild_id = p.guild_id AND wanted.award_key = p.award_key",
                [guild for guild, _ in keys],
                [key for _, key in keys],
            )
            return {(int(row["guild_id"]), str(row["award_key"])) for row in rows}

        return await self._transact(read)

    async def feed_cursor(self) -> FeedCursor:
        """The deployment's feed cursor (version 0 before the first poll)."""

        async def read(conn: Connection) -> FeedCursor:
            return _cursor(await conn.fetchrow("SELECT * FROM feed_cursor WHERE id = 1"))

        return await self._transact(read)

    async def commit_feed_poll(
        self, expected_version: int, cursor: FeedCursor, posts: Sequence[PlannedPost]
    ) -> bool:
        """Store the cursor and the posts of members still linked, if the cursor is still at
        `expected_version`; see `Storage.commit_feed_poll`."""

        async def write(conn: Connection) -> bool:
            moved = await conn.fetchval(
                "WITH moved AS (UPDATE feed_cursor SET version = $1, high_water = $2, checked_at = $3, "
                "last_error = NULL, last_error_at = NULL WHERE id = 1 AND version = $4 RETURNING 1) "
                "SELECT count(*) FROM moved",
                cursor.version,
                cursor.high_water,
                cursor.checked_at,
                expected_version,
            )
            if not moved:
                return False
            if not posts:
                return True
            linked = await conn.fetch(
                "SELECT discord_user_id, ra_ulid FROM links WHERE discord_user_id = ANY($1::bigint[]) "
                "FOR SHARE",
                sorted({post.discord_user_id for post in posts}),
            )
            still = {(row["discord_user_id"], row["ra_ulid"]) for row in linked}
            kept = [post for post in posts if (post.discord_user_id, post.ra_ulid) in still]
            columns: list[list[Any]] = [
                [post.guild_id for post in kept],
                [post.award_key for post in kept],
                [post.discord_user_id for post in kept],
                [post.ra_ulid for post in kept],
                [post.nonce for post in kept],
                [post.seq for post in kept],
                [post.awarded_at for post in kept],
                [post.award for post in kept],
            ]
            await conn.execute(
                "INSERT INTO feed_posts (guild_id, award_key, discord_user_id, ra_ulid, nonce, seq, "
                "awarded_at, award, planned_at, state) "
                "SELECT g, k, u, r, n, s, a, w, now(), $9 FROM unnest($1::bigint[], $2::text[], "
                "$3::bigint[], $4::text[], $5::text[], $6::int[], $7::timestamptz[], $8::text[]) "
                "AS p (g, k, u, r, n, s, a, w) ON CONFLICT DO NOTHING",
                *columns,
                PENDING,
            )
            return True

        return await self._transact(write)

    async def record_feed_poll_error(self, error: str, at: datetime) -> None:
        """Note why the last poll failed (shown by `/feed status`)."""

        async def write(conn: Connection) -> None:
            await conn.execute(
                "UPDATE feed_cursor SET last_error = $1, last_error_at = $2 WHERE id = 1", error, at
            )

        await self._transact(write)

    async def pending_feed_posts(self, limit: int) -> list[PendingPost]:
        """Posts to deliver, oldest message first, for active feeds and members still linked."""

        async def read(conn: Connection) -> list[PendingPost]:
            rows = await conn.fetch(
                "SELECT p.guild_id, f.channel_id, p.award_key, p.discord_user_id, p.nonce, p.seq, "
                "p.awarded_at, p.award, p.planned_at, f.locale FROM feed_posts AS p "
                "JOIN feed_settings AS f ON f.guild_id = p.guild_id AND f.paused_reason IS NULL "
                "JOIN links AS l ON l.discord_user_id = p.discord_user_id AND l.ra_ulid = p.ra_ulid "
                "WHERE p.state = $1 ORDER BY p.planned_at, p.seq LIMIT $2",
                PENDING,
                limit,
            )
            return [PendingPost(**dict(row)) for row in rows]

        return await self._transact(read)

    async def mark_feed_posted(self, guild_id: int, nonce: str, message_id: int, at: datetime) -> None:
        """The message `nonce` is in the server's channel."""

        async def write(conn: Connection) -> None:
            await conn.execute(
                "UPDATE feed_posts SET state = $1, posted_at = $2, message_id = $3 "
                "WHERE guild_id = $4 AND nonce = $5 AND state = $6",
                POSTED,
                at,
                message_id,
                guild_id,
                nonce,
                PENDING,
            )
            await conn.execute("UPDATE feed_settings SET last_post_at = $1 WHERE guild_id = $2", at, guild_id)

        await self._transact(write)

    async def feed_failed(
        self, guild_id: int, error: str, at: datetime, *, pause: bool = False, drop_nonce: str | None = None
    ) -> None:
        """Record why posting failed; pause the feed, or drop one message, when asked."""

        async def write(conn: Connection) -> None:
            await conn.execute(
                "UPDATE feed_settings SET last_error = $1, last_error_at = $2, "
                "paused_reason = CASE WHEN $3 THEN $1 ELSE paused_reason END WHERE guild_id = $4",
                error,
                at,
                pause,
                guild_id,
            )
            if pause:
                await conn.execute(
                    "UPDATE feed_posts SET state = $1 WHERE guild_id = $2 AND state = $3",
                    DROPPED,
                    guild_id,
                    PENDING,
                )
            elif drop_nonce is not None:
                await conn.execute(
                    "UPDATE feed_posts SET state = $1 WHERE guild_id = $2 AND nonce = $3 AND state = $4",
                    DROPPED,
                    guild_id,
                    drop_nonce,
                    PENDING,
                )

        await self._transact(write)

    async def feed_status(self, guild_id: int, since: datetime) -> FeedStatus | None:
        """The server's feed with the number of awards posted since `since`, or None if it has none."""

        async def read(conn: Connection) -> FeedStatus | None:
            row = await conn.fetchrow(
                f"SELECT {SETTINGS_COLUMNS} FROM feed_settings WHERE guild_id = $1", guild_id
            )
            if row is None:
                return None
            posted = await conn.fetchval(
                "SELECT count(*) FROM feed_posts WHERE guild_id = $1 AND state = $2 AND posted_at >= $3",
                guild_id,
                POSTED,
                since,
            )
            cursor = _cursor(await conn.fetchrow("SELECT * FROM feed_cursor WHERE id = 1"))
            return FeedStatus(_settings(row), int(posted), cursor)

        return await self._transact(read)

    async def prune_feed_posts(self, before: datetime) -> int:
        """Forget posts planned before `before` (pending ones too: too old to post); returns how many."""

        async def write(conn: Connection) -> int:
            deleted = await conn.fetchval(
                "WITH gone AS (DELETE FROM feed_posts WHERE planned_at < $1 RETURNING 1) "
                "SELECT count(*) FROM gone",
                before,
            )
            return int(deleted)

        return await self._transact(write)
