"""Where autocomplete's game suggestions come from: an ordered list of sources, merged.

Each source answers "which games might the member mean by the item they are typing?". Sources run in
order and earlier ones come first in the list Discord shows: the bot registers the catalogue's title
search (`Catalogue.suggest`), and a source of the player's recently played games goes in front of it
(`bot.game_suggestion_sources.insert(0, source)`). A source is a plain function, not a coroutine: it
answers from what the process holds in memory, and what it lacks it starts fetching in the background
for a later keystroke (see `bot.recently_played`). So a keystroke never waits on a database or on
RetroAchievements, and needs no time limit of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from bot.game_items import QUOTES, split_typing, title_starts, typed_ids


class GameChoice(NamedTuple):
    """One suggested game; choosing it puts its ID in the option, so it is exactly this game. (A named
    tuple: a keystroke builds up to 50 of them.)"""

    game_id: int
    title: str
    console: str

    @property
    def label(self) -> str:
        return f"{self.title} · {self.console}" if self.console else self.title


@dataclass(frozen=True)
class SuggestionRequest:
    """What the member is typing: `typed` is the item being typed (earlier items excluded), `exclude` the
    games already in the list, `options` the command's options as typed so far (e.g. `user`)."""

    member_id: int
    guild_id: int | None
    options: Mapping[str, str]
    typed: str
    exclude: frozenset[int] = frozenset()


GameSuggestionSource = Callable[[SuggestionRequest, int], Sequence[GameChoice]]
"""`source(request, limit)`: at most `limit` games, best first, from memory (see the module's doc)."""


def suggest_games(
    sources: Sequence[GameSuggestionSource], request: SuggestionRequest, limit: int
) -> list[GameChoice]:
    """Up to `limit` games from the sources in order, each game once, none of `request.exclude`."""
    chosen: dict[int, GameChoice] = {}
    for source in sources:
        if len(chosen) >= limit:
            break
        for choice in source(request, limit - len(chosen)):
            if choice.game_id not in chosen and choice.game_id not in request.exclude:
                chosen[choice.game_id] = choice
    return list(chosen.values())[:limit]


@dataclass(frozen=True)
class Typing:
    """Who is typing where: the member, the server, the command's options as typed so far."""

    member_id: int
    guild_id: int | None
    options: Mapping[str, str]


#: Discord shows at most 25 choices, and a choice's value is at most 100 characters.
MAX_CHOICES = 25
MAX_VALUE = 100


def complete_games(
    sources: Sequence[GameSuggestionSource],
    typed: str,
    typing: Typing,
    *,
    whole_titles: Callable[[str, int], Sequence[GameChoice]],
    single: bool = False,
    limit: int = MAX_CHOICES,
) -> list[tuple[str, str]]:
    """(label, value) choices for a games option: the item being typed is completed, the items before
    it kept as typed, and the chosen game put in as its ID (so the choice means exactly that game).

    `whole_titles(text, limit)` finds titles starting with a text: for a title with commas being typed
    ("Legend of Zelda, The: A Li"), whose earlier pieces look like items of their own. `single`: the
    option takes one game, so the whole text is the item."""
    if single:
        head, item = "", "".join(char for char in typed if char not in QUOTES).strip()
        starts: list[tuple[str, str]] = []
    else:
        head, item = split_typing(typed)
        starts = title_starts(head)
    exclude = typed_ids(head)
    taken = set(exclude)
    pairs: list[tuple[str, str]] = []

    def add(choices: Sequence[GameChoice], kept: str) -> None:
        for choice in choices:
            value = f"{kept}{choice.game_id}"
            if choice.game_id not in taken and len(value) <= MAX_VALUE and len(pairs) < limit:
                taken.add(choice.game_id)
                pairs.append((choice.label, value))

    for kept, start in starts:
        add(whole_titles(start + item, limit), kept)
    request = SuggestionRequest(typing.member_id, typing.guild_id, typing.options, item, frozenset(taken))
    add(suggest_games(sources, request, limit - len(pairs)), head)
    return pairs
