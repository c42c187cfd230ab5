"""Which language an answer is in: the member's own for what a member sees, the server's for what a whole
channel sees, English otherwise."""

from __future__ import annotations

from typing import Any

import discord

from bot.i18n.catalogues import language_for
from bot.i18n.language import Language


def member_language(interaction: discord.Interaction[Any]) -> Language:
    """The language of the member who used the command or pressed the button (`interaction.locale`)."""
    return language_for(interaction.locale.value)


def channel_language(interaction: discord.Interaction[Any]) -> Language:
    """For a message the whole channel reads: the server's language (`guild_locale`), else the member's."""
    if interaction.guild_locale is not None:
        return language_for(interaction.guild_locale.value)
    return member_language(interaction)


def guild_language(guild: discord.Guild | None) -> Language:
    """For a message posted to a server's channel without an interaction: the server's preferred locale."""
    return language_for(guild.preferred_locale.value if guild is not None else None)
