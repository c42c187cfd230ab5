"""SQLiteStorage against real files: behaviour, migrations, refusals and crash durability."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
import textwrap
from collections.abc import AsyncIterator, Iterator
from contextlib import closing, contextmanager
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest

from bot.storage import (
    LATEST_VERSION,
    MIGRATIONS,
    LinkedAccount,
    SQLiteStorage,
    Storage,
    StorageError,
    open_storage,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
GUILD = 1000
OTHER_GUILD = 2000


def ulid(n: int) -> str:
    return f"01J{n:023d}"


def query(path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Read the file directly, bypassing the storage under test."""
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql, params).fetchall()


def make_raw_database(path: Path, *statements: str) -> None:
    with closing(sqlite3.connect(path)) as conn:
        for statement in statements:
            conn.execute(statement)
        conn.commit()


def write_garbage(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    garbage = b"this is not a database, but someone's notes\n" * 200
    path.write_bytes(garbage)
    return garbage


def read_bytes(path: Path) -> bytes:
    return path.read_bytes()


def corrupt_every_page_but_the_first(path: Path, page_size: int = 4096) -> None:
    """Overwrite each b-tree page header, as a torn disk or a stray write would."""
    data = bytearray(path.read_bytes())
    for offset in range(page_size, len(data), page_size):
        data[offset : offset + 12] = b"\xab" * 12
    path.write_bytes(bytes(data))


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    mode = path.stat().st_mode
    path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        yield
    finally:
        path.chmod(mode)


def names(accounts: list[LinkedAccount]) -> list[str]:
    return [account.ra_name for account in accounts]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "nested" / "bot.db"


@pytest.fixture
async def storage(db_path: Path) -> AsyncIterator[SQLiteStorage]:
    store = SQLiteStorage(db_path)
    await store.open()
    try:
        yield store
    finally:
        await store.close()


async def link_in_guild(store: Storage, user: int, name: str, guild: int = GUILD) -> LinkedAccount:
    return await store.link(user, ulid(user), name, guild)


# -- links ------------------------------------------------------------------------------------------


async def test_link_get_and_relink_replaces(storage: SQLiteStorage) -> None:
    assert await storage.get_link(1) is None

    first = await storage.link(1, ulid(1), "Alice", GUILD)
    assert first == await storage.get_link(1)
    assert (first.discord_user_id, first.ra_ulid, first.ra_name) == (1, ulid(1), "Alice")
    assert first.linked_at.tzinfo is UTC

    second = await storage.link(1, ulid(2), "Bob", None)
    assert await storage.get_link(1) == second
    assert (second.ra_ulid, second.ra_name) == (ulid(2), "Bob")
    assert second.linked_at >= first.linked_at
    assert names(await storage.guild_links(GUILD)) == ["Bob"]


async def test_two_members_may_link_the_same_account(storage: SQLiteStorage) -> None:
    await storage.link(1, ulid(9), "OldName", GUILD)
    await storage.link(2, ulid(9), "NewName", GUILD)

    links = await storage.guild_links(GUILD)
    assert [(a.discord_user_id, a.ra_name) for a in links] == [(1, "NewName"), (2, "NewName")]


async def test_link_rejects_malformed_fields(storage: SQLiteStorage) -> None:
    with pytest.raises(ValueError, match="ULID"):
        await storage.link(1, "not-a-ulid", "Alice", GUILD)
    with pytest.raises(ValueError, match="ULID"):
        await storage.link(1, ulid(1).lower(), "Alice", GUILD)
    with pytest.raises(ValueError, match="blank"):
        await storage.link(1, ulid(1), "  ", GUILD)
    assert await storage.get_link(1) is None


async def test_unlink_removes_everything(storage: SQLiteStorage, db_path: Path) -> None:
    await storage.link(1, ulid(1), "Alice", GUILD)
    await storage.record_member(OTHER_GUILD, 1)
    await link_in_guild(storage, 2, "Bob")

    assert await storage.unlink(1) is True

    assert await storage.get_link(1) is None
    assert names(await storage.guild_links(GUILD)) == ["Bob"]
    assert await storage.guild_links(OTHER_GUILD) == []
    assert query(db_path, "SELECT * FROM links WHERE discord_user_id = 1") == []
    assert query(db_path, "SELECT * FROM guild_members WHERE discord_user_id = 1") == []
    assert await storage.unlink(1) is False


async def test_unlink_of_a_member_without_link_removes_memberships(storage: SQLiteStorage) -> None:
    await storage.record_member(GUILD, 5)
    assert await storage.unlink(5) is True
    await storage.link(5, ulid(5), "Eve", None)
    assert await storage.guild_links(GUILD) == []


async def test_record_member_after_unlink_is_recorded_again(storage: SQLiteStorage) -> None:
    await storage.record_member(GUILD, 1)
    await storage.unlink(1)
    await storage.record_member(GUILD, 1)
    await storage.link(1, ulid(1), "Alice", None)
    assert names(await storage.guild_links(GUILD)) == ["Alice"]


async def test_refresh_name_follows_a_rename(storage: SQLiteStorage) -> None:
    await storage.link(1, ulid(7), "Before", GUILD)
    await storage.link(2, ulid(7), "Before", GUILD)
    await storage.link(3, ulid(8), "Other", GUILD)

    await storage.refresh_name(ulid(7), "after")

    assert [a.ra_name for a in await storage.guild_links(GUILD)] == ["after", "after", "Other"]
    link = await storage.get_link(1)
    assert link is not None
    assert (link.ra_ulid, link.ra_name) == (ulid(7), "after")

    await storage.refresh_name(ulid(7), "AFTER")
    assert names(await storage.guild_links(GUILD))[:2] == ["AFTER", "AFTER"]


# -- guild boards -----------------------------------------------------------------------------------


async def test_guild_links_only_that_guild_and_only_linked(storage: SQLiteStorage) -> None:
    await link_in_guild(storage, 1, "charlie")
    await link_in_guild(storage, 2, "Alpha")
    await link_in_guild(storage, 3, "bravo")
    await link_in_guild(storage, 4, "Delta", OTHER_GUILD)
    await storage.record_member(GUILD, 5)
    await storage.link(6, ulid(6), "Echo", None)

    assert names(await storage.guild_links(GUILD)) == ["Alpha", "bravo", "charlie"]
    assert names(await storage.guild_links(OTHER_GUILD)) == ["Delta"]
    assert await storage.guild_links(3000) == []

    await storage.link(5, ulid(5), "Foxtrot", None)
    await storage.record_member(GUILD, 6)
    assert names(await storage.guild_links(GUILD)) == ["Alpha", "bravo", "charlie", "Echo", "Foxtrot"]


async def test_search_puts_prefix_matches_first(storage: SQLiteStorage) -> None:
    for user, name in enumerate(["xMarioFan", "mario", "SuperMario", "MarioKart", "Luigi", "amAri"], start=1):
        await link_in_guild(storage, user, name)
    await link_in_guild(storage, 50, "MarioElsewhere", OTHER_GUILD)

    assert names(await storage.search_guild_links(GUILD, "MAR")) == [
        "mario",
        "MarioKart",
        "amAri",
        "SuperMario",
        "xMarioFan",
    ]
    assert names(await storage.search_guild_links(GUILD, "mar", limit=2)) == ["mario", "MarioKart"]
    assert names(await storage.search_guild_links(GUILD, " luigi ")) == ["Luigi"]
    assert len(await storage.search_guild_links(GUILD, "")) == 6
    assert await storage.search_guild_links(GUILD, "mar", limit=0) == []
    assert await storage.search_guild_links(GUILD, "zzz") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [("%", ["a%b"]), ("_", ["a_c"]), ("a%", ["a%b"]), ("\\", ["back\\slash"]), ("a_", ["a_c"])],
)
async def test_search_escapes_like_wildcards(storage: SQLiteStorage, text: str, expected: list[str]) -> None:
    for user, name in enumerate(["a%b", "axb", "a_c", "abc", "back\\slash"], start=1):
        await link_in_guild(storage, user, name)
    assert names(await storage.search_guild_links(GUILD, text)) == expected


