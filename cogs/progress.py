"""/progress: one player's softcore and hardcore progress on a list of games."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import ProgressBot
from bot.cooldown import MemberCooldown
from bot.render.progress import render_progress
from bot.reports.gather import gather_progress_report
from bot.transformers import GameList, Player
from bot.views import show_pages


class Progress(commands.Cog):
    def __init__(self, bot: ProgressBot) -> None:
        self.bot = bot
        self.cooldown = MemberCooldown(bot.settings.progress_cooldown_seconds)

    @app_commands.command(
        name="progress", description="Show a player's softcore and hardcore progress on games"
    )
    @app_commands.describe(
        user="RetroAchievements user name, for example MaxMilyin",
        games="Game IDs, links or titles, separated by commas; quote a title that has commas (up to 50)",
    )
    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    async def progress(
        self,
        interaction: discord.Interaction[ProgressBot],
        user: app_commands.Transform[str, Player],
        games: app_commands.Transform[list[int], GameList],
    ) -> None:
        self.cooldown.use(interaction.user.id)
        await interaction.response.defer(thinking=True)
        report = await gather_progress_report(self.bot.ra, user, games, game_source=self.bot.catalogue)
        if report.profile.ulid:
            self.bot.background.spawn(self.bot.storage.refresh_name(report.profile.ulid, report.profile.user))
        pages = render_progress(report)
        await show_pages(interaction, pages, buttons_for=self.bot.settings.paginator_timeout_seconds)


async def setup(bot: ProgressBot) -> None:
    await bot.add_cog(Progress(bot))
