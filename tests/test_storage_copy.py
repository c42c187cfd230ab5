"""Copying SQLite into PostgreSQL: everything arrives, re-runs are harmless, the source is untouched."""

from __future__ import annotations

import asyncio
import hashlib
import os
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from bot.storage import LATEST_VERSION, SQLiteStorage, StorageError
from bot.storage.postgres import PostgresStorage
from bot.storage.sqlite_to_postgres import CopyReport, copy_sqlite_to_postgres, main
from tests.test_storage import closed_port, pg_query, ulid
from tests.test_storage import postgres_database as postgres_database
from tests.test_storage import postgres_url as postgres_url

GUILDS = (1000, 2000, 3000)
LINKS = 300
LINKLESS_MEMBERS = range(5000, 5010)
META = {"commands_hash": "abc123", "note": "from sqlite"}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_source(path: Path) -> int:
    """A SQLite database with LINKS links, memberships and meta; returns the number of memberships."""
    store = SQLiteStorage(path)
    asyncio.run(store.open())
    asyncio.run(store.close())
    now = time.time()
    links = [
        (user, ulid(user), f"Player{user:03d}", now - user * 1000.1234567) for user in range(1, LINKS + 1)
    ]
    members = [(GUILDS[user % 2], user) for user in range(1, LINKS + 1)]
    members += [(GUILDS[2], user) for user in range(1, LINKS + 1, 3)]
    members += [(GUILDS[0], user) for user in LINKLESS_MEMBERS]
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.executemany("INSERT INTO links VALUES (?, ?, ?, ?)", links)
        conn.executemany("INSERT INTO guild_members VALUES (?, ?)", members)
        conn.executemany("INSERT INTO meta VALUES (?, ?)", list(META.items()))
    return len(members)


@pytest.fixture
def source(tmp_path: Path) -> tuple[Path, int]:
    path = tmp_path / "bot.db"
    return path, make_source(path)


async def assert_same_content(sqlite_path: Path, url: str) -> None:
    """Through both storages, every board, link and meta value reads the same."""
    old, new = SQLiteStorage(sqlite_path), PostgresStorage(url)
    await old.open()
    await new.open()
    try:
        for guild in GUILDS:
            assert await new.guild_links(guild) == await old.guild_links(guild)
        for user in (1, 150, LINKS):
            assert await new.get_link(user) == await old.get_link(user)
        for key, value in META.items():
            assert await new.get_meta(key) == value
    finally:
        await old.close()
        await new.close()


async def test_copy_then_copy_again(source: tuple[Path, int], postgres_url: str, tmp_path: Path) -> None:
    path, memberships = source
    before, files = digest(path), sorted(path.parent.iterdir())

    first = await copy_sqlite_to_postgres(path, postgres_url)

    assert first == CopyReport(
        copied=LINKS,
        already_present=0,
        kept_newer=0,
        verified=LINKS,
        memberships_copied=memberships,
        memberships_already_present=0,
        meta_copied=len(META),
        meta_already_present=0,
    )
    assert digest(path) == before

    again = await copy_sqlite_to_postgres(path, postgres_url)

    assert again == CopyReport(
        copied=0,
        already_present=LINKS,
        kept_newer=0,
        verified=LINKS,
        memberships_copied=0,
        memberships_already_present=memberships,
        meta_copied=0,
        meta_already_present=len(META),
    )
    assert digest(path) == before
    assert sorted(path.parent.iterdir()) == files
    assert await pg_query(postgres_url, "SELECT count(*) FROM links") == [(LINKS,)]
    assert await pg_query(postgres_url, "SELECT count(*) FROM guild_members") == [(memberships,)]
    # The copy works from a copy of the file as well as any other read of it: same rows.
    copy_of_source = tmp_path / "copy.db"
    copy_of_source.write_bytes(path.read_bytes())
    await assert_same_content(copy_of_source, postgres_url)


