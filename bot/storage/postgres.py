"""`Storage` in a PostgreSQL database shared by several bot processes, through an asyncpg pool.

Schema steps come from the same list as SQLite's (`bot.storage.migrations`); the version lives in the
`schema_migrations` table and is migrated under `pg_advisory_xact_lock`, so processes starting together
migrate once. Every write is committed before its method returns.

Caches across processes: each process remembers the memberships it has written (so repeated
`record_member` calls skip the database) and the name every link to an RA account carries (so no-op
renames skip it). Writes that make another process's cache stale (`unlink`, a name change by `link` or
`refresh_name`) send a NOTIFY on `NOTIFY_CHANNEL` in their transaction, and every process LISTENs on a
dedicated connection and forgets what they name. The caches are used only while that connection is up,
and forgotten whenever it drops, so a process never skips a write on the strength of an entry it could
have missed an invalidation for. What remains is the delivery delay of a notification (normally a few
milliseconds after the commit): in that window another process may still skip recording a member whom
this one has just unlinked, exactly as if its `record_member` had run just before the unlink.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeAlias, TypeVar
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from bot.storage.base import LinkedAccount, StorageError, check_link_fields
from bot.storage.batching import GroupCommit
from bot.storage.feed_postgres import PostgresFeedStore
from bot.storage.migrations import LATEST_VERSION, MIGRATIONS
from bot.storage.sqlite import escape_like

T = TypeVar("T")
Connection: TypeAlias = "PoolConnectionProxy[asyncpg.Record]"

log = logging.getLogger(__name__)

NOTIFY_CHANNEL = "ra_bot_storage"
# Key of the transaction-level advisory lock that serialises migrations ("ra-bot" in ASCII).
MIGRATION_LOCK_KEY = 0x72612D626F74
POOL_MIN_SIZE = 1
POOL_MAX_SIZE = 10
CONNECT_TIMEOUT = 10.0
COMMAND_TIMEOUT = 30.0
LISTENER_CHECK_INTERVAL = 30.0
_RETRIES = 3
_KNOWN_MEMBERS_CAP = 100_000
_TABLES = ("links", "guild_members", "meta")
_SECRET_QUERY_KEYS = {"password", "sslpassword"}
_LINK_COLUMNS = "l.discord_user_id, l.ra_ulid, l.ra_name, l.linked_at"
_GUILD_LINKS_FROM = (
    "FROM guild_members AS m JOIN links AS l ON l.discord_user_id = m.discord_user_id WHERE m.guild_id = $1"
)
# ASCII-only case folding and byte order, as SQLite's NOCASE and LIKE do, whatever the server's locale.
_NAME_KEY = 'lower(l.ra_name COLLATE "C")'
_DB_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError)
_RETRYABLE = (asyncpg.DeadlockDetectedError, asyncpg.SerializationError)


def redact_url(url: str) -> str:
    """`url` with its password (in the userinfo or the query) replaced by ***."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable PostgreSQL URL>"
    userinfo, at, hostinfo = parts.netloc.rpartition("@")
    netloc = parts.netloc
    if at:
        user, colon, _ = userinfo.partition(":")
        netloc = f"{user}:***@{hostinfo}" if colon else f"{user}@{hostinfo}"
    query = urlencode(
        [
            (key, "***" if key in _SECRET_QUERY_KEYS else value)
            for key, value in parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe="*,",
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _secrets(url: str) -> list[str]:
    """The passwords written in `url`, raw and percent-decoded, longest first."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    found: set[str] = set()
    userinfo, at, _ = parts.netloc.rpartition("@")
    if at and ":" in userinfo:
        found.add(userinfo.partition(":")[2])
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key in _SECRET_QUERY_KEYS:
            found.add(value)
    found |= {unquote(secret) for secret in found}
    return sorted((secret for secret in found if secret), key=len, reverse=True)


def _account(row: asyncpg.Record) -> LinkedAccount:
    return LinkedAccount(
        discord_user_id=row["discord_user_id"],
        ra_ulid=row["ra_ulid"],
        ra_name=row["ra_name"],
        linked_at=row["linked_at"],
    )


class PostgresStorage(PostgresFeedStore):
    """The bot's storage in a PostgreSQL database at `url`; the database itself must already exist."""

    def __init__(self, url: str) -> None:
        self._url = url
        self.display_url = redact_url(url)
        self._pool: asyncpg.Pool[asyncpg.Record] | None = None
        self._own_pids: set[int] = set()
        self._listener: asyncio.Task[None] | None = None
        self._listening = False
        # Bumped by every invalidation: a write only fills a cache if no invalidation happened meanwhile.
        self._epoch = 0
        self._known_members: set[tuple[int, int]] = set()
        # RA account -> the name every link to it is known to carry, so no-op renames skip the database.
        self._known_names: dict[str, str] = {}
        # Group commit: members first seen together are written in one statement.
        self._member_writes: GroupCommit[tuple[int, int]] = GroupCommit(self._write_members)

    # -- lifecycle -----------------------------------------------------------------------------

    async def open(self) -> None:
        """Connect, migrate and check the database; raise StorageError if it cannot be used."""
        if self._pool is not None:
            return
        try:
            pool = await asyncpg.create_pool(
                self._url,
                min_size=POOL_MIN_SIZE,
                max_size=POOL_MAX_SIZE,
                timeout=CONNECT_TIMEOUT,
                command_timeout=COMMAND_TIMEOUT,
                init=self._init_connection,
            )
        except (*_DB_ERRORS, ValueError) as exc:
            raise self._connect_error(exc) from None
        try:
            async with pool.acquire() as conn:
                await self._migrate(conn)
        except BaseException as exc:
            await self._close_pool(pool)
            if isinstance(exc, _DB_ERRORS):
                raise self._error(exc) from exc
            raise
        self._pool = pool
        listener = await self._connect_listener()
        self._listener = asyncio.get_running_loop().create_task(self._keep_listening(listener))

    async def close(self) -> None:
        """Close the pool and the listening connection; calling it again does nothing."""
        pool, self._pool = self._pool, None
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
        self._forget_all()
        if pool is not None:
            await self._close_pool(pool)

    async def _close_pool(self, pool: asyncpg.Pool[asyncpg.Record]) -> None:
        try:
            await asyncio.wait_for(pool.close(), timeout=CONNECT_TIMEOUT)
        except asyncio.CancelledError:
            pool.terminate()
            raise
        except _DB_ERRORS as exc:
            log.warning("Closing %s failed (%s); dropped its connections", self.display_url, self._scrub(exc))
            pool.terminate()

    async def _init_connection(self, conn: asyncpg.Connection[asyncpg.Record]) -> None:
        """Note the backend pid of each pooled connection, to ignore this process's own NOTIFYs."""
        pid = conn.get_server_pid()
        self._own_pids.add(pid)
        # The server may give the pid to another process's connection once this one is gone.
        conn.add_termination_listener(lambda _conn: self._own_pids.discard(pid))

    async def _migrate(self, conn: Connection) -> None:
        """Bring the schema to LATEST_VERSION, once even if several processes start together."""
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK_KEY)
            if await conn.fetchval("SELECT to_regclass('schema_migrations') IS NULL"):
                existing = [t for t in _TABLES if await conn.fetchval("SELECT to_regclass($1)", t)]
                if existing:
                    raise StorageError(
                        f"The PostgreSQL database {self.display_url} already has tables "
                        f"({', '.join(existing)}) but no schema_migrations table: it belongs to another "
                        "program. Give the bot a database (or schema) of its own."
                    )
                await conn.execute(
                    "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
                    "description TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
                )
            version = int(await conn.fetchval("SELECT coalesce(max(version), 0) FROM schema_migrations"))
            if version > LATEST_VERSION:
                raise StorageError(
                    f"The PostgreSQL database {self.display_url} has schema version {version}, but this bot "
                    f"only knows versions 0 to {LATEST_VERSION}: it was written by a newer version of the "
                    "bot. Run that version, or restore a backup made by this one."
                )
            for step in MIGRATIONS:
                if step.version <= version:
                    continue
                for statement in step.statements("postgres"):
                    await conn.execute(statement)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, description) VALUES ($1, $2)",
                    step.version,
                    step.description,
                )
            if await conn.fetchval("SELECT current_setting('transaction_read_only') = 'on'"):
                raise StorageError(
                    f"The PostgreSQL database {self.display_url} is read-only (a standby server?). "
                    "Point DATABASE_URL at the primary server."
                )
            denied = await conn.fetch(
                "SELECT t, p FROM unnest($1::text[]) AS t, unnest($2::text[]) AS p "
                "WHERE NOT has_table_privilege(t, p)",
                list(_TABLES),
                ["SELECT", "INSERT", "UPDATE", "DELETE"],
            )
            if denied:
                missing = ", ".join(f"{row['p']} on {row['t']}" for row in denied)
                raise StorageError(
                    f"The database user of {self.display_url} lacks privileges ({missing}). Grant them, "
                    "or connect as the user that owns the bot's tables."
                )

    # -- listening for other processes' invalidations ------------------------------------------

    async def _connect_listener(self) -> asyncpg.Connection[asyncpg.Record] | None:
        try:
            conn = await asyncpg.connect(self._url, timeout=CONNECT_TIMEOUT)
        except (*_DB_ERRORS, ValueError) as exc:
            log.warning("%s; caches stay off until it succeeds", self._connect_error(exc))
            return None
        try:
            await conn.add_listener(NOTIFY_CHANNEL, self._on_notification)
        except _DB_ERRORS as exc:
            log.warning("Cannot LISTEN on %s (%s); caches stay off", self.display_url, self._scrub(exc))
            conn.terminate()
            return None
        except BaseException:
            conn.terminate()
            raise
        self._forget_all()
        self._listening = True
        return conn

    async def _keep_listening(self, conn: asyncpg.Connection[asyncpg.Record] | None) -> None:
        """Hold the LISTEN connection while open, reconnecting with backoff; caches are off while down."""
        delay = 1.0
        while True:
            if conn is not None:
                delay = 1.0
                try:
                    await self._watch(conn)
                finally:
                    self._listening = False
                    self._forget_all()
                    await self._close_listener(conn)
                log.warning("Lost the LISTEN connection to %s; reconnecting", self.display_url)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 60.0)
            conn = await self._connect_listener()

    @staticmethod
    async def _close_listener(conn: asyncpg.Connection[asyncpg.Record]) -> None:
        try:
            await conn.close(timeout=CONNECT_TIMEOUT)
        except asyncio.CancelledError:
            conn.terminate()
            raise
        except _DB_ERRORS:
            conn.terminate()

    @staticmethod
    async def _watch(conn: asyncpg.Connection[asyncpg.Record]) -> None:
        """Return when `conn` is lost, probing it now and then to notice a silently dead link."""
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn: lost.set())
        while not conn.is_closed():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(lost.wait(), timeout=LISTENER_CHECK_INTERVAL)
                return
            try:
                await conn.execute("SELECT 1", timeout=LISTENER_CHECK_INTERVAL)
            except _DB_ERRORS:
                return

    def _on_notification(self, _conn: object, pid: int, _channel: str, payload: object) -> None:
        if pid in self._own_pids:
            return  # this process already updated its caches
        kind, _, value = str(payload).partition(":")
        if kind == "u" and value.isdigit():
            self._forget_user(int(value))
        elif kind == "n":
            self._epoch += 1
            self._known_names.pop(value, None)
        else:
            self._forget_all()

    def _forget_user(self, discord_user_id: int) -> None:
        self._epoch += 1
        self._known_members = {pair for pair in self._known_members if pair[1] != discord_user_id}

    def _forget_all(self) -> None:
        self._epoch += 1
        self._known_members.clear()
        self._known_names.clear()

    def _remember_member(self, epoch: int, guild_id: int, discord_user_id: int) -> None:
        if not self._listening or epoch != self._epoch:
            return
        if len(self._known_members) >= _KNOWN_MEMBERS_CAP:
            self._known_members.clear()
        self._known_members.add((guild_id, discord_user_id))

    def _remember_name(self, epoch: int, ra_ulid: str, ra_name: str) -> None:
        if not self._listening or epoch != self._epoch:
            return
        if len(self._known_names) >= _KNOWN_MEMBERS_CAP:
            self._known_names.clear()
        self._known_names[ra_ulid] = ra_name

    # -- links ---------------------------------------------------------------------------------

    async def link(
        self, discord_user_id: int, ra_ulid: str, ra_name: str, guild_id: int | None
    ) -> LinkedAccount:
        """Link a member to an RA account, replacing their older link; join `guild_id` when given.

        Other members linked to the same RA account get its fresh name too.
        """
        check_link_fields(ra_ulid, ra_name)
        epoch = self._epoch

        async def write(conn: Connection) -> LinkedAccount:
            row = await conn.fetchrow(
                "INSERT INTO links (discord_user_id, ra_ulid, ra_name, linked_at) VALUES ($1, $2, $3, now()) "
                "ON CONFLICT (discord_user_id) DO UPDATE SET ra_ulid = excluded.ra_ulid, "
                "ra_name = excluded.ra_name, linked_at = excluded.linked_at "
                "RETURNING discord_user_id, ra_ulid, ra_name, linked_at",
                discord_user_id,
                ra_ulid,
                ra_name,
            )
            await conn.execute(
                "UPDATE links SET ra_name = $1 WHERE ra_ulid = $2 AND ra_name IS DISTINCT FROM $1",
                ra_name,
                ra_ulid,
            )
            if guild_id is not None:
                await conn.execute(
                    "INSERT INTO guild_members (guild_id, discord_user_id) VALUES ($1, $2) "
                    "ON CONFLICT DO NOTHING",
                    guild_id,
                    discord_user_id,
                )
            await conn.execute("SELECT pg_notify($1, $2)", NOTIFY_CHANNEL, f"n:{ra_ulid}")
            assert row is not None  # INSERT ... RETURNING always returns the row
            return _account(row)

        account = await self._transact(write)
        if guild_id is not None:
            self._remember_member(epoch, guild_id, discord_user_id)
        self._remember_name(epoch, ra_ulid, ra_name)
        return account

    async def get_link(self, discord_user_id: int) -> LinkedAccount | None:
        """The member's link, if any."""
        async with self.connection() as conn:
            row = await conn.fetchrow(
                f"SELECT {_LINK_COLUMNS} FROM links AS l WHERE l.discord_user_id = $1", discord_user_id
            )
        return None if row is None else _account(row)

    async def unlink(self, discord_user_id: int) -> bool:
        """Forget the member everywhere (link, memberships, the feed's posts of them); True if anything
        was deleted.

        Other processes forget their cached memberships of the member when the NOTIFY reaches them.
        """

        async def write(conn: Connection) -> bool:
            links = await conn.execute("DELETE FROM links WHERE discord_user_id = $1", discord_user_id)
            members = await conn.execute(
                "DELETE FROM guild_members WHERE discord_user_id = $1", discord_user_id
            )
            # After the link: a poll committing this member's posts holds the link (FOR SHARE) until then.
            posts = await conn.execute("DELETE FROM feed_posts WHERE discord_user_id = $1", discord_user_id)
            await conn.execute("SELECT pg_notify($1, $2)", NOTIFY_CHANNEL, f"u:{discord_user_id}")
            return row_count(links) + row_count(members) + row_count(posts) > 0

        try:
            return await self._transact(write)
        finally:
            self._forget_user(discord_user_id)

    async def record_member(self, guild_id: int, discord_user_id: int) -> None:
        """Note that the member used the bot in the guild; repeats this process has written skip the database.

        Returns once the membership is committed. Members that arrive together share one statement.
        """
        if self._listening and (guild_id, discord_user_id) in self._known_members:
            return
        await self._member_writes.add((guild_id, discord_user_id))

    async def _write_members(self, batch: list[tuple[int, int]]) -> None:
        epoch = self._epoch
        async with self.connection() as conn:
            await conn.execute(
                "INSERT INTO guild_members (guild_id, discord_user_id) "
                "SELECT * FROM unnest($1::bigint[], $2::bigint[]) ON CONFLICT DO NOTHING",
                [guild_id for guild_id, _ in batch],
                [discord_user_id for _, discord_user_id in batch],
            )
        for guild_id, discord_user_id in batch:
            self._remember_member(epoch, guild_id, discord_user_id)

    async def refresh_name(self, ra_ulid: str, ra_name: str) -> None:
        """Follow a rename on RetroAchievements for every link to this account."""
        check_link_fields(ra_ulid, ra_name)
        if self._listening and self._known_names.get(ra_ulid) == ra_name:
            return
        epoch = self._epoch
        async with self.connection() as conn:
            await conn.execute(
                "WITH renamed AS (UPDATE links SET ra_name = $1 WHERE ra_ulid = $2 "
                "AND ra_name IS DISTINCT FROM $1 RETURNING 1) "
                "SELECT pg_notify($3, $4) WHERE EXISTS (SELECT FROM renamed)",
                ra_name,
                ra_ulid,
                NOTIFY_CHANNEL,
                f"n:{ra_ulid}",
            )
        self._remember_name(epoch, ra_ulid, ra_name)

    async def guild_links(self, guild_id: int) -> list[LinkedAccount]:
        """Linked members of the guild, ordered by RA name (case-insensitive)."""
        async with self.connection() as conn:
            rows = await conn.fetch(
                f"SELECT {_LINK_COLUMNS} {_GUILD_LINKS_FROM} ORDER BY {_NAME_KEY}, l.discord_user_id",
                guild_id,
            )
        return [_account(row) for row in rows]

    async def search_guild_links(self, guild_id: int, text: str, limit: int = 25) -> list[LinkedAccount]:
        """Linked members of the guild whose RA name contains `text` (any case), prefix matches first."""
        if limit <= 0:
            return []
        escaped = escape_like(text.strip())
        async with self.connection() as conn:
            rows = await conn.fetch(
                f"SELECT {_LINK_COLUMNS} {_GUILD_LINKS_FROM} "
                f"AND {_NAME_KEY} LIKE lower($2 COLLATE \"C\") ESCAPE '\\' "
                f"ORDER BY {_NAME_KEY} LIKE lower($3 COLLATE \"C\") ESCAPE '\\' DESC, "
                f"{_NAME_KEY}, l.discord_user_id LIMIT $4",
                guild_id,
                f"%{escaped}%",
                f"{escaped}%",
                limit,
            )
        return [_account(row) for row in rows]

    # -- meta ----------------------------------------------------------------------------------

    async def get_meta(self, key: str) -> str | None:
        """A small stored value, if set."""
        async with self.connection() as conn:
            value = await conn.fetchval("SELECT value FROM meta WHERE key = $1", key)
        return None if value is None else str(value)

    async def set_meta(self, key: str, value: str) -> None:
        """Store a small value under `key`, replacing any older one."""
        async with self.connection() as conn:
            await conn.execute(
                "INSERT INTO meta (key, value) VALUES ($1, $2) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                key,
                value,
            )

    # -- plumbing ------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        """A pooled connection for maintenance tools (the copy); database errors become StorageError."""
        if self._pool is None:
            raise StorageError(f"The PostgreSQL database {self.display_url} is not open: call open() first.")
        try:
            async with self._pool.acquire() as conn:
                yield conn
        except _DB_ERRORS as exc:
            raise self._error(exc) from exc

    async def _transact(self, write: Callable[[Connection], Awaitable[T]]) -> T:
        """Run `write` in a transaction, retrying when PostgreSQL aborts it for a deadlock."""
        for attempt in range(1, _RETRIES + 1):
            try:
                async with self.connection() as conn, conn.transaction():
                    return await write(conn)
            except StorageError as exc:
                if attempt == _RETRIES or not isinstance(exc.__cause__, _RETRYABLE):
                    raise
        raise AssertionError("unreachable")

    def _scrub(self, exc: BaseException) -> str:
        text = str(exc) or type(exc).__name__
        for secret in _secrets(self._url):
            text = text.replace(secret, "***")
        return text

    def _connect_error(self, exc: BaseException) -> StorageError:
        """Why the server cannot be used, naming it without its password, and what to do."""
        where, detail = self.display_url, self._scrub(exc)
        if isinstance(exc, asyncpg.InvalidCatalogNameError):
            return StorageError(
                f"The PostgreSQL database {where} does not exist ({detail}). Create it "
                "(CREATE DATABASE ...) or correct DATABASE_URL."
            )
        if isinstance(exc, asyncpg.InvalidAuthorizationSpecificationError | asyncpg.InvalidPasswordError):
            return StorageError(
                f"The PostgreSQL server refused the bot's credentials for {where} ({detail}). Check the "
                "user and password in DATABASE_URL and the server's pg_hba.conf."
            )
        if isinstance(exc, OSError | TimeoutError | asyncpg.CannotConnectNowError):
            return StorageError(
                f"Cannot reach the PostgreSQL server of {where} ({detail}). Check that it is running and "
                "that the host and port in DATABASE_URL are right."
            )
        if isinstance(exc, ValueError | asyncpg.ClientConfigurationError):
            return StorageError(f"DATABASE_URL {where} is not a usable PostgreSQL URL ({detail}).")
        return StorageError(f"Cannot open the PostgreSQL database {where} ({detail}).")

    def _error(self, exc: BaseException) -> StorageError:
        """A StorageError for a failure on an open database, telling the operator what to do."""
        where, detail = self.display_url, self._scrub(exc)
        if isinstance(exc, asyncpg.ReadOnlySQLTransactionError):
            return StorageError(
                f"The PostgreSQL database {where} is read-only ({detail}). Point DATABASE_URL at the "
                "primary server."
            )
        if isinstance(exc, asyncpg.InsufficientPrivilegeError):
            return StorageError(
                f"The database user of {where} lacks a privilege ({detail}). Grant it, or connect as the "
                "user that owns the bot's tables."
            )
        if isinstance(exc, OSError | TimeoutError | asyncpg.InterfaceError | asyncpg.PostgresConnectionError):
            return StorageError(
                f"Lost the connection to the PostgreSQL database {where} ({detail}). Check that the "
                "server is running and reachable."
            )
        return StorageError(f"The PostgreSQL database {where} failed: {detail}.")


def row_count(status: str) -> int:
    """The row count at the end of a command status such as 'DELETE 3' or 'INSERT 0 3'."""
    tail = status.rpartition(" ")[2]
    return int(tail) if tail.isdigit() else 0
