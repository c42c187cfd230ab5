"""Parsing of what members type: user names, lists of names and game lists. Pure; raises only InvalidInput.

Every parser bounds the length of what it reads before any pattern sees it, and the patterns
(`bot.patterns`) cannot backtrack, so the work is linear in the input whatever a member sends.
"""

from __future__ import annotations

from bot.errors import InvalidInput
from bot.i18n.language import Message, command, msg, msg_n
from bot.patterns import GAME_URL, LIST_SEPARATORS, MAX_GAME_ID, PROFILE_URL, is_username_or_ulid

#: Longer than any name, ULID or profile link; a longer `user` is refused before any pattern runs.
MAX_USER_TEXT = 200
#: Longer than any game ID or game page link.
MAX_GAME_TOKEN = 200
MIN_PLAYERS = 2
MAX_PLAYERS = 10
_QUOTE_LIMIT = 40
_EXAMPLE_NAME = "`MaxMilyin`"
_EXAMPLE_GAME_ID = "`1446`"
_EXAMPLE_GAME_LINK = "https://retroachievements.org/game/1446"
_WHERE_GAME_IDS_ARE = msg(
    "A game's ID is the number at the end of its page's address on retroachievements.org: "
    "search for the game there, open its page and copy the link."
)


def quote(text: str) -> str:
    """Shows member-typed text inside a message safely: on one line, shortened, in code style."""
    if len(text) > _QUOTE_LIMIT:
        text = text[: _QUOTE_LIMIT - 1] + "…"
    return "`" + " ".join(text.replace("`", "'").split()) + "`"


def parse_username(raw: str) -> str:
    """A RetroAchievements user name (2-20 ASCII letters and digits), a ULID, or a profile link."""
    text = raw.strip()
    if not text:
        raise InvalidInput(
            msg("Type a RetroAchievements user name, for example {example}.", example=_EXAMPLE_NAME)
        )
    if len(text) <= MAX_USER_TEXT:
        link = PROFILE_URL.fullmatch(text)
        name = link.group(1) if link else text
        if is_username_or_ulid(name):
            return name
    raise InvalidInput(
        msg(
            "{text} is not a RetroAchievements user name: names are 2-20 letters and digits "
            "(A-Z, 0-9), for example {example}.",
            text=quote(text),
            example=_EXAMPLE_NAME,
        )
    )


def parse_usernames(raw: str, low: int = MIN_PLAYERS, high: int = MAX_PLAYERS) -> list[str]:
    """`low` to `high` different names separated by commas or spaces; repeats (any case) count once."""
    names: list[str] = []
    seen: set[str] = set()
    for part in split_list(raw):
        name = parse_username(part)
        if name.lower() not in seen:
            seen.add(name.lower())
            names.append(name)
    if not low <= len(names) <= high:
        raise InvalidInput(wrong_player_count(len(names), low, high))
    return names


def wrong_player_count(given: int, low: int = MIN_PLAYERS, high: int = MAX_PLAYERS) -> Message:
    return msg(
        "`/{compare}` needs {low} to {high} different RetroAchievements names, "
        "separated by commas or spaces; you gave {given}.",
        compare=command("compare"),
        low=low,
        high=high,
        given=given,
    )


def parse_game_ids(raw: str, max_games: int = 50) -> list[int]:
    """Game IDs and game page links separated by commas or spaces; duplicates dropped, order kept."""
    ids: list[int] = []
    seen: set[int] = set()
    for token in split_list(raw):
        game_id = parse_game_token(token)
        if game_id not in seen:
            seen.add(game_id)
            ids.append(game_id)
    if not ids:
        raise InvalidInput(
            msg(
                "Give at least one game: a game ID such as {example_id}, or a game page link such as "
                "{example_link}.",
                example_id=_EXAMPLE_GAME_ID,
                example_link=_EXAMPLE_GAME_LINK,
            )
        )
    if len(ids) > max_games:
        raise InvalidInput(too_many_games(len(ids), max_games))
    return ids


def too_many_games(count: int, most: int) -> Message:
    return msg_n(
        "That is {n} game; one command can show at most {most}. Split them over several commands.",
        "That is {n} games; one command can show at most {most}. Split them over several commands.",
        count,
        most=most,
    )


def split_list(raw: str) -> list[str]:
    """The items of a list a member typed, without the separators and empty items."""
    return [item for item in LIST_SEPARATORS.split(raw) if item]


def parse_game_token(token: str) -> int:
    """One game ID or game page link."""
    link = GAME_URL.fullmatch(token) if len(token) <= MAX_GAME_TOKEN else None
    digits = link.group(1) if link else token
    if digits.isascii() and digits.isdigit():
        if len(digits) <= len(str(MAX_GAME_ID)) and 1 <= int(digits) <= MAX_GAME_ID:
            return int(digits)
        raise InvalidInput(
            msg(
                "{text} is not a game ID: IDs are whole numbers from 1 to {most}.",
                text=quote(token),
                most=str(MAX_GAME_ID),
            )
        )
    raise InvalidInput(
        msg(
            "{text} is not a game ID. Use numbers such as {example_id} or game page links such as "
            "{example_link}, separated by commas or spaces. {where_ids_are}",
            text=quote(token),
            example_id=_EXAMPLE_GAME_ID,
            example_link=_EXAMPLE_GAME_LINK,
            where_ids_are=_WHERE_GAME_IDS_ARE,
        )
    )
