"""The SQLite schema as an ordered list of steps; step N brings `PRAGMA user_version` to N.

Never edit a released step: append a new one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    """One schema step, applied in a single transaction together with its version bump."""

    version: int
    description: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        version=1,
        description="links, guild memberships, meta",
        statements=(
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
    ),
)

LATEST_VERSION: int = MIGRATIONS[-1].version
