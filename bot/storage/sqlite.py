"""`Storage` in a SQLite file, with every sqlite3 call on one dedicated worker thread.

The connection lives on that thread only, so the event loop never blocks on disk and no
two statements ever interleave. WAL with synchronous=FULL and a commit before each write
returns make an acknowledged write survive a crash.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import ParamSpec, TypeVar

from bot.storage.base import LinkedAccount, StorageError, check_link_fields
from bot.storage.batching import GroupCommit
from bot.storage.feed_sqlite import SQLiteFeedStore
from bot.storage.migrations import LATEST_VERSION, MIGRATIONS

P = ParamSpec("P")
T = TypeVar("T")

_KNOWN_MEMBERS_CAP = 100_000
_LINK_COLUMNS = "l.discord_user_id, l.ra_ulid, l.ra_name, l.linked_at"
_GUILD_LINKS_FROM = (
    "FROM guild_members AS m JOIN links AS l ON l.discord_user_id = m.discord_user_id WHERE m.guild_id = ?"
)
_DAMAGED_CODES = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}
_UNWRITABLE_CODES = {
    sqlite3.SQLITE_READONLY,
    sqlite3.SQLITE_CANTOPEN,
    sqlite3.SQLITE_PERM,
    sqlite3.SQLITE_IOERR,
    sqlite3.SQLITE_FULL,
}
_LOCKED_CODES = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}


def escape_like(text: str) -> str:
    """`text` with LIKE wildcards escaped for `ESCAPE '\\'`."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _account(row: tuple[int, str, str, float]) -> LinkedAccount:
    discord_user_id, ra_ulid, ra_name, linked_at = row
    return LinkedAccount(
        discord_user_id=discord_user_id,
        ra_ulid=ra_ulid,
        ra_name=ra_name,
        linked_at=datetime.fromtimestamp(linked_at, tz=UTC),
    )


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class SQLiteStorage(SQLiteFeedStore):
    """The bot's storage in one SQLite file, created (with its folder) on first open."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._executor: ThreadPoolExecutor | None = None
        self._conn: sqlite3.Connection | None = None  # used on the worker thread only
        self._known_members: set[tuple[int, int]] = set()
        # RA account -> the name every link to it is known to carry, so no-op renames skip the disk.
        self._known_names: dict[str, str] = {}
        # Group commit: members first seen together are written in one transaction.
        self._member_writes: GroupCommit[tuple[int, int]] = GroupCommit(self._write_members)
        self._known_lock = threading.Lock()

    # -- lifecycle -----------------------------------------------------------------------------

    async def open(self) -> None:
        """Create or migrate the database and check it; raise StorageError if it cannot be used."""
        if self._executor is not None:
            return
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-storage")
        self._executor = executor
        try:
            await self._run(self._open_sync)
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

    # -- links ---------------------------------------------------------------------------------

    async def link(
        self, discord_user_id: int, ra_ulid: str, ra_name: str, guild_id: int | None
    ) -> LinkedAccount:
        """Link a member to an RA account, replacing their older link; join `guild_id` when given.

        Other members linked to the same RA account get its fresh name too.
        """
        check_link_fields(ra_ulid, ra_name)
        account = await self._run(self._link_sync, discord_user_id, ra_ulid, ra_name, guild_id)
        self._remember_name(ra_ulid, ra_name)
        return account

    async def get_link(self, discord_user_id: int) -> LinkedAccount | None:
        """The member's link, if any."""
        return await self._run(self._get_link_sync, discord_user_id)

    async def unlink(self, discord_user_id: int) -> bool:
        """Forget the member everywhere (link, memberships, the feed's posts of them); True if anything
        was deleted."""
        return await self._run(self._unlink_sync, discord_user_id)

    async def record_member(self, guild_id: int, discord_user_id: int) -> None:
        """Note that the member used the bot in the guild; repeats skip the database.

        Returns once the membership is committed. Members that arrive together share one transaction,
        so a burst of new members costs a few disk syncs, not one each.
        """
        with self._known_lock:
            if (guild_id, discord_user_id) in self._known_members:
                return
        await self._member_writes.add((guild_id, discord_user_id))

    async def _write_members(self, batch: list[tuple[int, int]]) -> None:
        await self._run(self._record_members_sync, batch)

    async def refresh_name(self, ra_ulid: str, ra_name: str) -> None:
        """Follow a rename on RetroAchievements for every link to this account."""
        check_link_fields(ra_ulid, ra_name)
        if self._known_names.get(ra_ulid) == ra_name:
            return
        await self._run(self._refresh_name_sync, ra_ulid, ra_name)
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

    # -- plumbing ------------------------------------------------------------------------------

    async def _run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run `fn` on the worker thread; sqlite3 errors become StorageError."""
        if self._executor is None:
            raise StorageError(f"The database {self.path} is not open: call open() first.")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))
        except sqlite3.Error as exc:
            raise self._error(exc) from exc

    def _error(self, exc: sqlite3.Error) -> StorageError:
        """A StorageError telling the operator what went wrong with the file and what to do."""
        code = getattr(exc, "sqlite_errorcode", -1) & 0xFF
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
        if code in _LOCKED_CODES:
            return StorageError(
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
        conn = sqlite3.connect(path, timeout=5.0, isolation_level=None)
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
        self._migrate(conn)
        with _transaction(conn):
            # Rewriting the version is a real write: a read-only file fails here, not on the first link.
            conn.execute(f"PRAGMA user_version = {LATEST_VERSION:d}")

    @staticmethod
    def _migrate(conn: sqlite3.Connection) -> None:
        for step in MIGRATIONS:
            with _transaction(conn):
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
        with _transaction(conn):
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
        with _transaction(conn):
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
        with _transaction(conn):
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

    def _set_meta_sync(self, key: str, value: str) -> None:
        self._connection().execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
