"""The command tree's gate: every slash command passes here before it runs."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.error_handler import command_name
from bot.logs import current_shard
from bot.storage import StorageError

if TYPE_CHECKING:
    from bot.app import ProgressBot

log = logging.getLogger(__name__)

DRAINING_MESSAGE = "The bot is restarting. Please try again in a few seconds."


class BotTree(app_commands.CommandTree["ProgressBot"]):
    """Runs before every slash command: refuses new work while shutting down, tracks work in flight,
    labels logs with the shard, and puts the member on the server's board.

    Membership is recorded before the command runs, so that `/unlink` deletes what this call recorded.
    """

    async def interaction_check(self, interaction: discord.Interaction[ProgressBot], /) -> bool:
        bot = self.client
        if interaction.type is not discord.InteractionType.application_command:
            return True
        current_shard.set(str(interaction_shard(interaction, bot.shard_count)))
        if bot.draining:
            await interaction.response.send_message(DRAINING_MESSAGE, ephemeral=True)
            bot.metrics.command_finished(command_name(interaction), "draining", 0.0)
            return False
        bot.track(interaction)
        if interaction.guild_id is not None:
            try:
                await bot.storage.record_member(interaction.guild_id, interaction.user.id)
            except StorageError:
                log.exception("Could not record that member %s used the bot", interaction.user.id)
        return True


def interaction_shard(interaction: discord.Interaction[Any], shard_count: int | None) -> int:
    """Discord's own rule: a guild's events go to shard (guild_id >> 22) % shard_count; DMs to 0."""
    if interaction.guild_id is None or not shard_count:
        return 0
    return (interaction.guild_id >> 22) % shard_count
