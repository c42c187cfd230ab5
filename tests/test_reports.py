"""The data of replies: summaries, ranking order, unknown games and a member's place on a board."""

from __future__ import annotations

import pytest

from bot.ra.models import GameInfo, GameProgress, UserProfile
from bot.reports import (
    BoardRow,
    ComparedGame,
    GameEntry,
    Leaderboard,
    PlayerResult,
    ProgressReport,
    Summary,
    rank_key,
)

PROFILE = UserProfile("MaxMilyin", "00003EMFWR7XB8SDPEHB3K56ZQ", None, 0, 0, 0)
SONIC = GameInfo(1, "Sonic the Hedgehog", "Genesis/Mega Drive", None)


def standing(
    possible: int, achieved: int, hardcore: int, *, score: int = 0, hardcore_score: int = 0, points: int = 0
) -> GameProgress:
    """Progress on game 1: `achieved` unlocks of `possible`, `hardcore` of them in hardcore."""
    return GameProgress(1, possible, points, achieved, score, hardcore, hardcore_score)


def test_summary_counts_only_games_with_achievements() -> None:
    report = ProgressReport(
        PROFILE,
        (
            GameEntry(1, SONIC, standing(10, 10, 10, score=100, hardcore_score=100, points=100)),
            GameEntry(2, SONIC, standing(5, 5, 2, score=50, hardcore_score=20, points=50)),
            GameEntry(3, SONIC, standing(8, 1, 0, score=7, hardcore_score=0, points=90)),
            GameEntry(4, SONIC, standing(0, 0, 0)),
            GameEntry(5, None, standing(0, 0, 0)),
        ),
    )
    assert report.summary() == Summary(
        games=3, mastered=1, completed=2, score=157, score_hardcore=120, possible_score=240
    )


def test_a_game_is_unknown_only_without_details_and_without_achievements() -> None:
    assert GameEntry(5, None, standing(0, 0, 0)).is_unknown
    assert not GameEntry(5, SONIC, standing(0, 0, 0)).is_unknown
    assert not GameEntry(5, None, standing(3, 0, 0)).is_unknown
    nobody = ComparedGame(5, None, (PlayerResult("a", standing(0, 0, 0)),))
    assert nobody.is_unknown
    assert not ComparedGame(5, SONIC, nobody.results).is_unknown
    played = ComparedGame(
        5, None, (PlayerResult("a", standing(0, 0, 0)), PlayerResult("b", standing(2, 0, 0)))
    )
    assert not played.is_unknown


@pytest.mark.parametrize(
    ("better", "worse"),
    [
        (standing(10, 10, 10), standing(10, 10, 9)),  # mastered beats everything
        (standing(10, 3, 3), standing(10, 9, 2)),  # more hardcore unlocks first
        (standing(10, 9, 2), standing(10, 8, 2)),  # then more unlocks
        (standing(10, 8, 2, score=50), standing(10, 8, 2, score=40)),  # then more points
    ],
)
def test_rank_key_puts_the_better_standing_first(better: GameProgress, worse: GameProgress) -> None:
    assert rank_key(better) < rank_key(worse)
    assert sorted([worse, better], key=rank_key) == [better, worse]


def test_place_of_a_member_counts_from_one() -> None:
    rows = tuple(BoardRow(member, f"p{member}", standing(5, 5 - member, 0)) for member in (0, 1, 2))
    board = Leaderboard(1, SONIC, rows, accounts_gone=0, unchecked=0)
    assert [board.place_of(member) for member in (0, 1, 2, 3)] == [1, 2, 3, None]
