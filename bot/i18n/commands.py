"""Command and option names and descriptions in every language that has a catalogue, through discord.py's
`app_commands.Translator`. The catalogues hold them under a context (msgctxt) that says what each is."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.app_commands import TranslationContextLocation as Where

from bot.i18n.catalogues import folder_for, language_for
from bot.i18n.language import COMMAND_NAME, OPTION_NAME

NAME, DESCRIPTION = COMMAND_NAME, "command description"
OPTION_DESCRIPTION, CHOICE = "option description", "choice name"
CONTEXTS = {
    Where.command_name: NAME,
    Where.group_name: NAME,
    Where.command_description: DESCRIPTION,
    Where.group_description: DESCRIPTION,
    Where.parameter_name: OPTION_NAME,
    Where.parameter_description: OPTION_DESCRIPTION,
    Where.choice_name: CHOICE,
}


class CommandTranslator(app_commands.Translator):
    """Gives Discord `name_localizations` and `description_localizations` from the catalogues."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        where = CONTEXTS.get(context.location)
        if where is None or folder_for(locale.value) is None:
            return None
        return language_for(locale.value).translated(where, string.message)
