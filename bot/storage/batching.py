"""Group commit: callers that arrive in the same event-loop turn share one write."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T", bound=Hashable)


class GroupCommit(Generic[T]):
    """`add` returns once its item is written; items added together are written by one `write` call."""

    def __init__(self, write: Callable[[list[T]], Awaitable[None]]) -> None:
        self._write = write
        self._pending: list[T] = []
        self._batch: asyncio.Task[None] | None = None

    async def add(self, item: T) -> None:
        self._pending.append(item)
        if self._batch is None:
            self._batch = asyncio.get_running_loop().create_task(self._flush())
        await asyncio.shield(self._batch)

    async def _flush(self) -> None:
        await asyncio.sleep(0)  # let the callers that arrive in this same loop turn join the batch
        batch, self._pending = list(dict.fromkeys(self._pending)), []
        self._batch = None
        await self._write(batch)
