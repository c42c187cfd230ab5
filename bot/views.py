"""Previous/Next buttons over a list of embeds: only the member who asked may turn pages."""

from __future__ import annotations

import logging

import aiohttp
import discord

from bot.error_handler import is_expired, send_error

log = logging.getLogger(__name__)

NOT_YOURS = "Only the member who asked can turn these pages. Run the command yourself to get your own copy."


class PageView(discord.ui.View):
    """Shows one page at a time; the buttons go away when the view times out."""

    def __init__(self, pages: list[discord.Embed], owner_id: int, *, timeout: float) -> None:
        super().__init__(timeout=timeout)
        if len(pages) < 2:
            raise ValueError("a PageView needs at least two pages")
        self.pages = pages
        self.owner_id = owner_id
        self.index = 0
        self.origin: discord.Interaction | None = None
        self._sync_buttons()

    @property
    def current(self) -> discord.Embed:
        return self.pages[self.index]

    async def start(self, interaction: discord.Interaction) -> None:
        """Puts the first page and the buttons on the (deferred) original response."""
        self.origin = interaction
        await interaction.edit_original_response(content=None, embed=self.current, view=self)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(NOT_YOURS, ephemeral=True)
        return False

    @discord.ui.button(label="Previous", emoji="◀️", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction, _: discord.ui.Button[PageView]) -> None:
        await self._show(interaction, self.index - 1)

    @discord.ui.button(label="1/1", style=discord.ButtonStyle.secondary, disabled=True)
    async def position(self, interaction: discord.Interaction, _: discord.ui.Button[PageView]) -> None:
        await interaction.response.defer()

    @discord.ui.button(label="Next", emoji="▶️", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction, _: discord.ui.Button[PageView]) -> None:
        await self._show(interaction, self.index + 1)

    async def _show(self, interaction: discord.Interaction, index: int) -> None:
        self.index = max(0, min(index, len(self.pages) - 1))
        self._sync_buttons()
        await interaction.response.edit_message(embed=self.current, view=self)

    def _sync_buttons(self) -> None:
        self.previous.disabled = self.index == 0
        self.next.disabled = self.index == len(self.pages) - 1
        self.position.label = f"{self.index + 1}/{len(self.pages)}"

    async def on_timeout(self) -> None:
        if self.origin is None or self.origin.client.is_closed():
            return  # shutting down: the buttons stop working anyway
        try:
            await self.origin.edit_original_response(view=None)
        except (discord.HTTPException, aiohttp.ClientError) as error:
            log.info("Could not remove expired page buttons: %s", error)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[PageView]
    ) -> None:
        if is_expired(error):
            log.info("A page button's interaction expired before the bot answered it")
            return
        log.error("Page button failed", exc_info=error)
        await send_error(interaction, "Those pages could not be turned. Run the command again.")


async def show_pages(
    interaction: discord.Interaction, pages: list[discord.Embed], *, buttons_for: float
) -> None:
    """Replaces the deferred answer (and any progress note in it) with the first page, and buttons when
    there is more than one page."""
    if len(pages) == 1:
        await interaction.edit_original_response(content=None, embed=pages[0])
        return
    await PageView(pages, interaction.user.id, timeout=buttons_for).start(interaction)
