"""Registering slash commands with Discord, only when they changed."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import TYPE_CHECKING, Any

import discord

if TYPE_CHECKING:
    from bot.app import ProgressBot

log = logging.getLogger(__name__)


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
