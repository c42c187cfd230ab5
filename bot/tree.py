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
    """Runs before every slash command: refuses options of the wrong name or type and new work while
    shutting down, tracks work in flight, labels logs with the shard, and puts the member on the
    server's board. Autocompletes with ill-typed options get no suggestions.

    Membership is recorded before the command runs, so that `/unlink` deletes what this call recorded.
    """

    async def interaction_check(self, interaction: discord.Interaction[ProgressBot], /) -> bool:
        bot = self.client
        if interaction.type not in (
            discord.InteractionType.autocomplete,
            discord.InteractionType.application_command,
        ):
            return True
        command = self._command_for(interaction)
        if interaction.type is discord.InteractionType.autocomplete:
            if command is None or options_fit(command, interaction.data, partial=True):
                return True
            await interaction.response.autocomplete([])
            return False
        current_shard.set(str(interaction_shard(interaction, bot.shard_count)))
        if bot.draining:
            await interaction.response.send_message(DRAINING_MESSAGE, ephemeral=True)
            bot.metrics.command_finished(command_name(interaction), "draining", 0.0)
            return False
        if command is not None and not options_fit(command, interaction.data, partial=False):
            raise app_commands.CommandSignatureMismatch(command)
        bot.track(interaction)
        if interaction.guild_id is not None:
            try:
                await bot.storage.record_member(interaction.guild_id, interaction.user.id)
            except StorageError:
                log.exception("Could not record that member %s used the bot", interaction.user.id)
        return True

    def _command_for(
        self, interaction: discord.Interaction[ProgressBot]
    ) -> app_commands.Command[Any, ..., Any] | None:
        data: dict[str, Any] = dict(interaction.data or {})
        guild = discord.Object(interaction.guild_id) if interaction.guild_id else None
        command = self.get_command(str(data.get("name")), guild=guild) or self.get_command(
            str(data.get("name"))
        )
        return command if isinstance(command, app_commands.Command) else None


def options_fit(command: app_commands.Command[Any, ..., Any], data: object, *, partial: bool) -> bool:
    """Whether the options Discord sent match the command's parameters, by name and type.

    Discord itself sends well-typed options; anything else (a stale client, a forged payload) is
    refused here rather than reaching the command as a value of the wrong type. Autocompletes
    (`partial`) may lack required options that are not typed yet.
    """
    options = data.get("options", []) if isinstance(data, dict) else None
    if not isinstance(options, list) or not all(isinstance(option, dict) for option in options):
        return False
    sent = {str(option.get("name")): option.get("value") for option in options}
    parameters = {parameter.display_name: parameter for parameter in command.parameters}
    if not set(sent) <= set(parameters):
        return False
    if not partial and any(p.required and name not in sent for name, p in parameters.items()):
        return False
    return all(_value_fits(parameters[name].type, value) for name, value in sent.items())


def _value_fits(kind: discord.AppCommandOptionType, value: object) -> bool:
    if kind is discord.AppCommandOptionType.string:
        return isinstance(value, str)
    if kind is discord.AppCommandOptionType.integer:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is discord.AppCommandOptionType.number:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind is discord.AppCommandOptionType.boolean:
        return isinstance(value, bool)
    return True


def interaction_shard(interaction: discord.Interaction[Any], shard_count: int | None) -> int:
    """Discord's own rule: a guild's events go to shard (guild_id >> 22) % shard_count; DMs to 0."""
    if interaction.guild_id is None or not shard_count:
        return 0
    return (interaction.guild_id >> 22) % shard_count
