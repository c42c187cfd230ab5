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
from bot.input import parse_game_ids, parse_username, parse_usernames
from bot.storage import StorageError

if TYPE_CHECKING:
    from bot.app import ProgressBot

Choices = list[app_commands.Choice[int | float | str]]
#: Autocompletes must be answered within Discord's 3 s.
AUTOCOMPLETE_SECONDS = 2.0
P = ParamSpec("P")
T = TypeVar("T")


class RefusedOption(app_commands.AppCommandError):
    """What the member typed cannot be used; `user_message` names the part and the fix."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


def _refusing(parse: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    try:
        return parse(*args, **kwargs)
    except InvalidInput as refused:
        raise RefusedOption(refused.user_message) from None


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
        return await _in_time(suggest_names(storage, interaction.user.id, interaction.guild_id, str(value)))


class PlayerList(app_commands.Transformer):
    """2 to 10 different names separated by commas or spaces; completes the name being typed."""

    async def transform(self, interaction: discord.Interaction[Any], value: str) -> list[str]:
        return _refusing(parse_usernames, value)

    async def autocomplete(
        self, interaction: discord.Interaction[Any], value: int | float | str, /
    ) -> Choices:
        storage = _bot(interaction).storage
        typed = str(value)
        return await _in_time(suggest_name_list(storage, interaction.user.id, interaction.guild_id, typed))


class GameList(app_commands.Transformer):
    """Game IDs and game page links separated by commas or spaces, at most `limit` (default: MAX_GAMES)."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = limit

    async def transform(self, interaction: discord.Interaction[Any], value: str) -> list[int]:
        limit = self.limit if self.limit is not None else _bot(interaction).settings.max_games
        return _refusing(parse_game_ids, value, limit)


class OneGame(app_commands.Transformer):
    """One game ID or game page link."""

    async def transform(self, interaction: discord.Interaction[Any], value: str) -> int:
        return _refusing(parse_game_ids, value, 1)[0]


class AwardKinds(app_commands.Transformer):
    """Kinds of award, as words separated by commas ("mastered, beaten hardcore"); completes the list."""

    async def transform(self, interaction: discord.Interaction[Any], value: str) -> frozenset[str]:
        return _refusing(parse_kinds, value)

    async def autocomplete(
        self, interaction: discord.Interaction[Any], value: int | float | str, /
    ) -> Choices:
        return choices([(text, text) for text in suggest_kinds(str(value))][:25])


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
            raise RefusedOption("Choose one of this server's text channels.")
        return value
