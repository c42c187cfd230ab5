"""Durable storage of member links, guild memberships and small settings.

Nothing here imports Discord or HTTP code; callers use `open_storage` and the `Storage` interface.
A SQLite file is the default; `DATABASE_URL=postgresql://...` selects PostgreSQL (needs asyncpg).
"""

from __future__ import annotations

from pathlib import Path

from bot.storage.base import (
    DEFAULT_TIMEOUT_SECONDS,
    NOT_KNOWN,
    LinkedAccount,
    NotKnown,
    Storage,
    StorageError,
    StorageUnavailable,
)
from bot.storage.guarded import GuardedStorage
from bot.storage.migrations import LATEST_VERSION, MIGRATIONS, Migration
from bot.storage.sqlite import SQLiteStorage

__all__ = [
    "DEFAULT_TIMEOUT_SECONDS",
    "LATEST_VERSION",
    "MIGRATIONS",
    "NOT_KNOWN",
    "GuardedStorage",
    "LinkedAccount",
    "Migration",
    "NotKnown",
    "SQLiteStorage",
    "Storage",
    "StorageError",
    "StorageUnavailable",
    "is_postgres_url",
    "open_storage",
]


def is_postgres_url(url: str | None) -> bool:
    """True if `url` names a PostgreSQL database (postgresql:// or postgres://)."""
    return url is not None and url.startswith(("postgresql://", "postgres://"))


def open_storage(
    path: Path, database_url: str | None = None, *, timeout: float = DEFAULT_TIMEOUT_SECONDS
) -> GuardedStorage:
    """The bot's storage, not yet opened: await `open()` before use.

    PostgreSQL when `database_url` is a postgresql:// or postgres:// URL, else the SQLite file at `path`.
    Each call returns or raises StorageError within `timeout` seconds; failures are logged once per
    outage and counted in the result's `failures`.
    """
    backend: Storage
    if database_url is not None and is_postgres_url(database_url):
        # Imported here so that a bot without the `scale` extra (no asyncpg) still runs on SQLite.
        from bot.storage.postgres import PostgresStorage

        backend = PostgresStorage(database_url, timeout=timeout)
    else:
        backend = SQLiteStorage(path, timeout=timeout)
    return GuardedStorage(backend)
