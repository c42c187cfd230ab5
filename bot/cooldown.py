"""Per-member cooldowns, counted only for commands that passed validation."""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.errors import OnCooldown

_PURGE_AT = 10_000


class MemberCooldown:
    """Allows one use per `seconds` for each member."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._last_use: dict[int, float] = {}

    def use(self, member_id: int) -> None:
        """Records a use, or raises OnCooldown with the seconds left."""
        if self.seconds <= 0:
            return
        now = self._clock()
        last = self._last_use.get(member_id)
        if last is not None and now - last < self.seconds:
            raise OnCooldown(self.seconds - (now - last))
        if len(self._last_use) >= _PURGE_AT:
            self._last_use = {m: t for m, t in self._last_use.items() if now - t < self.seconds}
        self._last_use[member_id] = now
