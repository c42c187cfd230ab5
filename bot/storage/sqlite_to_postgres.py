"""Copy a SQLite database of the bot into PostgreSQL without losing a link.

    python -m bot.storage.sqlite_to_postgres SQLITE_PATH [DATABASE_URL]

The SQLite file is opened read-only and read in one snapshot; stop the bots using it first, as
links they write after that snapshot are not copied. The PostgreSQL database is migrated, then
links, memberships and meta are written in one transaction, and the links are read back to verify them.
Running it again is harmless: what is already there is counted, not duplicated.

When PostgreSQL already holds a link for the same Discord member, the newer link (by `linked_at`) wins;
on a tie PostgreSQL's is kept. Meta keys already set in PostgreSQL keep their value (the bots using
PostgreSQL wrote it). Memberships are added, never removed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import sys
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.storage import is_postgres_url
from bot.storage.base import LinkedAccount, StorageError
from bot.storage.migrations import LATEST_VERSION
from bot.storage.postgres import NOTIFY_CHANNEL, Connection, PostgresStorage, row_count


@dataclass(frozen=True)
class CopyReport:
    """What a copy did; `verified` counts SQLite links found in PostgreSQL with the same ULID and name."""

    copied: int
    already_present: int
    kept_newer: int
    verified: int
    memberships_copied: int
    memberships_already_present: int
    meta_copied: int
    meta_already_present: int

    def summary(self) -> str:
        """One line per kind of row, for the operator."""
        return (
            f"links: {self.copied} copied, {self.already_present} already present, "
            f"{self.kept_newer} kept (newer in PostgreSQL), {self.verified} verified\n"
            f"memberships: {self.memberships_copied} copied, "
            f"{self.memberships_already_present} already present\n"
            f"meta: {self.meta_copied} copied, {self.meta_already_present} already present (kept)"
        )


@dataclass(frozen=True)
class _Snapshot:
    links: list[LinkedAccount]
    memberships: list[tuple[int, int]]
    meta: list[tuple[str, str]]


def _read_sqlite(path: Path) -> _Snapshot:
    """Everything in the SQLite database at `path`, read in one transaction without writing to it."""
    if not path.is_file():
        raise StorageError(f"The SQLite database {path} does not exist or is not a file.")
    # With no -wal/-shm beside it, the file holds everything and `immutable` reads it without creating
    # them; otherwise a bot may be using it, and a read-only connection reads its write-ahead log too.
    sidecars = any(path.with_name(path.name + suffix).exists() for suffix in ("-wal", "-shm"))
    uri = f"{path.resolve().as_uri()}?{'mode=ro' if sidecars else 'immutable=1'}"
    try:
        with closing(sqlite3.connect(uri, uri=True)) as conn:
            conn.execute("BEGIN")
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if not 1 <= version <= LATEST_VERSION:
                raise StorageError(
                    f"The SQLite database {path} has schema version {version}, but this copy reads "
                    f"versions 1 to {LATEST_VERSION}. Copy it with the bot version that wrote it."
                )
            links = [
                LinkedAccount(user, ulid, name, datetime.fromtimestamp(linked_at, tz=UTC))
                for user, ulid, name, linked_at in conn.execute(
                    "SELECT discord_user_id, ra_ulid, ra_name, linked_at FROM links ORDER BY discord_user_id"
                )
            ]
            memberships = [
                (int(guild), int(user))
                for guild, user in conn.execute(
                    "SELECT guild_id, discord_user_id FROM guild_members ORDER BY guild_id, discord_user_id"
                )
            ]
            meta = [(str(k), str(v)) for k, v in conn.execute("SELECT key, value FROM meta ORDER BY key")]
            conn.execute("ROLLBACK")
    except sqlite3.Error as exc:
        raise StorageError(f"Cannot read the SQLite database {path} ({exc}).") from exc
    return _Snapshot(links, memberships, meta)


async def copy_sqlite_to_postgres(sqlite_path: Path, database_url: str) -> CopyReport:
    """Copy links, memberships and meta from SQLite into PostgreSQL, then verify every link arrived."""
    snapshot = await asyncio.to_thread(_read_sqlite, Path(sqlite_path))
    target = PostgresStorage(database_url)
    await target.open()
    try:
        async with target.connection() as conn:
            async with conn.transaction():
                report = await _write(conn, snapshot)
            report = await _verify(conn, snapshot, report, target.display_url)
    finally:
        await target.close()
    return report


async def _write(conn: Connection, snapshot: _Snapshot) -> CopyReport:
    """Write the snapshot in the caller's transaction; links are locked against bots writing meanwhile."""
    await conn.execute("LOCK TABLE links IN SHARE ROW EXCLUSIVE MODE")
    existing = {
        row["discord_user_id"]: row
        for row in await conn.fetch(
            "SELECT discord_user_id, ra_ulid, ra_name, linked_at FROM links "
            "WHERE discord_user_id = ANY($1::bigint[])",
            [link.discord_user_id for link in snapshot.links],
        )
    }
    to_write: list[LinkedAccount] = []
    already_present = kept_newer = 0
    for link in snapshot.links:
        row = existing.get(link.discord_user_id)
        if row is None or row["linked_at"] < link.linked_at:
            to_write.append(link)
        elif (row["ra_ulid"], row["ra_name"], row["linked_at"]) == (
            link.ra_ulid,
            link.ra_name,
            link.linked_at,
        ):
            already_present += 1
        else:
            kept_newer += 1
    await conn.execute(
        "INSERT INTO links (discord_user_id, ra_ulid, ra_name, linked_at) "
        "SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::timestamptz[]) "
        "ON CONFLICT (discord_user_id) DO UPDATE SET ra_ulid = excluded.ra_ulid, "
        "ra_name = excluded.ra_name, linked_at = excluded.linked_at",
        [link.discord_user_id for link in to_write],
        [link.ra_ulid for link in to_write],
        [link.ra_name for link in to_write],
        [link.linked_at for link in to_write],
    )
    members_status = await conn.execute(
        "INSERT INTO guild_members (guild_id, discord_user_id) "
        "SELECT * FROM unnest($1::bigint[], $2::bigint[]) ON CONFLICT DO NOTHING",
        [guild for guild, _ in snapshot.memberships],
        [user for _, user in snapshot.memberships],
    )
    meta_status = await conn.execute(
        "INSERT INTO meta (key, value) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING",
        [key for key, _ in snapshot.meta],
        [value for _, value in snapshot.meta],
    )
    # Running bots forget their caches: names of copied links may differ from what they remember.
    await conn.execute("SELECT pg_notify($1, 'reset')", NOTIFY_CHANNEL)
    members_copied, meta_copied = row_count(members_status), row_count(meta_status)
    return CopyReport(
        copied=len(to_write),
        already_present=already_present,
        kept_newer=kept_newer,
        verified=0,
        memberships_copied=members_copied,
        memberships_already_present=len(snapshot.memberships) - members_copied,
        meta_copied=meta_copied,
        meta_already_present=len(snapshot.meta) - meta_copied,
    )


