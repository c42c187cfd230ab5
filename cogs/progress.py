"""/progress: one player's softcore and hardcore progress on a list of games."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import ProgressBot
from bot.cooldown import MemberCooldown
from bot.deferral import DeferIfSlow
from bot.errors import InvalidInput
from bot.i18n.interactions import member_language
from bot.i18n.language import N_, command, msg, option
from bot.render.progress import render_progress
from bot.reports.gather import gather_progress_report
from bot.reports.player_games import gather_recent_report
from bot.transformers import GameList, Player
from bot.views import show_pages

NOT_LINKED = N_(
    "Whose progress? You have no linked RetroAchievements account: link yours with `/{link}`, or give "
    "a `{user}`."
)


class Progress(commands.Cog):
    def __init__(self, bot: ProgressBot) -> None:
        self.bot = bot
        self.cooldown = MemberCooldown(bot.settings.progress_cooldown_seconds)

    @app_commands.command(
        name="progress",
        description="Show a player's softcore and hardcore progress on games, or on the games played last",
    )
    @app_commands.describe(
        user="RetroAchievements user name, for example MaxMilyin (default: your linked account)",
        games="Game IDs, links or titles, separated by commas; quote a title with commas (none: played last)",
    )
    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    async def progress(
        self,
        interaction: discord.Interaction[ProgressBot],
        user: app_commands.Transform[str, Player] | None = None,
        games: app_commands.Transform[list[int], GameList] | None = None,
    ) -> None:
        player = user if user is not None else await self._own_account(interaction)
        self.cooldown.use(interaction.user.id)
        if not interaction.response.is_done():
            await interaction.response.defer(thinking=True)
        if games is None:
            report = await gather_recent_report(self.bot.ra, player)
            if not report.entries:
                raise InvalidInput(
                    msg("{name} has not played any game on RetroAchievements yet.", name=report.profile.user)
                )
        else:
            report = await gather_progress_report(self.bot.ra, player, games, game_source=self.bot.catalogue)
        if report.profile.ulid:
            self.bot.background.spawn(self.bot.storage.refresh_name(report.profile.ulid, report.profile.user))
        pages = render_progress(report, member_language(interaction))
        await show_pages(interaction, pages, buttons_for=self.bot.settings.paginator_timeout_seconds)

    async def _own_account(self, interaction: discord.Interaction[ProgressBot]) -> str:
        """The member's linked account (by its ULID, which survives renames), or a private refusal."""
        async with DeferIfSlow(interaction, ephemeral=False):
            link = await self.bot.storage.get_link(interaction.user.id)
        if link is None:
            raise InvalidInput(msg(NOT_LINKED, link=command("link"), user=option("user")))
        return link.ra_ulid


async def setup(bot: ProgressBot) -> None:
    await bot.add_cog(Progress(bot))
