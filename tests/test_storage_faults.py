"""Storage when the database misbehaves: locked, slow, hung, or on a full disk.

Every call returns or raises StorageUnavailable within its time limit, leaves nothing queued behind it,
and works again once the database does. An outage is logged once and counted (`GuardedStorage`).
PostgreSQL tests use the server at TEST_DATABASE_URL behind a proxy that can freeze (tests/tcp_faults.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Awaitable, Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from bot.storage import GuardedStorage, SQLiteStorage, StorageError, StorageUnavailable
from bot.storage.postgres import PostgresStorage
from bot.storage.sqlite import WAL_SIZE_LIMIT_BYTES
from tests.tcp_faults import FreezableProxy, HungServer
from tests.test_storage import GUILD, REPO_ROOT, names, ulid
from tests.test_storage import db_path as db_path
from tests.test_storage import postgres_database as postgres_database
from tests.test_storage import postgres_url as postgres_url

# -- helpers ----------------------------------------------------------------------------------------


@contextmanager
def write_lock(path: Path) -> Iterator[None]:
    """Another program holds the database's write lock (readers still read)."""
    with closing(sqlite3.connect(path, isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")


def wal_size(path: Path) -> int:
    wal = path.with_name(path.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


def fill(disk: Path) -> None:
    """Write a ballast file on `disk` until the disk is full."""
    fd = os.open(disk / "ballast", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == 28, exc  # ENOSPC
    finally:
        os.close(fd)


def integrity(path: Path) -> list[str]:
    with closing(sqlite3.connect(path)) as conn:
        return [str(row[0]) for row in conn.execute("PRAGMA integrity_check")]


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs; skipped where this process may not mount one (then see the RLIMIT_FSIZE test)."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    try:
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)],
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        pytest.skip("no mount command here; test_a_file_size_limit_... covers a full disk instead")
    if mounted.returncode != 0:
        pytest.skip(
            f"cannot mount a 2 MB tmpfs here ({mounted.stderr.strip() or mounted.returncode}); "
            "test_a_file_size_limit_... covers a full disk instead"
        )
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


async def fails_within(limit: float, call: Awaitable[Any]) -> StorageError:
    """The StorageError `call` raises; a call still running 10x past `limit` fails the test (a hang)."""
    with pytest.raises(StorageError) as caught:
        await asyncio.wait_for(call, 10 * limit + 5)
    return caught.value


# -- SQLite: locks and slow calls ----------------------------------------------------------------------


async def test_a_locked_file_fails_writes_within_the_limit_and_leaves_no_backlog(db_path: Path) -> None:
    store = SQLiteStorage(db_path, timeout=1.0)  # so another program's lock is waited for 0.5 s
    await store.open()
    try:
        await store.link(1, ulid(1), "Alice", GUILD)
        with write_lock(db_path):
            writes: list[Awaitable[object]] = [store.link(n, ulid(n), f"n{n}", GUILD) for n in range(2, 22)]
            writes += [store.record_member(GUILD, 99), store.set_meta("k", "v"), store.unlink(1)]
            tasks = [asyncio.ensure_future(write) for write in writes]
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            # 22 writes are still in line, each worth 0.5 s of waiting for the lock. They give up at their
            # limit and are dropped then, not run late: a read asked for now gets through in its own 1 s.
            link = await store.get_link(1)
            assert link is not None and link.ra_name == "Alice"
            results = await asyncio.gather(*tasks, return_exceptions=True)
            assert all(isinstance(result, StorageUnavailable) for result in results), results
            assert any("is locked by another program" in str(result) for result in results)
            assert any("did not answer within 1 s" in str(result) for result in results)
        await store.link(2, ulid(2), "Bob", GUILD)
        assert names(await store.guild_links(GUILD)) == ["Alice", "Bob"]
        assert await store.get_meta("k") is None
    finally:
        await store.close()


async def test_a_call_past_its_limit_is_stopped_and_frees_the_worker(db_path: Path) -> None:
    store = SQLiteStorage(db_path)
    await store.open()
    await store.close()
    members = 300_000  # listing them takes the worker about a second
    with closing(sqlite3.connect(db_path)) as conn:
        conn.executemany(
            "INSERT INTO links VALUES (?, ?, ?, 0)", ((n, ulid(n), f"n{n:07d}") for n in range(members))
        )
        conn.executemany("INSERT INTO guild_members VALUES (?, ?)", ((GUILD, n) for n in range(members)))
        conn.commit()
    store = SQLiteStorage(db_path, timeout=0.05)
    await store.open()
    try:
        error = await fails_within(0.05, store.guild_links(GUILD))
        assert isinstance(error, StorageUnavailable)
        assert str(error).startswith(f"The database file {db_path} did not answer within 0.05 s.")
        store.timeout = 0.5
        # The listing was interrupted, so the worker is free at once rather than after finishing it.
        link = await store.get_link(7)
        assert link is not None and link.ra_name == "n0000007"
    finally:
        await store.close()


# -- SQLite: the write-ahead log and a full disk -------------------------------------------------------


async def test_the_log_is_cut_back_once_a_reader_that_held_it_is_gone(db_path: Path) -> None:
    store = SQLiteStorage(db_path)
    await store.open()
    try:
        await store.link(0, ulid(0), "first", GUILD)
        with closing(sqlite3.connect(db_path, isolation_level=None)) as reader:
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM links").fetchone()  # an old snapshot: no checkpoint ends
            users = 0
            while wal_size(db_path) <= 3 * WAL_SIZE_LIMIT_BYTES:
                users += 1
                await store.link(users, ulid(users), f"user{users}", GUILD)
            reader.execute("COMMIT")
        for user in range(users + 1, users + 3):
            await store.link(user, ulid(user), f"user{user}", GUILD)
        assert wal_size(db_path) <= WAL_SIZE_LIMIT_BYTES
        assert len(await store.guild_links(GUILD)) == users + 3
    finally:
        await store.close()


async def test_the_log_stays_small_on_a_small_disk(small_disk: Path) -> None:
    path = small_disk / "bot.db"
    store = SQLiteStorage(path)
    await store.open()
    try:
        for user in range(2000):  # the log alone used to grow to 4 MB before its first checkpoint
            await store.link(user, ulid(user), f"user{user:05d}", GUILD)
        assert wal_size(path) <= WAL_SIZE_LIMIT_BYTES + 64 * 1024
        assert len(await store.guild_links(GUILD)) == 2000
    finally:
        await store.close()


async def test_a_full_disk_fails_writes_and_they_work_again_once_space_is_freed(small_disk: Path) -> None:
    path = small_disk / "bot.db"
    store = SQLiteStorage(path)
    await store.open()
    try:
        acknowledged = set(range(1, 101))
        for user in acknowledged:
            await store.link(user, ulid(user), f"user{user}", GUILD)
        for attempt in range(3):
            fill(small_disk)
            # Writes go on while they fit in the space the log already holds, then fail.
            for user in range(1000 * (attempt + 1), 1000 * (attempt + 2)):
                try:
                    await asyncio.wait_for(store.link(user, ulid(user), f"user{user}", GUILD), 10)
                except StorageUnavailable as error:
                    assert str(error).startswith(f"The disk holding the database file {path} is full")
                    break
                acknowledged.add(user)
            else:
                pytest.fail("the disk never filled up")
            link = await store.get_link(50)  # reads go on
            assert link is not None and link.ra_name == "user50"
        (small_disk / "ballast").unlink()
        for user in range(9000, 9100):
            await store.link(user, ulid(user), f"user{user}", GUILD)
            acknowledged.add(user)
        await store.set_meta("k", "v")
        assert await store.get_meta("k") == "v"
        assert {link.discord_user_id for link in await store.guild_links(GUILD)} == acknowledged
    finally:
        await store.close()
    assert integrity(path) == ["ok"]


FILE_SIZE_LIMIT_CHILD = textwrap.dedent(
    """
    import asyncio, json, resource, signal, sys
    from pathlib import Path
    from bot.storage import SQLiteStorage, StorageUnavailable

    def ulid(n: int) -> str:
        return f"01J{n:023d}"

    async def main() -> None:
        path = Path(sys.argv[1])
        store = SQLiteStorage(path)
        await store.open()
        for user in range(1, 51):
            await store.link(user, ulid(user), f"user{user}", 1)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # over the limit, write() fails with EFBIG
        soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        # No file may grow past this any more: the disk is now full.
        resource.setrlimit(resource.RLIMIT_FSIZE, (path.stat().st_size + 16 * 1024, hard))
        acknowledged, errors = [], []
        for user in range(51, 551):
            try:
                await store.link(user, ulid(user), f"user{user}" * 3, 1)
                acknowledged.append(user)
            except StorageUnavailable as error:
                errors.append(str(error))
        read = await store.get_link(25)
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))  # space freed
        await store.link(1000, ulid(1000), "after", 1)
        stored = [link.discord_user_id for link in await store.guild_links(1)]
        await store.close()
        print(json.dumps({"acknowledged": acknowledged, "errors": errors, "read": read and read.ra_name,
                          "stored": stored}))

    asyncio.run(main())
    """
)


async def test_a_file_size_limit_fails_writes_and_they_work_again_once_it_is_raised(db_path: Path) -> None:
    """A full disk emulated with RLIMIT_FSIZE, in a child process: runs wherever tmpfs cannot be mounted."""
    db_path.parent.mkdir(parents=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])}
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        FILE_SIZE_LIMIT_CHILD,
        str(db_path),
        cwd=REPO_ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(child.communicate(), 60)
    assert child.returncode == 0, err.decode()
    result = json.loads(out)
    assert result["errors"], "the file size limit was never reached"
    assert all(f"database file {db_path}" in error for error in result["errors"])
    assert result["read"] == "user25"
    assert set(result["stored"]) == {*range(1, 51), *result["acknowledged"], 1000}
    assert integrity(db_path) == ["ok"]


