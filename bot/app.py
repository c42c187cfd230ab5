"""The bot: opens the RetroAchievements client and storage, loads the cogs, registers the commands."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import discord
import yarl
from discord import app_commands
from discord.ext import commands

from bot import __version__
from bot.config import Settings
from bot.error_handler import on_app_command_error
from bot.ra.client import RAClient, RAClientOptions
from bot.storage import Storage, StorageError, open_storage

log = logging.getLogger(__name__)

EXTENSIONS = ("cogs.progress", "cogs.community")
USER_AGENT = f"RAProgressBot/{__version__} (Discord bot; python-aiohttp)"


class MemberTrackingTree(app_commands.CommandTree["ProgressBot"]):
    """Puts a member on a server's board when they use any command there.

    Recorded before the command runs, so that `/unlink` deletes what this call recorded.
    """

    async def interaction_check(self, interaction: discord.Interaction[ProgressBot], /) -> bool:
        if (
            interaction.guild_id is not None
            and interaction.type is discord.InteractionType.application_command
        ):
            try:
                await self.client.storage.record_member(interaction.guild_id, interaction.user.id)
            except StorageError:
                log.exception("Could not record that member %s used the bot", interaction.user.id)
        return True


class ProgressBot(commands.Bot):
    """A slash-command-only bot: no prefix commands and no privileged intents."""

    ra: RAClient
    storage: Storage

    def __init__(self, settings: Settings, *, guild_ready_timeout: float = 2.0) -> None:
        # A text-only bot: discord.py's warnings about missing voice libraries would only confuse operators.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        intents = discord.Intents.none()
        intents.guilds = True  # not privileged; gives server names and keeps discord.py's state consistent
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=guild_ready_timeout,
            tree_cls=MemberTrackingTree,
        )
        self.settings = settings
        self.tree.error(on_app_command_error)

    async def setup_hook(self) -> None:
        self.ra = RAClient(ra_options(self.settings))
        self.storage = open_storage(self.settings.sqlite_path)
        await self.storage.open()
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        await sync_commands(self)

    async def close(self) -> None:
        try:
            if hasattr(self, "ra"):
                await self.ra.close()
            if hasattr(self, "storage"):
                await self.storage.close()
        finally:
            await super().close()


def ra_options(settings: Settings) -> RAClientOptions:
    return RAClientOptions(
        base_url=settings.ra_base_url,
        api_key=settings.ra_api_key,
        username=settings.ra_username,
        timeout_seconds=settings.ra_timeout_seconds,
        max_retries=settings.ra_max_retries,
        requests_per_second=settings.ra_requests_per_second,
        burst=settings.ra_burst,
        ids_per_request=settings.ra_ids_per_request,
        cache_game_seconds=settings.cache_game_seconds,
        cache_profile_seconds=settings.cache_profile_seconds,
        cache_progress_seconds=settings.cache_progress_seconds,
        user_agent=USER_AGENT,
    )


async def sync_commands(bot: ProgressBot) -> None:
    """Registers the commands with Discord, only when they differ from what was last registered."""
    guild = discord.Object(bot.settings.discord_guild_id) if bot.settings.discord_guild_id else None
    if guild is not None:
        bot.tree.copy_global_to(guild=guild)
    payload = [command.to_dict(bot.tree) for command in bot.tree.get_commands(guild=guild)]
    scope = f"guild:{guild.id}" if guild else "global"
    key = f"commands:{bot.application_id}:{scope}"
    digest = _digest(payload)
    if await bot.storage.get_meta(key) == digest:
        log.info("Slash commands unchanged (%s); not registering them again", scope)
        return
    synced = await bot.tree.sync(guild=guild)
    await bot.storage.set_meta(key, digest)
    log.info("Registered %d slash commands (%s)", len(synced), scope)


def _digest(payload: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def point_at_discord(settings: Settings) -> None:
    """Sends REST and gateway traffic to another Discord (the offline fake) when settings say so."""
    if settings.discord_api_url:
        discord.http.Route.BASE = settings.discord_api_url
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


def create_bot(settings: Settings, *, guild_ready_timeout: float = 2.0) -> ProgressBot:
    point_at_discord(settings)
    return ProgressBot(settings, guild_ready_timeout=guild_ready_timeout)


async def run_bot(settings: Settings, bot: ProgressBot | None = None) -> None:
    """Logs in, connects and serves until closed. The bot is created here unless one is given."""
    bot = bot or create_bot(settings)
    async with bot:
        await bot.start(settings.discord_token.reveal())
