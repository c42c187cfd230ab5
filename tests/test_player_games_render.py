"""Beaten marks and the recently played report, rendered: exact text, precedence and the summary count."""

from __future__ import annotations

import pytest

from bot.ra.models import GameInfo, GameProgress, UserProfile
from bot.ra.player_games import AwardKind
from bot.render.compare import player_lines
from bot.render.games import crown, mark
from bot.render.progress import game_block, render_progress
from bot.reports import GameEntry, PlayerResult, ProgressReport, Summary

PLAYER = UserProfile("MaxMilyin", "00003EMFWR7XB8SDPEHB3K56ZQ", "/UserPic/MaxMilyin.png", 0, 0, 0)
SONIC2 = GameInfo(2, "Sonic the Hedgehog 2", "Genesis/Mega Drive", None)
HARDCORE, SOFTCORE = AwardKind.BEATEN_HARDCORE, AwardKind.BEATEN_SOFTCORE
HALFWAY = GameProgress(2, 35, 400, 20, 210, 12, 130)
COMPLETED = GameProgress(2, 35, 400, 35, 400, 12, 130)
MASTERED = GameProgress(2, 35, 400, 35, 400, 35, 400)


def test_a_beaten_game_is_marked_in_its_heading() -> None:
    assert game_block(GameEntry(2, SONIC2, HALFWAY, HARDCORE)) == (
        "**[Sonic the Hedgehog 2](https://retroachievements.org/game/2)** · Genesis/Mega Drive"
        " · **🏁 Beaten**\n"
        "`Softcore █████░░░░░` 57% · 20/35 · 210/400 pts\n"
        "`Hardcore ███░░░░░░░` 34% · 12/35 · 130/400 pts"
    )
    softcore = game_block(GameEntry(2, SONIC2, HALFWAY, SOFTCORE)).splitlines()[0]
    assert softcore.endswith("Genesis/Mega Drive · **🏁 Beaten (softcore)**")


@pytest.mark.parametrize(
    ("progress", "beaten", "expected_mark", "expected_crown"),
    [
        (HALFWAY, HARDCORE, "🏁 Beaten", " 🏁"),
        (HALFWAY, SOFTCORE, "🏁 Beaten (softcore)", " 🏁 SC"),
        (HALFWAY, None, None, ""),
        (COMPLETED, SOFTCORE, "✅ Completed", " ✅"),  # completion outranks a beaten award
        (MASTERED, HARDCORE, "👑 Mastered", " 👑"),
        (MASTERED, None, "👑 Mastered", " 👑"),
        (HALFWAY, AwardKind.MASTERED, None, ""),  # only beaten awards make a beaten mark
    ],
)
def test_marks_and_crowns(
    progress: GameProgress, beaten: AwardKind | None, expected_mark: str | None, expected_crown: str
) -> None:
    assert mark(progress, beaten) == expected_mark
    assert crown(progress, beaten) == expected_crown


def test_a_beaten_game_without_details_is_named_by_its_id() -> None:
    heading = game_block(GameEntry(7, None, HALFWAY, HARDCORE)).splitlines()[0]
    assert heading == "**[Game #7](https://retroachievements.org/game/7)** · **🏁 Beaten**"


def test_a_comparison_line_carries_the_beaten_crown() -> None:
    lines = player_lines(2, PlayerResult("Scott", HALFWAY, SOFTCORE)).splitlines()
    assert lines == [
        "**2. Scott** 🏁 SC",
        "`HC ███░░░░░░░` 34% · 12/35 · 130 pts",
        "`SC █████░░░░░` 57% · 20/35 · 210 pts",
    ]


def test_the_summary_counts_beaten_games_among_games_with_achievements() -> None:
    entries = (
        GameEntry(1, SONIC2, HALFWAY, HARDCORE),
        GameEntry(2, SONIC2, HALFWAY, SOFTCORE),
        GameEntry(3, SONIC2, MASTERED),
        GameEntry(4, SONIC2, HALFWAY),
        GameEntry(5, None, GameProgress(5, 0, 0, 0, 0, 0, 0), HARDCORE),  # no achievements: not counted
    )
    summary = ProgressReport(PLAYER, entries).summary()
    assert summary == Summary(
        games=4, mastered=1, completed=1, score=1030, score_hardcore=790, possible_score=1600, beaten=2
    )
    fields = render_progress(ProgressReport(PLAYER, entries))[0].to_dict()["fields"]
    assert [(f["name"], f["value"]) for f in fields] == [
        ("Mastered", "1 of 4"),
        ("Completed", "1 of 4"),
        ("Beaten", "2 of 4"),
        ("Points", "1,030 of 1,600\n(hardcore 790)"),
    ]


@pytest.mark.parametrize(
    ("recently_played", "count", "title"),
    [
        (True, 1, "Recently played: 1 game"),
        (True, 10, "Recently played: 10 games"),
        (False, 10, "Progress on 10 games"),
    ],
)
def test_the_recently_played_report_is_titled_so(recently_played: bool, count: int, title: str) -> None:
    entries = tuple(GameEntry(n, SONIC2, HALFWAY) for n in range(count))
    pages = render_progress(ProgressReport(PLAYER, entries, recently_played=recently_played))
    assert [page.title for page in pages] == [title]
