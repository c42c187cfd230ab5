"""Page buttons over a list of embeds: only the member who asked may turn pages.

Every component interaction gets an answer: the live view that owns it answers, and
`answer_stale_component` answers the others (buttons from before a restart, timed out, or unknown).
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Mapping

import aiohttp
import discord
from discord.ext import commands

from bot.error_handler import is_expired, send_error
from bot.i18n.interactions import member_language
from bot.i18n.language import ENGLISH, N_, Language

log = logging.getLogger(__name__)

NOT_YOURS = N_(
    "Only the member who asked can turn these pages. Run the command yourself to get your own copy."
)
EXPIRED_BUTTONS = N_("These buttons have expired: run the command again.")
PAGES_FAILED = N_("Those pages could not be turned. Run the command again.")
PAGE_BUTTON_PREFIX = "rabot:page:"
MAX_PAGES_WITHOUT_ENDS = 3  # from 4 pages on, First and Last buttons too

# For each client, the views still answering clicks, by the id of the message that shows them. Every view
# that shows components must be tracked here, or its clicks also get the "expired" answer.
_live_views: weakref.WeakKeyDictionary[discord.Client, dict[int, discord.ui.View]] = (
    weakref.WeakKeyDictionary()
)


def track(client: discord.Client, message_id: int, view: discord.ui.View) -> None:
    _live_views.setdefault(client, {})[message_id] = view


def forget(client: discord.Client, message_id: int) -> None:
    _live_views.get(client, {}).pop(message_id, None)


def owner_of(interaction: discord.Interaction) -> discord.ui.View | None:
    """The live view that answers this component interaction, if any."""
    message = interaction.message
    view = _live_views.get(interaction.client, {}).get(message.id) if message is not None else None
    if view is None or view.is_finished() or custom_id_of(interaction) not in custom_ids(view):
        return None
    return view


def custom_ids(view: discord.ui.View) -> set[str]:
    return {
        item.custom_id for item in view.children if isinstance(item, discord.ui.Button) and item.custom_id
    }


class PageView(discord.ui.View):
    """Shows one page at a time; the buttons go away when the view times out. Their labels are in the
    language of the member who asked (`language`)."""

    def __init__(
        self, pages: list[discord.Embed], owner_id: int, *, timeout: float, language: Language = ENGLISH
    ) -> None:
        super().__init__(timeout=timeout)
        if len(pages) < 2:
            raise ValueError("a PageView needs at least two pages")
        self.pages = pages
        self.owner_id = owner_id
        self.index = 0
        self.origin: discord.Interaction | None = None
        self.message_id: int | None = None
        self.language = language
        self.first.label = language.tp("page button", "First")
        self.previous.label = language.tp("page button", "Previous")
        self.next.label = language.tp("page button", "Next")
        self.last.label = language.tp("page button", "Last")
        if len(pages) <= MAX_PAGES_WITHOUT_ENDS:
            self.remove_item(self.first)
            self.remove_item(self.last)
        self._sync_buttons()

    @property
    def current(self) -> discord.Embed:
        return self.pages[self.index]

    async def start(self, interaction: discord.Interaction) -> None:
        """Puts the first page and the buttons on the (deferred) original response."""
        self.origin = interaction
        message = await interaction.edit_original_response(content=None, embed=self.current, view=self)
        self.message_id = message.id
        track(interaction.client, message.id, self)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(member_language(interaction).t(NOT_YOURS), ephemeral=True)
        return False

    @discord.ui.button(emoji="⏮️", style=discord.ButtonStyle.secondary, custom_id=f"{PAGE_BUTTON_PREFIX}first")
    async def first(self, interaction: discord.Interaction, _: discord.ui.Button[PageView]) -> None:
        await self._show(interaction, 0)

    @discord.ui.button(
        emoji="◀️",
        style=discord.ButtonStyle.secondary,
        custom_id=f"{PAGE_BUTTON_PREFIX}previous",
    )
    async def previous(self, interaction: discord.Interaction, _: discord.ui.Button[PageView]) -> None:
        await self._show(interaction, self.index - 1)

    @discord.ui.button(
        label="1/1",
        style=discord.ButtonStyle.secondary,
        disabled=True,
        custom_id=f"{PAGE_BUTTON_PREFIX}position",
    )
    async def position(self, interaction: discord.Interaction, _: discord.ui.Button[PageView]) -> None:
        await interaction.response.defer()

    @discord.ui.button(emoji="▶️", style=discord.ButtonStyle.secondary, custom_id=f"{PAGE_BUTTON_PREFIX}next")
    async def next(self, interaction: discord.Interaction, _: discord.ui.Button[PageView]) -> None:
        await self._show(interaction, self.index + 1)

    @discord.ui.button(emoji="⏭️", style=discord.ButtonStyle.secondary, custom_id=f"{PAGE_BUTTON_PREFIX}last")
    async def last(self, interaction: discord.Interaction, _: discord.ui.Button[PageView]) -> None:
        await self._show(interaction, len(self.pages) - 1)

    async def _show(self, interaction: discord.Interaction, index: int) -> None:
        self.index = max(0, min(index, len(self.pages) - 1))
        self._sync_buttons()
        await interaction.response.edit_message(embed=self.current, view=self)

    def _sync_buttons(self) -> None:
        at_start, at_end = self.index == 0, self.index == len(self.pages) - 1
        self.first.disabled = self.previous.disabled = at_start
        self.next.disabled = self.last.disabled = at_end
        self.position.label = f"{self.index + 1}/{len(self.pages)}"

    async def on_timeout(self) -> None:
        if self.origin is None:
            return
        if self.message_id is not None:
            forget(self.origin.client, self.message_id)
        if self.origin.client.is_closed():
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
        await send_error(interaction, member_language(interaction).t(PAGES_FAILED))


async def show_pages(
    interaction: discord.Interaction, pages: list[discord.Embed], *, buttons_for: float
) -> None:
    """Replaces the deferred answer (and any progress note in it) with the first page, and buttons when
    there is more than one page."""
    if len(pages) == 1:
        await interaction.edit_original_response(content=None, embed=pages[0])
        return
    language = member_language(interaction)
    await PageView(pages, interaction.user.id, timeout=buttons_for, language=language).start(interaction)


async def answer_stale_component(interaction: discord.Interaction) -> None:
    """Answers, privately, a component interaction that no live view owns: buttons from before a
    restart, buttons that timed out, or a custom_id the bot never made."""
    if interaction.type is not discord.InteractionType.component:
        return
    if owner_of(interaction) is not None:
        return
    custom_id = (custom_id_of(interaction) or "")[:100]
    try:
        await interaction.response.send_message(
            member_language(interaction).t(EXPIRED_BUTTONS), ephemeral=True
        )
    except discord.InteractionResponded:
        return
    except discord.HTTPException as error:
        if is_expired(error):
            log.info(
                "A click on expired buttons (custom_id %r) expired before the bot answered it", custom_id
            )
        else:
            log.warning("Could not answer a click on expired buttons: %s %s", error.status, error.text)
        return
    log.info("Answered a click on expired buttons (custom_id %r)", custom_id)


def custom_id_of(interaction: discord.Interaction) -> str | None:
    """The custom_id of the component clicked (None for other interactions)."""
    if interaction.type is not discord.InteractionType.component:
        return None
    data: Mapping[str, object] = interaction.data or {}
    value = data.get("custom_id")
    return value if isinstance(value, str) else None


def install_stale_button_handler(bot: commands.Bot | commands.AutoShardedBot) -> None:
    """Makes `bot` answer every component interaction that no live view owns (idempotent)."""
    if answer_stale_component not in bot.extra_events.get("on_interaction", []):
        bot.add_listener(answer_stale_component, "on_interaction")
