"""The command tree owns a command's life: the gate before it runs, its time in flight, its answer when it
fails, and how it is counted in the metrics."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.error_handler import error_reply, send_error
from bot.i18n.interactions import member_language
from bot.i18n.language import N_
from bot.logs import current_shard

if TYPE_CHECKING:
    from bot.app import ProgressBot

log = logging.getLogger(__name__)

DRAINING_MESSAGE = N_("The bot is restarting. Please try again in a few seconds.")
_STARTED = "started"
_COUNTED = "counted"


class BotTree(app_commands.CommandTree["ProgressBot"]):
    """Before a command: refuses options of the wrong name or type and new work while shutting down,
    labels logs with the shard, and notes (in the background) that the member uses the bot on this
    server. Autocompletes with ill-typed options get no suggestions. After it: one place answers every
    failure privately, and every command is timed and counted by outcome.
    """

    def __init__(self, client: ProgressBot, **options: Any) -> None:
        super().__init__(client, **options)
        self.in_flight: set[asyncio.Task[Any]] = set()

    async def interaction_check(self, interaction: discord.Interaction[ProgressBot], /) -> bool:
        command = interaction.command
        if interaction.type is discord.InteractionType.autocomplete:
            if not isinstance(command, app_commands.Command) or options_fit(
                command, interaction.data, partial=True
            ):
                return True
            await interaction.response.autocomplete([])
            return False
        bot = self.client
        current_shard.set(str(interaction_shard(interaction, bot.shard_count)))
        if bot.draining:
            draining = member_language(interaction).t(DRAINING_MESSAGE)
            await interaction.response.send_message(draining, ephemeral=True)
            self._count(interaction, "draining")
            return False
        if isinstance(command, app_commands.Command) and not options_fit(
            command, interaction.data, partial=False
        ):
            raise app_commands.CommandSignatureMismatch(command)
        self._track(interaction)
        guild_id, member_id = interaction.guild_id, interaction.user.id
        if (
            guild_id is not None
            and interaction.is_guild_integration()
            and not bot.storage.member_known(guild_id, member_id)
        ):
            bot.background.spawn(bot.storage.record_member(guild_id, member_id), member_id=member_id)
        return True

    async def _call(self, interaction: discord.Interaction[ProgressBot]) -> None:
        try:
            await super()._call(interaction)
        finally:
            if interaction.type is discord.InteractionType.autocomplete:
                _drop_response(interaction)

    async def on_error(
        self, interaction: discord.Interaction[ProgressBot], error: app_commands.AppCommandError, /
    ) -> None:
        outcome, message = error_reply(interaction, error)
        if message is not None:
            await send_error(interaction, message)
        self._count(interaction, outcome)

    def _track(self, interaction: discord.Interaction[ProgressBot]) -> None:
        """Times the command and counts its task as in flight until it ends (shutdown waits for it). A
        command whose task ends normally without `on_error` counting it succeeded: counted "ok" then
        (a done callback, where a completion listener would cost a task of its own per command)."""
        interaction.extras[_STARTED] = time.perf_counter()
        task = asyncio.current_task()
        if task is None:
            return
        in_flight, gauge = self.in_flight, self.client.metrics.in_flight
        in_flight.add(task)
        gauge.inc()

        def done(finished: asyncio.Task[Any]) -> None:
            in_flight.discard(finished)
            gauge.dec()
            if _COUNTED not in interaction.extras and not finished.cancelled() and not finished.exception():
                self._count(interaction, "ok")

        task.add_done_callback(done)

    def _count(self, interaction: discord.Interaction[ProgressBot], outcome: str) -> None:
        interaction.extras[_COUNTED] = True
        started = interaction.extras.get(_STARTED)
        seconds = time.perf_counter() - started if isinstance(started, float) else 0.0
        command = interaction.command
        name = command.qualified_name if command is not None else "unknown"
        self.client.metrics.command_finished(name, outcome, seconds)


def _drop_response(interaction: discord.Interaction[Any]) -> None:
    """Breaks the interaction <-> response reference cycle once an autocomplete is answered, so that
    reference counting frees it at once. Dozens of keystrokes a second otherwise leave their objects
    for the garbage collector, whose full passes then grow to several milliseconds."""
    with contextlib.suppress(AttributeError):  # `response` was never used, or discord.py renamed it
        delattr(interaction, "_cs_response")


def options_fit(command: app_commands.Command[Any, ..., Any], data: object, *, partial: bool) -> bool:
    """Whether the options Discord sent match the command's parameters, by name and type.

    Discord itself sends well-typed options; anything else (a stale client, a forged payload) is
    refused here rather than reaching the command as a value of the wrong type. Autocompletes
    (`partial`) may lack required options that are not typed yet.
    """
    options = data.get("options", []) if isinstance(data, dict) else None
    # A subcommand's options are nested in its group's and subcommand's own option, one level each.
    while isinstance(options, list) and len(options) == 1 and _is_group_option(options[0]):
        options = options[0].get("options", [])
    if not isinstance(options, list) or not all(isinstance(option, dict) for option in options):
        return False
    sent = {str(option.get("name")): option.get("value") for option in options}
    kinds, required = _signature(command)
    if not sent.keys() <= kinds.keys():
        return False
    if not partial and not required <= sent.keys():
        return False
    return all(_value_fits(kinds[name], value) for name, value in sent.items())


@functools.cache
def _signature(
    command: app_commands.Command[Any, ..., Any],
) -> tuple[dict[str, discord.AppCommandOptionType], frozenset[str]]:
    """Each option's type by the name Discord sends, and the required names (once per command)."""
    parameters = command.parameters
    kinds = {parameter.display_name: parameter.type for parameter in parameters}
    return kinds, frozenset(parameter.display_name for parameter in parameters if parameter.required)


def _is_group_option(option: object) -> bool:
    kinds = (
        discord.AppCommandOptionType.subcommand.value,
        discord.AppCommandOptionType.subcommand_group.value,
    )
    return isinstance(option, dict) and option.get("type") in kinds


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
