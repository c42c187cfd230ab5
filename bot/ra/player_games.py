"""A player's games: what they played last (API_GetUserRecentlyPlayedGames) and their awards
(API_GetUserCompletionProgress), typed and checked on the way in as `bot.ra.models` does.

The six progress numbers of a recently played game go through `parse_user_progress` itself, so they
are cast and clamped by exactly the same rules; texts are cleaned and image paths checked as there.
Cache keys and codecs live here too, beside the types they store.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from bot.ra.backends import KEY_PREFIX
from bot.ra.models import (
    GameInfo,
    GameProgress,
    ResponseShapeError,
    as_int,
    clean_text,
    image_path,
    parse_user_progress,
)

#: The most games API_GetUserRecentlyPlayedGames gives in one answer.
MAX_RECENT_GAMES = 50
#: The most rows API_GetUserCompletionProgress gives in one answer; the client always asks for this many.
COMPLETION_PAGE_SIZE = 500
#: API_GetUserCompletionProgress lists only games with more than this many achievements.
COMPLETION_MIN_ACHIEVEMENTS = 5
_PROGRESS_FIELDS = (
    "NumPossibleAchievements",
    "PossibleScore",
    "NumAchieved",
    "ScoreAchieved",
    "NumAchievedHardcore",
    "ScoreAchievedHardcore",
)


class AwardKind(enum.StrEnum):
    """A game's highest award on the site, as `HighestAwardKind` names it."""

    MASTERED = "mastered"
    COMPLETED = "completed"
    BEATEN_HARDCORE = "beaten-hardcore"
    BEATEN_SOFTCORE = "beaten-softcore"


BEATEN_KINDS = frozenset({AwardKind.BEATEN_HARDCORE, AwardKind.BEATEN_SOFTCORE})


@dataclass(frozen=True)
class RecentGame:
    """One recently played game: its details and the player's progress on it."""

    info: GameInfo
    progress: GameProgress


@dataclass(frozen=True)
class CompletionPage:
    """One page of a player's completion progress: each listed game's highest award (None: no award).

    `rows` is how many rows the page held (a game listed twice counts twice); `total` how many the
    player has in all, as the server says."""

    offset: int
    total: int
    rows: int
    awards: Mapping[int, AwardKind | None]

    @property
    def next_offset(self) -> int:
        return self.offset + self.rows

    @property
    def has_more(self) -> bool:
        """Whether a next page can hold more rows: this one was full and the total goes further."""
        return self.rows >= COMPLETION_PAGE_SIZE and self.next_offset < self.total


def could_be_beaten(progress: GameProgress) -> bool:
    """Whether a beaten mark could apply: a game completion progress lists (more than 5 achievements,
    some unlocked) that is neither completed nor mastered."""
    return progress.possible > COMPLETION_MIN_ACHIEVEMENTS and 0 < progress.achieved < progress.possible


def beaten_mark(award: AwardKind | None, progress: GameProgress) -> AwardKind | None:
    """The beaten award to show on a game, if the player beat it without completing or mastering it."""
    if award in BEATEN_KINDS and not progress.completed:
        return award
    return None


# -- parsers -----------------------------------------------------------------------------------


def parse_recently_played(data: object) -> tuple[RecentGame, ...]:
    """Parse API_GetUserRecentlyPlayedGames, most recent first. An unknown user's `[]` is no games."""
    if not isinstance(data, list):
        raise ResponseShapeError("recently played games is not a list")
    return tuple(_recent_game(row) for row in data)


def _recent_game(row: object) -> RecentGame:
    if not isinstance(row, Mapping):
        raise ResponseShapeError("a recently played game is not an object")
    game_id = _game_id(row.get("GameID"))
    progress = parse_user_progress({str(game_id): {name: row.get(name) for name in _PROGRESS_FIELDS}})
    assert progress is not None  # an object is never the unknown user's `[]`
    info = GameInfo(
        game_id=game_id,
        title=_text(row.get("Title"), "Title"),
        console_name=_optional_text(row.get("ConsoleName"), "ConsoleName") or "",
        image_icon=image_path(_optional_text(row.get("ImageIcon"), "ImageIcon")),
    )
    return RecentGame(info=info, progress=progress[game_id])


