"""The bot: opens the RetroAchievements client and storage, loads the cogs, registers the commands."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Any, cast

import discord
import yarl
from discord.ext import commands

from bot.background import BackgroundWrites
from bot.command_sync import sync_commands
from bot.config import Settings
from bot.engines import open_ra_client
from bot.error_handler import install_log_filters
from bot.metrics import Metrics
from bot.metrics import serve as serve_metrics
from bot.ra.client import RAClient
from bot.secret import reveal
from bot.storage import Storage, open_storage
from bot.tree import BotTree

log = logging.getLogger(__name__)

EXTENSIONS = ("cogs.progress", "cogs.community", "cogs.feed")


class ProgressBot(commands.AutoShardedBot):
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
            tree_cls=BotTree,
            **shard_options(settings),
        )
        self.settings = settings
        self.metrics = Metrics()
        self.background = BackgroundWrites()
        self.draining = False
        self._resources = contextlib.AsyncExitStack()
        install_log_filters()

    async def shutdown(self) -> None:
        """Stops taking new commands, lets those in flight finish (bounded), then closes everything."""
        if self.draining:
            return
        self.draining = True
        pending = {task for task in cast(BotTree, self.tree).in_flight if task is not asyncio.current_task()}
        log.info("Shutting down: waiting for %d command(s) in flight", len(pending))
        if pending:
            _, late = await asyncio.wait(pending, timeout=self.settings.shutdown_grace_seconds)
            if late:
                log.warning("%d command(s) did not finish within the grace period", len(late))
        await self.close()

    async def setup_hook(self) -> None:
        """Opens the engines; each is closed by `close()`, in the reverse order, even if a later one fails."""
        settings, resources = self.settings, self._resources
        if settings.metrics_port is not None:
            runner = await serve_metrics(self.metrics, settings.metrics_host, settings.metrics_port)
            resources.push_async_callback(runner.cleanup)
        self.ra, redis = await open_ra_client(settings, self.metrics)
        if redis is not None:
            resources.push_async_callback(redis.aclose)
        resources.push_async_callback(self.ra.close)
        self.storage = open_storage(settings.sqlite_path, reveal(settings.database_url))
        resources.push_async_callback(self.storage.close)
        await self.storage.open()
        resources.push_async_callback(self.background.aclose, settings.shutdown_grace_seconds)
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        await sync_commands(self)

    async def close(self) -> None:
        """Disconnects from Discord first, so that nothing arrives for the engines closed after it."""
        try:
            await super().close()
        finally:
            await self._resources.aclose()


def shard_options(settings: Settings) -> dict[str, Any]:
    """All shards in this process by default (Discord's recommended count), or the ones configured."""
    options: dict[str, Any] = {"shard_count": settings.shard_count}
    if settings.shard_ids is not None:
        options["shard_ids"] = list(settings.shard_ids)
    return options


def point_at_discord(settings: Settings) -> None:
    """Sends REST and gateway traffic to another Discord (the offline fake) when settings say so."""
    if settings.discord_api_url:
        discord.http.Route.BASE = settings.discord_api_url
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


def create_bot(settings: Settings, *, guild_ready_timeout: float = 2.0) -> ProgressBot:
    point_at_discord(settings)
    return ProgressBot(settings, guild_ready_timeout=guild_ready_timeout)


async def run_bot(
    settings: Settings, bot: ProgressBot | None = None, *, handle_signals: bool = False
) -> None:
    """Logs in, connects and serves until closed. The bot is created here unless one is given.

    With `handle_signals`, SIGTERM and SIGINT shut the bot down gracefully (see ProgressBot.shutdown).
    """
    bot = bot or create_bot(settings)
    if handle_signals:
        loop = asyncio.get_running_loop()
        for signal_number in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signal_number, lambda: asyncio.ensure_future(bot.shutdown()))
    async with bot:
        await bot.start(settings.discord_token.reveal())
