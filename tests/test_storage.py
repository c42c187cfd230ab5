"""The storage suite: every behaviour of `Storage` against SQLite and PostgreSQL, plus each one's own cases.

PostgreSQL tests run against TEST_DATABASE_URL (see `.ci/services`), in a fresh database per test. Without
a server they are skipped, unless REQUIRE_TEST_SERVICES=1 makes that a failure.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import secrets
import socket
import sqlite3
import sys
import textwrap
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import pytest

from bot.catalogue.model import CatalogueGame, Console, StoredConsole
from bot.storage import (
    DEFAULT_TIMEOUT_SECONDS,
    LATEST_VERSION,
    MIGRATIONS,
    NOT_KNOWN,
    LinkedAccount,
    SQLiteStorage,
    Storage,
    StorageError,
    open_storage,
)
from bot.storage.postgres import PostgresStorage, redact_url
from tests.services import pg_execute

REPO_ROOT = Path(__file__).resolve().parents[1]
GUILD = 1000
OTHER_GUILD = 2000
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")


def ulid(n: int) -> str:
    return f"01J{n:023d}"


def query(path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Read the file directly, bypassing the storage under test."""
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql, params).fetchall()


async def pg_query(url: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Query PostgreSQL directly, bypassing the storage under test."""
    conn = await asyncpg.connect(url)
    try:
        return [tuple(row) for row in await conn.fetch(sql, *params)]
    finally:
        await conn.close()


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


# -- backends ---------------------------------------------------------------------------------------


def with_database(url: str, database: str) -> str:
    return urlsplit(url)._replace(path=f"/{database}").geturl()


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A database of this test session on the TEST_DATABASE_URL server, dropped at the end."""
    name = f"test_{secrets.token_hex(6)}"
    asyncio.run(pg_execute(TEST_DATABASE_URL, f'CREATE DATABASE "{name}"'))
    try:
        yield with_database(TEST_DATABASE_URL, name)
    finally:
        asyncio.run(pg_execute(TEST_DATABASE_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def postgres_url(postgres_database: str) -> Iterator[str]:
    """A URL whose search_path is a fresh, empty schema (cheaper than a database), dropped afterwards."""
    schema = f"test_{secrets.token_hex(6)}"
    asyncio.run(pg_execute(postgres_database, f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{postgres_database}?search_path={schema}"
    finally:
        asyncio.run(pg_execute(postgres_database, f'DROP SCHEMA "{schema}" CASCADE'))


@dataclass(frozen=True)
class Backend:
    """One empty database of either kind; `new()` gives another view of it, as another process would."""

    kind: str
    path: Path
    url: str | None

    def new(self) -> Storage:
        return open_storage(self.path, self.url)

    async def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Read the database directly; `sql` uses `?` placeholders."""
        if self.url is None:
            return query(self.path, sql, params)
        numbers = itertools.count(1)
        return await pg_query(self.url, re.sub(r"\?", lambda _: f"${next(numbers)}", sql), *params)

    async def change(self, sql: str) -> None:
        """Write to the database behind the storage's back (no notification of any kind)."""
        if self.url is None:
            with closing(sqlite3.connect(self.path)) as conn, conn:
                conn.execute(sql)
        else:
            await pg_query(self.url, sql)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "nested" / "bot.db"


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, db_path: Path) -> Backend:
    if request.param == "sqlite":
        return Backend("sqlite", db_path, None)
    return Backend("postgres", db_path, request.getfixturevalue("postgres_url"))


@pytest.fixture
async def storage(backend: Backend) -> AsyncIterator[Storage]:
    store = backend.new()
    await store.open()
    try:
        yield store
    finally:
        await store.close()


async def link_in_guild(store: Storage, user: int, name: str, guild: int = GUILD) -> LinkedAccount:
    return await store.link(user, ulid(user), name, guild)


# -- links ------------------------------------------------------------------------------------------


async def test_link_get_and_relink_replaces(storage: Storage) -> None:
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


async def test_two_members_may_link_the_same_account(storage: Storage) -> None:
    await storage.link(1, ulid(9), "OldName", GUILD)
    await storage.link(2, ulid(9), "NewName", GUILD)

    links = await storage.guild_links(GUILD)
    assert [(a.discord_user_id, a.ra_name) for a in links] == [(1, "NewName"), (2, "NewName")]


async def test_cached_link_answers_from_memory_what_was_read(storage: Storage, backend: Backend) -> None:
    alice = await storage.link(1, ulid(1), "Alice", GUILD)
    assert await storage.cached_link(1) == alice  # read from the database, then remembered
    assert await storage.cached_link(3) is None
    await backend.change("INSERT INTO links SELECT 3, ra_ulid, 'Carol', linked_at FROM links")
    await backend.change("DELETE FROM links WHERE discord_user_id = 1")

    assert await storage.cached_link(1) == alice
    assert await storage.cached_link(3) is None
    # get_link always reads the database, and what it reads is remembered
    assert await storage.get_link(1) is None
    carol = await storage.get_link(3)
    assert carol is not None and carol.ra_name == "Carol"
    assert await storage.cached_link(1) is None
    assert await storage.cached_link(3) == carol


async def test_known_link_answers_at_once_from_what_was_read(storage: Storage) -> None:
    assert storage.known_link(1) is NOT_KNOWN  # never read: a caller must read it
    alice = await storage.link(1, ulid(1), "Alice", GUILD)
    assert storage.known_link(1) is NOT_KNOWN  # a write is not a read
    assert await storage.get_link(1) == alice
    assert await storage.get_link(2) is None
    assert (storage.known_link(1), storage.known_link(2)) == (alice, None)
    await storage.unlink(1)
    assert storage.known_link(1) is NOT_KNOWN


async def test_cached_link_follows_every_write_of_this_process(storage: Storage) -> None:
    async def cached(*members: int) -> list[tuple[str, str] | None]:
        links = [await storage.cached_link(member) for member in members]
        return [None if link is None else (link.ra_ulid, link.ra_name) for link in links]

    assert await cached(1, 2) == [None, None]
    await storage.link(1, ulid(1), "Alice", GUILD)
    assert await cached(1, 2) == [(ulid(1), "Alice"), None]
    await storage.link(2, ulid(1), "ALICE", GUILD)  # the account's new name, for member 1 too
    assert await cached(1, 2) == [(ulid(1), "ALICE")] * 2
    await storage.refresh_name(ulid(1), "Alicia")
    assert await cached(1, 2) == [(ulid(1), "Alicia")] * 2
    await storage.link(1, ulid(5), "Eve", None)
    assert await cached(1, 2) == [(ulid(5), "Eve"), (ulid(1), "Alicia")]
    await storage.unlink(1)
    assert await cached(1, 2) == [None, (ulid(1), "Alicia")]


async def test_link_rejects_malformed_fields(storage: Storage) -> None:
    with pytest.raises(ValueError, match="ULID"):
        await storage.link(1, "not-a-ulid", "Alice", GUILD)
    with pytest.raises(ValueError, match="ULID"):
        await storage.link(1, ulid(1).lower(), "Alice", GUILD)
    with pytest.raises(ValueError, match="blank"):
        await storage.link(1, ulid(1), "  ", GUILD)
    assert await storage.get_link(1) is None


async def test_unlink_removes_everything(storage: Storage, backend: Backend) -> None:
    await storage.link(1, ulid(1), "Alice", GUILD)
    await storage.record_member(OTHER_GUILD, 1)
    await link_in_guild(storage, 2, "Bob")

    assert await storage.unlink(1) is True

    assert await storage.get_link(1) is None
    assert names(await storage.guild_links(GUILD)) == ["Bob"]
    assert await storage.guild_links(OTHER_GUILD) == []
    assert await backend.rows("SELECT * FROM links WHERE discord_user_id = 1") == []
    assert await backend.rows("SELECT * FROM guild_members WHERE discord_user_id = 1") == []
    assert await storage.unlink(1) is False


async def test_unlink_of_a_member_without_link_removes_memberships(storage: Storage) -> None:
    await storage.record_member(GUILD, 5)
    assert await storage.unlink(5) is True
    await storage.link(5, ulid(5), "Eve", None)
    assert await storage.guild_links(GUILD) == []


async def test_record_member_after_unlink_is_recorded_again(storage: Storage) -> None:
    await storage.record_member(GUILD, 1)
    await storage.unlink(1)
    await storage.record_member(GUILD, 1)
    await storage.link(1, ulid(1), "Alice", None)
    assert names(await storage.guild_links(GUILD)) == ["Alice"]


async def test_member_known_once_recorded_and_forgotten_by_unlink(storage: Storage) -> None:
    assert not storage.member_known(GUILD, 1)
    await storage.record_member(GUILD, 1)
    assert storage.member_known(GUILD, 1)
    assert not storage.member_known(OTHER_GUILD, 1) and not storage.member_known(GUILD, 2)
    await storage.unlink(1)
    assert not storage.member_known(GUILD, 1)


async def test_name_known_once_refreshed_and_only_that_name(storage: Storage) -> None:
    await storage.link(1, ulid(7), "Before", GUILD)
    assert not storage.name_known(ulid(7), "After")
    await storage.refresh_name(ulid(7), "After")
    assert storage.name_known(ulid(7), "After")
    assert not storage.name_known(ulid(7), "Before") and not storage.name_known(ulid(8), "After")


async def test_refresh_name_follows_a_rename(storage: Storage) -> None:
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


async def test_guild_links_only_that_guild_and_only_linked(storage: Storage) -> None:
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


async def test_search_puts_prefix_matches_first(storage: Storage) -> None:
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
async def test_search_escapes_like_wildcards(storage: Storage, text: str, expected: list[str]) -> None:
    for user, name in enumerate(["a%b", "axb", "a_c", "abc", "back\\slash"], start=1):
        await link_in_guild(storage, user, name)
    assert names(await storage.search_guild_links(GUILD, text)) == expected


# -- meta -------------------------------------------------------------------------------------------


async def test_meta_round_trip(storage: Storage) -> None:
    assert await storage.get_meta("commands_hash") is None
    await storage.set_meta("commands_hash", "abc")
    await storage.set_meta("commands_hash", "def")
    assert await storage.get_meta("commands_hash") == "def"


async def test_order_and_search_fold_ascii_case_only_in_byte_order(storage: Storage) -> None:
    for user, name in enumerate(["_x", "Zed", "alpha", "Émile", "éclair", "[b]", "ÉMILIE"], start=1):
        await link_in_guild(storage, user, name)

    assert names(await storage.guild_links(GUILD)) == [
        "[b]",
        "_x",
        "alpha",
        "Zed",
        "Émile",
        "ÉMILIE",
        "éclair",
    ]
    assert names(await storage.search_guild_links(GUILD, "ÉMIL")) == ["Émile", "ÉMILIE"]
    assert names(await storage.search_guild_links(GUILD, "émil")) == []
    assert names(await storage.search_guild_links(GUILD, "E")) == ["Zed", "Émile", "ÉMILIE"]


# -- lifecycle and migrations -----------------------------------------------------------------------


def test_migrations_are_numbered_one_to_latest() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, LATEST_VERSION + 1))
    for migration in MIGRATIONS:
        assert migration.statements("sqlite") and migration.statements("postgres")


def test_open_storage_picks_the_backend_from_the_url(db_path: Path) -> None:
    assert isinstance(open_storage(db_path).backend, SQLiteStorage)
    assert isinstance(open_storage(db_path, None).backend, SQLiteStorage)
    assert isinstance(open_storage(db_path, "").backend, SQLiteStorage)
    assert isinstance(open_storage(db_path, "sqlite:///elsewhere.db").backend, SQLiteStorage)
    assert isinstance(open_storage(db_path, "postgresql://bot@db/bot").backend, PostgresStorage)
    assert isinstance(open_storage(db_path, "postgres://bot@db/bot").backend, PostgresStorage)


def test_open_storage_gives_the_backend_its_time_limit(db_path: Path) -> None:
    sqlite = open_storage(db_path, timeout=1.5).backend
    postgres = open_storage(db_path, "postgresql://bot@db/bot", timeout=2.5).backend
    assert isinstance(sqlite, SQLiteStorage) and sqlite.timeout == 1.5
    assert isinstance(postgres, PostgresStorage) and postgres.timeout == 2.5
    default = open_storage(db_path).backend
    assert isinstance(default, SQLiteStorage) and default.timeout == DEFAULT_TIMEOUT_SECONDS == 5.0


async def test_everything_persists_across_reopen(backend: Backend) -> None:
    store = backend.new()
    await store.open()
    await store.open()  # a second open is a no-op
    await store.link(1, ulid(1), "Alice", GUILD)
    await store.record_member(OTHER_GUILD, 1)
    await store.set_meta("k", "v")
    await store.close()
    await store.close()

    reopened = backend.new()
    await reopened.open()
    try:
        link = await reopened.get_link(1)
        assert link is not None
        assert (link.ra_ulid, link.ra_name) == (ulid(1), "Alice")
        assert names(await reopened.guild_links(OTHER_GUILD)) == ["Alice"]
        assert await reopened.get_meta("k") == "v"
    finally:
        await reopened.close()


async def test_use_before_open_is_refused(backend: Backend) -> None:
    store = backend.new()
    with pytest.raises(StorageError, match="not open"):
        await store.get_link(1)
    if backend.kind == "sqlite":
        assert not backend.path.parent.exists()


async def test_concurrent_writes_all_land(storage: Storage, backend: Backend) -> None:
    async def member(user: int) -> None:
        if user % 2:
            await storage.record_member(GUILD, user)
        else:
            await storage.link(user, ulid(user), f"user{user:03d}", GUILD)

    await asyncio.gather(*(member(user) for user in range(300)))

    assert len(await storage.guild_links(GUILD)) == 150
    assert await backend.rows("SELECT count(*) FROM guild_members WHERE guild_id = ?", GUILD) == [(300,)]

    await asyncio.gather(
        *(storage.link(user, ulid(user), f"user{user:03d}", None) for user in range(1, 300, 2))
    )
    assert names(await storage.guild_links(GUILD)) == [f"user{user:03d}" for user in range(300)]


# -- SQLite only ------------------------------------------------------------------------------------


async def test_fresh_file_is_created_and_migrated(db_path: Path) -> None:
    store = open_storage(db_path)
    assert isinstance(store.backend, SQLiteStorage)
    assert not db_path.parent.exists()

    await store.open()
    await store.close()

    assert query(db_path, "PRAGMA user_version") == [(LATEST_VERSION,)]
    assert query(db_path, "PRAGMA journal_mode") == [("wal",)]
    tables = {row[0] for row in query(db_path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"links", "guild_members", "meta"} <= tables


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


# -- PostgreSQL only --------------------------------------------------------------------------------


async def eventually(check: Callable[[], Awaitable[bool]]) -> None:
    """Await `check()` until it returns True, as a notification reaches another process."""
    for _ in range(500):
        if await check():
            return
        await asyncio.sleep(0.01)
    pytest.fail("the other process never caught up")


@pytest.fixture
async def two_processes(postgres_url: str) -> AsyncIterator[tuple[PostgresStorage, PostgresStorage]]:
    first, second = PostgresStorage(postgres_url), PostgresStorage(postgres_url)
    await first.open()
    await second.open()
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_redact_url_hides_every_password() -> None:
    assert redact_url("postgresql://bot:s3cr%40t@db:5432/bot") == "postgresql://bot:***@db:5432/bot"
    assert redact_url("postgres://bot@db/bot?password=s3cret&sslmode=require") == (
        "postgres://bot@db/bot?password=***&sslmode=require"
    )
    assert redact_url("postgresql://db/bot") == "postgresql://db/bot"
    assert redact_url("postgresql://:p@ss@db/bot") == "postgresql://:***@db/bot"


async def test_unreachable_server_is_refused_without_the_password() -> None:
    url = f"postgresql://bot:hunter2-secret@127.0.0.1:{closed_port()}/bot?password=hunter3-secret"
    store = PostgresStorage(url)
    with pytest.raises(StorageError) as caught:
        await store.open()
    message = str(caught.value)
    assert "Cannot reach the PostgreSQL server" in message
    assert "bot:***@127.0.0.1" in message
    assert "hunter" not in message and "hunter" not in repr(caught.value.__cause__)
    with pytest.raises(StorageError, match="not open"):
        await store.get_link(1)


async def test_missing_database_is_refused_without_the_password(postgres_url: str) -> None:
    url = with_database(postgres_url, "no_such_database").replace("://postgres@", "://postgres:pw-secret@")
    with pytest.raises(StorageError) as caught:
        await PostgresStorage(url).open()
    assert "does not exist" in str(caught.value)
    assert "pw-secret" not in str(caught.value)


async def test_fresh_postgres_database_is_migrated(postgres_url: str) -> None:
    store = PostgresStorage(postgres_url)
    await store.open()
    await store.close()
    await store.open()  # reopening finds nothing to do
    await store.close()

    versions = await pg_query(postgres_url, "SELECT version, description FROM schema_migrations")
    assert versions == [(m.version, m.description) for m in MIGRATIONS]
    tables = await pg_query(
        postgres_url, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    )
    assert {
        "links",
        "guild_members",
        "meta",
        "schema_migrations",
        "catalogue_consoles",
        "catalogue_games",
        "feed_settings",
        "feed_cursor",
        "feed_posts",
    } == {row[0] for row in tables}


async def test_newer_postgres_schema_version_is_refused(postgres_url: str) -> None:
    await pg_query(
        postgres_url,
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, "
        "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    )
    await pg_query(
        postgres_url, "INSERT INTO schema_migrations VALUES ($1, 'from the future')", LATEST_VERSION + 1
    )

    store = PostgresStorage(postgres_url)
    with pytest.raises(StorageError) as caught:
        await store.open()
    assert f"schema version {LATEST_VERSION + 1}" in str(caught.value)
    assert "newer version" in str(caught.value)
    tables = await pg_query(
        postgres_url, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    )
    assert [row[0] for row in tables] == ["schema_migrations"]
    with pytest.raises(StorageError, match="not open"):
        await store.get_link(1)


async def test_another_programs_postgres_database_is_refused(postgres_url: str) -> None:
    await pg_query(postgres_url, "CREATE TABLE meta (id INTEGER PRIMARY KEY)")
    with pytest.raises(StorageError, match="another program"):
        await PostgresStorage(postgres_url).open()


async def test_racing_opens_migrate_once(postgres_url: str) -> None:
    stores = [PostgresStorage(postgres_url) for _ in range(6)]
    await asyncio.gather(*(store.open() for store in stores))
    try:
        assert await pg_query(postgres_url, "SELECT version FROM schema_migrations") == [
            (m.version,) for m in MIGRATIONS
        ]
        await asyncio.gather(*(store.link(n, ulid(n), f"n{n}", GUILD) for n, store in enumerate(stores)))
        assert len(await stores[0].guild_links(GUILD)) == len(stores)
    finally:
        await asyncio.gather(*(store.close() for store in stores))


async def test_two_processes_see_each_others_writes(
    two_processes: tuple[PostgresStorage, PostgresStorage],
) -> None:
    first, second = two_processes
    await first.link(1, ulid(1), "Alice", GUILD)
    await second.link(2, ulid(2), "Bob", GUILD)
    await second.record_member(OTHER_GUILD, 1)
    await first.set_meta("k", "from first")

    assert names(await second.guild_links(GUILD)) == ["Alice", "Bob"]
    assert names(await first.guild_links(OTHER_GUILD)) == ["Alice"]
    assert await second.get_meta("k") == "from first"

    assert await second.unlink(1) is True
    assert await first.get_link(1) is None
    assert names(await first.guild_links(GUILD)) == ["Bob"]


async def test_unlink_in_another_process_reaches_the_member_cache(
    two_processes: tuple[PostgresStorage, PostgresStorage],
) -> None:
    first, second = two_processes
    await first.link(1, ulid(1), "Alice", GUILD)
    await first.record_member(OTHER_GUILD, 1)
    await second.unlink(1)
    await second.link(1, ulid(1), "Alice", None)

    async def recorded_again() -> bool:
        await first.record_member(OTHER_GUILD, 1)
        return names(await second.guild_links(OTHER_GUILD)) == ["Alice"]

    await eventually(recorded_again)


async def test_rename_in_another_process_reaches_the_name_cache(
    two_processes: tuple[PostgresStorage, PostgresStorage],
) -> None:
    first, second = two_processes
    await first.link(1, ulid(7), "Before", GUILD)
    await second.refresh_name(ulid(7), "After")

    async def renamed_back() -> bool:
        await first.refresh_name(ulid(7), "Before")
        link = await second.get_link(1)
        return link is not None and link.ra_name == "Before"

    await eventually(renamed_back)


async def test_links_made_renamed_or_removed_in_another_process_reach_cached_link(
    two_processes: tuple[PostgresStorage, PostgresStorage],
) -> None:
    first, second = two_processes
    assert await first.cached_link(1) is None
    assert await first.cached_link(2) is None
    await second.link(1, ulid(1), "Alice", None)

    async def linked_as(name: str) -> bool:
        link = await first.cached_link(1)
        return link is not None and link.ra_name == name

    await eventually(lambda: linked_as("Alice"))
    assert first.known_link(2) is None  # the notice named member 1: member 2 is still remembered
    await second.refresh_name(ulid(1), "Alicia")
    await eventually(lambda: linked_as("Alicia"))
    await second.link(2, ulid(1), "ALICIA", None)  # renames the account for member 1 too
    await eventually(lambda: linked_as("ALICIA"))
    await second.unlink(1)

    async def unlinked() -> bool:
        return await first.cached_link(1) is None

    await eventually(unlinked)


async def test_repeats_skip_the_database_while_nothing_invalidates_them(
    two_processes: tuple[PostgresStorage, PostgresStorage], postgres_url: str
) -> None:
    first, _ = two_processes
    await first.record_member(GUILD, 1)
    # A delete behind the storage's back (no NOTIFY) is invisible to the cache: the repeat skips it.
    await pg_query(postgres_url, "DELETE FROM guild_members")
    await first.record_member(GUILD, 1)
    assert await pg_query(postgres_url, "SELECT count(*) FROM guild_members") == [(0,)]


async def test_caches_are_dropped_when_the_listening_connection_is_lost(
    two_processes: tuple[PostgresStorage, PostgresStorage], postgres_url: str
) -> None:
    first, second = two_processes
    await first.record_member(GUILD, 1)
    killed = await pg_query(
        postgres_url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND query LIKE 'LISTEN%'",
    )
    assert killed  # both processes' listeners
    await pg_query(postgres_url, "DELETE FROM guild_members")

    async def recorded_again() -> bool:
        await first.record_member(GUILD, 1)
        return await pg_query(postgres_url, "SELECT count(*) FROM guild_members") == [(1,)]

    await eventually(recorded_again)
    await second.link(1, ulid(1), "Alice", None)
    assert names(await first.guild_links(GUILD)) == ["Alice"]


async def test_cached_links_are_dropped_when_the_listening_connection_is_lost(
    two_processes: tuple[PostgresStorage, PostgresStorage], postgres_url: str
) -> None:
    first, _ = two_processes
    assert await first.cached_link(1) is None
    await pg_query(
        postgres_url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND query LIKE 'LISTEN%'",
    )
    # Written behind the storage's back: no notification could have told the process.
    await pg_query(postgres_url, f"INSERT INTO links VALUES (1, '{ulid(1)}', 'Alice', now())")

    async def listening_again() -> bool:
        await first.record_member(GUILD, 9)
        return first.member_known(GUILD, 9)  # known only while listening

    await eventually(listening_again)
    link = await first.cached_link(1)
    assert link is not None and link.ra_name == "Alice"


# -- the game catalogue (both backends) -------------------------------------------------------------

GENESIS, SNES = Console(1, "Genesis/Mega Drive"), Console(3, "SNES/Super Famicom")


def game(game_id: int, title: str, console: Console = GENESIS, **extra: Any) -> CatalogueGame:
    fields: dict[str, Any] = {"image_icon": f"/Images/{game_id:06d}.png", "achievements": 10, "points": 100}
    fields.update(extra)
    return CatalogueGame(game_id, title, console.console_id, console.name, **fields)


async def test_catalogue_starts_empty(storage: Storage) -> None:
    assert await storage.catalogue_consoles() == []
    assert await storage.catalogue_games() == []
    assert await storage.catalogue_stamp() == (0, 0.0)


async def test_a_console_refresh_replaces_exactly_its_games(storage: Storage) -> None:
    await storage.save_catalogue_consoles([GENESIS, SNES], listed_at=100.0)
    await storage.replace_catalogue_games(GENESIS, [game(1, "Sonic"), game(2, "Sonic 2")], refreshed_at=110.0)
    await storage.replace_catalogue_games(SNES, [game(5, "Zelda, The: Link", SNES)], refreshed_at=120.0)
    renamed = game(2, "Sonic the Hedgehog 2", points=400)
    await storage.replace_catalogue_games(
        GENESIS, [renamed, game(3, "Streets of Rage 2")], refreshed_at=130.0
    )

    assert await storage.catalogue_games() == [
        renamed,
        game(3, "Streets of Rage 2"),
        game(5, "Zelda, The: Link", SNES),
    ]
    assert await storage.catalogue_consoles() == [
        StoredConsole(1, "Genesis/Mega Drive", 100.0, 130.0, 2),
        StoredConsole(3, "SNES/Super Famicom", 100.0, 120.0, 1),
    ]
    assert await storage.catalogue_stamp() == (3, 130.0)


async def test_a_game_listed_under_another_console_moves(storage: Storage) -> None:
    await storage.replace_catalogue_games(GENESIS, [game(1, "Sonic"), game(9, "Ported")], refreshed_at=1.0)
    await storage.replace_catalogue_games(SNES, [game(9, "Ported", SNES)], refreshed_at=2.0)
    assert await storage.catalogue_games() == [game(1, "Sonic"), game(9, "Ported", SNES)]
    # A console first seen in a refresh is filed with it, as listed then.
    assert [c.console_id for c in await storage.catalogue_consoles()] == [1, 3]


async def test_a_failed_replacement_keeps_the_previous_games(storage: Storage) -> None:
    await storage.replace_catalogue_games(GENESIS, [game(1, "Sonic"), game(2, "Sonic 2")], refreshed_at=1.0)
    broken = CatalogueGame(3, None, 1, "Genesis/Mega Drive")  # type: ignore[arg-type]
    with pytest.raises((StorageError, TypeError, ValueError)):
        await storage.replace_catalogue_games(GENESIS, [game(4, "New"), broken], refreshed_at=2.0)
    assert await storage.catalogue_games() == [game(1, "Sonic"), game(2, "Sonic 2")]
    assert await storage.catalogue_consoles() == [StoredConsole(1, "Genesis/Mega Drive", 1.0, 1.0, 2)]


async def test_learned_games_are_added_but_never_overwrite(storage: Storage) -> None:
    await storage.replace_catalogue_games(GENESIS, [game(1, "Sonic")], refreshed_at=1.0)
    learned = CatalogueGame(7, "Homebrew", 0, "Genesis/Mega Drive", None, None, None)
    await storage.add_catalogue_games([learned, CatalogueGame(1, "Other title", 0, "?")])
    assert await storage.catalogue_games() == [game(1, "Sonic"), learned]
    # The console's next refresh files a learned game it lists under the console.
    await storage.replace_catalogue_games(GENESIS, [game(1, "Sonic"), game(7, "Homebrew")], refreshed_at=2.0)
    assert await storage.catalogue_games() == [game(1, "Sonic"), game(7, "Homebrew")]


async def test_the_console_list_renames_and_keeps_unlisted_consoles(storage: Storage) -> None:
    await storage.save_catalogue_consoles([GENESIS, SNES], listed_at=1.0)
    await storage.replace_catalogue_games(SNES, [game(5, "Zelda", SNES)], refreshed_at=2.0)
    await storage.save_catalogue_consoles([Console(3, "Super Nintendo")], listed_at=3.0)
    assert await storage.catalogue_consoles() == [
        StoredConsole(1, "Genesis/Mega Drive", 1.0, None, 0),
        StoredConsole(3, "Super Nintendo", 3.0, 2.0, 1),
    ]


async def test_the_catalogue_is_shared_and_persists(backend: Backend) -> None:
    writer, reader = backend.new(), backend.new()
    await writer.open()
    await reader.open()
    try:
        titles = [game(n, f"Game {n}, The: Part {n}") for n in range(1, 2001)]
        await writer.replace_catalogue_games(GENESIS, titles, refreshed_at=5.0)
        assert await reader.catalogue_games() == titles
        assert await reader.catalogue_stamp() == (2000, 5.0)
    finally:
        await writer.close()
        await reader.close()
    reopened = backend.new()
    await reopened.open()
    try:
        assert len(await reopened.catalogue_games()) == 2000
    finally:
        await reopened.close()


async def test_one_lease_holder_at_a_time(backend: Backend) -> None:
    first, second = backend.new(), backend.new()
    await first.open()
    await second.open()
    try:
        assert await first.hold_lease("catalogue") is True
        assert await first.hold_lease("catalogue") is True
        assert await second.hold_lease("catalogue") is False
        assert await second.hold_lease("another") is True  # leases are independent
        await first.close()
        assert await second.hold_lease("catalogue") is True
    finally:
        await first.close()
        await second.close()


async def test_a_dead_postgres_lease_holder_is_replaced(postgres_url: str) -> None:
    first, second = PostgresStorage(postgres_url), PostgresStorage(postgres_url)
    await first.open()
    await second.open()
    try:
        assert await first.hold_lease("catalogue")
        assert not await second.hold_lease("catalogue")
        killed = await pg_query(
            postgres_url,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = 'ra-bot lease'",
        )
        assert killed == [(True,)]
        assert await second.hold_lease("catalogue") is True
        assert await first.hold_lease("catalogue") is False  # its session is gone, and so is its lease
    finally:
        await first.close()
        await second.close()


async def test_a_dead_sqlite_lease_holder_is_replaced(db_path: Path) -> None:
    holder_code = textwrap.dedent(
        f"""
        import asyncio, sys, time
        from pathlib import Path
        from bot.storage import SQLiteStorage

        async def main():
            store = SQLiteStorage(Path({str(db_path)!r}))
            await store.open()
            print(await store.hold_lease("catalogue"), flush=True)
            time.sleep(60)

        asyncio.run(main())
        """
    )
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", holder_code, cwd=REPO_ROOT, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert holder.stdout is not None
        assert (await asyncio.wait_for(holder.stdout.readline(), 30)).strip() == b"True"
        store = SQLiteStorage(db_path)
        await store.open()
        try:
            assert await store.hold_lease("catalogue") is False
            holder.kill()
            await holder.wait()
            assert await store.hold_lease("catalogue") is True
        finally:
            await store.close()
    finally:
        if holder.returncode is None:
            holder.kill()
            await holder.wait()


async def test_lease_names_are_checked(db_path: Path) -> None:
    store = SQLiteStorage(db_path)
    await store.open()
    try:
        with pytest.raises(ValueError, match="lease name"):
            await store.hold_lease("../escape")
    finally:
        await store.close()
