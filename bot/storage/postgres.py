"""`Storage` in a PostgreSQL database shared by several bot processes, through an asyncpg pool.

Schema steps come from the same list as SQLite's (`bot.storage.migrations`); the version lives in the
`schema_migrations` table and is migrated under `pg_advisory_xact_lock`, so processes starting together
migrate once. Every write is committed before its method returns.

Caches across processes: each process remembers the memberships it has written (so repeated
`record_member` calls skip the database), the name every link to an RA account carries (so no-op
renames skip it) and the links it has read (for `cached_link`, which autocomplete asks at
every keystroke). Writes that make another process's cache stale (`unlink`, `link`, a name change by
`refresh_name`) send a NOTIFY on `NOTIFY_CHANNEL` in their transaction, and every process LISTENs on a
dedicated connection and forgets what they name. The caches are used only while that connection is up,
and forgotten whenever it drops, so a process never skips a write on the strength of an entry it could
have missed an invalidation for. What remains is the delivery delay of a notification (normally a few
milliseconds after the commit): in that window another process may still skip recording a member whom
this one has just unlinked, exactly as if its `record_member` had run just before the unlink.

Time limits: each call (taking a pooled connection, its statements, its commit) must finish within
`timeout` seconds, or it raises StorageUnavailable and its connection is dropped rather than given back:
a hung server cannot hold the pool, and the next call opens a fresh connection. A call that timed out
while committing may still have committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TypeAlias, TypeVar
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from bot.catalogue.model import CatalogueGame, Console, StoredConsole
from bot.storage.base import (
    DEFAULT_TIMEOUT_SECONDS,
    NOT_KNOWN,
    LinkedAccount,
    NotKnown,
    StorageError,
    StorageUnavailable,
    check_link_fields,
    escape_like,
    lease_key,
)
from bot.storage.batching import GroupCommit
from bot.storage.feed_postgres import PostgresFeedStore
from bot.storage.link_memo import LinkMemo
from bot.storage.migrations import LATEST_VERSION, MIGRATIONS
from bot.waiting import wait_until_set

T = TypeVar("T")
Connection: TypeAlias = "PoolConnectionProxy[asyncpg.Record]"

log = logging.getLogger(__name__)

NOTIFY_CHANNEL = "ra_bot_storage"
# Key of the transaction-level advisory lock that serialises migrations ("ra-bot" in ASCII).
MIGRATION_LOCK_KEY = 0x72612D626F74
POOL_MIN_SIZE = 1
POOL_MAX_SIZE = 10
# Statements outside the calls' time limit (migrations at open, the SQLite copy) get this long each.
COMMAND_TIMEOUT = 30.0
LISTENER_CHECK_INTERVAL = 30.0
_RETRIES = 3
_KNOWN_MEMBERS_CAP = 100_000
_TABLES = ("links", "guild_members", "meta", "catalogue_consoles", "catalogue_games")
_GAME_COLUMNS = "game_id, title, console_id, console_name, image_icon, achievements, points"
_GAMES_FROM_ARRAYS = (
    f"INSERT INTO catalogue_games ({_GAME_COLUMNS}) SELECT * FROM unnest($1::int[], $2::text[], "
    "$3::int[], $4::text[], $5::text[], $6::int[], $7::int[]) "
)
# A lease's connection tells the server to probe it, so that a holder whose host died loses the lease in
# about a minute (the server's default waits for the operating system's, often two hours).
_LEASE_SESSION = {
    "application_name": "ra-bot lease",
    "tcp_keepalives_idle": "30",
    "tcp_keepalives_interval": "10",
    "tcp_keepalives_count": "3",
}
_SECRET_QUERY_KEYS = {"password", "sslpassword"}
_LINK_COLUMNS = "l.discord_user_id, l.ra_ulid, l.ra_name, l.linked_at"
_GUILD_LINKS_FROM = (
    "FROM guild_members AS m JOIN links AS l ON l.discord_user_id = m.discord_user_id WHERE m.guild_id = $1"
)
# ASCII-only case folding and byte order, as SQLite's NOCASE and LIKE do, whatever the server's locale.
_NAME_KEY = 'lower(l.ra_name COLLATE "C")'
_DB_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError)
_RETRYABLE = (asyncpg.DeadlockDetectedError, asyncpg.SerializationError)
# The server is down, restarting, out of connections or out of disk: a later call may succeed.
_UNAVAILABLE = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.OperatorInterventionError,
    asyncpg.InsufficientResourcesError,
)


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
    """The bot's storage in a PostgreSQL database at `url`; the database itself must already exist.

    `timeout`: seconds each call may take, and each connection attempt.
    """

    def __init__(self, url: str, *, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        if not timeout > 0:
            raise ValueError("timeout must be greater than 0")
        self._url = url
        self.timeout = timeout
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
        self._links = LinkMemo(_KNOWN_MEMBERS_CAP)
        # Group commit: members first seen together are written in one statement.
        self._member_writes: GroupCommit[tuple[int, int]] = GroupCommit(self._write_members)
        # Lease name -> the connection whose session holds its advisory lock.
        self._leases: dict[str, asyncpg.Connection[asyncpg.Record]] = {}

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
                timeout=self.timeout,
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
        leases, self._leases = self._leases, {}
        for conn in leases.values():
            await self._close_listener(conn)
        if listener is not None:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
        self._forget_all()
        if pool is not None:
            await self._close_pool(pool)

    async def _close_pool(self, pool: asyncpg.Pool[asyncpg.Record]) -> None:
        try:
            await asyncio.wait_for(pool.close(), timeout=self.timeout)
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
            conn = await asyncpg.connect(self._url, timeout=self.timeout)
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

    async def _close_listener(self, conn: asyncpg.Connection[asyncpg.Record]) -> None:
        try:
            await conn.close(timeout=self.timeout)
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
            if await wait_until_set(lost, LISTENER_CHECK_INTERVAL):
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
        elif kind == "l" and value.isdigit():
            self._links.forget(int(value))
        elif kind == "n":
            self._epoch += 1
            self._known_names.pop(value, None)
            self._links.forget_account(value)
        else:
            self._forget_all()

    def _forget_user(self, discord_user_id: int) -> None:
        self._epoch += 1
        self._links.forget(discord_user_id)
        self._known_members = {pair for pair in self._known_members if pair[1] != discord_user_id}

    def _forget_all(self) -> None:
        self._epoch += 1
        self._links.clear()
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
            await conn.execute(
                "SELECT pg_notify($1, $2), pg_notify($1, $3)",
                NOTIFY_CHANNEL,
                f"n:{ra_ulid}",
                f"l:{discord_user_id}",
            )
            assert row is not None  # INSERT ... RETURNING always returns the row
            return _account(row)

        try:
            account = await self._transact(write)
        finally:
            self._links.forget_account(ra_ulid)  # the others linked to it carry its new name
            self._links.forget(discord_user_id)  # read again next time (a failed write may have committed)
        if guild_id is not None:
            self._remember_member(epoch, guild_id, discord_user_id)
        self._remember_name(epoch, ra_ulid, ra_name)
        return account

    async def count_links(self) -> int:
        """How many members are linked, in the whole database."""
        async with self._call() as conn:
            return int(await conn.fetchval("SELECT count(*) FROM links"))

    async def get_link(self, discord_user_id: int) -> LinkedAccount | None:
        """The member's link, if any."""
        stamp = self._links.stamp()
        async with self._call() as conn:
            row = await conn.fetchrow(
                f"SELECT {_LINK_COLUMNS} FROM links AS l WHERE l.discord_user_id = $1", discord_user_id
            )
        link = None if row is None else _account(row)
        self._links.fill(stamp, discord_user_id, link)  # used only while listening (`cached_link`)
        return link

    async def cached_link(self, discord_user_id: int) -> LinkedAccount | None:
        """The member's link, from memory once read while listening for other processes' changes (which
        reach it a few milliseconds after they commit)."""
        known = self.known_link(discord_user_id)
        return await self.get_link(discord_user_id) if known is NOT_KNOWN else known

    def known_link(self, discord_user_id: int) -> LinkedAccount | NotKnown | None:
        return self._links.get(discord_user_id) if self._listening else NOT_KNOWN

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
        if self.member_known(guild_id, discord_user_id):
            return
        await self._member_writes.add((guild_id, discord_user_id))

    def member_known(self, guild_id: int, discord_user_id: int) -> bool:
        # Only while listening: another process's /unlink reaches this one's memory through the notice.
        return self._listening and (guild_id, discord_user_id) in self._known_members

    def name_known(self, ra_ulid: str, ra_name: str) -> bool:
        return self._listening and self._known_names.get(ra_ulid) == ra_name

    async def _write_members(self, batch: list[tuple[int, int]]) -> None:
        epoch = self._epoch
        async with self._call() as conn:
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
        if self.name_known(ra_ulid, ra_name):
            return
        epoch = self._epoch
        try:
            await self._rename(ra_ulid, ra_name)
        finally:
            self._links.forget_account(ra_ulid)
        self._remember_name(epoch, ra_ulid, ra_name)

    async def _rename(self, ra_ulid: str, ra_name: str) -> None:
        async with self._call() as conn:
            await conn.execute(
                "WITH renamed AS (UPDATE links SET ra_name = $1 WHERE ra_ulid = $2 "
                "AND ra_name IS DISTINCT FROM $1 RETURNING 1) "
                "SELECT pg_notify($3, $4) WHERE EXISTS (SELECT FROM renamed)",
                ra_name,
                ra_ulid,
                NOTIFY_CHANNEL,
                f"n:{ra_ulid}",
            )

    async def guild_links(self, guild_id: int) -> list[LinkedAccount]:
        """Linked members of the guild, ordered by RA name (case-insensitive)."""
        async with self._call() as conn:
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
        async with self._call() as conn:
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
        async with self._call() as conn:
            value = await conn.fetchval("SELECT value FROM meta WHERE key = $1", key)
        return None if value is None else str(value)

    async def set_meta(self, key: str, value: str) -> None:
        """Store a small value under `key`, replacing any older one."""
        async with self._call() as conn:
            await conn.execute(
                "INSERT INTO meta (key, value) VALUES ($1, $2) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                key,
                value,
            )

    # -- the game catalogue --------------------------------------------------------------------

    async def catalogue_consoles(self) -> list[StoredConsole]:
        """Every console of the catalogue, by ID."""
        async with self._call() as conn:
            rows = await conn.fetch(
                "SELECT console_id, name, listed_at, refreshed_at, game_count FROM catalogue_consoles "
                "ORDER BY console_id"
            )
        return [StoredConsole(*row) for row in rows]

    async def save_catalogue_consoles(self, consoles: Sequence[Console], listed_at: float) -> None:
        """Note that the console list named these consoles at `listed_at`; others are kept."""
        async with self._call() as conn:
            await conn.execute(
                "INSERT INTO catalogue_consoles (console_id, name, listed_at) "
                "SELECT id, name, $3 FROM unnest($1::int[], $2::text[]) AS c (id, name) "
                "ON CONFLICT (console_id) DO UPDATE SET name = excluded.name, listed_at = excluded.listed_at",
                [console.console_id for console in consoles],
                [console.name for console in consoles],
                listed_at,
            )

    async def replace_catalogue_games(
        self, console: Console, games: Sequence[CatalogueGame], refreshed_at: float
    ) -> None:
        """In one transaction: the console's games become exactly `games`."""

        async def write(conn: Connection) -> None:
            await conn.execute("DELETE FROM catalogue_games WHERE console_id = $1", console.console_id)
            await conn.execute(
                _GAMES_FROM_ARRAYS + "ON CONFLICT (game_id) DO UPDATE SET console_id = excluded.console_id, "
                "title = excluded.title, console_name = excluded.console_name, "
                "image_icon = excluded.image_icon, achievements = excluded.achievements, "
                "points = excluded.points",
                *_game_columns(games),
            )
            await conn.execute(
                "INSERT INTO catalogue_consoles (console_id, name, listed_at, refreshed_at, game_count) "
                "VALUES ($1, $2, $3, $3, $4) ON CONFLICT (console_id) DO UPDATE SET name = excluded.name, "
                "refreshed_at = excluded.refreshed_at, game_count = excluded.game_count",
                console.console_id,
                console.name,
                refreshed_at,
                len(games),
            )

        await self._transact(write)

    async def add_catalogue_games(self, games: Sequence[CatalogueGame]) -> None:
        """Add games learned one by one; a game already in the catalogue is left as it is."""
        async with self._call() as conn:
            await conn.execute(_GAMES_FROM_ARRAYS + "ON CONFLICT (game_id) DO NOTHING", *_game_columns(games))

    async def catalogue_games(self) -> list[CatalogueGame]:
        """Every game of the catalogue, by ID."""
        async with self._call() as conn:
            rows = await conn.fetch(f"SELECT {_GAME_COLUMNS} FROM catalogue_games ORDER BY game_id")
        return [CatalogueGame(*row) for row in rows]

    async def catalogue_stamp(self) -> tuple[int, float]:
        """(how many games, the latest console refresh): changes whenever the catalogue does."""
        async with self._call() as conn:
            row = await conn.fetchrow(
                "SELECT (SELECT count(*) FROM catalogue_games), "
                "(SELECT coalesce(max(refreshed_at), 0) FROM catalogue_consoles)"
            )
        assert row is not None  # a SELECT without FROM returns one row
        return int(row[0]), float(row[1])

    async def hold_lease(self, name: str) -> bool:
        """True while this storage holds the lease: a session-level advisory lock on a connection of its
        own, which the server frees when that session ends (the process died, or its host: see
        `_LEASE_SESSION`). A lease whose connection was lost is taken again if it is free."""
        if self._pool is None:
            raise StorageError(f"The PostgreSQL database {self.display_url} is not open: call open() first.")
        held = self._leases.get(name)
        if held is not None:
            try:
                await held.fetchval("SELECT 1", timeout=self.timeout)
            except _DB_ERRORS:
                del self._leases[name]
                held.terminate()
            else:
                return True
        try:
            conn = await asyncpg.connect(self._url, timeout=self.timeout, server_settings=_LEASE_SESSION)
        except (*_DB_ERRORS, ValueError) as exc:
            raise self._connect_error(exc) from None
        try:
            taken = bool(await conn.fetchval("SELECT pg_try_advisory_lock($1)", lease_key(name)))
        except BaseException as exc:
            conn.terminate()
            if isinstance(exc, _DB_ERRORS):
                raise self._error(exc) from exc
            raise
        if not taken:
            await self._close_listener(conn)
            return False
        self._leases[name] = conn
        return True

    # -- plumbing ------------------------------------------------------------------------------

    def _open_pool(self) -> asyncpg.Pool[asyncpg.Record]:
        if self._pool is None:
            raise StorageError(f"The PostgreSQL database {self.display_url} is not open: call open() first.")
        return self._pool

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        """A pooled connection for maintenance tools (the copy), without the calls' time limit.

        Database errors become StorageError.
        """
        pool = self._open_pool()
        try:
            async with pool.acquire() as conn:
                yield conn
        except _DB_ERRORS as exc:
            raise self._error(exc) from exc

    @contextlib.asynccontextmanager
    async def _call(self) -> AsyncIterator[Connection]:
        """A pooled connection for one call, whose body must finish within the time limit.

        When the limit passes, the connection is terminated at once: giving back a connection that is
        waiting for a hung server would wait for the server again (to cancel the query, then to reset).
        """
        pool = self._open_pool()
        try:
            async with asyncio.timeout(self.timeout), pool.acquire(timeout=self.timeout) as conn:
                try:
                    yield conn
                except asyncio.CancelledError:
                    conn.terminate()
                    raise
        except TimeoutError:
            raise StorageUnavailable(
                f"The PostgreSQL database {self.display_url} did not answer within {self.timeout:g} s. "
                "Check that the server is running, reachable and not overloaded."
            ) from None
        except _DB_ERRORS as exc:
            raise self._error(exc) from exc

    async def _transact(self, write: Callable[[Connection], Awaitable[T]]) -> T:
        """Run `write` in a transaction, retrying when PostgreSQL aborts it for a deadlock."""
        for attempt in range(1, _RETRIES + 1):
            try:
                async with self._call() as conn, conn.transaction():
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
            return StorageUnavailable(
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
        if isinstance(exc, asyncpg.InsufficientResourcesError):
            return StorageUnavailable(
                f"The PostgreSQL server of {where} is out of resources ({detail}): free disk space or "
                "connections there; the bot keeps trying."
            )
        if isinstance(exc, _UNAVAILABLE):
            return StorageUnavailable(
                f"Lost the connection to the PostgreSQL database {where} ({detail}). Check that the "
                "server is running and reachable."
            )
        return StorageError(f"The PostgreSQL database {where} failed: {detail}.")


def _game_columns(games: Sequence[CatalogueGame]) -> tuple[list[object], ...]:
    """The games as seven column arrays, for `unnest`."""
    return (
        [game.game_id for game in games],
        [game.title for game in games],
        [game.console_id for game in games],
        [game.console_name for game in games],
        [game.image_icon for game in games],
        [game.achievements for game in games],
        [game.points for game in games],
    )


def row_count(status: str) -> int:
    """The row count at the end of a command status such as 'DELETE 3' or 'INSERT 0 3'."""
    tail = status.rpartition(" ")[2]
    return int(tail) if tail.isdigit() else 0
