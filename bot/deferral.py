"""Answer at once when the work is quick; defer when it is not, so that a slow database or upstream never
leaves Discord's 3-second deadline unanswered."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any

import discord

#: Well inside Discord's 3 s, leaving time for the defer request itself.
DEFER_AFTER_SECONDS = 1.5


class DeferIfSlow:
    """`async with DeferIfSlow(interaction, ephemeral=True) as answer: ...; await answer.send(...)`

    The reply is the interaction's first response when it comes in time, or an edit of the deferred one.
    """

    def __init__(
        self, interaction: discord.Interaction[Any], *, ephemeral: bool, after: float = DEFER_AFTER_SECONDS
    ) -> None:
        self._interaction = interaction
        self._ephemeral = ephemeral
        self._after = after
        self._timer: asyncio.Task[None] | None = None
        self._deferring = False

    async def __aenter__(self) -> DeferIfSlow:
        self._timer = asyncio.get_running_loop().create_task(self._defer_later())
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self._stop_timer()

    async def send(self, content: str | None = None, *, embed: discord.Embed | None = None) -> None:
        await self._stop_timer()
        response = self._interaction.response
        if response.is_done():
            await self._interaction.edit_original_response(content=content, embed=embed)
        elif embed is None:
            await response.send_message(content, ephemeral=self._ephemeral)
        else:
            await response.send_message(content, embed=embed, ephemeral=self._ephemeral)

    async def _defer_later(self) -> None:
        await asyncio.sleep(self._after)
        self._deferring = True
        if not self._interaction.response.is_done():
            await self._interaction.response.defer(ephemeral=self._ephemeral, thinking=True)

    async def _stop_timer(self) -> None:
        timer = self._timer
        if timer is None or timer.done():
            return
        if not self._deferring:
            timer.cancel()
        await asyncio.gather(timer, return_exceptions=True)
