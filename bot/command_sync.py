"""Registering slash commands with Discord: at start only when they changed, or now on request.

Storage meta remembers, per application, a digest of what was registered in each scope and the last
scope (one server, or global). When DISCORD_GUILD_ID is unset or changed, the copy left in the old
server is removed, or members there would see every command twice. Nothing here touches links.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord

if TYPE_CHECKING:
    from bot.app import ProgressBot
    from bot.config import Settings

log = logging.getLogger(__name__)

GLOBAL = "global"


@dataclass(frozen=True)
class SyncResult:
    scope: str  # "global" or "guild:ID"
    registered: int | None  # None: unchanged, not registered again
    removed_from_guild: int | None = None

    def summary(self) -> str:
        where = (
            "globally (Discord may take up to an hour to show them)"
            if self.scope == GLOBAL
            else (f"in server {self.scope.removeprefix('guild:')} (shown at once)")
        )
        if self.registered is None:
            text = f"Slash commands unchanged {where}."
        else:
            text = f"Registered {self.registered} slash commands {where}."
        if self.removed_from_guild is not None:
            text += f" Removed the copy left in server {self.removed_from_guild}."
        return text


async def sync_commands(bot: ProgressBot, *, force: bool = False) -> SyncResult:
    """Registers the commands with Discord when they differ from what was last registered (or always,
    with `force`), then removes the copy left in a server that is no longer DISCORD_GUILD_ID."""
    guild = discord.Object(bot.settings.discord_guild_id) if bot.settings.discord_guild_id else None
    if guild is not None:
        bot.tree.copy_global_to(guild=guild)
    payload = await _payload(bot, guild)
    scope = f"guild:{guild.id}" if guild else GLOBAL
    digest = _digest(payload)
    registered: int | None = None
    if force or await bot.storage.get_meta(_digest_key(bot, scope)) != digest:
        synced = await bot.tree.sync(guild=guild)
        await bot.storage.set_meta(_digest_key(bot, scope), digest)
        registered = len(synced)
        log.info("Registered %d slash commands (%s)", registered, scope)
    else:
        log.info("Slash commands unchanged (%s); not registering them again", scope)
    removed = await _remove_stale_guild_copy(bot, scope)
    await bot.storage.set_meta(_scope_key(bot), scope)
    return SyncResult(scope, registered, removed)


async def _remove_stale_guild_copy(bot: ProgressBot, scope: str) -> int | None:
    previous = await bot.storage.get_meta(_scope_key(bot))
    if previous is None or previous == scope or not previous.startswith("guild:"):
        return None
    old_guild = int(previous.removeprefix("guild:"))
    try:
        await bot.tree.sync(guild=discord.Object(old_guild))  # nothing is registered there now: empties it
    except discord.HTTPException as error:
        log.warning(
            "Could not remove the slash commands left in server %d (HTTP %d; is the bot still there?)",
            old_guild,
            error.status,
        )
        return None
    await bot.storage.set_meta(_digest_key(bot, previous), "")  # registering there again must happen
    log.info("Removed the slash commands left in server %d (DISCORD_GUILD_ID changed)", old_guild)
    return old_guild


async def _payload(bot: ProgressBot, guild: discord.Object | None) -> list[dict[str, Any]]:
    """What registering sends, translations included, so that a changed translation registers again."""
    translator = bot.tree.translator
    commands = bot.tree.get_commands(guild=guild)
    if translator is None:
        return [command.to_dict(bot.tree) for command in commands]
    return [await command.get_translated_payload(bot.tree, translator) for command in commands]


def _digest_key(bot: ProgressBot, scope: str) -> str:
    return f"commands:{bot.application_id}:{scope}"


def _scope_key(bot: ProgressBot) -> str:
    return f"commands:{bot.application_id}:last_scope"


def _digest(payload: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


async def sync_commands_now(settings: Settings) -> SyncResult:
    """`python -m bot --sync-commands`: logs in (no gateway), registers the commands whatever the
    stored digest says, removes a stale server copy, and closes."""
    from bot.app import create_bot
    from bot.startup import wait_for_services

    await wait_for_services(settings)
    bot = create_bot(settings)
    bot.only_sync_commands = True
    async with bot:
        await bot.login(settings.discord_token.reveal())
        return await sync_commands(bot, force=True)
