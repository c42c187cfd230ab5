"""/progress: one player's softcore and hardcore progress on a list of games."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import ProgressBot
from bot.cooldown import MemberCooldown
from bot.gather import gather_progress_report
from bot.input import parse_game_ids, parse_username
from bot.render.progress import render_progress
from bot.suggest import suggest_names
from bot.views import choices, show_pages


class Progress(commands.Cog):
    def __init__(self, bot: ProgressBot) -> None:
        self.bot = bot
        self.cooldown = MemberCooldown(bot.settings.progress_cooldown_seconds)

    @app_commands.command(
        name="progress", description="Show a player's softcore and hardcore progress on games"
    )
    @app_commands.describe(
        user="RetroAchievements user name, for example MaxMilyin",
        games="Game IDs or game page links, separated by commas or spaces (up to 50)",
    )
    async def progress(self, interaction: discord.Interaction, user: str, games: str) -> None:
        username = parse_username(user)
        game_ids = parse_game_ids(games, self.bot.settings.max_games)
        self.cooldown.use(interaction.user.id)
        await interaction.response.defer(thinking=True)
        report = await gather_progress_report(self.bot.ra, username, game_ids)
        if report.profile.ulid:
            await self.bot.storage.refresh_name(report.profile.ulid, report.profile.user)
        await show_pages(
            interaction, render_progress(report), buttons_for=self.bot.settings.paginator_timeout_seconds
        )

    @progress.autocomplete("user")
    async def user_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        storage = self.bot.storage
        return choices(await suggest_names(storage, interaction.user.id, interaction.guild_id, current))


async def setup(bot: ProgressBot) -> None:
    await bot.add_cog(Progress(bot))
