"""The one place that turns every app-command failure into a short, clear, private answer."""

from __future__ import annotations

import logging
import secrets
from typing import Any

import discord
from discord import app_commands

from bot.errors import BotError, RAConfigurationError, RAError, UserNotFound
from bot.i18n.interactions import member_language
from bot.i18n.language import N_
from bot.storage import StorageError
from bot.transformers import RefusedOption

log = logging.getLogger(__name__)

# Discord's codes for an interaction or webhook token that is no longer usable.
EXPIRED_CODES = frozenset({10062, 10015, 50027})


STALE_COMMAND = N_(
    "This command has changed since Discord last loaded it. Reload Discord "
    "(Ctrl+R, or restart the app) and try again in a minute."
)
STORAGE_DOWN = N_("The bot cannot save or read linked accounts right now. Please try again in a few minutes.")
UNEXPECTED = N_(
    "Something went wrong on the bot's side (error id `{error_id}`). Please try again; "
    "if it keeps happening, give that id to the bot's operator."
)


def error_reply(
    interaction: discord.Interaction[Any], error: app_commands.AppCommandError
) -> tuple[str, str | None]:
    """How a failed command is counted in the metrics, and what the member is told in their language
    (None: nothing, the interaction has expired). Unexpected errors are logged, in English, with an id
    the member is shown."""
    original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    if is_expired(original):
        log.info("Interaction %s expired before the bot answered", interaction.id)
        return "expired", None
    language = member_language(interaction)
    if isinstance(original, UserNotFound):
        return "not_found", original.in_language(language)
    if isinstance(original, RAConfigurationError):
        log.error("RetroAchievements refused the API key: set a valid RA_API_KEY")
        return "misconfigured", original.in_language(language)
    if isinstance(original, RAError):
        log.warning("/%s: %s", command_name(interaction), original)
        return "upstream_error", original.in_language(language)
    if isinstance(original, StorageError):
        log.debug("/%s: %s", command_name(interaction), original)
        return "storage_error", language.t(STORAGE_DOWN)
    if isinstance(original, BotError | RefusedOption):
        return "refused", original.in_language(language)
    if isinstance(original, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch):
        return "refused", language.t(STALE_COMMAND)
    error_id = secrets.token_hex(4)
    log.error(
        "Unexpected error %s in /%s",
        error_id,
        command_name(interaction),
        exc_info=original,
        extra={"error_id": error_id},
    )
    return "error", language.t(UNEXPECTED, error_id=error_id)


def is_expired(error: BaseException) -> bool:
    return isinstance(error, discord.HTTPException) and error.code in EXPIRED_CODES


async def send_error(interaction: discord.Interaction, message: str) -> None:
    """Answers privately, whatever state the interaction's response is in."""
    try:
        if not interaction.response.is_done():
            await interaction.response.send_message(message, ephemeral=True)
            return
        if interaction.response.type is discord.InteractionResponseType.deferred_channel_message:
            # A public "thinking…" message would turn the first followup public: remove it first.
            await interaction.delete_original_response()
        await interaction.followup.send(message, ephemeral=True)
    except discord.HTTPException as failure:
        if is_expired(failure):
            log.info("Interaction %s expired before its error could be shown", interaction.id)
        else:
            log.warning("Could not send an error message: %s %s", failure.status, failure.text)


def command_name(interaction: discord.Interaction[Any]) -> str:
    command = interaction.command
    return command.qualified_name if command is not None else "unknown"


class ExpiredAutocompleteFilter(logging.Filter):
    """discord.py answers autocompletes itself and logs a failure with a traceback; an expired one is
    routine (the member typed on), so it is logged as a short INFO line instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if (
            error is not None
            and is_expired(error)
            and record.getMessage().startswith("Ignoring exception in autocomplete")
        ):
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.msg, record.args, record.exc_info, record.exc_text = (
                "An autocomplete expired before the bot answered it",
                None,
                None,
                None,
            )
        return True


def install_log_filters() -> None:
    """Idempotent: adds the filter to discord.py's command tree logger once."""
    logger = logging.getLogger("discord.app_commands.tree")
    if not any(isinstance(f, ExpiredAutocompleteFilter) for f in logger.filters):
        logger.addFilter(ExpiredAutocompleteFilter())
