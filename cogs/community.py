"""Linked accounts and what communities do with them: /link, /unlink, /compare, /leaderboard."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import ProgressBot
from bot.cooldown import MemberCooldown
from bot.deferral import DeferIfSlow
from bot.errors import InvalidInput
from bot.i18n.interactions import member_language
from bot.i18n.language import N_, Language, command, msg
from bot.input import MIN_PLAYERS, quote, wrong_player_count
from bot.render.compare import render_comparison
from bot.render.games import unknown_game_message
from bot.render.leaderboard import render_leaderboard
from bot.render.style import EMBED_COLOUR
from bot.reports.gather import gather_comparison, gather_leaderboard
from bot.transformers import GameList, OneGame, Player, PlayerList
from bot.views import show_pages

log = logging.getLogger(__name__)

MAX_COMPARE_GAMES = 10
LEADERBOARD_CONCURRENCY = 8
PROGRESS_EDIT_SECONDS = 2.0
NOT_IN_THIS_SERVER = N_(
    "`/{leaderboard}` ranks the members of a server, and the bot is not in this one: you are using it "
    "from your own account. Ask an admin to add the bot to this server with its invite link."
)

ONE_PLAYER = wrong_player_count(1)
ONE_PLAYER_UNLINKED = msg(
    "{needs} To compare yourself with one player, link your account with `/{link}` first.",
    needs=ONE_PLAYER,
    link=command("link"),
)

everywhere = app_commands.allowed_installs(guilds=True, users=True)
in_any_chat = app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)


class Community(commands.Cog):
    def __init__(self, bot: ProgressBot) -> None:
        self.bot = bot
        self.cooldown = MemberCooldown(bot.settings.progress_cooldown_seconds)

    @app_commands.command(
        name="link", description="Link your Discord account to your RetroAchievements account"
    )
    @app_commands.describe(username="Your RetroAchievements user name")
    @everywhere
    @in_any_chat
    async def link(
        self, interaction: discord.Interaction[ProgressBot], username: app_commands.Transform[str, Player]
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        profile = await self.bot.ra.get_user_profile(username)
        if profile.ulid is None:
            raise InvalidInput(
                msg(
                    "RetroAchievements did not say which account {name} is; try again later.",
                    name=quote(username),
                )
            )
        server = interaction.guild_id if interaction.is_guild_integration() else None
        await self.bot.storage.link(interaction.user.id, profile.ulid, profile.user, server)
        language = member_language(interaction)
        embed = discord.Embed(
            title=language.t("Linked to {name}", name=profile.user),
            url=profile.url,
            description=language.t(
                "`/{progress}` and `/{compare}` now suggest this account first, and you appear on this "
                "server's `/{leaderboard}`. Use `/{unlink}` to remove everything the bot keeps about you.",
                **commands_named(language, "progress", "compare", "leaderboard", "unlink"),
            ),
            colour=EMBED_COLOUR,
        )
        if profile.avatar_url:
            embed.set_thumbnail(url=profile.avatar_url)
        await interaction.edit_original_response(embed=embed)

    @app_commands.command(name="unlink", description="Delete everything the bot stores about you")
    @everywhere
    @in_any_chat
    async def unlink(self, interaction: discord.Interaction[ProgressBot]) -> None:
        member_id = interaction.user.id
        async with DeferIfSlow(interaction, ephemeral=True) as answer:
            await self.bot.background.settle(member_id)  # what this very command recorded is deleted too
            had_link = await self.bot.storage.get_link(member_id) is not None
            await self.bot.storage.unlink(member_id)
            language = member_language(interaction)
            await answer.send(
                language.t(
                    "Done: your linked RetroAchievements account and your place on every server's board "
                    "are deleted. The bot stores nothing about you now."
                )
                if had_link
                else language.t("You had no linked account, and the bot stores nothing about you.")
            )

    @app_commands.command(name="compare", description="Compare players side by side on games")
    @app_commands.describe(
        games="Game IDs, links or titles, separated by commas; quote a title that has commas (up to 10)",
        users="2 to 10 RetroAchievements names, separated by commas or spaces (just one: you and them)",
    )
    @everywhere
    @in_any_chat
    async def compare(
        self,
        interaction: discord.Interaction[ProgressBot],
        games: app_commands.Transform[list[int], GameList(MAX_COMPARE_GAMES)],
        users: app_commands.Transform[list[str], PlayerList],
    ) -> None:
        if len(users) < MIN_PLAYERS:
            users = await self._with_own_account(interaction, users)
        self.cooldown.use(interaction.user.id)
        if not interaction.response.is_done():
            await interaction.response.defer(thinking=True)
        comparison = await gather_comparison(self.bot.ra, users, games, game_source=self.bot.catalogue)
        if not comparison.players:
            raise InvalidInput(
                msg(
                    "None of those names exist on RetroAchievements: {names}.",
                    names=", ".join(quote(n) for n in users),
                )
            )
        for profile in comparison.players:
            if profile.ulid:
                self.bot.background.spawn(self.bot.storage.refresh_name(profile.ulid, profile.user))
        pages = render_comparison(comparison, member_language(interaction))
        await show_pages(interaction, pages, buttons_for=self.bot.settings.paginator_timeout_seconds)

    async def _with_own_account(
        self, interaction: discord.Interaction[ProgressBot], users: list[str]
    ) -> list[str]:
        """The member's linked account (by ULID) ahead of the one name given, or a private refusal."""
        async with DeferIfSlow(interaction, ephemeral=False):
            link = await self.bot.storage.get_link(interaction.user.id)
        if link is None:
            raise InvalidInput(ONE_PLAYER_UNLINKED)
        if users[0].lower() in (link.ra_name.lower(), link.ra_ulid.lower()):
            raise InvalidInput(ONE_PLAYER)
        return [link.ra_ulid, *users]

    @app_commands.command(name="leaderboard", description="Rank this server's linked members on one game")
    @app_commands.describe(game="A game ID, game page link or title")
    @everywhere
    @app_commands.allowed_contexts(guilds=True, dms=False, private_channels=False)
    async def leaderboard(
        self, interaction: discord.Interaction[ProgressBot], game: app_commands.Transform[int, OneGame]
    ) -> None:
        if interaction.guild_id is None:
            raise InvalidInput(
                msg(
                    "`/{leaderboard}` ranks the members of a server, so it only works in a server.",
                    leaderboard=command("leaderboard"),
                )
            )
        if not interaction.is_guild_integration():
            raise InvalidInput(msg(NOT_IN_THIS_SERVER, leaderboard=command("leaderboard")))
        self.cooldown.use(interaction.user.id)
        async with DeferIfSlow(interaction, ephemeral=False):
            await self.bot.background.settle_all()  # members who used the bot a moment ago are on the board
            links = await self.bot.storage.guild_links(interaction.guild_id)
            if links and await self.bot.catalogue.get_game(game) is None:
                raise InvalidInput(unknown_game_message(game))
        if not links:
            raise InvalidInput(
                msg(
                    "Nobody on this server has linked a RetroAchievements account yet. "
                    "Use `/{link}` with your RetroAchievements name to join the board.",
                    link=command("link"),
                )
            )
        if not interaction.response.is_done():
            await interaction.response.defer(thinking=True)
        reporter = ProgressReporter(interaction, len(links))
        try:
            board = await gather_leaderboard(
                self.bot.ra,
                links,
                game,
                concurrency=LEADERBOARD_CONCURRENCY,
                max_age=self.bot.settings.cache_leaderboard_seconds,
                on_progress=reporter.update,
                game_source=self.bot.catalogue,
            )
        finally:
            await reporter.stop()
        language = member_language(interaction)
        guild = interaction.guild
        server = guild.name if guild and guild.name else language.t("Server")
        pages = render_leaderboard(board, server, interaction.user.id, language)
        await show_pages(interaction, pages, buttons_for=self.bot.settings.paginator_timeout_seconds)


def commands_named(language: Language, *names: str) -> dict[str, str]:
    """Slash commands' names as the language's members see them, by their English names."""
    return {name: language.render(command(name)) for name in names}


class ProgressReporter:
    """Edits the deferred answer with "checking N of M members" while a long leaderboard is gathered."""

    def __init__(self, interaction: discord.Interaction[ProgressBot], total: int) -> None:
        self.interaction = interaction
        self.language = member_language(interaction)
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
                    content=self.language.tn(
                        "Checking {done} of {n} member on RetroAchievements…",
                        "Checking {done} of {n} members on RetroAchievements…",
                        self.total,
                        done=self.done,
                    )
                )
            except discord.HTTPException as error:
                log.info("Could not show leaderboard progress: %s", error.status)

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


async def setup(bot: ProgressBot) -> None:
    await bot.add_cog(Community(bot))
