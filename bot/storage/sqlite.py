"""`Storage` in a SQLite file, with every sqlite3 call on one dedicated worker thread.

The connection lives on that thread only, so the event loop never blocks on disk and no
two statements ever interleave. WAL with synchronous=FULL and a commit before each write
returns make an acknowledged write survive a crash.

Time limits: a call that has not returned within `timeout` seconds raises StorageUnavailable, and the
statement it was running is interrupted so the worker thread moves on to the next call. Another
program's lock on the file is waited for at most half the limit (SQLite's busy timeout), so a locked
file gives a clear "locked" error rather than a timeout. Calls still queued when their limit passes are
dropped, never run late.

Disk use: the write-ahead log is checkpointed every `WAL_AUTOCHECKPOINT_PAGES` pages (SQLite's default,
1,000 pages, is 4 MB of log) and cut back to `WAL_SIZE_LIMIT_BYTES` when it restarts
(`journal_size_limit`), also after another program's open snapshot let it grow. A full disk fails writes
with StorageUnavailable; reads go on, and writes succeed again once space is freed.
"""

from __future__ import annotations

import asyncio
import functools
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import ParamSpec, TypeVar

from bot.catalogue.model import CatalogueGame, CatalogueRow, Console, StoredConsole, catalogue_row
from bot.storage.base import (
    DEFAULT_TIMEOUT_SECONDS,
    NOT_KNOWN,
    LinkedAccount,
    NotKnown,
    StorageError,
    StorageUnavailable,
    check_link_fields,
    escape_like,
)
from bot.storage.batching import GroupCommit
from bot.storage.feed_sqlite import SQLiteFeedStore
from bot.storage.link_memo import LinkMemo
from bot.storage.migrations import LATEST_VERSION, MIGRATIONS
from bot.storage.sqlite_transaction import immediate_transaction

P = ParamSpec("P")
T = TypeVar("T")

_KNOWN_MEMBERS_CAP = 100_000
_LINK_COLUMNS = "l.discord_user_id, l.ra_ulid, l.ra_name, l.linked_at"
_GUILD_LINKS_FROM = (
    "FROM guild_members AS m JOIN links AS l ON l.discord_user_id = m.discord_user_id WHERE m.guild_id = ?"
)
_DAMAGED_CODES = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}
_UNWRITABLE_CODES = {sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM}
_LOCKED_CODES = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
_GAME_COLUMNS = "game_id, title, console_id, console_name, image_icon, achievements, points"
_UPSERT_GAME = (
    f"INSERT INTO catalogue_games ({_GAME_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (game_id) DO UPDATE SET console_id = excluded.console_id, title = excluded.title, "
    "console_name = excluded.console_name, image_icon = excluded.image_icon, "
    "achievements = excluded.achievements, points = excluded.points"
)
_LEASE_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")

try:
    import fcntl
except ImportError:  # not POSIX: no file locks, so every process holds every lease
    fcntl = None  # type: ignore[assignment]


WAL_AUTOCHECKPOINT_PAGES = 128
WAL_SIZE_LIMIT_BYTES = 512 * 1024


def _code(exc: sqlite3.Error) -> int:
    """The primary SQLite result code of `exc` (-1 for errors sqlite3 raises itself)."""
    code: int = getattr(exc, "sqlite_errorcode", -1)
    return code & 0xFF if code >= 0 else -1


def _account(row: tuple[int, str, str, float]) -> LinkedAccount:
    discord_user_id, ra_ulid, ra_name, linked_at = row
    return LinkedAccount(
        discord_user_id=discord_user_id,
        ra_ulid=ra_ulid,
        ra_name=ra_name,
        linked_at=datetime.fromtimestamp(linked_at, tz=UTC),
    )


