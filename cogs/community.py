"""Linked accounts and what communities do with them: /link, /unlink, /compare, /leaderboard."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import ProgressBot
from bot.cooldown import MemberCooldown
from bot.errors import InvalidInput
from bot.gather import gather_comparison, gather_leaderboard
from bot.input import parse_game_ids, parse_username, quote
from bot.render.compare import render_comparison
from bot.render.leaderboard import render_leaderboard
from bot.render.style import EMBED_COLOUR
from bot.suggest import suggest_name_list
from bot.views import choices, show_pages

log = logging.getLogger(__name__)

MIN_PLAYERS = 2
MAX_PLAYERS = 10
MAX_COMPARE_GAMES = 10
LEADERBOARD_CONCURRENCY = 8
PROGRESS_EDIT_SECONDS = 2.0


def parse_usernames(raw: str) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    for part in re.split(r"[\s,;]+", raw.strip()):
        if part:
            name = parse_username(part)
            if name.lower() not in seen:
                seen.add(name.lower())
                names.append(name)
    if not MIN_PLAYERS <= len(names) <= MAX_PLAYERS:
        raise InvalidInput(
            f"`/compare` needs {MIN_PLAYERS} to {MAX_PLAYERS} different RetroAchievements names, "
            f"separated by commas or spaces; you gave {len(names)}."
        )
    return names


class Community(commands.Cog):
    def __init__(self, bot: ProgressBot) -> None:
        self.bot = bot
        self.cooldown = MemberCooldown(bot.settings.progress_cooldown_seconds)

    @app_commands.command(
        name="link", description="Link your Discord account to your RetroAchievements account"
    )
    @app_commands.describe(username="Your RetroAchievements user name")
    async def link(self, interaction: discord.Interaction, username: str) -> None:
        name = parse_username(username)
        await interaction.response.defer(ephemeral=True, thinking=True)
        profile = await self.bot.ra.get_user_profile(name)
        if profile.ulid is None:
            raise InvalidInput(
                f"RetroAchievements did not say which account {quote(name)} is; try again later."
            )
        await self.bot.storage.link(interaction.user.id, profile.ulid, profile.user, interaction.guild_id)
        embed = discord.Embed(
            title=f"Linked to {profile.user}",
            url=profile.url,
            description=(
                "`/progress` and `/compare` now suggest this account first, and you appear on this "
                "server's `/leaderboard`. Use `/unlink` to remove everything the bot keeps about you."
            ),
            colour=EMBED_COLOUR,
        )
        if profile.avatar_url:
            embed.set_thumbnail(url=profile.avatar_url)
        await interaction.edit_original_response(embed=embed)

    @app_commands.command(name="unlink", description="Delete everything the bot stores about you")
    async def unlink(self, interaction: discord.Interaction) -> None:
        # This very command just put the member on this server's board, so only a link tells them apart.
        had_link = await self.bot.storage.get_link(interaction.user.id) is not None
        await self.bot.storage.unlink(interaction.user.id)
        message = (
            "Done: your linked RetroAchievements account and your place on every server's board are deleted. "
            "The bot stores nothing about you now."
            if had_link
            else "You had no linked account, and the bot stores nothing about you."
        )
        await interaction.response.send_message(message, ephemeral=True)

    @app_commands.command(name="compare", description="Compare players side by side on games")
    @app_commands.describe(
        games="Game IDs or game page links, separated by commas or spaces (up to 10)",
        users="2 to 10 RetroAchievements names, separated by commas or spaces",
    )
    async def compare(self, interaction: discord.Interaction, games: str, users: str) -> None:
        game_ids = parse_game_ids(games, MAX_COMPARE_GAMES)
        names = parse_usernames(users)
        self.cooldown.use(interaction.user.id)
        await interaction.response.defer(thinking=True)
        comparison = await gather_comparison(self.bot.ra, names, game_ids)
        if not comparison.players:
            raise InvalidInput(
                "None of those names exist on RetroAchievements: " + ", ".join(quote(n) for n in names) + "."
            )
        for profile in comparison.players:
            if profile.ulid:
                await self.bot.storage.refresh_name(profile.ulid, profile.user)
        await show_pages(
            interaction,
            render_comparison(comparison),
            buttons_for=self.bot.settings.paginator_timeout_seconds,
        )

    @app_commands.command(name="leaderboard", description="Rank this server's linked members on one game")
    @app_commands.guild_only()
    @app_commands.describe(game="A game ID or game page link")
    async def leaderboard(self, interaction: discord.Interaction, game: str) -> None:
        if interaction.guild_id is None:
            raise InvalidInput("`/leaderboard` ranks the members of a server, so it only works in a server.")
        game_ids = parse_game_ids(game, 1)
        self.cooldown.use(interaction.user.id)
        links = await self.bot.storage.guild_links(interaction.guild_id)
        if not links:
            raise InvalidInput(
                "Nobody on this server has linked a RetroAchievements account yet. "
                "Use `/link` with your RetroAchievements name to join the board."
            )
        await interaction.response.defer(thinking=True)
        reporter = ProgressReporter(interaction, len(links))
        try:
            board = await gather_leaderboard(
                self.bot.ra,
                links,
                game_ids[0],
                concurrency=LEADERBOARD_CONCURRENCY,
                max_age=self.bot.settings.cache_leaderboard_seconds,
                on_progress=reporter.update,
            )
        finally:
            await reporter.stop()
        server = interaction.guild.name if interaction.guild and interaction.guild.name else "Server"
        pages = render_leaderboard(board, server, interaction.user.id)
        await show_pages(interaction, pages, buttons_for=self.bot.settings.paginator_timeout_seconds)

    @compare.autocomplete("users")
    async def users_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return choices(
            await suggest_name_list(self.bot.storage, interaction.user.id, interaction.guild_id, current)
        )


class ProgressReporter:
    """Edits the deferred answer with "checking N of M members" while a long leaderboard is gathered."""

    def __init__(self, interaction: discord.Interaction, total: int) -> None:
        self.interaction = interaction
        self.total = total
        self.done = 0
        self._task = asyncio.create_task(self._run())

    def update(self, done: int, total: int) -> None:
        self.done = done

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(PROGRESS_EDIT_SECONDS)
            try:
                await self.interaction.edit_original_response(
                    content=f"Checking {self.done} of {self.total} members on RetroAchievements…"
                )
            except discord.HTTPException as error:
                log.info("Could not show leaderboard progress: %s", error.status)

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


async def setup(bot: ProgressBot) -> None:
    await bot.add_cog(Community(bot))
