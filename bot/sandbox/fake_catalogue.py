"""The fake RetroAchievements' game catalogue: API_GetConsoleIDs and API_GetGameList as the reference
describes them (shared/reference/retroachievements-api.md), consoles that can be told to fail, and a
generated catalogue of real-looking titles (commas, digits, accents, one title on several consoles,
subsets) for tests and benchmarks.

The catalogue is the dataset's own games: a game is listed under its `console_id`, and a console
exists when a game names it (or `FakeCatalogueControl.extra_consoles` adds it).
"""

from __future__ import annotations

import json
import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from bot.sandbox.fake_ra import Dataset, FakeGame, FakeRA

CONSOLE_KINDS = frozenset({"success_false", "html", "truncated", "500", "empty", "wrong_shape"})
#: Consoles the site has that are not game systems; `g=1` leaves them out.
NOT_GAME_SYSTEMS = {100: "Hubs", 101: "Events"}
_HTML = "<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>"

#: 40 consoles by their RetroAchievements IDs and names; the demo dataset's consoles among them.
CONSOLES: dict[int, str] = {
    1: "Genesis/Mega Drive", 2: "Nintendo 64", 3: "SNES/Super Famicom", 4: "Game Boy",
    5: "Game Boy Advance", 6: "Game Boy Color", 7: "NES/Famicom", 8: "PC Engine/TurboGrafx-16",
    9: "Sega CD", 10: "32X", 11: "Master System", 12: "PlayStation", 13: "Atari Lynx",
    14: "Neo Geo Pocket", 15: "Game Gear", 16: "GameCube", 17: "Atari Jaguar", 18: "Nintendo DS",
    21: "PlayStation 2", 23: "Magnavox Odyssey 2", 24: "Pokemon Mini", 25: "Atari 2600", 27: "Arcade",
    28: "Virtual Boy", 29: "MSX", 33: "SG-1000", 37: "Amstrad CPC", 38: "Apple II", 39: "Saturn",
    40: "Dreamcast", 41: "PlayStation Portable", 43: "3DO Interactive Multiplayer", 44: "ColecoVision",
    45: "Intellivision", 46: "Vectrex", 47: "PC-8000/8800", 49: "PC-FX", 51: "Atari 7800",
    53: "WonderSwan", 57: "Fairchild Channel F",
}  # fmt: skip


@dataclass
class _ConsoleFailure:
    kind: str
    times: int


@dataclass
class FakeCatalogueControl:
    """What a test changes about the fake's catalogue: failing consoles, consoles without games."""

    failures: dict[int, _ConsoleFailure] = field(default_factory=dict)
    extra_consoles: dict[int, str] = field(default_factory=dict)

    def fail_console(self, console_id: int, kind: str, *, times: int = 1) -> None:
        """The next `times` game lists of this console fail as `kind`: "success_false" (200 with
        `{"success": false}`), "html" (a 200 HTML page), "truncated" (JSON cut in half), "500",
        "empty" (200 `[]`) or "wrong_shape" (a list of objects missing their fields)."""
        if kind not in CONSOLE_KINDS:
            raise ValueError(f"unknown console failure {kind!r}; use one of {sorted(CONSOLE_KINDS)}")
        self.failures[console_id] = _ConsoleFailure(kind, times)

    def _take(self, console_id: int) -> str | None:
        failure = self.failures.get(console_id)
        if failure is None:
            return None
        failure.times -= 1
        if failure.times <= 0:
            del self.failures[console_id]
        return failure.kind


def catalogue_endpoints(fake: FakeRA) -> dict[str, Callable[[web.Request], web.Response]]:
    """The catalogue's endpoints for FakeRA's table."""
    return {
        "API_GetConsoleIDs": lambda request: _console_ids(fake, request),
        "API_GetGameList": lambda request: _game_list(fake, request),
    }


def consoles_of(dataset: Dataset, extra: dict[int, str] | None = None) -> dict[int, str]:
    """Every console a game of `dataset` names, and the extra ones, by ID."""
    consoles = {game.console_id: game.console_name for game in dataset.games.values() if game.console_id > 0}
    consoles.update(extra or {})
    return dict(sorted(consoles.items()))


def title_order(title: str) -> str:
    """The site's ordering of titles (a case- and accent-insensitive collation)."""
    decomposed = unicodedata.normalize("NFKD", title)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _cast_int(raw: str) -> int:
    """PHP's (int) cast of a query parameter: leading digits, else 0."""
    digits = ""
    for char in raw.strip():
        if not ("0" <= char <= "9" or (char == "-" and not digits)):
            break
        digits += char
    try:
        return int(digits)
    except ValueError:
        return 0


