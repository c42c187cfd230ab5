"""The bot: opens the RetroAchievements client and storage, loads the cogs, registers the commands."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from typing import Any, cast

import discord
import yarl
from discord.ext import commands

from bot.background import BackgroundWrites
from bot.catalogue.refresh import CatalogueRefresher
from bot.catalogue.service import Catalogue
from bot.command_sync import sync_commands
from bot.config import Settings
from bot.engines import open_ra_client
from bot.error_handler import install_log_filters
from bot.game_suggestions import GameSuggestionSource
from bot.health import expected_shards, readiness_problems, refresh_gauges
from bot.i18n.catalogues import load_all as load_translations
from bot.i18n.commands import CommandTranslator
from bot.metrics import Metrics
from bot.metrics import serve as serve_metrics
from bot.ra.client import RAClient
from bot.ra.models import UserProfile
from bot.ra_probe import probe_ra
from bot.recently_played import recently_played_source
from bot.secret import reveal
from bot.startup import install_gateway_log_filter, wait_for_gateway, wait_for_services
from bot.storage import GuardedStorage, open_storage
from bot.tree import BotTree
from bot.views import answer_if_stale

log = logging.getLogger(__name__)

EXTENSIONS = ("cogs.progress", "cogs.community", "cogs.feed")


class ProgressBot(commands.AutoShardedBot):
    """A slash-command-only bot: no prefix commands and no privileged intents."""

    ra: RAClient
    storage: GuardedStorage
    catalogue: Catalogue
    catalogue_refresher: CatalogueRefresher

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
        # What autocomplete fetches for a later keystroke: apart, so that /leaderboard's settle_all (which
        # waits for memberships) never waits on RetroAchievements.
        self.suggestion_fetches = BackgroundWrites(what="autocomplete fetches")
        # Where games options' autocomplete looks, in order (see bot.game_suggestions).
        self.game_suggestion_sources: list[GameSuggestionSource] = []
        self.draining = False
        self._resources = contextlib.AsyncExitStack()
        # `python -m bot --sync-commands` logs in only to register the commands itself, forced.
        self.only_sync_commands = False
        self.ra_key_check: asyncio.Task[None] | None = None
        self._metrics_served = False
        self._start_frozen = False
        install_log_filters()
        install_gateway_log_filter()

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

    async def serve_metrics(self) -> None:
        """Serves /metrics, /healthz and /readyz on METRICS_PORT, from before login until close."""
        if self.settings.metrics_port is None or self._metrics_served:
            return
        runner = await serve_metrics(
            self.metrics,
            self.settings.metrics_host,
            self.settings.metrics_port,
            readiness=lambda: readiness_problems(self),
            refresh=lambda: refresh_gauges(self),
        )
        self._metrics_served = True
        self._resources.push_async_callback(runner.cleanup)

    def dispatch(self, event_name: str, /, *args: Any, **kwargs: Any) -> None:
        # Clicks no live view owns are answered from here rather than by an `on_interaction` listener,
        # which would cost every command a task of its own.
        if event_name == "interaction" and args and isinstance(args[0], discord.Interaction):
            answer_if_stale(args[0])
        super().dispatch(event_name, *args, **kwargs)

    def follow_renames(self, *profiles: UserProfile) -> None:
        """Stores the current name of each linked account shown, in the background, unless known already."""
        for profile in profiles:
            if profile.ulid and not self.storage.name_known(profile.ulid, profile.user):
                self.background.spawn(self.storage.refresh_name(profile.ulid, profile.user))

    async def _check_ra_key(self) -> None:
        """One cheap RetroAchievements call after start: a refused key is an ERROR naming RA_API_KEY."""
        await self.ra.wait_for_slot()
        result = await probe_ra(self.settings)
        if result.key_refused:
            log.error("%s Until then members are told to ask the server's admins.", result.detail)
        elif not result.reached:
            log.warning("Could not check RA_API_KEY at start: %s", result.detail)
        else:
            log.info("RetroAchievements accepts RA_API_KEY")

    async def gateway_url(self) -> str:
        """Where the shards will connect: the URL Discord recommends, or the configured gateway."""
        if self.shard_count is None:
            _, url, _ = await self.http.get_bot_gateway()
            return url
        return str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)

    async def launch_shard(self, gateway: yarl.URL, shard_id: int, *, initial: bool = False) -> None:
        # discord.py retries a failed shard connection forever, even once the bot is closing.
        if not self.is_closed():
            await super().launch_shard(gateway, shard_id, initial=initial)

    async def on_ready(self) -> None:
        # Everything built at start lives until the end: out of the collector's sight, it is not
        # walked again at every full collection while commands run. Once: discord.py is ready again
        # after a new session, when what is alive is no longer start-up objects.
        if not self._start_frozen:
            self._start_frozen = True
            gc.collect()
            gc.freeze()
        shards = ",".join(map(str, expected_shards(self)))
        log.info(
            "Ready as %s in %d servers, shards %s of %s",
            self.user,
            len(self.guilds),
            shards,
            self.shard_count,
        )

    async def setup_hook(self) -> None:
        """Opens the engines; each is closed by `close()`, in the reverse order, even if a later one fails."""
        settings, resources = self.settings, self._resources
        self.ra, redis = await open_ra_client(settings, self.metrics)
        if redis is not None:
            resources.push_async_callback(redis.aclose)
        resources.push_async_callback(self.ra.close)
        self.storage = open_storage(
            settings.sqlite_path, reveal(settings.database_url), timeout=settings.storage_timeout_seconds
        )
        resources.push_async_callback(self.storage.close)
        await self.storage.open()
        resources.push_async_callback(self.background.aclose, settings.shutdown_grace_seconds)
        resources.push_async_callback(self.suggestion_fetches.cancel_all)
        self.catalogue = Catalogue(self.storage, self.ra, self.background)
        self.game_suggestion_sources.append(
            recently_played_source(self.ra, self.storage, self.suggestion_fetches.spawn)
        )
        self.game_suggestion_sources.append(self.catalogue.suggest)
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        load_translations()
        await self.tree.set_translator(CommandTranslator())
        if self.only_sync_commands:
            return
        self.catalogue_refresher = CatalogueRefresher(
            self.catalogue, self.storage, self.ra, refresh_hours=settings.catalogue_refresh_hours
        )
        await self.catalogue_refresher.start()
        resources.push_async_callback(self.catalogue_refresher.close)
        await sync_commands(self)
        self.ra_key_check = asyncio.create_task(self._check_ra_key())
        resources.callback(self.ra_key_check.cancel)

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

    Metrics and health checks are served first; then the bot waits for the services it needs (see
    `bot.startup`), raising StartupFailure if one stays unreachable for STARTUP_RETRY_SECONDS.
    With `handle_signals`, SIGTERM and SIGINT shut the bot down gracefully (see ProgressBot.shutdown).
    """
    bot = bot or create_bot(settings)
    if handle_signals:
        loop = asyncio.get_running_loop()
        for signal_number in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signal_number, lambda: asyncio.ensure_future(bot.shutdown()))
    async with bot:
        await bot.serve_metrics()
        if not await wait_for_services(settings, stopped=bot.is_closed):
            return
        await bot.login(settings.discord_token.reveal())
        if not await wait_for_gateway(await bot.gateway_url(), settings, stopped=bot.is_closed):
            return
        await bot.connect()