# -- meta -------------------------------------------------------------------------------------------


async def test_meta_round_trip(storage: SQLiteStorage) -> None:
    assert await storage.get_meta("commands_hash") is None
    await storage.set_meta("commands_hash", "abc")
    await storage.set_meta("commands_hash", "def")
    assert await storage.get_meta("commands_hash") == "def"


# -- lifecycle and migrations -----------------------------------------------------------------------


def test_migrations_are_numbered_one_to_latest() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, LATEST_VERSION + 1))


async def test_fresh_file_is_created_and_migrated(db_path: Path) -> None:
    store = open_storage(db_path)
    assert isinstance(store, SQLiteStorage)
    assert not db_path.parent.exists()

    await store.open()
    await store.open()  # a second open is a no-op
    await store.close()
    await store.close()

    assert query(db_path, "PRAGMA user_version") == [(LATEST_VERSION,)]
    assert query(db_path, "PRAGMA journal_mode") == [("wal",)]
    tables = {row[0] for row in query(db_path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"links", "guild_members", "meta"} <= tables


async def test_everything_persists_across_reopen(db_path: Path) -> None:
    store = open_storage(db_path)
    await store.open()
    await store.link(1, ulid(1), "Alice", GUILD)
    await store.record_member(OTHER_GUILD, 1)
    await store.set_meta("k", "v")
    await store.close()

    reopened = open_storage(db_path)
    await reopened.open()
    try:
        link = await reopened.get_link(1)
        assert link is not None
        assert (link.ra_ulid, link.ra_name) == (ulid(1), "Alice")
        assert names(await reopened.guild_links(OTHER_GUILD)) == ["Alice"]
        assert await reopened.get_meta("k") == "v"
    finally:
        await reopened.close()
    assert query(db_path, "PRAGMA user_version") == [(LATEST_VERSION,)]


async def test_use_before_open_is_refused(db_path: Path) -> None:
    store = SQLiteStorage(db_path)
    with pytest.raises(StorageError, match="not open"):
        await store.get_link(1)
    assert not db_path.parent.exists()


# -- refusals ---------------------------------------------------------------------------------------


async def assert_refused(path: Path, *fragments: str) -> str:
    store = SQLiteStorage(path)
    with pytest.raises(StorageError) as caught:
        await store.open()
    message = str(caught.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message
    with pytest.raises(StorageError, match="not open"):
        await store.get_link(1)
    return message


async def test_newer_schema_version_is_refused(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    make_raw_database(db_path, f"PRAGMA user_version = {LATEST_VERSION + 1}")

    await assert_refused(db_path, f"schema version {LATEST_VERSION + 1}", "written by another version")

    assert query(db_path, "PRAGMA user_version") == [(LATEST_VERSION + 1,)]
    assert query(db_path, "SELECT name FROM sqlite_master") == []


async def test_garbage_file_is_refused_and_left_alone(db_path: Path) -> None:
    garbage = write_garbage(db_path)

    await assert_refused(db_path, "not a SQLite database", "backup")

    assert read_bytes(db_path) == garbage


async def test_damaged_database_is_refused(db_path: Path) -> None:
    store = open_storage(db_path)
    await store.open()
    await asyncio.gather(*(link_in_guild(store, user, f"user{user:04d}" * 4) for user in range(1, 400)))
    await store.close()
    corrupt_every_page_but_the_first(db_path)

    await assert_refused(db_path, "damaged")


async def test_another_programs_database_is_refused(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    make_raw_database(db_path, "CREATE TABLE invoices (id INTEGER PRIMARY KEY)")

    await assert_refused(db_path, "another program")


async def test_folder_that_cannot_be_created_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")

    await assert_refused(blocker / "bot.db", "Cannot create the folder")


async def test_path_that_is_a_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "bot.db"
    folder.mkdir()

    await assert_refused(folder, "not a file")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write read-only files")
async def test_read_only_file_is_refused(db_path: Path) -> None:
    store = open_storage(db_path)
    await store.open()
    await store.close()
    with read_only(db_path):
        await assert_refused(db_path, "cannot write")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into read-only folders")
async def test_read_only_folder_is_refused(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    with read_only(db_path.parent):
        await assert_refused(db_path)


# -- durability and concurrency ---------------------------------------------------------------------

CRASHING_CHILD = textwrap.dedent(
    """
    import asyncio, sys, time
    from pathlib import Path
    from bot.storage import open_storage

    async def main() -> None:
        store = open_storage(Path(sys.argv[1]))
        await store.open()
        await store.link(1, sys.argv[2], "Crashy", 77)
        await store.record_member(88, 1)
        await store.set_meta("after", "crash")
        print("ACK", flush=True)
        time.sleep(60)

    asyncio.run(main())
    """
)


async def test_acknowledged_writes_survive_kill_9(db_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])}
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CRASHING_CHILD,
        str(db_path),
        ulid(1),
        cwd=REPO_ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert child.stdout is not None and child.stderr is not None
    try:
        line = await asyncio.wait_for(child.stdout.readline(), timeout=20)
    finally:
        if child.returncode is None:
            child.kill()
        await child.wait()
    assert line == b"ACK\n", (await child.stderr.read()).decode()
    assert child.returncode == -9

    store = open_storage(db_path)
    await store.open()
    try:
        link = await store.get_link(1)
        assert link is not None
        assert (link.ra_ulid, link.ra_name) == (ulid(1), "Crashy")
        assert names(await store.guild_links(77)) == ["Crashy"]
        assert names(await store.guild_links(88)) == ["Crashy"]
        assert await store.get_meta("after") == "crash"
    finally:
        await store.close()


async def test_concurrent_writes_all_land(storage: SQLiteStorage, db_path: Path) -> None:
    async def member(user: int) -> None:
        if user % 2:
            await storage.record_member(GUILD, user)
        else:
            await storage.link(user, ulid(user), f"user{user:03d}", GUILD)

    await asyncio.gather(*(member(user) for user in range(300)))

    assert len(await storage.guild_links(GUILD)) == 150
    assert query(db_path, "SELECT count(*) FROM guild_members WHERE guild_id = ?", (GUILD,)) == [(300,)]

    await asyncio.gather(
        *(storage.link(user, ulid(user), f"user{user:03d}", None) for user in range(1, 300, 2))
    )
    assert names(await storage.guild_links(GUILD)) == [f"user{user:03d}" for user in range(300)]
