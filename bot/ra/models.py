"""Typed RetroAchievements data, checked and cast on the way in.

Every parser takes the decoded JSON as `object` and either returns a model or raises
`ResponseShapeError`; nothing deeper in the bot ever sees raw JSON.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

MEDIA_BASE_URL = "https://media.retroachievements.org"
SITE_BASE_URL = "https://retroachievements.org"
# ASCII only: str.isdigit() also accepts digits such as "²" that int() refuses.
_INT_TEXT = re.compile(r"-?[0-9]{1,18}")
_GAME_ID_KEY = re.compile(r"[0-9]{1,18}")


class ResponseShapeError(ValueError):
    """RetroAchievements answered JSON of a shape the bot does not understand."""


@dataclass(frozen=True)
class GameProgress:
    """One user's progress on one game, as API_GetUserProgress reports it.

    `achieved` counts every unlock (softcore and hardcore); `achieved_hardcore` is a subset of it.
    """

    game_id: int
    possible: int
    possible_score: int
    achieved: int
    score: int
    achieved_hardcore: int
    score_hardcore: int

    @property
    def has_achievements(self) -> bool:
        return self.possible > 0

    @property
    def completed(self) -> bool:
        return self.possible > 0 and self.achieved >= self.possible

    @property
    def mastered(self) -> bool:
        return self.possible > 0 and self.achieved_hardcore >= self.possible


@dataclass(frozen=True)
class GameInfo:
    game_id: int
    title: str
    console_name: str
    image_icon: str | None

    @property
    def url(self) -> str:
        return f"{SITE_BASE_URL}/game/{self.game_id}"

    @property
    def icon_url(self) -> str | None:
        return media_url(self.image_icon)


@dataclass(frozen=True)
class UserProfile:
    user: str
    ulid: str | None
    user_pic: str | None
    total_points: int
    total_softcore_points: int
    total_true_points: int

    @property
    def url(self) -> str:
        return f"{SITE_BASE_URL}/user/{self.user}"

    @property
    def avatar_url(self) -> str | None:
        return media_url(self.user_pic)


def game_url(game_id: int) -> str:
    return f"{SITE_BASE_URL}/game/{game_id}"


def media_url(path: str | None) -> str | None:
    if not path:
        return None
    if path.startswith(("https://", "http://")):
        return path
    return MEDIA_BASE_URL + ("" if path.startswith("/") else "/") + path


def as_int(value: object, what: str) -> int:
    """Accept ints and digit strings (older responses sent `"10"`); refuse anything else."""
    if isinstance(value, bool):
        raise ResponseShapeError(f"{what} is a boolean")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _INT_TEXT.fullmatch(value.strip()):
        number = int(value.strip())
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    else:
        raise ResponseShapeError(f"{what} is not a whole number")
    if number < 0:
        raise ResponseShapeError(f"{what} is negative")
    return number


def _as_str(value: object, what: str, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if isinstance(value, str):
        return value
    raise ResponseShapeError(f"{what} is not a string")


_PROGRESS_FIELDS = (
    ("possible", "NumPossibleAchievements"),
    ("possible_score", "PossibleScore"),
    ("achieved", "NumAchieved"),
    ("score", "ScoreAchieved"),
    ("achieved_hardcore", "NumAchievedHardcore"),
    ("score_hardcore", "ScoreAchievedHardcore"),
)


def parse_user_progress(data: object) -> dict[int, GameProgress] | None:
    """Parse API_GetUserProgress. Returns None for `[]`, which means the user does not exist."""
    if isinstance(data, list):
        if data:
            raise ResponseShapeError("progress is a non-empty list")
        return None
    if not isinstance(data, Mapping):
        raise ResponseShapeError("progress is not an object")
    result: dict[int, GameProgress] = {}
    for key, entry in data.items():
        if not isinstance(key, str) or not _GAME_ID_KEY.fullmatch(key):
            raise ResponseShapeError("progress has a key that is not a game ID")
        if not isinstance(entry, Mapping):
            raise ResponseShapeError(f"progress for game {key} is not an object")
        game_id = int(key)
        numbers = {attr: as_int(entry.get(name), f"{name} of game {key}") for attr, name in _PROGRESS_FIELDS}
        # Clamp impossible combinations rather than render bars over 100%.
        possible = numbers["possible"]
        achieved = min(numbers["achieved"], possible) if possible else numbers["achieved"]
        hardcore = min(numbers["achieved_hardcore"], achieved)
        result[game_id] = GameProgress(
            game_id=game_id,
            possible=possible,
            possible_score=numbers["possible_score"],
            achieved=achieved,
            score=numbers["score"],
            achieved_hardcore=hardcore,
            score_hardcore=numbers["score_hardcore"],
        )
    return result


def parse_game(game_id: int, data: object) -> GameInfo | None:
    """Parse API_GetGame. Returns None for `[]`, which means no such game."""
    if isinstance(data, list):
        if data:
            raise ResponseShapeError("game is a non-empty list")
        return None
    if not isinstance(data, Mapping):
        raise ResponseShapeError("game is not an object")
    title = _as_str(data.get("Title"), "Title")
    console = _as_str(data.get("ConsoleName"), "ConsoleName", optional=True)
    icon = _as_str(data.get("ImageIcon"), "ImageIcon", optional=True)
    assert title is not None
    return GameInfo(game_id=game_id, title=title, console_name=console or "", image_icon=icon or None)


def parse_user_profile(data: object) -> UserProfile | None:
    """Parse API_GetUserProfile. Returns None for `[]`, which means no such user."""
    if isinstance(data, list):
        if data:
            raise ResponseShapeError("profile is a non-empty list")
        return None
    if not isinstance(data, Mapping):
        raise ResponseShapeError("profile is not an object")
    user = _as_str(data.get("User"), "User")
    assert user is not None
    if not user:
        raise ResponseShapeError("User is empty")

    def points(name: str) -> int:
        value = data.get(name)
        return 0 if value is None else as_int(value, name)

    return UserProfile(
        user=user,
        ulid=_as_str(data.get("ULID"), "ULID", optional=True) or None,
        user_pic=_as_str(data.get("UserPic"), "UserPic", optional=True) or None,
        total_points=points("TotalPoints"),
        total_softcore_points=points("TotalSoftcorePoints"),
        total_true_points=points("TotalTruePoints"),
    )
