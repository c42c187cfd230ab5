"""The schema as one ordered list of steps shared by every database; step N brings the schema to version N.

SQLite records the version in `PRAGMA user_version`, PostgreSQL in the `schema_migrations` table, so a
version number means the same tables in both. Never edit a released step: append a new one, with its
statements for every dialect.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Dialect = Literal["sqlite", "postgres"]


@dataclass(frozen=True)
class Migration:
    """One schema step, applied in a single transaction together with its version bump."""

    version: int
    description: str
    sqlite: tuple[str, ...]
    postgres: tuple[str, ...]

    def statements(self, dialect: Dialect) -> tuple[str, ...]:
        """This step's statements for `dialect`."""
        return self.sqlite if dialect == "sqlite" else self.postgres


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        version=1,
        description="links, guild memberships, meta",
        sqlite=(
            """
            CREATE TABLE links (
                discord_user_id INTEGER PRIMARY KEY,
                ra_ulid TEXT NOT NULL CHECK (length(ra_ulid) = 26),
                ra_name TEXT NOT NULL,
                linked_at REAL NOT NULL
            )
            """,
            "CREATE INDEX links_by_ulid ON links (ra_ulid)",
            """
            CREATE TABLE guild_members (
                guild_id INTEGER NOT NULL,
                discord_user_id INTEGER NOT NULL,
                PRIMARY KEY (guild_id, discord_user_id)
            ) WITHOUT ROWID
            """,
            "CREATE INDEX guild_members_by_user ON guild_members (discord_user_id)",
            """
            CREATE TABLE meta (
                key TEXT PRIMARY KEY,
                value TEXT NOT NULL
            ) WITHOUT ROWID
            """,
        ),
        postgres=(
            """
            CREATE TABLE links (
                discord_user_id BIGINT PRIMARY KEY,
                ra_ulid TEXT NOT NULL CHECK (length(ra_ulid) = 26),
                ra_name TEXT NOT NULL,
                linked_at TIMESTAMPTZ NOT NULL
            )
            """,
            "CREATE INDEX links_by_ulid ON links (ra_ulid)",
            """
            CREATE TABLE guild_members (
                guild_id BIGINT NOT NULL,
                discord_user_id BIGINT NOT NULL,
                PRIMARY KEY (guild_id, discord_user_id)
            )
            """,
            "CREATE INDEX guild_members_by_user ON guild_members (discord_user_id)",
            """
            CREATE TABLE meta (
                key TEXT PRIMARY KEY,
                value TEXT NOT NULL
            )
            """,
        ),
    ),
    Migration(
        version=2,
        description="the game catalogue",
        sqlite=(
            """
            CREATE TABLE catalogue_consoles (
                console_id INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                listed_at REAL NOT NULL,
                refreshed_at REAL,
                game_count INTEGER NOT NULL DEFAULT 0
            )
            """,
            """
            CREATE TABLE catalogue_games (
                game_id INTEGER PRIMARY KEY,
                console_id INTEGER NOT NULL,
                title TEXT NOT NULL,
                console_name TEXT NOT NULL,
                image_icon TEXT,
                achievements INTEGER,
                points INTEGER
            )
            """,
            "CREATE INDEX catalogue_games_by_console ON catalogue_games (console_id)",
        ),
        postgres=(
            """
            CREATE TABLE catalogue_consoles (
                console_id INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                listed_at DOUBLE PRECISION NOT NULL,
                refreshed_at DOUBLE PRECISION,
                game_count INTEGER NOT NULL DEFAULT 0
            )
            """,
            """
            CREATE TABLE catalogue_games (
                game_id INTEGER PRIMARY KEY,
                console_id INTEGER NOT NULL,
                title TEXT NOT NULL,
                console_name TEXT NOT NULL,
                image_icon TEXT,
                achievements INTEGER,
                points INTEGER
            )
            """,
            "CREATE INDEX catalogue_games_by_console ON catalogue_games (console_id)",
        ),
    ),
)

