"""Exactly one process polls: a lease in Redis, or an advisory lock in PostgreSQL, or (alone) no lease.

- `RedisLease`: `SET key token NX PX ttl`, renewed by its holder every third of the ttl while it holds
  it (a script renews only its own token). A holder that dies stops renewing, and the key expires: another
  process takes it at its next try. A holder that cannot reach Redis counts the lease as lost once a ttl
  has passed since its last renewal, so two holders never believe in it at once for longer than the
  commit's own fence allows (see `bot.storage.feed`).
- `PostgresLease`: `pg_try_advisory_lock` on a connection of its own. PostgreSQL releases the lock when
  that connection ends, so a process killed outright frees it at once. The holder checks its connection
  every third of the ttl; a lost connection is a lost lock.
- `LocalLease`: a single process always holds it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol

from bot.storage import is_postgres_url

if TYPE_CHECKING:
    import asyncpg
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

REDIS_KEY = "rabot:v1:feed:leader"
# Key of the session-level advisory lock of the poller ("ra-feed" in ASCII).
POSTGRES_LOCK_KEY = 0x72612D66656564
_ERRORS: tuple[type[BaseException], ...] = (OSError, TimeoutError)


class Lease(Protocol):
    """Who polls. `hold()` takes the lease if it is free or keeps it if it is ours."""

    @property
    def held(self) -> bool:
        """Whether this process holds the lease now (checked again before each commit)."""
        ...

    async def hold(self) -> bool: ...

    async def release(self) -> None:
        """Give the lease up at once, so that another process takes over without waiting."""
        ...


def lease_ttl(poll_seconds: float) -> float:
    """A lease lasts one and a half poll intervals: a dead holder is replaced within about two."""
    return 1.5 * poll_seconds


class LocalLease:
    """One process, nobody to share with."""

    @property
    def held(self) -> bool:
        return True

    async def hold(self) -> bool:
        return True

    async def release(self) -> None:
        return None


class _KeptLease:
    """A lease renewed by a task of its own every third of `ttl` while held."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._valid_until = 0.0
        self._keeper: asyncio.Task[None] | None = None

    @property
    def held(self) -> bool:
        return time.monotonic() < self._valid_until

    async def hold(self) -> bool:
        started = time.monotonic()
        ok = await (self._renew() if self.held else self._take())
        if ok:
            self._valid_until = started + self.ttl
            if self._keeper is None or self._keeper.done():
                self._keeper = asyncio.get_running_loop().create_task(self._keep())
        else:
            self._lost()
        return ok

    async def release(self) -> None:
        was_held = self.held
        self._lost()
        if was_held:
            await self._give_up()

    async def _keep(self) -> None:
        while self.held:
            await asyncio.sleep(self.ttl / 3)
            started = time.monotonic()
            if await self._renew():
                self._valid_until = started + self.ttl
            elif not self.held:
                log.warning("Feed: lost the lease; another process may poll now")
                return

    def _lost(self) -> None:
        self._valid_until = 0.0
        keeper, self._keeper = self._keeper, None
        if keeper is not None and keeper is not asyncio.current_task():
            keeper.cancel()

    async def _take(self) -> bool:
        raise NotImplementedError

    async def _renew(self) -> bool:
        raise NotImplementedError

    async def _give_up(self) -> None:
        raise NotImplementedError


class RedisLease(_KeptLease):
    def __init__(self, redis: Redis, ttl: float, *, key: str = REDIS_KEY) -> None:
        from bot.ra.redis_backend import RELEASE_IF_HELD, RENEW_IF_HELD  # redis is an optional extra

        super().__init__(ttl)
        self._redis = redis
        self._key = key
        self._token = secrets.token_hex(16)
        self._ttl_ms = max(1, round(ttl * 1000))
        self._renew_script = redis.register_script(RENEW_IF_HELD)
        self._release_script = redis.register_script(RELEASE_IF_HELD)

    async def _take(self) -> bool:
        try:
            return bool(await self._redis.set(self._key, self._token, nx=True, px=self._ttl_ms))
        except _redis_errors() as error:
            log.debug("Feed lease: Redis failed (%s)", type(error).__name__)
            return False

    async def _renew(self) -> bool:
        try:
            renewed = await self._renew_script(keys=[self._key], args=[self._token, self._ttl_ms])
        except _redis_errors() as error:
            log.debug("Feed lease: Redis failed (%s)", type(error).__name__)
            return False
        if not renewed:
            self._valid_until = 0.0  # another process holds it: ours ended
        return bool(renewed)

    async def _give_up(self) -> None:
        with contextlib.suppress(*_redis_errors()):
            await self._release_script(keys=[self._key], args=[self._token])


class PostgresLease(_KeptLease):
    def __init__(self, url: str, ttl: float, *, key: int = POSTGRES_LOCK_KEY) -> None:
        super().__init__(ttl)
        self._url = url
        self._key = key
        self._conn: asyncpg.Connection[asyncpg.Record] | None = None

    async def _take(self) -> bool:
        import asyncpg

        try:
            if self._conn is None or self._conn.is_closed():
                self._conn = await asyncpg.connect(self._url, timeout=max(1.0, self.ttl / 3))
            return bool(await self._conn.fetchval("SELECT pg_try_advisory_lock($1)", self._key))
        except _postgres_errors() as error:
            log.debug("Feed lease: PostgreSQL failed (%s)", type(error).__name__)
            await self._drop_connection()
            return False

    async def _renew(self) -> bool:
        conn = self._conn
        if conn is None or conn.is_closed():
            return False
        try:
            await conn.fetchval("SELECT 1", timeout=max(1.0, self.ttl / 3))
            return True
        except _postgres_errors():
            await self._drop_connection()  # the lock went with it
            self._valid_until = 0.0
            return False

    async def _give_up(self) -> None:
        await self._drop_connection()

    async def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await asyncio.wait_for(conn.close(), timeout=2.0)
            except Exception:
                conn.terminate()

    async def close(self) -> None:
        await self.release()
        await self._drop_connection()


def _redis_errors() -> tuple[type[BaseException], ...]:
    from redis.exceptions import RedisError

    return (RedisError, *_ERRORS)


def _postgres_errors() -> tuple[type[BaseException], ...]:
    import asyncpg

    return (asyncpg.PostgresError, asyncpg.InterfaceError, *_ERRORS)


async def open_lease(
    redis_url: str | None, database_url: str | None, ttl: float
) -> tuple[Lease, Callable[[], Awaitable[None]] | None]:
    """A Redis lease with REDIS_URL, else a PostgreSQL lock with DATABASE_URL, else none; and what closes
    it (its own Redis connection, or its PostgreSQL connection)."""
    if redis_url:
        from bot.ra.redis_backend import connect_redis

        redis = await connect_redis(redis_url)
        return RedisLease(redis, ttl), redis.aclose
    if database_url and is_postgres_url(database_url):
        lease = PostgresLease(database_url, ttl)
        return lease, lease.close
    return LocalLease(), None
