"""The bot: opens the RetroAchievements client and storage, loads the cogs, registers the commands."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from typing import TYPE_CHECKING, Any

import discord
import yarl
from aiohttp import web
from discord import app_commands
from discord.ext import commands

from bot.command_sync import sync_commands
from bot.config import Settings
from bot.engines import open_ra_client
from bot.error_handler import command_name, install_log_filters, on_app_command_error
from bot.metrics import Metrics
from bot.metrics import serve as serve_metrics
from bot.ra.client import RAClient
from bot.secret import reveal
from bot.storage import Storage, open_storage
from bot.tree import BotTree
from bot.views import install_stale_button_handler

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

EXTENSIONS = ("cogs.progress", "cogs.community")


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
        self.draining = False
        self._in_flight: set[asyncio.Task[Any]] = set()
        self._metrics_runner: web.AppRunner | None = None
        self._redis: Redis | None = None
        self.tree.error(self._on_command_error)
        install_log_filters()

    def track(self, interaction: discord.Interaction[ProgressBot]) -> None:
        """Counts the command's task as in flight until it ends, and times it."""
        task = asyncio.current_task()
        if task is None:
            return
        interaction.extras["started"] = time.perf_counter()
        self._in_flight.add(task)
        self.metrics.in_flight.inc()

        def done(finished: asyncio.Task[Any]) -> None:
            self._in_flight.discard(finished)
            self.metrics.in_flight.dec()

        task.add_done_callback(done)

    def finished(self, interaction: discord.Interaction[ProgressBot], outcome: str) -> None:
        started = interaction.extras.get("started")
        seconds = time.perf_counter() - started if isinstance(started, float) else 0.0
        self.metrics.command_finished(command_name(interaction), outcome, seconds)

    async def _on_command_error(
        self, interaction: discord.Interaction[ProgressBot], error: app_commands.AppCommandError
    ) -> None:
        self.finished(interaction, await on_app_command_error(interaction, error))

    async def on_app_command_completion(
        self, interaction: discord.Interaction[ProgressBot], command: object
    ) -> None:
        self.finished(interaction, "ok")

    async def shutdown(self) -> None:
        """Stops taking new commands, lets those in flight finish (bounded), then closes everything."""
        if self.draining:
            return
        self.draining = True
        pending = {task for task in self._in_flight if task is not asyncio.current_task()}
        log.info("Shutting down: waiting for %d command(s) in flight", len(pending))
        if pending:
            _, late = await asyncio.wait(pending, timeout=self.settings.shutdown_grace_seconds)
            if late:
                log.warning("%d command(s) did not finish within the grace period", len(late))
        await self.close()

    async def setup_hook(self) -> None:
        if self.settings.metrics_port is not None:
            self._metrics_runner = await serve_metrics(
                self.metrics, self.settings.metrics_host, self.settings.metrics_port
            )
        self.ra, self._redis = await open_ra_client(self.settings, self.metrics)
        self.storage = open_storage(self.settings.sqlite_path, reveal(self.settings.database_url))
        await self.storage.open()
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        install_stale_button_handler(self)
        await sync_commands(self)

    async def close(self) -> None:
        """Disconnects from Discord first, so that nothing arrives for the engines closed after it."""
        try:
            await super().close()
        finally:
            if hasattr(self, "ra"):
                await self.ra.close()
            if self._redis is not None:
                await self._redis.aclose()
            if hasattr(self, "storage"):
                await self.storage.close()
            if self._metrics_runner is not None:
                await self._metrics_runner.cleanup()


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