def parse_completion_page(offset: int, data: object) -> CompletionPage:
    """Parse API_GetUserCompletionProgress. An unknown user's `{"Count":0,"Total":0,"Results":[]}` is an
    empty page. A `HighestAwardKind` the bot does not know counts as no award."""
    if not isinstance(data, Mapping):
        raise ResponseShapeError("completion progress is not an object")
    results = data.get("Results")
    if not isinstance(results, list):
        raise ResponseShapeError("Results is not a list")
    awards: dict[int, AwardKind | None] = {}
    for row in results:
        if not isinstance(row, Mapping):
            raise ResponseShapeError("a completion progress row is not an object")
        awards[_game_id(row.get("GameID"))] = _award(row.get("HighestAwardKind"))
    total = data.get("Total")
    return CompletionPage(
        offset=offset,
        total=len(results) if total is None else as_int(total, "Total"),
        rows=len(results),
        awards=awards,
    )


def _game_id(value: object) -> int:
    game_id = as_int(value, "GameID")
    if game_id < 1:
        raise ResponseShapeError("GameID is not a game ID")
    return game_id


def _award(value: object) -> AwardKind | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ResponseShapeError("HighestAwardKind is not a string")
    try:
        return AwardKind(value)
    except ValueError:
        return None


def _text(value: object, what: str) -> str:
    if isinstance(value, str):
        return clean_text(value)
    raise ResponseShapeError(f"{what} is not a string")


def _optional_text(value: object, what: str) -> str | None:
    return None if value is None else _text(value, what)


# -- cache keys and codecs ---------------------------------------------------------------------


def recently_played_key(user: str, count: int) -> str:
    return f"{KEY_PREFIX}recent:{user.lower()}:{count}"


def completion_key(user: str, offset: int) -> str:
    return f"{KEY_PREFIX}completion:{user.lower()}:{offset}"


class RecentlyPlayedCodec:
    """`tuple[RecentGame, ...]` <-> a list of {info, progress} objects (order kept)."""

    def dump(self, value: tuple[RecentGame, ...]) -> Any:
        return [{"info": asdict(game.info), "progress": asdict(game.progress)} for game in value]

    def load(self, data: Any) -> tuple[RecentGame, ...]:
        return tuple(RecentGame(GameInfo(**row["info"]), GameProgress(**row["progress"])) for row in data)


class CompletionCodec:
    """`CompletionPage` <-> an object whose awards are [game ID, kind or null] pairs (order kept)."""

    def dump(self, value: CompletionPage) -> Any:
        return {
            "offset": value.offset,
            "total": value.total,
            "rows": value.rows,
            "awards": [[game_id, kind] for game_id, kind in value.awards.items()],
        }

    def load(self, data: Any) -> CompletionPage:
        awards = {game_id: None if kind is None else AwardKind(kind) for game_id, kind in data["awards"]}
        return CompletionPage(data["offset"], data["total"], data["rows"], awards)


RECENTLY_PLAYED_CODEC = RecentlyPlayedCodec()
COMPLETION_CODEC = CompletionCodec()

__all__ = [
    "BEATEN_KINDS",
    "COMPLETION_CODEC",
    "COMPLETION_MIN_ACHIEVEMENTS",
    "COMPLETION_PAGE_SIZE",
    "MAX_RECENT_GAMES",
    "RECENTLY_PLAYED_CODEC",
    "AwardKind",
    "CompletionPage",
    "RecentGame",
    "beaten_mark",
    "completion_key",
    "could_be_beaten",
    "parse_completion_page",
    "parse_recently_played",
    "recently_played_key",
]
