"""The catalogue's plain data: a game as the catalogue keeps it, and a console. No I/O, no dependencies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

#: Games learned from API_GetGame (which does not name the console's ID) until a refresh files them.
UNKNOWN_CONSOLE = 0


class CatalogueGame(NamedTuple):
    """One game. `achievements` and `points` are None for a game learned from API_GetGame, which does not
    give them; `image_icon` is a checked relative path or https URL (see `bot.ra.models.image_path`).

    A named tuple rather than a dataclass: smaller and quicker to build. (Unlike plain tuples, named
    tuples stay tracked by the garbage collector: `bot.titles.TitleIndex` keeps plain ones.)"""

    game_id: int
    title: str
    console_id: int
    console_name: str
    image_icon: str | None = None
    achievements: int | None = None
    points: int | None = None


CatalogueRow = tuple[int, str, int, str, str | None, int | None, int | None]


def catalogue_row(game: CatalogueGame) -> CatalogueRow:
    """The game as a plain tuple, its fields in order (`CatalogueGame._make` names it again)."""
    return (
        game.game_id,
        game.title,
        game.console_id,
        game.console_name,
        game.image_icon,
        game.achievements,
        game.points,
    )


@dataclass(frozen=True, slots=True)
class Console:
    """A game system, as API_GetConsoleIDs names it."""

    console_id: int
    name: str


@dataclass(frozen=True, slots=True)
class StoredConsole:
    """A console as storage keeps it: when the console list last named it (`listed_at`), when its games
    were last replaced (`refreshed_at`, None if never) and how many it then had. Times are Unix seconds."""

    console_id: int
    name: str
    listed_at: float
    refreshed_at: float | None
    game_count: int
