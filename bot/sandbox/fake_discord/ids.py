"""Discord's ids: snowflakes, the fake's default member, server and channel, and shard routing."""

from __future__ import annotations

import time
from collections.abc import Hashable

DEFAULT_GUILD_ID = 200000000000000001
DEFAULT_CHANNEL_ID = 300000000000000001
DEFAULT_USER_ID = 400000000000000001
_DISCORD_EPOCH_MS = 1420070400000


class Snowflakes:
    """Fresh ids that grow with time, as Discord's do, and ids that stay the same for one key."""

    def __init__(self) -> None:
        self._last = 0
        self._stable: dict[Hashable, str] = {}

    def next(self) -> str:
        value = (int(time.time() * 1000) - _DISCORD_EPOCH_MS) << 22
        self._last = max(value, self._last + 1)
        return str(self._last)

    def stable(self, key: Hashable) -> str:
        """The same id every time for `key` (Discord keeps a command's id while its name stays)."""
        if key not in self._stable:
            self._stable[key] = self.next()
        return self._stable[key]


def guild_for_shard(shard_id: int, shard_count: int, nth: int = 0) -> int:
    """A guild id that Discord routes to `shard_id` of `shard_count` (`nth` picks another such id)."""
    if not 0 <= shard_id < shard_count:
        raise ValueError(f"shard {shard_id} is not in 0..{shard_count - 1}")
    stamp = DEFAULT_GUILD_ID >> 22
    stamp += shard_id - stamp % shard_count + nth * shard_count
    return (stamp << 22) | (DEFAULT_GUILD_ID & ((1 << 22) - 1))


def shard_of(guild_id: int | None, shard_count: int) -> int:
    """The shard Discord sends a guild's events to (direct messages go to shard 0)."""
    return 0 if guild_id is None else (guild_id >> 22) % shard_count
