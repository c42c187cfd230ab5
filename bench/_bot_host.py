"""Child process of the benchmarks: runs ONE bot, alone in its process, so that its CPU time
(`time.process_time()`) and peak memory (`ru_maxrss`) are its own.

`real` is the project's bot, started through `bot.app.create_bot` + `run_bot` exactly as the sandbox
does. `floor` is discord.py's floor: `FloorBot` below, a minimal `discord.ext.commands.Bot` with the
same `/progress user games` slash command, which defers and then edits the original response with a
fixed embed (rendered once at start-up by the project's renderer from the demo data, so it has the
same size as the real answer), and whose `games` autocomplete answers at once with no choices.
Settings come from the environment, as for the real bot; `.env` is not read.
Speaks `bench._ipc` on stdin/stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import os
import resource
import threading
import time

import discord
from discord import app_commands
from discord.ext import commands

from bench._gc import CollectorPauses
from bench._ipc import JSON, send, serve
from bot.app import ProgressBot, create_bot, point_at_discord, run_bot
from bot.config import Settings, settings_from_mapping
from bot.ra.models import GameInfo, GameProgress, UserProfile
from bot.render.progress import render_progress
from bot.reports import GameEntry, ProgressReport


def fixed_embed() -> discord.Embed:
    """The embed the real bot renders for `/progress user:MaxMilyin games:1,2,3` on the demo data."""
    profile = UserProfile(
        "MaxMilyin", "00003EMFWR7XB8SDPEHB3K56ZQ", "/UserPic/MaxMilyin.png", 1421, 290, 2842
    )
    games = (
        (
            GameInfo(1, "Sonic the Hedgehog", "Genesis/Mega Drive", "/Images/085573.png"),
            (23, 251, 23, 251, 23, 251),
        ),
        (
            GameInfo(2, "Sonic the Hedgehog 2", "Genesis/Mega Drive", "/Images/000002.png"),
            (35, 400, 20, 210, 12, 130),
        ),
        (
            GameInfo(3, "Streets of Rage 2", "Genesis/Mega Drive", "/Images/000003.png"),
            (30, 350, 30, 350, 25, 290),
        ),
    )
    entries = tuple(
        GameEntry(info.game_id, info, GameProgress(info.game_id, *numbers)) for info, numbers in games
    )
    pages = render_progress(ProgressReport(profile, entries))
    return pages[0]


class FloorBot(commands.AutoShardedBot):
    """discord.py's floor: what any bot pays to receive, defer and answer a `/progress` command.

    Auto-sharded like the real bot, so both pay the same gateway machinery.
    """

    def __init__(self, embed: discord.Embed) -> None:
        discord.VoiceClient.warn_nacl = False  # as the real bot: no voice-library warnings
        discord.VoiceClient.warn_dave = False
        intents = discord.Intents.none()
        intents.guilds = True  # as the real bot
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=0.01,
        )

        @self.tree.command(
            name="progress", description="Show a player's softcore and hardcore progress on games"
        )
        @app_commands.describe(user="RetroAchievements user name", games="Game IDs, separated by commas")
        async def progress(interaction: discord.Interaction, user: str, games: str) -> None:
            await interaction.response.defer(thinking=True)
            await interaction.edit_original_response(embed=embed)

        @progress.autocomplete("games")
        async def games_choices(
            interaction: discord.Interaction, current: str
        ) -> list[app_commands.Choice[str]]:
            return []  # the floor of an autocomplete: receive it, answer with no choices

    async def setup_hook(self) -> None:
        await self.tree.sync()


PAUSES = CollectorPauses()


def _stats(bot: commands.AutoShardedBot) -> JSON:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    stats: JSON = {
        "cpu": time.process_time(),
        "maxrss_kb": usage.ru_maxrss,  # Linux: KiB
        "tasks": len(asyncio.all_tasks()),
        "threads": threading.active_count(),
        "gc": PAUSES.snapshot(),
    }
    if isinstance(bot, ProgressBot) and hasattr(bot, "ra"):
        stats["ra"] = bot.ra.stats.snapshot()
    return stats


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=("real", "floor"))
    parser.add_argument("--profile", metavar="FILE", help="cProfile the whole process into FILE (pstats)")
    args = parser.parse_args()
    profiler = cProfile.Profile() if args.profile else None
    if profiler is not None:
        profiler.enable()
    logging.basicConfig(level=logging.WARNING, format=f"{args.kind} %(levelname)s %(name)s: %(message)s")
    settings: Settings = settings_from_mapping(dict(os.environ))
    bot: commands.AutoShardedBot
    if args.kind == "real":
        bot = create_bot(settings, guild_ready_timeout=0.01)
        task = asyncio.create_task(run_bot(settings, bot))
    else:
        point_at_discord(settings)
        bot = FloorBot(fixed_embed())

        async def run_floor() -> None:
            async with bot:
                await bot.start(settings.discord_token.reveal())

        task = asyncio.create_task(run_floor())

    async def handle(request: JSON) -> JSON | None:
        if task.done():
            task.result()  # surfaces why the bot stopped
            raise RuntimeError("the bot stopped")
        if request.get("op") == "quit":
            await bot.close()
            await task
            return None
        if request.get("op") == "stats":
            return _stats(bot)
        if request.get("op") == "settle":
            # Steady state: the real bot's first fill of the game catalogue (at start, then once a day).
            refresher = getattr(bot, "catalogue_refresher", None)
            if refresher is not None:
                await asyncio.wait_for(refresher.first_pass.wait(), float(request.get("timeout", 60.0)))
            return {}
        raise ValueError(f"unknown op {request.get('op')!r}")

    send({"pid": os.getpid(), "kind": args.kind})
    try:
        await serve(handle)
    finally:
        if not task.done():
            await bot.close()
            await task
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)


if __name__ == "__main__":
    asyncio.run(main())