FEED_MIGRATION = Migration(
    version=3,
    description="award feed: settings per server, the cursor, the ledger of posts",
    sqlite=(
        """
        CREATE TABLE feed_settings (
            guild_id INTEGER PRIMARY KEY,
            channel_id INTEGER NOT NULL,
            kinds TEXT NOT NULL,
            enabled_at REAL NOT NULL,
            paused_reason TEXT,
            last_error TEXT,
            last_error_at REAL,
            last_post_at REAL,
            locale TEXT
        )
        """,
        """
        CREATE TABLE feed_cursor (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            version INTEGER NOT NULL,
            high_water REAL,
            checked_at REAL,
            last_error TEXT,
            last_error_at REAL
        )
        """,
        "INSERT INTO feed_cursor (id, version) VALUES (1, 0)",
        """
        CREATE TABLE feed_posts (
            guild_id INTEGER NOT NULL,
            award_key TEXT NOT NULL,
            discord_user_id INTEGER NOT NULL,
            ra_ulid TEXT NOT NULL,
            nonce TEXT NOT NULL,
            seq INTEGER NOT NULL,
            awarded_at REAL NOT NULL,
            award TEXT NOT NULL,
            planned_at REAL NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending', 'posted', 'dropped')),
            posted_at REAL,
            message_id INTEGER,
            PRIMARY KEY (guild_id, award_key)
        ) WITHOUT ROWID
        """,
        "CREATE INDEX feed_posts_pending ON feed_posts (planned_at, seq) WHERE state = 'pending'",
        "CREATE INDEX feed_posts_by_user ON feed_posts (discord_user_id)",
        "CREATE INDEX feed_posts_posted ON feed_posts (guild_id, posted_at) WHERE state = 'posted'",
        "CREATE INDEX feed_posts_by_age ON feed_posts (planned_at)",
    ),
    postgres=(
        """
        CREATE TABLE feed_settings (
            guild_id BIGINT PRIMARY KEY,
            channel_id BIGINT NOT NULL,
            kinds TEXT NOT NULL,
            enabled_at TIMESTAMPTZ NOT NULL,
            paused_reason TEXT,
            last_error TEXT,
            last_error_at TIMESTAMPTZ,
            last_post_at TIMESTAMPTZ,
            locale TEXT
        )
        """,
        """
        CREATE TABLE feed_cursor (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            version BIGINT NOT NULL,
            high_water TIMESTAMPTZ,
            checked_at TIMESTAMPTZ,
            last_error TEXT,
            last_error_at TIMESTAMPTZ
        )
        """,
        "INSERT INTO feed_cursor (id, version) VALUES (1, 0)",
        """
        CREATE TABLE feed_posts (
            guild_id BIGINT NOT NULL,
            award_key TEXT NOT NULL,
            discord_user_id BIGINT NOT NULL,
            ra_ulid TEXT NOT NULL,
            nonce TEXT NOT NULL,
            seq INTEGER NOT NULL,
            awarded_at TIMESTAMPTZ NOT NULL,
            award TEXT NOT NULL,
            planned_at TIMESTAMPTZ NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending', 'posted', 'dropped')),
            posted_at TIMESTAMPTZ,
            message_id BIGINT,
            PRIMARY KEY (guild_id, award_key)
        )
        """,
        "CREATE INDEX feed_posts_pending ON feed_posts (planned_at, seq) WHERE state = 'pending'",
        "CREATE INDEX feed_posts_by_user ON feed_posts (discord_user_id)",
        "CREATE INDEX feed_posts_posted ON feed_posts (guild_id, posted_at) WHERE state = 'posted'",
        "CREATE INDEX feed_posts_by_age ON feed_posts (planned_at)",
    ),
)

MIGRATIONS = (*MIGRATIONS, FEED_MIGRATION)

LATEST_VERSION: int = MIGRATIONS[-1].version
