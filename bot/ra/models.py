"""Typed RetroAchievements data, checked and cast on the way in.

Every parser takes the decoded JSON as `object` and either returns a model or raises
`ResponseShapeError`; nothing deeper in the bot ever sees raw JSON. An answer is hostile until
checked, so on the way in:

- a profile's `User` must follow RetroAchievements' own name rule and its `ULID` the ULID form,
  or the answer is of the wrong shape; an empty ULID is None;
- every string loses its bidirectional, zero-width and other control characters (see `clean_text`);
- an image path that is neither a plain relative path nor an https URL becomes None;
- every number is clamped to `MAX_NUMBER`, and progress to what is possible: unlocks to the
  achievements there are, points to the points there are, hardcore to all unlocks.

Escaping Markdown and cutting text to a field's limit are the renderer's job, not done here.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from bot.patterns import ULID, USERNAME

MEDIA_BASE_URL = "https://media.retroachievements.org"
SITE_BASE_URL = "https://retroachievements.org"
# The largest number any answer may carry. Real values are far below it: a game has at most a few
# thousand achievements and tens of thousands of points, and the site's top players have a few
# million points (TotalTruePoints, the weighted total, is the largest). 10**8 leaves a 30x margin
# over those while keeping any sum of 50 games' figures short enough for every embed field.
MAX_NUMBER = 100_000_000
# The longest image path or URL kept: Discord refuses embed URLs over 2,048 characters.
MAX_IMAGE_PATH = 1000
_RELATIVE_PATH = re.compile(r"/?[A-Za-z0-9_~-][A-Za-z0-9_.~-]*(?:/[A-Za-z0-9_~-][A-Za-z0-9_.~-]*)*")
_HTTPS_URL = re.compile(
    r"https://[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
    r"(?::[0-9]{1,5})?(?:/[A-Za-z0-9_.~%/+=&?#-]*)?"
)
_ORDINARY_WHITESPACE = frozenset("\t\n\r")
# Control (Cc), format (Cf: bidirectional and zero-width marks among them), surrogate (Cs), and the
# line and paragraph separators (Zl, Zp), which act as controls too.
_STRIPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
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
    """The full URL of an image path as the parsers keep it (an https URL or a relative path)."""
    if not path:
        return None
    if path.startswith("https://"):
        return path
    return MEDIA_BASE_URL + ("" if path.startswith("/") else "/") + path


def clean_text(value: str) -> str:
    """`value` without control, format (bidirectional, zero-width), surrogate or line-separator
    characters; tabs, newlines and carriage returns are kept."""
    if value.isprintable():
        return value
    return "".join(
        char
        for char in value
        if char in _ORDINARY_WHITESPACE or unicodedata.category(char) not in _STRIPPED_CATEGORIES
    )


def image_path(value: str | None) -> str | None:
    """A cleaned image path if it is a plain relative path or an https URL, else None."""
    if value is None:
        return None
    path = clean_text(value)
    if len(path) > MAX_IMAGE_PATH:
        return None
    if _RELATIVE_PATH.fullmatch(path) or _HTTPS_URL.fullmatch(path):
        return path
    return None


def as_int(value: object, what: str) -> int:
    """Accept ints and digit strings (older responses sent `"10"`); refuse anything else.

    The result is clamped to `MAX_NUMBER`."""
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
    return min(number, MAX_NUMBER)


def _as_str(value: object, what: str) -> str:
    if isinstance(value, str):
        return clean_text(value)
    raise ResponseShapeError(f"{what} is not a string")


def _as_optional_str(value: object, what: str) -> str | None:
    return None if value is None else _as_str(value, what)


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
        numbers = {attr: as_int(entry.get(name), f"{name} of game {key}") for attr, name in _PROGRESS_FIELDS}
        result[int(key)] = _clamped_progress(int(key), numbers)
    return result


def _clamped_progress(game_id: int, numbers: dict[str, int]) -> GameProgress:
    """Impossible combinations clamped: never more unlocks or points than there are, nor more in
    hardcore than in all (bars over 100% and softcore counts below zero cannot happen)."""
    achieved = min(numbers["achieved"], numbers["possible"])
    score = min(numbers["score"], numbers["possible_score"])
    return GameProgress(
        game_id=game_id,
        possible=numbers["possible"],
        possible_score=numbers["possible_score"],
        achieved=achieved,
        score=score,
        achieved_hardcore=min(numbers["achieved_hardcore"], achieved),
        score_hardcore=min(numbers["score_hardcore"], score),
    )


def parse_game(game_id: int, data: object) -> GameInfo | None:
    """Parse API_GetGame. Returns None for `[]`, which means no such game."""
    if isinstance(data, list):
        if data:
            raise ResponseShapeError("game is a non-empty list")
        return None
    if not isinstance(data, Mapping):
        raise ResponseShapeError("game is not an object")
    return GameInfo(
        game_id=game_id,
        title=_as_str(data.get("Title"), "Title"),
        console_name=_as_optional_str(data.get("ConsoleName"), "ConsoleName") or "",
        image_icon=image_path(_as_optional_str(data.get("ImageIcon"), "ImageIcon")),
    )


def parse_user_profile(data: object) -> UserProfile | None:
    """Parse API_GetUserProfile. Returns None for `[]`, which means no such user.

    A `User` that breaks RetroAchievements' name rule, or a ULID that is not one, is a wrong shape."""
    if isinstance(data, list):
        if data:
            raise ResponseShapeError("profile is a non-empty list")
        return None
    if not isinstance(data, Mapping):
        raise ResponseShapeError("profile is not an object")
    user = data.get("User")
    if not isinstance(user, str) or not USERNAME.fullmatch(user):
        raise ResponseShapeError("User is not 2-20 letters and digits")
    ulid = data.get("ULID") or None
    if ulid is not None and not (isinstance(ulid, str) and ULID.fullmatch(ulid)):
        raise ResponseShapeError("ULID is not 26 digits and capital letters")

    def points(name: str) -> int:
        value = data.get(name)
        return 0 if value is None else as_int(value, name)

    return UserProfile(
        user=user,
        ulid=ulid,
        user_pic=image_path(_as_optional_str(data.get("UserPic"), "UserPic")),
        total_points=points("TotalPoints"),
        total_softcore_points=points("TotalSoftcorePoints"),
        total_true_points=points("TotalTruePoints"),
    )