# -- PostgreSQL: a hung server ------------------------------------------------------------------------


def through(url: str, port: int) -> str:
    """`url` with its port replaced by `port` (the proxy's)."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition(":")[0]
    return parts._replace(netloc=f"{host}:{port}").geturl()


@pytest.fixture
async def frozen_postgres(postgres_url: str) -> Any:
    """A URL that reaches the test database through a proxy the test can freeze, and the proxy."""
    port = urlsplit(postgres_url).port
    assert port is not None
    async with FreezableProxy(port) as proxy:
        yield through(postgres_url, proxy.port), proxy
        proxy.thaw()


def every_call(store: Any, first_user: int) -> list[Awaitable[Any]]:
    """One call of each kind (writes for members from `first_user` on), and more reads than the pool has
    connections."""
    calls: list[Awaitable[Any]] = [
        store.link(first_user, ulid(first_user), "Linked", GUILD),
        store.record_member(GUILD, first_user + 1),
        store.refresh_name(ulid(1), "Renamed"),
        store.unlink(first_user + 2),
        store.guild_links(GUILD),
        store.search_guild_links(GUILD, "a"),
        store.set_meta("k", "v"),
        store.get_meta("k"),
    ]
    return calls + [store.get_link(user) for user in range(20)]


async def test_a_hung_postgres_fails_every_call_within_the_limit_and_they_work_once_it_is_back(
    frozen_postgres: tuple[str, FreezableProxy],
) -> None:
    url, proxy = frozen_postgres
    store = PostgresStorage(url, timeout=0.5)
    await store.open()
    try:
        await store.link(1, ulid(1), "Alice", GUILD)
        proxy.freeze()
        results = await asyncio.wait_for(asyncio.gather(*every_call(store, 100), return_exceptions=True), 30)
        assert all(isinstance(result, StorageUnavailable) for result in results), results
        hung = f"The PostgreSQL database {store.display_url} did not answer within 0.5 s."
        assert all(str(result).startswith(hung) for result in results)
        proxy.thaw()
        await asyncio.gather(*every_call(store, 200))
        assert {link.discord_user_id for link in await store.guild_links(GUILD)} >= {1, 200}
    finally:
        proxy.thaw()
        await store.close()


async def test_opening_a_hung_postgres_fails_within_the_limit_without_the_password() -> None:
    async with HungServer() as hung:
        port = hung.port
        store = PostgresStorage(f"postgresql://bot:hunter2-secret@127.0.0.1:{port}/bot", timeout=0.3)
        error = await fails_within(0.3, store.open())
        assert hung.accepted >= 1
    assert isinstance(error, StorageUnavailable)
    assert str(error).startswith(
        f"Cannot reach the PostgreSQL server of postgresql://bot:***@127.0.0.1:{port}"
    )
    assert "hunter2" not in str(error)


# -- one line per outage ------------------------------------------------------------------------------


def storage_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("bot.")]


async def test_an_outage_is_logged_once_counted_and_its_end_logged_once(
    frozen_postgres: tuple[str, FreezableProxy], caplog: pytest.LogCaptureFixture
) -> None:
    url, proxy = frozen_postgres
    backend = PostgresStorage(url, timeout=0.3)
    store = GuardedStorage(backend, settle_seconds=0.2)
    await store.open()
    try:
        await store.link(1, ulid(1), "Alice", GUILD)
        proxy.freeze()
        calls = [call for n in range(7) for call in every_call(store, 1000 + 10 * n)]  # 196 calls
        results = await asyncio.wait_for(asyncio.gather(*calls, return_exceptions=True), 60)
        assert all(isinstance(result, StorageUnavailable) for result in results), results
        assert store.failures == len(calls) == 196
        assert not store.healthy
        proxy.thaw()
        await until_true(lambda: store.get_link(1), lambda: store.healthy)
        assert store.failures == 196
    finally:
        proxy.thaw()
        await store.close()
    records = storage_warnings(caplog)
    assert [r.name for r in records] == ["bot.storage.guarded", "bot.storage.guarded"], records
    assert all(r.exc_info is None and r.levelno == logging.WARNING for r in records)
    first, last = (r.getMessage() for r in records)
    assert first.startswith(
        f"Storage is failing: The PostgreSQL database {backend.display_url} did not answer within 0.3 s."
    )
    assert first.endswith("Further failures are counted, not logged, until it works again.")
    assert last.startswith("Storage works again after ")
    assert last.endswith("s; 196 call(s) failed meanwhile.")


async def until_true(call: Callable[[], Awaitable[object]], done: Callable[[], bool]) -> None:
    """Repeat `call()` every 50 ms until `done()`; fail after 10 s."""
    for _ in range(200):
        await call()
        if done():
            return
        await asyncio.sleep(0.05)
    pytest.fail("never done")


async def test_answers_from_memory_during_an_outage_do_not_end_it(
    db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    now = [100.0]
    store = GuardedStorage(SQLiteStorage(db_path, timeout=0.2), settle_seconds=5.0, clock=lambda: now[0])
    await store.open()
    try:
        await store.record_member(GUILD, 1)  # known from now on: repeats skip the database
        with write_lock(db_path):
            with pytest.raises(StorageUnavailable, match="locked by another program"):
                await store.set_meta("k", "v")
            now[0] = 101.0
            await store.record_member(GUILD, 1)
            assert not store.healthy
            now[0] = 102.0
            with pytest.raises(StorageUnavailable):
                await store.record_member(GUILD, 2)
        now[0] = 103.0
        await store.set_meta("k", "v")
        assert not store.healthy  # too soon after the last failure to call it over
        with pytest.raises(ValueError, match="ULID"):
            await store.link(3, "not a ulid", "Carol", GUILD)  # a refused input is no storage failure
        now[0] = 107.5
        assert await store.get_meta("k") == "v"
        assert store.healthy
        assert store.failures == 2
    finally:
        await store.close()
    messages = [r.getMessage() for r in storage_warnings(caplog)]
    assert len(messages) == 2, messages
    assert messages[0].startswith(f"Storage is failing: The database file {db_path} is locked by another")
    assert messages[1] == "Storage works again after 8 s; 2 call(s) failed meanwhile."
