"""Command options as discord.py Transformers: each parses what the member typed, or refuses it with
one `RefusedOption` carrying the member-facing message. Autocomplete of an option lives with it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import discord
from discord import app_commands

from bot.autocomplete import choices, suggest_name_list, suggest_names
from bot.errors import InvalidInput
from bot.feed.kinds import parse_kinds, suggest_kinds
from bot.game_suggestions import Typing, complete_games
from bot.i18n.interactions import member_language
from bot.i18n.language import ENGLISH, Language, Text, msg
from bot.input import parse_username, parse_usernames
from bot.storage import StorageError

if TYPE_CHECKING:
    from bot.app import ProgressBot

Choices = list[app_commands.Choice[int | float | str]]
#: Autocompletes must be answered within Discord's 3 s.
AUTOCOMPLETE_SECONDS = 2.0
P = ParamSpec("P")
T = TypeVar("T")


class RefusedOption(app_commands.AppCommandError):
    """What the member typed cannot be used; `message` names the part and the fix, in any language
    (`user_message` is the English text)."""

    def __init__(self, message: Text) -> None:
        self.message = message
        super().__init__(ENGLISH.render(message))

    @property
    def user_message(self) -> str:
        return ENGLISH.render(self.message)

    def in_language(self, language: Language) -> str:
        return language.render(self.message)


def _refusing(parse: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    try:
        return parse(*args, **kwargs)
    except InvalidInput as refused:
        raise RefusedOption(refused.message) from None


async def _in_time(suggestions: Awaitable[list[tuple[str, str]]]) -> Choices:
    """Suggestions from storage, or none when storage cannot give them inside Discord's deadline."""
    try:
        async with asyncio.timeout(AUTOCOMPLETE_SECONDS):
            return choices(await suggestions)
    except (TimeoutError, StorageError):
        return []


def _bot(interaction: discord.Interaction[Any]) -> ProgressBot:
    bot: ProgressBot = interaction.client
    return bot


class Player(app_commands.Transformer):
    """A RetroAchievements name, ULID or profile link; suggests the member's account, then the server's."""

    async def transform(self, interaction: discord.Interaction[Any], value: str) -> str:
        return _refusing(parse_username, value)

    async def autocomplete(
        self, interaction: discord.Interaction[Any], value: int | float | str, /
    ) -> Choices:
        storage = _bot(interaction).storage
        language = member_language(interaction)
        return await _in_time(
            suggest_names(storage, interaction.user.id, interaction.guild_id, str(value), language)
        )


class PlayerList(app_commands.Transformer):
    """2 to 10 different names separated by commas or spaces, or a single one (the command then adds the
    member's linked account); completes the name being typed."""

    async def transform(self, interaction: discord.Interaction[Any], value: str) -> list[str]:
        try:
            return parse_usernames(value)
        except InvalidInput as refused:
            try:
                return parse_usernames(value, 1, 1)
            except InvalidInput:
                raise RefusedOption(refused.message) from None

    async def autocomplete(
        self, interaction: discord.Interaction[Any], value: int | float | str, /
    ) -> Choices:
        storage = _bot(interaction).storage
        typed = str(value)
        return await _in_time(suggest_name_list(storage, interaction.user.id, interaction.guild_id, typed))


class GameList(app_commands.Transformer):
    """Game IDs, game page links and titles, at most `limit` (default: MAX_GAMES); titles are looked up in
    the game catalogue (the list syntax: `bot.game_items`). Completes the game being typed."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = limit

    async def transform(self, interaction: discord.Interaction[Any], value: str) -> list[int]:
        bot = _bot(interaction)
        limit = self.limit if self.limit is not None else bot.settings.max_games
        return _refusing(bot.catalogue.resolve_list, value, limit)

    async def autocomplete(
        self, interaction: discord.Interaction[Any], value: int | float | str, /
    ) -> Choices:
        return _games_for(interaction, str(value), single=False)


class OneGame(app_commands.Transformer):
    """One game: an ID, a game page link or a title (commas and all). Completes titles."""

    async def transform(self, interaction: discord.Interaction[Any], value: str) -> int:
        return _refusing(_bot(interaction).catalogue.resolve_one, value)

    async def autocomplete(
        self, interaction: discord.Interaction[Any], value: int | float | str, /
    ) -> Choices:
        return _games_for(interaction, str(value), single=True)


def _games_for(interaction: discord.Interaction[Any], typed: str, *, single: bool) -> Choices:
    """Games for the item being typed: the bot's suggestion sources in order (recently played games,
    when a source gives them, then the catalogue's titles), from memory, at once."""
    bot = _bot(interaction)
    options = {name: str(value) for name, value in interaction.namespace}
    typing = Typing(interaction.user.id, interaction.guild_id, options)
    return choices(
        complete_games(
            bot.game_suggestion_sources,
            typed,
            typing,
            whole_titles=bot.catalogue.starting_with,
            single=single,
        )
    )


class AwardKinds(app_commands.Transformer):
    """Kinds of award, as words separated by commas ("mastered, beaten hardcore"); completes the list."""

    async def transform(self, interaction: discord.Interaction[Any], value: str) -> frozenset[str]:
        return _refusing(parse_kinds, value, member_language(interaction))

    async def autocomplete(
        self, interaction: discord.Interaction[Any], value: int | float | str, /
    ) -> Choices:
        return choices(suggest_kinds(str(value), member_language(interaction))[:25])


class PostingChannel(app_commands.Transformer):
    """A server's text or announcement channel, as Discord resolved it (the bot may not have it cached)."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        return [discord.ChannelType.text, discord.ChannelType.news]

    async def transform(
        self, interaction: discord.Interaction[Any], value: object
    ) -> app_commands.AppCommandChannel:
        if not isinstance(value, app_commands.AppCommandChannel):
            raise RefusedOption(msg("Choose one of this server's text channels."))
        return value
