"""API_GetRecentGameAwards: every beaten and mastery award granted on the site, newest first, typed.

A page is hostile until checked, like every answer (see `bot.ra.models`). The page itself must be an
object with a `Results` list, or it is of the wrong shape. One bad row must not stop a feed that reads
every page, so a row is skipped (and counted in `skipped`) when its user name breaks RetroAchievements'
rule, its ULID is not one, its kind is not one of `AWARD_KINDS`, its date is not an ISO 8601 time, or
its game is not a positive ID. Texts are cleaned as every other answer's are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.patterns import ULID, USERNAME
from bot.ra.models import MAX_NUMBER, ResponseShapeError, as_int, clean_text, game_url, media_url
from bot.ra.player_games import AwardKind

RECENT_GAME_AWARDS = "API_GetRecentGameAwards"
#: The most awards one request returns (larger counts are cut to it by the server).
MAX_PAGE = 100
MASTERED = AwardKind.MASTERED.value
COMPLETED = AwardKind.COMPLETED.value
BEATEN_HARDCORE = AwardKind.BEATEN_HARDCORE.value
BEATEN_SOFTCORE = AwardKind.BEATEN_SOFTCORE.value
#: The award kinds, highest first, as the API names them.
AWARD_KINDS: tuple[str, ...] = (MASTERED, COMPLETED, BEATEN_HARDCORE, BEATEN_SOFTCORE)
# The longest ISO 8601 time read ("2026-11-30T21:04:05.123456+00:00" is 32 characters).
_MAX_DATE_TEXT = 40
_MAX_TITLE = 1000


@dataclass(frozen=True)
class GameAward:
    """One award: `user` earned `kind` on `game_id` at `awarded_at` (timezone-aware, UTC)."""

    user: str
    ulid: str
    kind: str
    awarded_at: datetime
    game_id: int
    game_title: str
    console_id: int
    console_name: str

    @property
    def key(self) -> str:
        """What identifies an award across pages and polls: ULID, game, kind and time."""
        return f"{self.ulid}:{self.game_id}:{self.kind}:{int(self.awarded_at.timestamp())}"

    @property
    def game_url(self) -> str:
        return game_url(self.game_id)

    @property
    def avatar_url(self) -> str | None:
        return media_url(f"/UserPic/{self.user}.png")


@dataclass(frozen=True)
class AwardsPage:
    """One page: `total` awards match the query; `awards` are this page's, newest first."""

    total: int
    awards: tuple[GameAward, ...]
    rows: int  # rows the page held, skipped ones included
    skipped: int


def parse_award_date(value: object) -> datetime | None:
    """An ISO 8601 time as an aware UTC datetime (a time without an offset is taken as UTC), or None."""
    if not isinstance(value, str) or not value or len(value) > _MAX_DATE_TEXT:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_recent_game_awards(data: object) -> AwardsPage:
    """Parse API_GetRecentGameAwards (`{Count, Total, Results: [...]}`)."""
    if not isinstance(data, Mapping):
        raise ResponseShapeError("recent game awards is not an object")
    results = data.get("Results")
    if not isinstance(results, list):
        raise ResponseShapeError("Results is not a list")
    total_value = data.get("Total")
    total = len(results) if total_value is None else as_int(total_value, "Total")
    awards = [award for award in map(_award, results) if award is not None]
    return AwardsPage(
        total=total, awards=tuple(awards), rows=len(results), skipped=len(results) - len(awards)
    )


def _award(row: object) -> GameAward | None:
    if not isinstance(row, Mapping):
        return None
    user, ulid, kind = row.get("User"), row.get("ULID"), row.get("AwardKind")
    if not (isinstance(user, str) and USERNAME.fullmatch(user)):
        return None
    if not (isinstance(ulid, str) and ULID.fullmatch(ulid)):
        return None
    if kind not in AWARD_KINDS:
        return None
    awarded_at = parse_award_date(row.get("AwardDate"))
    if awarded_at is None:
        return None
    try:
        game_id = as_int(row.get("GameID"), "GameID")
        console_id = 0 if row.get("ConsoleID") is None else as_int(row.get("ConsoleID"), "ConsoleID")
    except ResponseShapeError:
        return None
    if not 0 < game_id < MAX_NUMBER:
        return None
    return GameAward(
        user=user,
        ulid=ulid,
        kind=str(kind),
        awarded_at=awarded_at,
        game_id=game_id,
        game_title=_text(row.get("GameTitle")) or f"Game {game_id}",
        console_id=console_id,
        console_name=_text(row.get("ConsoleName")),
    )


def _text(value: object) -> str:
    return clean_text(value)[:_MAX_TITLE].strip() if isinstance(value, str) else ""
