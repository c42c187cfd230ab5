"""The award feed's tables in SQLite (see `bot.storage.feed`), mixed into `SQLiteStorage`.

Every method runs on the storage's worker thread, like the rest of it; writes are one transaction each.
Times are stored as Unix seconds.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

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
from bot.storage.sqlite_transaction import immediate_transaction

P = ParamSpec("P")
T = TypeVar("T")


def _time(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, tz=UTC)


def _seconds(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def _settings(row: tuple[Any, ...]) -> FeedSettings:
    guild_id, channel_id, kinds, enabled_at, paused, error, error_at, post_at, locale = row
    return FeedSettings(
        guild_id=guild_id,
        channel_id=channel_id,
        kinds=split_kinds(kinds),
        enabled_at=datetime.fromtimestamp(enabled_at, tz=UTC),
        paused_reason=paused,
        last_error=error,
        last_error_at=_time(error_at),
        last_post_at=_time(post_at),
        locale=locale,
    )


class SQLiteFeedStore:
    """The feed's half of `SQLiteStorage`: it uses the storage's `_run` and `_connection`."""

    if TYPE_CHECKING:

        async def _run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T: ...

        def _connection(self) -> sqlite3.Connection: ...

    async def set_feed(
        self, guild_id: int, channel_id: int, kinds: frozenset[str], locale: str | None = None
    ) -> FeedSettings:
        """Turn the server's feed on (or move it), from now; clears a pause and the last error."""
        return await self._run(self._set_feed_sync, guild_id, channel_id, join_kinds(kinds), locale)

    async def remove_feed(self, guild_id: int) -> bool:
        """Turn the server's feed off and drop its pending posts; True if it was on."""
        return await self._run(self._remove_feed_sync, guild_id)

    async def get_feed(self, guild_id: int) -> FeedSettings | None:
        """The server's feed, if any."""
        return await self._run(self._get_feed_sync, guild_id)

    async def active_feeds(self) -> list[FeedSettings]:
        """Every feed that is on and not paused."""
        return await self._run(self._active_feeds_sync)

    async def feed_members(self, ra_ulids: Sequence[str]) -> list[FeedMember]:
        """Members linked to these RA accounts, on the board of a server whose feed is active."""
        if not ra_ulids:
            return []
        return await self._run(self._feed_members_sync, json.dumps(sorted(set(ra_ulids))))

    async def known_feed_posts(self, keys: Sequence[tuple[int, str]]) -> set[tuple[int, str]]:
        """Which (server, award key) pairs the ledger already holds."""
        if not keys:
            return set()
        return await self._run(self._known_sync, json.dumps([[g, k] for g, k in keys]))

    async def feed_cursor(self) -> FeedCursor:
        """The deployment's feed cursor (version 0 before the first poll)."""
        return await self._run(self._cursor_sync)

    async def commit_feed_poll(
        self, expected_version: int, cursor: FeedCursor, posts: Sequence[PlannedPost]
    ) -> bool:
        """Store the cursor and the posts of members still linked, if the cursor is still at
        `expected_version`; see `Storage.commit_feed_poll`."""
        return await self._run(self._commit_sync, expected_version, cursor, list(posts), time.time())

    async def record_feed_poll_error(self, error: str, at: datetime) -> None:
        """Note why the last poll failed (shown by `/feed status`)."""
        await self._run(self._poll_error_sync, error, at.timestamp())

    async def pending_feed_posts(self, limit: int) -> list[PendingPost]:
        """Posts to deliver, oldest message first, for active feeds and members still linked."""
        return await self._run(self._pending_sync, limit)

    async def mark_feed_posted(self, guild_id: int, nonce: str, message_id: int, at: datetime) -> None:
        """The message `nonce` is in the server's channel."""
        await self._run(self._posted_sync, guild_id, nonce, message_id, at.timestamp())

    async def feed_failed(
        self, guild_id: int, error: str, at: datetime, *, pause: bool = False, drop_nonce: str | None = None
    ) -> None:
        """Record why posting failed; pause the feed, or drop one message, when asked."""
        await self._run(self._failed_sync, guild_id, error, at.timestamp(), pause, drop_nonce)

    async def feed_status(self, guild_id: int, since: datetime) -> FeedStatus | None:
        """The server's feed with the number of awards posted since `since`, or None if it has none."""
        return await self._run(self._status_sync, guild_id, since.timestamp())

    async def prune_feed_posts(self, before: datetime) -> int:
        """Forget posts planned before `before` (pending ones too: too old to post); returns how many."""
        return await self._run(self._prune_sync, before.timestamp())

    # -- worker-thread side --------------------------------------------------------------------

    def _set_feed_sync(self, guild_id: int, channel_id: int, kinds: str, locale: str | None) -> FeedSettings:
        conn = self._connection()
        now = time.time()
        conn.execute(
            f"INSERT INTO feed_settings ({SETTINGS_COLUMNS}) VALUES (?, ?, ?, ?, NULL, NULL, NULL, NULL, ?) "
            "ON CONFLICT (guild_id) DO UPDATE SET channel_id = excluded.channel_id, kinds = excluded.kinds, "
            "enabled_at = excluded.enabled_at, paused_reason = NULL, last_error = NULL, "
            "last_error_at = NULL, locale = excluded.locale",
            (guild_id, channel_id, kinds, now, locale),
        )
        settings = self._get_feed_sync(guild_id)
        assert settings is not None  # just written
        return settings

    def _remove_feed_sync(self, guild_id: int) -> bool:
        conn = self._connection()
        with immediate_transaction(conn):
            removed = conn.execute("DELETE FROM feed_settings WHERE guild_id = ?", (guild_id,)).rowcount
            conn.execute("DELETE FROM feed_posts WHERE guild_id = ? AND state = ?", (guild_id, PENDING))
        return removed > 0

    def _get_feed_sync(self, guild_id: int) -> FeedSettings | None:
        row = (
            self._connection()
            .execute(f"SELECT {SETTINGS_COLUMNS} FROM feed_settings WHERE guild_id = ?", (guild_id,))
            .fetchone()
        )
        return None if row is None else _settings(row)

    def _active_feeds_sync(self) -> list[FeedSettings]:
        rows = self._connection().execute(
            f"SELECT {SETTINGS_COLUMNS} FROM feed_settings WHERE paused_reason IS NULL ORDER BY guild_id"
        )
        return [_settings(row) for row in rows]

    def _feed_members_sync(self, ulids: str) -> list[FeedMember]:
        rows = self._connection().execute(
            "SELECT m.guild_id, l.discord_user_id, l.ra_ulid, l.linked_at "
            "FROM links AS l "
            "JOIN guild_members AS m ON m.discord_user_id = l.discord_user_id "
            "JOIN feed_settings AS f ON f.guild_id = m.guild_id AND f.paused_reason IS NULL "
            "WHERE l.ra_ulid IN (SELECT value FROM json_each(?)) "
            "ORDER BY m.guild_id, l.discord_user_id",
            (ulids,),
        )
        return [
            FeedMember(guild, member, ulid, datetime.fromtimestamp(linked_at, tz=UTC))
            for guild, member, ulid, linked_at in rows
        ]

    def _known_sync(self, keys: str) -> set[tuple[int, str]]:
        rows = self._connection().execute(
            "SELECT p.guild_id, p.award_key FROM feed_posts AS p "
            "JOIN (SELECT json_extract(value, '$[0]') AS guild_id, json_extract(value, '$[1]') AS award_key "
            "      FROM json_each(?)) AS wanted "
            "ON wanted.guild_id = p.guild_id AND wanted.award_key = p.award_key",
            (keys,),
        )
        return {(int(guild), str(key)) for guild, key in rows}

    def _cursor_sync(self) -> FeedCursor:
        row = (
            self._connection()
            .execute(
                "SELECT version, high_water, checked_at, last_error, last_error_at FROM feed_cursor "
                "WHERE id = 1"
            )
            .fetchone()
        )
        if row is None:
            return FeedCursor(version=0)
        version, high_water, checked_at, error, error_at = row
        return FeedCursor(int(version), _time(high_water), _time(checked_at), error, _time(error_at))

    def _commit_sync(
        self, expected_version: int, cursor: FeedCursor, posts: list[PlannedPost], now: float
    ) -> bool:
        conn = self._connection()
        with immediate_transaction(conn):
            moved = conn.execute(
                "UPDATE feed_cursor SET version = ?, high_water = ?, checked_at = ?, last_error = NULL, "
                "last_error_at = NULL WHERE id = 1 AND version = ?",
                (cursor.version, _seconds(cursor.high_water), _seconds(cursor.checked_at), expected_version),
            ).rowcount
            if moved != 1:
                return False
            conn.executemany(
                "INSERT OR IGNORE INTO feed_posts (guild_id, award_key, discord_user_id, ra_ulid, nonce, "
                "seq, awarded_at, award, planned_at, state) "
                "SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM links "
                "WHERE discord_user_id = ? AND ra_ulid = ?)",
                [
                    (
                        post.guild_id,
                        post.award_key,
                        post.discord_user_id,
                        post.ra_ulid,
                        post.nonce,
                        post.seq,
                        post.awarded_at.timestamp(),
                        post.award,
                        now,
                        PENDING,
                        post.discord_user_id,
                        post.ra_ulid,
                    )
                    for post in posts
                ],
            )
        return True

    def _poll_error_sync(self, error: str, at: float) -> None:
        self._connection().execute(
            "UPDATE feed_cursor SET last_error = ?, last_error_at = ? WHERE id = 1", (error, at)
        )

    def _pending_sync(self, limit: int) -> list[PendingPost]:
        rows = self._connection().execute(
            "SELECT p.guild_id, f.channel_id, p.award_key, p.discord_user_id, p.nonce, p.seq, "
            "p.awarded_at, p.award, p.planned_at, f.locale FROM feed_posts AS p "
            "JOIN feed_settings AS f ON f.guild_id = p.guild_id AND f.paused_reason IS NULL "
            "JOIN links AS l ON l.discord_user_id = p.discord_user_id AND l.ra_ulid = p.ra_ulid "
            "WHERE p.state = ? ORDER BY p.planned_at, p.seq LIMIT ?",
            (PENDING, limit),
        )
        return [
            PendingPost(
                guild_id=guild,
                channel_id=channel,
                award_key=key,
                discord_user_id=member,
                nonce=nonce,
                seq=seq,
                awarded_at=datetime.fromtimestamp(awarded_at, tz=UTC),
                award=award,
                planned_at=datetime.fromtimestamp(planned_at, tz=UTC),
                locale=locale,
            )
            for guild, channel, key, member, nonce, seq, awarded_at, award, planned_at, locale in rows
        ]

    def _posted_sync(self, guild_id: int, nonce: str, message_id: int, at: float) -> None:
        conn = self._connection()
        with immediate_transaction(conn):
            conn.execute(
                "UPDATE feed_posts SET state = ?, posted_at = ?, message_id = ? "
                "WHERE guild_id = ? AND nonce = ? AND state = ?",
                (POSTED, at, message_id, guild_id, nonce, PENDING),
            )
            conn.execute("UPDATE feed_settings SET last_post_at = ? WHERE guild_id = ?", (at, guild_id))

    def _failed_sync(self, guild_id: int, error: str, at: float, pause: bool, drop_nonce: str | None) -> None:
        conn = self._connection()
        with immediate_transaction(conn):
            conn.execute(
                "UPDATE feed_settings SET last_error = ?, last_error_at = ?, "
                "paused_reason = CASE WHEN ? THEN ? ELSE paused_reason END WHERE guild_id = ?",
                (error, at, pause, error, guild_id),
            )
            if pause:
                conn.execute(
                    "UPDATE feed_posts SET state = ? WHERE guild_id = ? AND state = ?",
                    (DROPPED, guild_id, PENDING),
                )
            elif drop_nonce is not None:
                conn.execute(
                    "UPDATE feed_posts SET state = ? WHERE guild_id = ? AND nonce = ? AND state = ?",
                    (DROPPED, guild_id, drop_nonce, PENDING),
                )

    def _status_sync(self, guild_id: int, since: float) -> FeedStatus | None:
        settings = self._get_feed_sync(guild_id)
        if settings is None:
            return None
        posted = (
            self._connection()
            .execute(
                "SELECT count(*) FROM feed_posts WHERE guild_id = ? AND state = ? AND posted_at >= ?",
                (guild_id, POSTED, since),
            )
            .fetchone()[0]
        )
        return FeedStatus(settings, int(posted), self._cursor_sync())

    def _prune_sync(self, before: float) -> int:
        deleted: int = (
            self._connection().execute("DELETE FROM feed_posts WHERE planned_at < ?", (before,)).rowcount
        )
        return deleted