class SQLiteStorage(SQLiteFeedStore):
    """The bot's storage in one SQLite file, created (with its folder) on first open."""

    def __init__(self, path: Path, *, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        if not timeout > 0:
            raise ValueError("timeout must be greater than 0")
        self.path = Path(path)
        self.timeout = timeout
        self._busy_ms = max(1, round(timeout * 500))  # half the limit, in ms
        self._executor: ThreadPoolExecutor | None = None
        self._conn: sqlite3.Connection | None = None  # used on the worker thread only (but interrupt())
        # The call the worker thread is running, so a timed-out call interrupts itself and no other.
        self._running: object | None = None
        self._running_lock = threading.Lock()
        self._known_members: set[tuple[int, int]] = set()
        # RA account -> the name every link to it is known to carry, so no-op renames skip the disk.
        self._known_names: dict[str, str] = {}
        self._links = LinkMemo(_KNOWN_MEMBERS_CAP)  # touched on the event loop's thread only
        # Group commit: members first seen together are written in one transaction.
        self._member_writes: GroupCommit[tuple[int, int]] = GroupCommit(self._write_members)
        self._known_lock = threading.Lock()
        self._leases: dict[str, int] = {}  # lease name -> the file descriptor holding its lock

    # -- lifecycle -----------------------------------------------------------------------------

    async def open(self) -> None:
        """Create or migrate the database and check it; raise StorageError if it cannot be used."""
        if self._executor is not None:
            return
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-storage")
        self._executor = executor
        try:
            # Not under the call limit: checking and migrating a big file may take a while, and each
            # wait for another program's lock is bounded by the busy timeout.
            await self._submit(self._open_sync, limited=False)
        except BaseException:
            self._executor = None
            executor.submit(self._close_sync)
            executor.shutdown(wait=False)
            raise

    async def close(self) -> None:
        """Close the database and stop its worker thread; calling it again does nothing."""
        executor = self._executor
        if executor is None:
            return
        try:
            await self._run(self._close_sync)
        finally:
            self._executor = None
            executor.shutdown(wait=False)
            with self._known_lock:
                self._known_members.clear()
            self._release_leases()

    # -- links ---------------------------------------------------------------------------------

    async def link(
        self, discord_user_id: int, ra_ulid: str, ra_name: str, guild_id: int | None
    ) -> LinkedAccount:
        """Link a member to an RA account, replacing their older link; join `guild_id` when given.

        Other members linked to the same RA account get its fresh name too.
        """
        check_link_fields(ra_ulid, ra_name)
        try:
            account = await self._run(self._link_sync, discord_user_id, ra_ulid, ra_name, guild_id)
        finally:
            self._links.forget_account(ra_ulid)  # the others linked to it carry its new name
            self._links.forget(discord_user_id)  # read again next time (a failed write may have committed)
        self._remember_name(ra_ulid, ra_name)
        return account

    async def get_link(self, discord_user_id: int) -> LinkedAccount | None:
        """The member's link, if any."""
        stamp = self._links.stamp()
        link = await self._run(self._get_link_sync, discord_user_id)
        self._links.fill(stamp, discord_user_id, link)
        return link

    async def cached_link(self, discord_user_id: int) -> LinkedAccount | None:
        """The member's link, from memory once read (one process per SQLite file: always current)."""
        known = self.known_link(discord_user_id)
        return await self.get_link(discord_user_id) if known is NOT_KNOWN else known

    def known_link(self, discord_user_id: int) -> LinkedAccount | NotKnown | None:
        return self._links.get(discord_user_id)

    async def count_links(self) -> int:
        """How many members are linked, in the whole database."""
        return await self._run(self._count_links_sync)

    async def unlink(self, discord_user_id: int) -> bool:
        """Forget the member everywhere (link, memberships, the feed's posts of them); True if anything
        was deleted."""
        try:
            deleted = await self._run(self._unlink_sync, discord_user_id)
        finally:
            self._links.forget(discord_user_id)
        return deleted

    async def record_member(self, guild_id: int, discord_user_id: int) -> None:
        """Note that the member used the bot in the guild; repeats skip the database.

        Returns once the membership is committed. Members that arrive together share one transaction,
        so a burst of new members costs a few disk syncs, not one each.
        """
        if self.member_known(guild_id, discord_user_id):
            return
        await self._member_writes.add((guild_id, discord_user_id))

    def member_known(self, guild_id: int, discord_user_id: int) -> bool:
        with self._known_lock:
            return (guild_id, discord_user_id) in self._known_members

    def name_known(self, ra_ulid: str, ra_name: str) -> bool:
        return self._known_names.get(ra_ulid) == ra_name

    async def _write_members(self, batch: list[tuple[int, int]]) -> None:
        await self._run(self._record_members_sync, batch)

    async def refresh_name(self, ra_ulid: str, ra_name: str) -> None:
        """Follow a rename on RetroAchievements for every link to this account."""
        check_link_fields(ra_ulid, ra_name)
        if self.name_known(ra_ulid, ra_name):
            return
        try:
            await self._run(self._refresh_name_sync, ra_ulid, ra_name)
        finally:
            self._links.forget_account(ra_ulid)
        self._remember_name(ra_ulid, ra_name)

    def _remember_name(self, ra_ulid: str, ra_name: str) -> None:
        if len(self._known_names) >= _KNOWN_MEMBERS_CAP:
            self._known_names.clear()
        self._known_names[ra_ulid] = ra_name

    async def guild_links(self, guild_id: int) -> list[LinkedAccount]:
        """Linked members of the guild, ordered by RA name (case-insensitive)."""
        return await self._run(self._guild_links_sync, guild_id)

    async def search_guild_links(self, guild_id: int, text: str, limit: int = 25) -> list[LinkedAccount]:
        """Linked members of the guild whose RA name contains `text` (any case), prefix matches first."""
        if limit <= 0:
            return []
        return await self._run(self._search_sync, guild_id, text.strip(), limit)

    # -- meta ----------------------------------------------------------------------------------

    async def get_meta(self, key: str) -> str | None:
        """A small stored value, if set."""
        return await self._run(self._get_meta_sync, key)

    async def set_meta(self, key: str, value: str) -> None:
        """Store a small value under `key`, replacing any older one."""
        await self._run(self._set_meta_sync, key, value)

    # -- the game catalogue --------------------------------------------------------------------

    async def catalogue_consoles(self) -> list[StoredConsole]:
        """Every console of the catalogue, by ID."""
        return await self._run(self._catalogue_consoles_sync)

    async def save_catalogue_consoles(self, consoles: Sequence[Console], listed_at: float) -> None:
        """Note that the console list named these consoles at `listed_at`; others are kept."""
        await self._run(self._save_consoles_sync, list(consoles), listed_at)

    async def replace_catalogue_games(
        self, console: Console, games: Sequence[CatalogueGame], refreshed_at: float
    ) -> None:
        """In one transaction: the console's games become exactly `games`."""
        rows = [catalogue_row(game) for game in games]
        await self._run(self._replace_games_sync, console, rows, refreshed_at)

    async def add_catalogue_games(self, games: Sequence[CatalogueGame]) -> None:
        """Add games learned one by one; a game already in the catalogue is left as it is."""
        await self._run(self._add_games_sync, [catalogue_row(game) for game in games])

    async def catalogue_games(self) -> list[CatalogueGame]:
        """Every game of the catalogue, by ID."""
        return await self._run(self._catalogue_games_sync)

    async def catalogue_stamp(self) -> tuple[int, float]:
        """(how many games, the latest console refresh): changes whenever the catalogue does."""
        return await self._run(self._catalogue_stamp_sync)

    async def hold_lease(self, name: str) -> bool:
        """True while this storage holds the lease: an exclusive lock on the file `<database>.<name>.lease`
        beside the database, which the system frees when the holding process ends."""
        if not _LEASE_NAME.fullmatch(name):
            raise ValueError(f"a lease name is 1-64 letters, digits, - and _: {name!r}")
        if self._executor is None:
            raise StorageError(f"The database {self.path} is not open: call open() first.")
        if name in self._leases:
            return True
        if fcntl is None:
            return True
        path = self.path.with_name(f"{self.path.name}.{name}.lease")
        try:
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StorageError(f"Cannot create the lease file {path} ({exc}).") from exc
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(descriptor)
            return False
        self._leases[name] = descriptor
        return True

    def _release_leases(self) -> None:
        leases, self._leases = self._leases, {}
        for descriptor in leases.values():
            with suppress(OSError):
                os.close(descriptor)

    # -- plumbing ------------------------------------------------------------------------------

    async def _run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run `fn` on the worker thread within the time limit; sqlite3 errors become StorageError."""
        return await self._submit(functools.partial(fn, *args, **kwargs), limited=True)

    async def _submit(self, fn: Callable[[], T], *, limited: bool) -> T:
        if self._executor is None:
            raise StorageError(f"The database {self.path} is not open: call open() first.")
        token = object()
        # Cancelling this future (the time limit) also drops the job if the worker has not started it.
        future = asyncio.get_running_loop().run_in_executor(
            self._executor, functools.partial(self._on_worker, token, fn)
        )
        try:
            if not limited:
                return await future
            async with asyncio.timeout(self.timeout):
                return await future
        except TimeoutError:
            self._interrupt(token)
            raise StorageUnavailable(
                f"The database file {self.path} did not answer within {self.timeout:g} s. Another program "
                "may hold a lock on it, or its disk may be stalled; the bot keeps trying."
            ) from None
        except sqlite3.Error as exc:
            raise self._error(exc) from exc

    def _on_worker(self, token: object, fn: Callable[[], T]) -> T:
        with self._running_lock:
            self._running = token
        try:
            return fn()
        finally:
            with self._running_lock:
                self._running = None

    def _interrupt(self, token: object) -> None:
        """Abort the statement of the call `token` if the worker is still running it (thread-safe)."""
        with self._running_lock:
            if self._running is token and self._conn is not None:
                self._conn.interrupt()

    def _error(self, exc: sqlite3.Error) -> StorageError:
        """A StorageError telling the operator what went wrong with the file and what to do."""
        code = _code(exc)
        path = self.path
        if code in _DAMAGED_CODES:
            return StorageError(
                f"The database file {path} is damaged or is not a SQLite database ({exc}). "
                "The bot refuses to start with it rather than lose the links it holds: restore the file "
                "from a backup, or move it aside to start with an empty database."
            )
        if code in _UNWRITABLE_CODES:
            return StorageError(
                f"The bot cannot write its database file {path} ({exc}). Make sure the bot's user may "
                f"write the file and its folder {path.parent} (SQLite also creates {path.name}-wal and "
                f"{path.name}-shm there) and that the disk is not full, or choose another path."
            )
        if code == sqlite3.SQLITE_FULL:
            return StorageUnavailable(
                f"The disk holding the database file {path} is full ({exc}). Free some space there: "
                "the bot saves again by itself once there is room."
            )
        if code == sqlite3.SQLITE_IOERR:
            return StorageUnavailable(
                f"The bot could not read or write its database file {path} ({exc}). Check the disk, "
                "that it is not full, and that nothing else changed the file."
            )
        if code in _LOCKED_CODES:
            return StorageUnavailable(
                f"The database file {path} is locked by another program ({exc}). Stop the other bot "
                "instance or program using it, then try again."
            )
        return StorageError(f"The database file {path} failed: {exc}.")

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StorageError(f"The database {self.path} is not open: call open() first.")
        return self._conn

    # -- worker-thread side --------------------------------------------------------------------

    def _open_sync(self) -> None:
        path = self.path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"Cannot create the folder {path.parent} for the database {path} ({exc}). Create it and "
                "let the bot's user write there, or choose another path."
            ) from exc
        if path.exists() and not path.is_file():
            raise StorageError(
                f"The database path {path} exists but is not a file. Remove it or choose another path."
            )
        conn = sqlite3.connect(path, timeout=self._busy_ms / 1000, isolation_level=None)
        try:
            self._prepare(conn)
        except BaseException:
            conn.close()
            raise
        self._conn = conn

    def _prepare(self, conn: sqlite3.Connection) -> None:
        """Check, configure and migrate a fresh connection, then prove the file is writable."""
        problems = [str(row[0]) for row in conn.execute("PRAGMA quick_check").fetchall()]
        if problems != ["ok"]:
            detail = "; ".join(problems[:3])[:300]
            raise StorageError(
                f"The database file {self.path} is damaged ({detail}). The bot refuses "
                "to start with it rather than lose the links it holds: restore the file from a backup, "
                "or move it aside to start with an empty database."
            )
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version > LATEST_VERSION or version < 0:
            raise StorageError(
                f"The database file {self.path} has schema version {version}, but this bot only knows "
                f"versions 0 to {LATEST_VERSION}: it was written by another version of the bot. Run that "
                "version, or restore a backup made by this one."
            )
        if version == 0 and conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            raise StorageError(
                f"The file {self.path} is a SQLite database of another program (it has tables but no "
                "schema version). Choose another path for the bot's database."
            )
        mode = str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
        if mode.lower() != "wal":
            raise StorageError(
                f"The database file {self.path} cannot use write-ahead logging (journal mode {mode}). "
                f"Make sure the bot's user may write the file and its folder {self.path.parent}, on a "
                "local disk."
            )
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES:d}")
        conn.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT_BYTES:d}")
        self._migrate(conn)
        with immediate_transaction(conn):
            # Rewriting the version is a real write: a read-only file fails here, not on the first link.
            conn.execute(f"PRAGMA user_version = {LATEST_VERSION:d}")

    @staticmethod
    def _migrate(conn: sqlite3.Connection) -> None:
        for step in MIGRATIONS:
            with immediate_transaction(conn):
                if int(conn.execute("PRAGMA user_version").fetchone()[0]) >= step.version:
                    continue
                for statement in step.statements("sqlite"):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {step.version:d}")

    def _close_sync(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            with suppress(sqlite3.Error):
                conn.execute("PRAGMA optimize")
        finally:
            conn.close()

    def _link_sync(
        self, discord_user_id: int, ra_ulid: str, ra_name: str, guild_id: int | None
    ) -> LinkedAccount:
        conn = self._connection()
        linked_at = time.time()
        with immediate_transaction(conn):
            conn.execute(
                "INSERT INTO links (discord_user_id, ra_ulid, ra_name, linked_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (discord_user_id) DO UPDATE SET ra_ulid = excluded.ra_ulid, "
                "ra_name = excluded.ra_name, linked_at = excluded.linked_at",
                (discord_user_id, ra_ulid, ra_name, linked_at),
            )
            conn.execute(
                "UPDATE links SET ra_name = ? WHERE ra_ulid = ? AND ra_name IS NOT ?",
                (ra_name, ra_ulid, ra_name),
            )
            if guild_id is not None:
                conn.execute(
                    "INSERT OR IGNORE INTO guild_members (guild_id, discord_user_id) VALUES (?, ?)",
                    (guild_id, discord_user_id),
                )
        if guild_id is not None:
            self._remember_member(guild_id, discord_user_id)
        return _account((discord_user_id, ra_ulid, ra_name, linked_at))

    def _count_links_sync(self) -> int:
        count: int = self._connection().execute("SELECT count(*) FROM links").fetchone()[0]
        return count

    def _get_link_sync(self, discord_user_id: int) -> LinkedAccount | None:
        row = (
            self._connection()
            .execute(
                f"SELECT {_LINK_COLUMNS} FROM links AS l WHERE l.discord_user_id = ?", (discord_user_id,)
            )
            .fetchone()
        )
        return None if row is None else _account(row)

    def _unlink_sync(self, discord_user_id: int) -> bool:
        conn = self._connection()
        with immediate_transaction(conn):
            deleted = conn.execute("DELETE FROM links WHERE discord_user_id = ?", (discord_user_id,)).rowcount
            deleted += conn.execute(
                "DELETE FROM guild_members WHERE discord_user_id = ?", (discord_user_id,)
            ).rowcount
            deleted += conn.execute(
                "DELETE FROM feed_posts WHERE discord_user_id = ?", (discord_user_id,)
            ).rowcount
        with self._known_lock:
            self._known_members = {pair for pair in self._known_members if pair[1] != discord_user_id}
        return deleted > 0

    def _record_members_sync(self, pairs: list[tuple[int, int]]) -> None:
        conn = self._connection()
        with immediate_transaction(conn):
            conn.executemany(
                "INSERT OR IGNORE INTO guild_members (guild_id, discord_user_id) VALUES (?, ?)", pairs
            )
        for guild_id, discord_user_id in pairs:
            self._remember_member(guild_id, discord_user_id)

    def _remember_member(self, guild_id: int, discord_user_id: int) -> None:
        with self._known_lock:
            if len(self._known_members) >= _KNOWN_MEMBERS_CAP:
                self._known_members.clear()
            self._known_members.add((guild_id, discord_user_id))

    def _refresh_name_sync(self, ra_ulid: str, ra_name: str) -> None:
        self._connection().execute(
            "UPDATE links SET ra_name = ? WHERE ra_ulid = ? AND ra_name IS NOT ?", (ra_name, ra_ulid, ra_name)
        )

    def _guild_links_sync(self, guild_id: int) -> list[LinkedAccount]:
        rows = self._connection().execute(
            f"SELECT {_LINK_COLUMNS} {_GUILD_LINKS_FROM} "
            "ORDER BY l.ra_name COLLATE NOCASE, l.discord_user_id",
            (guild_id,),
        )
        return [_account(row) for row in rows]

    def _search_sync(self, guild_id: int, text: str, limit: int) -> list[LinkedAccount]:
        escaped = escape_like(text)
        rows = self._connection().execute(
            f"SELECT {_LINK_COLUMNS} {_GUILD_LINKS_FROM} AND l.ra_name LIKE ? ESCAPE '\\' "
            "ORDER BY l.ra_name LIKE ? ESCAPE '\\' DESC, l.ra_name COLLATE NOCASE, l.discord_user_id "
            "LIMIT ?",
            (guild_id, f"%{escaped}%", f"{escaped}%", limit),
        )
        return [_account(row) for row in rows]

    def _get_meta_sync(self, key: str) -> str | None:
        row = self._connection().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _catalogue_consoles_sync(self) -> list[StoredConsole]:
        rows = self._connection().execute(
            "SELECT console_id, name, listed_at, refreshed_at, game_count FROM catalogue_consoles "
            "ORDER BY console_id"
        )
        return [StoredConsole(*row) for row in rows]

    def _save_consoles_sync(self, consoles: list[Console], listed_at: float) -> None:
        conn = self._connection()
        with immediate_transaction(conn):
            conn.executemany(
                "INSERT INTO catalogue_consoles (console_id, name, listed_at) VALUES (?, ?, ?) "
                "ON CONFLICT (console_id) DO UPDATE SET name = excluded.name, listed_at = excluded.listed_at",
                [(console.console_id, console.name, listed_at) for console in consoles],
            )

    def _replace_games_sync(self, console: Console, rows: list[CatalogueRow], refreshed_at: float) -> None:
        conn = self._connection()
        with immediate_transaction(conn):
            conn.execute("DELETE FROM catalogue_games WHERE console_id = ?", (console.console_id,))
            conn.executemany(_UPSERT_GAME, rows)
            conn.execute(
                "INSERT INTO catalogue_consoles (console_id, name, listed_at, refreshed_at, game_count) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (console_id) DO UPDATE SET name = excluded.name, "
                "refreshed_at = excluded.refreshed_at, game_count = excluded.game_count",
                (console.console_id, console.name, refreshed_at, refreshed_at, len(rows)),
            )

    def _add_games_sync(self, rows: list[CatalogueRow]) -> None:
        conn = self._connection()
        with immediate_transaction(conn):
            conn.executemany(
                f"INSERT INTO catalogue_games ({_GAME_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (game_id) DO NOTHING",
                rows,
            )

    def _catalogue_games_sync(self) -> list[CatalogueGame]:
        rows = self._connection().execute(f"SELECT {_GAME_COLUMNS} FROM catalogue_games ORDER BY game_id")
        return [CatalogueGame(*row) for row in rows]

    def _catalogue_stamp_sync(self) -> tuple[int, float]:
        count, latest = (
            self._connection()
            .execute(
                "SELECT (SELECT count(*) FROM catalogue_games), "
                "(SELECT coalesce(max(refreshed_at), 0) FROM catalogue_consoles)"
            )
            .fetchone()
        )
        return int(count), float(latest)

    def _set_meta_sync(self, key: str, value: str) -> None:
        self._connection().execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