async def _verify(conn: Connection, snapshot: _Snapshot, report: CopyReport, where: str) -> CopyReport:
    """Read the committed links back: each SQLite link is there, or a newer one replaced it."""
    rows = {
        row["discord_user_id"]: row
        for row in await conn.fetch(
            "SELECT discord_user_id, ra_ulid, ra_name, linked_at FROM links "
            "WHERE discord_user_id = ANY($1::bigint[])",
            [link.discord_user_id for link in snapshot.links],
        )
    }
    verified, missing = 0, []
    for link in snapshot.links:
        row = rows.get(link.discord_user_id)
        if row is not None and (row["ra_ulid"], row["ra_name"]) == (link.ra_ulid, link.ra_name):
            verified += 1
        elif row is None or row["linked_at"] < link.linked_at:
            missing.append(link.discord_user_id)
    if missing:
        shown = ", ".join(str(user) for user in missing[:10])
        raise StorageError(
            f"After copying into {where}, {len(missing)} links of the SQLite database are missing or "
            f"different in PostgreSQL (Discord users {shown}). Keep the SQLite file and run the copy again."
        )
    return CopyReport(
        copied=report.copied,
        already_present=report.already_present,
        kept_newer=report.kept_newer,
        verified=verified,
        memberships_copied=report.memberships_copied,
        memberships_already_present=report.memberships_already_present,
        meta_copied=report.meta_copied,
        meta_already_present=report.meta_already_present,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: copy SQLITE_PATH into DATABASE_URL (argument or environment); 0 on success."""
    parser = argparse.ArgumentParser(
        prog="python -m bot.storage.sqlite_to_postgres",
        description="Copy the bot's SQLite database into PostgreSQL.",
    )
    parser.add_argument("sqlite_path", type=Path, help="the SQLite database file (only read)")
    parser.add_argument(
        "database_url",
        nargs="?",
        default=os.environ.get("DATABASE_URL"),
        help="postgresql://user:password@host:port/database (default: $DATABASE_URL)",
    )
    args = parser.parse_args(argv)
    url: str | None = args.database_url
    if url is None or not is_postgres_url(url):
        parser.error("give a postgresql:// DATABASE_URL as argument or in the environment")
    try:
        report = asyncio.run(copy_sqlite_to_postgres(args.sqlite_path, url))
    except StorageError as exc:
        print(f"Copy failed: {exc}", file=sys.stderr)
        return 1
    print(report.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
