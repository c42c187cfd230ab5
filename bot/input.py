"""Parsing of what members type: user names and game lists. Pure; raises only InvalidInput."""

from __future__ import annotations

import re

from bot.errors import InvalidInput

MAX_GAME_ID = 2**31 - 1
_USERNAME = re.compile(r"[A-Za-z0-9]{2,20}")
_ULID = re.compile(r"[0-9A-Z]{26}")
_PROFILE_URL = re.compile(
    r"(?:https?://)?(?:www\.)?retroachievements\.org/user/([^/?#\s]+)[/?#]?\S*", re.IGNORECASE
)
_GAME_URL = re.compile(
    r"(?:https?://)?(?:www\.)?retroachievements\.org/game/(\d+)(?:[/?#]\S*)?", re.IGNORECASE
)
_SEPARATORS = re.compile(r"[\s,;]+")
_QUOTE_LIMIT = 40


def quote(text: str) -> str:
    """Shows member-typed text inside a message safely: shortened, in code style, no backticks."""
    cleaned = text.replace("`", "'").replace("\n", " ")
    if len(cleaned) > _QUOTE_LIMIT:
        cleaned = cleaned[: _QUOTE_LIMIT - 1] + "…"
    return f"`{cleaned}`"


def parse_username(raw: str) -> str:
    """A RetroAchievements user name (2-20 ASCII letters and digits), a ULID, or a profile link."""
    text = raw.strip()
    if not text:
        raise InvalidInput("Type a RetroAchievements user name, for example `MaxMilyin`.")
    url = _PROFILE_URL.fullmatch(text)
    if url:
        text = url.group(1)
    if _USERNAME.fullmatch(text) or _ULID.fullmatch(text):
        return text
    raise InvalidInput(
        f"{quote(raw.strip())} is not a RetroAchievements user name: names are 2-20 letters and digits "
        "(A-Z, 0-9), for example `MaxMilyin`."
    )


def parse_game_ids(raw: str, max_games: int = 50) -> list[int]:
    """Game IDs and game page links separated by commas or spaces; duplicates dropped, order kept."""
    ids: list[int] = []
    seen: set[int] = set()
    for token in _SEPARATORS.split(raw.strip()):
        if not token:
            continue
        game_id = _parse_game_token(token)
        if game_id not in seen:
            seen.add(game_id)
            ids.append(game_id)
    if not ids:
        raise InvalidInput(
            "Give at least one game: a game ID such as `1446`, or a game page link such as "
            "https://retroachievements.org/game/1446."
        )
    if len(ids) > max_games:
        raise InvalidInput(
            f"That is {len(ids)} games; one command can show at most {max_games}. "
            "Split them over several commands."
        )
    return ids


def _parse_game_token(token: str) -> int:
    url = _GAME_URL.fullmatch(token)
    digits = url.group(1) if url else token
    if digits.isascii() and digits.isdigit():
        game_id = int(digits)
        if 1 <= game_id <= MAX_GAME_ID:
            return game_id
        raise InvalidInput(f"{quote(token)} is not a game ID: IDs are whole numbers from 1 up.")
    raise InvalidInput(
        f"{quote(token)} is not a game ID. Use numbers such as `1446` or game page links such as "
        "https://retroachievements.org/game/1446, separated by commas or spaces."
    )