def _console_ids(fake: FakeRA, request: web.Request) -> web.Response:
    active_only = request.query.get("a") == "1"
    game_systems_only = request.query.get("g") == "1"
    rows = [
        {
            "ID": console_id,
            "Name": name,
            "IconURL": f"https://static.retroachievements.org/assets/images/system/{console_id}.png",
            "Active": True,
            "IsGameSystem": True,
        }
        for console_id, name in consoles_of(fake.dataset, fake.catalogue.extra_consoles).items()
    ]
    if not game_systems_only:
        rows += [
            {"ID": console_id, "Name": name, "IconURL": "", "Active": True, "IsGameSystem": False}
            for console_id, name in NOT_GAME_SYSTEMS.items()
        ]
    rows = [row for row in rows if row["Active"] or not active_only]
    return fake._json(sorted(rows, key=lambda row: int(str(row["ID"]))))


def _game_list(fake: FakeRA, request: web.Request) -> web.Response:
    console_id = _cast_int(request.query.get("i", ""))
    if console_id <= 0:
        return web.json_response({"success": False})
    offset, count = _cast_int(request.query.get("o", "0")), _cast_int(request.query.get("c", "0"))
    if offset < 0 or count < 0:
        field_name = "o" if offset < 0 else "c"
        message = f"The {field_name} field must be at least 0."
        return web.json_response({"message": message, "errors": {field_name: [message]}}, status=422)
    failure = fake.catalogue._take(console_id)
    if failure is not None:
        return _failed_list(failure)
    with_achievements = request.query.get("f") == "1"
    games = [
        game
        for game in fake.dataset.games.values()
        if game.console_id == console_id and (game.achievements > 0 or not with_achievements)
    ]
    games.sort(key=lambda game: (title_order(game.title), game.game_id))
    games = games[offset:] if count == 0 else games[offset : offset + count]
    hashes = request.query.get("h") == "1"
    return fake._json([_game_row(game, hashes) for game in games])


def _game_row(game: FakeGame, hashes: bool) -> dict[str, Any]:
    row: dict[str, Any] = {
        "Title": game.title,
        "ID": game.game_id,
        "ConsoleID": game.console_id,
        "ConsoleName": game.console_name,
        "ImageIcon": game.image_icon,
        "NumAchievements": game.achievements,
        "NumLeaderboards": 0,
        "Points": game.points,
        "DateModified": "2024-01-01 00:00:00",
        "ForumTopicID": game.game_id + 1000,
    }
    if hashes:
        row["Hashes"] = [f"{game.game_id:032x}"]
    return row


