"""Rendering: bars, percentages, edge cases and the exact text of game entries."""

from __future__ import annotations

import pytest

from bot.ra.models import GameInfo, GameProgress, UserProfile
from bot.render.bars import bar, percent_floor
from bot.render.progress import game_block, render_progress
from bot.reports import GameEntry, ProgressReport

SONIC = GameInfo(1, "Sonic the Hedgehog", "Genesis/Mega Drive", "/Images/085573.png")
PLAYER = UserProfile("MaxMilyin", "00003EMFWR7XB8SDPEHB3K56ZQ", "/UserPic/MaxMilyin.png", 0, 0, 0)


def progress(
    game_id: int, possible: int, score: int, achieved: int, got: int, hc: int, hc_got: int
) -> GameProgress:
    return GameProgress(game_id, possible, score, achieved, got, hc, hc_got)


@pytest.mark.parametrize(
    ("done", "total", "expected"),
    [(0, 10, 0), (1, 3, 33), (2, 3, 66), (199, 200, 99), (200, 200, 100), (5, 0, 0), (0, 0, 0)],
)
def test_percent_is_rounded_down_and_100_only_when_complete(done: int, total: int, expected: int) -> None:
    assert percent_floor(done, total) == expected


@pytest.mark.parametrize(
    ("done", "total", "expected"),
    [(0, 23, "░" * 10), (22, 23, "█" * 9 + "░"), (23, 23, "█" * 10), (1, 3, "███░░░░░░░"), (0, 0, "░" * 10)],
)
def test_bar_fills_in_proportion_rounded_down(done: int, total: int, expected: str) -> None:
    assert bar(done, total) == expected


def test_mastered_game_block() -> None:
    entry = GameEntry(1, SONIC, progress(1, 23, 251, 23, 251, 23, 251))
    assert game_block(entry) == (
        "**[Sonic the Hedgehog](https://retroachievements.org/game/1)** · Genesis/Mega Drive"
        " · **👑 Mastered**\n"
        "`Softcore ██████████` 100% · 23/23 · 251/251 pts\n"
        "`Hardcore ██████████` 100% · 23/23 · 251/251 pts"
    )


def test_softcore_counts_hardcore_unlocks_too() -> None:
    # RAWeb's fixture: 3 achievements, one unlocked in hardcore and one in softcore only.
    entry = GameEntry(1, SONIC, progress(1, 3, 40, 2, 15, 1, 5))
    lines = game_block(entry).splitlines()
    assert lines[1] == "`Softcore ██████░░░░` 66% · 2/3 · 15/40 pts"
    assert lines[2] == "`Hardcore ███░░░░░░░` 33% · 1/3 · 5/40 pts"
    assert "Mastered" not in lines[0] and "Completed" not in lines[0]


def test_completed_but_not_mastered() -> None:
    entry = GameEntry(3, SONIC, progress(3, 30, 350, 30, 350, 25, 290))
    assert game_block(entry).splitlines()[0].endswith("· **✅ Completed**")


def test_unknown_game_and_game_without_achievements_have_no_bar() -> None:
    unknown = game_block(GameEntry(15934, None, progress(15934, 0, 0, 0, 0, 0, 0)))
    assert unknown == "**Unknown game #15934**\nRetroAchievements has no game with this ID."
    empty = game_block(GameEntry(3, GameInfo(3, "Homebrew", "NES", None), progress(3, 0, 0, 0, 0, 0, 0)))
    assert empty == "**[Homebrew](https://retroachievements.org/game/3)** · NES\nNo achievements yet."


def test_never_played_shows_empty_bars() -> None:
    lines = game_block(GameEntry(2, SONIC, progress(2, 5, 50, 0, 0, 0, 0))).splitlines()
    assert lines[1] == "`Softcore ░░░░░░░░░░` 0% · 0/5 · 0/50 pts"


def test_titles_cannot_break_markdown_or_links() -> None:
    info = GameInfo(9, "~~Hack~~ [Subset - Bonus] *x* @everyone", "N64", None)
    heading = game_block(GameEntry(9, info, progress(9, 1, 1, 0, 0, 0, 0))).splitlines()[0]
    assert heading.startswith("**[\\~\\~Hack\\~\\~ \\[Subset - Bonus\\] \\*x\\* @everyone](")


def test_summary_and_pages() -> None:
    entries = tuple(
        GameEntry(
            i, GameInfo(i, f"Game {i}", "NES", None), progress(i, 10, 100, 10, 100, 10 if i % 2 else 5, 50)
        )
        for i in range(1, 24)
    )
    pages = render_progress(ProgressReport(PLAYER, entries))
    assert len(pages) == 3
    first = pages[0].to_dict()
    assert first["footer"]["text"] == "Data from RetroAchievements.org · Page 1/3"
    assert [(f["name"], f["value"]) for f in first["fields"]] == [
        ("Mastered", "12 of 23"),
        ("Completed", "23 of 23"),
        ("Beaten", "0 of 23"),
        ("Points", "2,300 of 2,300\n(hardcore 1,150)"),
    ]
    assert first["author"] == {
        "name": "MaxMilyin",
        "url": "https://retroachievements.org/user/MaxMilyin",
        "icon_url": "https://media.retroachievements.org/UserPic/MaxMilyin.png",
    }
