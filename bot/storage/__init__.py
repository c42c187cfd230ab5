"""Durable storage of member links, guild memberships and small settings.

Nothing here imports Discord or HTTP code; callers use `open_storage` and the `Storage` interface.
"""

from bot.storage.base import LinkedAccount, Storage, StorageError
from bot.storage.migrations import LATEST_VERSION, MIGRATIONS, Migration
from bot.storage.sqlite import SQLiteStorage, open_storage

__all__ = [
    "LATEST_VERSION",
    "MIGRATIONS",
    "LinkedAccount",
    "Migration",
    "SQLiteStorage",
    "Storage",
    "StorageError",
    "open_storage",
]
