"""The game catalogue's two endpoints, checked and cast on the way in (see `bot.ra.models` for the rules).

- API_GetConsoleIDs (`g=1`: game systems only): a list of `{ID, Name, IconURL, Active, IsGameSystem}`.
- API_GetGameList (`i=<console>`, `f=1`: games with published achievements): a list of `{Title, ID,
  ConsoleID, ConsoleName, ImageIcon, NumAchievements, Points, ...}`. A missing or non-positive `i` is
  answered `{"success": false}`: an object, not a list, so a wrong shape here.

Both parsers are strict: one row of the wrong shape makes the whole answer wrong, so a damaged list
never replaces a good one (the refresh keeps the copy it has).
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.catalogue.model import CatalogueGame, Console
from bot.ra.models import ResponseShapeError, as_int, clean_text, image_path

CONSOLE_IDS = "API_GetConsoleIDs"
GAME_LIST = "API_GetGameList"
#: Longer than any real title or console name; a longer one is a wrong shape.
MAX_TITLE = 500
#: Game IDs are a signed 32-bit column on the site.
MAX_ID = 2**31 - 1


def _text(row: Mapping[object, object], name: str, what: str) -> str:
    value = row.get(name)
    if not isinstance(value, str):
        raise ResponseShapeError(f"{name} of {what} is not a string")
    text = " ".join(clean_text(value).split())
    if not text or len(text) > MAX_TITLE:
        raise ResponseShapeError(f"{name} of {what} is empty or longer than {MAX_TITLE} characters")
    return text


def _id(row: Mapping[object, object], name: str, what: str) -> int:
    number = as_int(row.get(name), f"{name} of {what}")
    if not 1 <= number <= MAX_ID:
        raise ResponseShapeError(f"{name} of {what} is not an ID")
    return number


def _rows(data: object, what: str) -> list[Mapping[object, object]]:
    if not isinstance(data, list):
        raise ResponseShapeError(f"{what} is not a list")
    if not all(isinstance(row, Mapping) for row in data):
        raise ResponseShapeError(f"{what} has a row that is not an object")
    return data


def parse_console_ids(data: object) -> list[Console]:
    """Parse API_GetConsoleIDs: game systems only (a row saying `IsGameSystem: false` is left out), by ID."""
    consoles: dict[int, Console] = {}
    for row in _rows(data, "the console list"):
        if row.get("IsGameSystem") is False:
            continue
        console_id = _id(row, "ID", "a console")
        consoles.setdefault(console_id, Console(console_id, _text(row, "Name", f"console {console_id}")))
    return [consoles[console_id] for console_id in sorted(consoles)]


def parse_game_list(console_id: int, data: object) -> list[CatalogueGame]:
    """Parse API_GetGameList for `console_id`: every row must be a game of that console.

    A game listed twice is kept once (its first row)."""
    games: dict[int, CatalogueGame] = {}
    for row in _rows(data, f"the game list of console {console_id}"):
        game_id = _id(row, "ID", "a game")
        what = f"game {game_id}"
        if _id(row, "ConsoleID", what) != console_id:
            raise ResponseShapeError(f"game {game_id} is not on console {console_id}")
        icon = row.get("ImageIcon")
        if icon is not None and not isinstance(icon, str):
            raise ResponseShapeError(f"ImageIcon of {what} is not a string")
        points = row.get("Points")
        games.setdefault(
            game_id,
            CatalogueGame(
                game_id=game_id,
                title=_text(row, "Title", what),
                console_id=console_id,
                console_name=_text(row, "ConsoleName", what),
                image_icon=image_path(icon),
                achievements=as_int(row.get("NumAchievements"), f"NumAchievements of {what}"),
                points=0 if points is None else as_int(points, f"Points of {what}"),
            ),
        )
    return list(games.values())