async def test_newer_link_wins_and_postgres_meta_is_kept(source: tuple[Path, int], postgres_url: str) -> None:
    path, _ = source
    live = PostgresStorage(postgres_url)
    await live.open()
    try:
        newer = await live.link(1, ulid(9001), "RelinkedSince", 1000)
        await live.link(2, ulid(9002), "LinkedLongAgo", None)
        await live.link(4242, ulid(4242), "OnlyInPostgres", 1000)
        await live.set_meta("commands_hash", "from postgres")
    finally:
        await live.close()
    await pg_query(postgres_url, "UPDATE links SET linked_at = '2001-01-01Z' WHERE discord_user_id = 2")

    report = await copy_sqlite_to_postgres(path, postgres_url)

    assert (report.copied, report.already_present, report.kept_newer, report.verified) == (
        LINKS - 1,
        0,
        1,
        LINKS - 1,
    )
    assert (report.meta_copied, report.meta_already_present) == (1, 1)
    live = PostgresStorage(postgres_url)
    await live.open()
    try:
        assert await live.get_link(1) == newer
        replaced = await live.get_link(2)
        assert replaced is not None and (replaced.ra_ulid, replaced.ra_name) == (ulid(2), "Player002")
        assert (await live.get_link(4242)) is not None
        assert await live.get_meta("commands_hash") == "from postgres"
    finally:
        await live.close()


async def test_unusable_sources_are_refused(tmp_path: Path, postgres_url: str) -> None:
    with pytest.raises(StorageError, match="does not exist"):
        await copy_sqlite_to_postgres(tmp_path / "missing.db", postgres_url)

    newer = tmp_path / "newer.db"
    with closing(sqlite3.connect(newer)) as conn:
        conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    before = digest(newer)
    with pytest.raises(StorageError, match="schema version"):
        await copy_sqlite_to_postgres(newer, postgres_url)
    assert digest(newer) == before


def test_command_line(
    source: tuple[Path, int], postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = source
    assert main([str(path), postgres_url]) == 0
    assert f"links: {LINKS} copied, 0 already present" in capsys.readouterr().out

    unreachable = f"postgresql://bot:hunter2-secret@127.0.0.1:{closed_port()}/bot"
    assert main([str(path), unreachable]) == 1
    err = capsys.readouterr().err
    assert "Cannot reach" in err and "hunter2" not in err


async def test_copy_reads_the_write_ahead_log_of_a_running_bot(
    source: tuple[Path, int], postgres_url: str
) -> None:
    path, _ = source
    running = SQLiteStorage(path)
    await running.open()
    try:
        late = await running.link(777, ulid(777), "JustLinked", 1000)
        assert path.with_name("bot.db-wal").exists()

        report = await copy_sqlite_to_postgres(path, postgres_url)
    finally:
        await running.close()

    assert (report.copied, report.verified) == (LINKS + 1, LINKS + 1)
    assert await pg_query(
        postgres_url, "SELECT ra_name, linked_at FROM links WHERE discord_user_id = 777"
    ) == [("JustLinked", late.linked_at)]


def test_the_bot_command_copies_from_its_own_settings(
    source: tuple[Path, int], postgres_url: str, tmp_path: Path
) -> None:
    path, _ = source
    settings = {
        "DISCORD_TOKEN": "unused-token",
        "RA_API_KEY": "CopyTestKey0000000000000000000aa",
        "DATABASE_PATH": str(path),
        "DATABASE_URL": postgres_url,
    }
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "RA_", "DATABASE_"))}
    run = subprocess.run(
        [sys.executable, "-m", "bot", "--copy-to-postgres"],
        cwd=tmp_path,
        env={**base, "PYTHONPATH": str(Path(__file__).resolve().parent.parent), **settings},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert (
        f"links: {LINKS} copied, 0 already present, 0 kept (newer in PostgreSQL), {LINKS} verified"
        in run.stdout
    )
    asyncio.run(assert_same_content(path, postgres_url))
