"""What each reply is made of: plain data, assembled by `bot.reports.gather`."""

from __future__ import annotations

from dataclasses import dataclass

from bot.ra.models import GameInfo, GameProgress, UserProfile
from bot.ra.player_games import AwardKind


@dataclass(frozen=True)
class GameEntry:
    """One game of a report. `info` is None when RetroAchievements knows no such game. `beaten` is the
    player's beaten award when they beat the game without completing or mastering it."""

    game_id: int
    info: GameInfo | None
    progress: GameProgress
    beaten: AwardKind | None = None

    @property
    def is_unknown(self) -> bool:
        return self.info is None and not self.progress.has_achievements


@dataclass(frozen=True)
class Summary:
    games: int
    mastered: int
    completed: int
    score: int
    score_hardcore: int
    possible_score: int
    beaten: int = 0  # beaten, neither completed nor mastered


@dataclass(frozen=True)
class ProgressReport:
    """`recently_played`: the entries are the player's last played games, not games asked for."""

    profile: UserProfile
    entries: tuple[GameEntry, ...]
    recently_played: bool = False

    def summary(self) -> Summary:
        known = [e.progress for e in self.entries if e.progress.has_achievements]
        return Summary(
            games=len(known),
            mastered=sum(p.mastered for p in known),
            completed=sum(p.completed for p in known),
            score=sum(p.score for p in known),
            score_hardcore=sum(p.score_hardcore for p in known),
            possible_score=sum(p.possible_score for p in known),
            beaten=sum(e.beaten is not None for e in self.entries if e.progress.has_achievements),
        )


def rank_key(progress: GameProgress) -> tuple[bool, int, int, int]:
    """Best first: mastered, then hardcore unlocks, then all unlocks, then points."""
    return (not progress.mastered, -progress.achieved_hardcore, -progress.achieved, -progress.score)


@dataclass(frozen=True)
class PlayerResult:
    name: str
    progress: GameProgress
    beaten: AwardKind | None = None  # as in GameEntry


@dataclass(frozen=True)
class ComparedGame:
    game_id: int
    info: GameInfo | None
    results: tuple[PlayerResult, ...]  # best first

    @property
    def is_unknown(self) -> bool:
        return self.info is None and not any(r.progress.has_achievements for r in self.results)


@dataclass(frozen=True)
class Comparison:
    players: tuple[UserProfile, ...]
    missing: tuple[str, ...]
    games: tuple[ComparedGame, ...]


@dataclass(frozen=True)
class BoardRow:
    discord_user_id: int
    ra_name: str
    progress: GameProgress


@dataclass(frozen=True)
class Leaderboard:
    game_id: int
    info: GameInfo | None
    rows: tuple[BoardRow, ...]  # best first
    accounts_gone: int  # linked accounts RetroAchievements no longer knows
    unchecked: int  # members whose progress could not be fetched this time

    def place_of(self, discord_user_id: int) -> int | None:
        for place, row in enumerate(self.rows, 1):
            if row.discord_user_id == discord_user_id:
                return place
        return None
