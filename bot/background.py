"""Writes a member does not wait for (server memberships, followed renames): run beside the reply.

Bounded: past `limit` writes in flight, new ones are dropped and counted (each is repeated the next time
the member uses the bot). A failed write is logged at DEBUG only: the storage layer reports an outage
once, and counts its failures.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from bot.storage import StorageError

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 1000


class BackgroundWrites:
    """`what` names the work in the log: "background writes" (the bot's), or e.g. the fetches that
    autocomplete starts for a later keystroke, which run apart so that nothing settles on them."""

    def __init__(self, limit: int = DEFAULT_LIMIT, *, what: str = "background writes") -> None:
        self._limit = limit
        self._what = what
        self._tasks: set[asyncio.Task[None]] = set()
        self._by_member: dict[int, set[asyncio.Task[None]]] = {}
        self.dropped = 0

    def spawn(self, write: Coroutine[Any, Any, None], *, member_id: int | None = None) -> None:
        """Starts `write` now; `settle(member_id)` later waits for every write started for that member."""
        if len(self._tasks) >= self._limit:
            write.close()
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.warning("Too much in flight: %d %s dropped so far", self.dropped, self._what)
            return
        task = asyncio.get_running_loop().create_task(self._run(write))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        if member_id is not None:
            mine = self._by_member.setdefault(member_id, set())
            mine.add(task)
            task.add_done_callback(lambda done: self._forget(member_id, done))

    async def settle(self, member_id: int) -> None:
        """Waits for the member's writes in flight, so that deleting the member afterwards deletes them."""
        pending = self._by_member.get(member_id)
        if pending:
            await asyncio.wait(set(pending))

    async def settle_all(self) -> None:
        """Waits for every write in flight, so that a read afterwards sees them."""
        if self._tasks:
            await asyncio.wait(set(self._tasks))

    async def aclose(self, grace_seconds: float) -> None:
        """Gives the writes in flight up to `grace_seconds`, then cancels the rest."""
        if not self._tasks:
            return
        _, late = await asyncio.wait(set(self._tasks), timeout=grace_seconds)
        for task in late:
            task.cancel()
        if late:
            log.warning("%d of the %s did not finish before shutdown", len(late), self._what)

    async def cancel_all(self) -> None:
        """Cancels what is in flight (work nobody waits for, such as autocomplete's fetches)."""
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.wait(set(self._tasks))

    def _forget(self, member_id: int, task: asyncio.Task[None]) -> None:
        mine = self._by_member.get(member_id)
        if mine is not None:
            mine.discard(task)
            if not mine:
                del self._by_member[member_id]

    @staticmethod
    async def _run(write: Coroutine[Any, Any, None]) -> None:
        try:
            await write
        except StorageError as error:
            log.debug("A background write failed: %s", error)
        except Exception:
            log.exception("A background write failed unexpectedly")