def _failed_list(kind: str) -> web.Response:
    if kind == "success_false":
        return web.json_response({"success": False})
    if kind == "html":
        return web.Response(status=200, text=_HTML, content_type="text/html")
    if kind == "500":
        return web.json_response({"message": "Server Error"}, status=500)
    if kind == "empty":
        return web.json_response([])
    if kind == "wrong_shape":
        return web.json_response([{"Title": None, "ID": "x"}])
    text = json.dumps([{"Title": "Cut", "ID": 1, "ConsoleID": 1}] * 20)
    return web.Response(status=200, text=text[: len(text) // 2], content_type="application/json")


# -- a generated catalogue --------------------------------------------------------------------------

_FRANCHISES = (
    "Sonic the Hedgehog", "Mega Man", "Final Fantasy", "Castlevania", "Legend of Zelda, The", "Pokémon",
    "Street Fighter", "Metal Slug", "Bomberman", "Donkey Kong", "Contra", "Gradius", "R-Type",
    "Double Dragon", "Dragon Quest", "Kirby", "Metroid", "Ninja Gaiden", "Bubble Bobble", "Puyo Puyo",
    "Adventure Island", "Wonder Boy", "Phantasy Star", "Shining Force", "Pac-Man", "Lemmings",
    "Prince of Persia", "Tomb Raider", "Crash Bandicoot", "Spyro the Dragon", "Resident Evil",
    "Ecco the Dolphin", "Earthworm Jim", "Mortal Kombat", "Addams Family, The", "Adventures of Lolo, The",
    "Simpsons, The", "Flintstones, The", "Lion King, The", "Smurfs, The", "Bard's Tale, The",
)  # fmt: skip
_SUBTITLES = (
    "The Lost Kingdom", "Return of the King", "Dawn of Chaos", "Wings of Fire", "Curse of the Moon",
    "A Link to the Past", "Symphony of the Night", "Rise of the Robots", "The Next Generation",
    "Legends", "Special Edition", "Director's Cut", "Championship Edition", "World Tour", "Deluxe",
    "Gaiden", "Revenge", "Chronicles", "Origins", "Turbo", "Arcade Edition", "Día de los Muertos",
    "L'Aventure", "Über Edition", "Café Mystery",
)  # fmt: skip
_ADJECTIVES = (
    "Crystal", "Shadow", "Turbo", "Neon", "Iron", "Golden", "Silent", "Cosmic", "Mystic", "Rapid",
    "Burning", "Frozen", "Hidden", "Wild", "Super", "Hyper", "Ultra", "Galactic", "Ancient", "Royal",
    "Crimson", "Emerald", "Electric", "Phantom", "Savage", "Sacred", "Forgotten", "Haunted", "Little",
    "Señor", "Naïve", "Pokémon", "Mega", "Micro", "Final", "Eternal", "Infinite", "Lunar", "Solar",
)  # fmt: skip
_NOUNS = (
    "Quest", "Racer", "Fighter", "Knight", "Dungeon", "Blaster", "Odyssey", "Legend", "Warrior",
    "Empire", "Saga", "Rally", "Soccer", "Golf", "Tennis", "Pinball", "Puzzle", "Castle", "Ninja",
    "Pirates", "Dragon", "Galaxy", "Island", "Kingdom", "Frontier", "Squadron", "Commando", "Wizard",
    "Hero", "Hunter", "Invaders", "Raiders", "Tactics", "Strikers", "Adventure", "Mansion", "Café",
)  # fmt: skip
_SEQUELS = ("", "", "", " 2", " 3", " II", " III", " 64", " 3D", " '94", " 2000", " DX", " Advance", " Zero")
_NUMBER_TITLES = ("1942", "1943: The Battle of Midway", "2048", "3-D WorldRunner", "720°", "10-Yard Fight")
_SAME_EVERYWHERE = ("Tetris", "Pac-Man", "Sonic the Hedgehog", "Frogger", "Breakout", "Galaga", "Pong")
_SUBSET_NAMES = ("Bonus", "Professor Oak Challenge", "No Damage", "Speedrun", "Hard Mode", "Multiplayer")
GENERATED_FIRST_ID = 1000


def add_generated_catalogue(dataset: Dataset, *, games: int = 10_000, seed: int = 1) -> list[int]:
    """Adds about `games` games over the 40 `CONSOLES` to `dataset` (IDs from GENERATED_FIRST_ID, the
    same every time for a seed); returns their IDs. Titles have commas, digits and accents; some are on
    several consoles ("Tetris" on 7), some games have subsets ("Title [Subset - Bonus]")."""
    rng = random.Random(seed)
    consoles = list(CONSOLES.items())
    next_id = GENERATED_FIRST_ID
    added: list[int] = []
    seen: set[tuple[str, int]] = {(g.title, g.console_id) for g in dataset.games.values()}

    def add(title: str, console_id: int, console_name: str) -> None:
        nonlocal next_id
        if (title, console_id) in seen or len(added) >= games:
            return
        seen.add((title, console_id))
        achievements = rng.randint(5, 120)
        dataset.add_game(
            next_id,
            title,
            console_name,
            achievements,
            achievements * rng.randint(5, 15),
            console_id=console_id,
        )
        added.append(next_id)
        next_id += 1

    for index, title in enumerate(_SAME_EVERYWHERE):
        for console_id, name in consoles[index : index + 7 if title == "Tetris" else index + 3]:
            add(title, console_id, name)
    for title in _NUMBER_TITLES:
        add(title, *rng.choice(consoles))
    while len(added) < games:
        console_id, name = rng.choice(consoles)
        title = _generated_title(rng)
        add(title, console_id, name)
        if rng.random() < 0.06:
            add(title, *rng.choice(consoles))  # the same game ported
        if rng.random() < 0.08:
            add(f"{title} [Subset - {rng.choice(_SUBSET_NAMES)}]", console_id, name)
    return added


def _generated_title(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.35:
        franchise = rng.choice(_FRANCHISES)
        if rng.random() < 0.5:
            return f"{franchise}{rng.choice(_SEQUELS)}"
        return f"{franchise}: {rng.choice(_SUBTITLES)}"
    title = f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}{rng.choice(_SEQUELS)}"
    if roll < 0.5:
        title = f"{title}: {rng.choice(_SUBTITLES)}"
    elif roll < 0.55:
        title = f"{title}, The"
    elif roll < 0.6:
        title = f"{rng.choice(_NOUNS)} & {title}"
    return title
