"""Rendering: bars, percentages, numbers, pages, and the exact text of game entries."""

from __future__ import annotations

import gettext

import pytest
from babel import Locale
from hypothesis import given
from hypothesis import strategies as st

from bot.i18n.language import Language
from bot.ra.models import GameInfo, GameProgress, UserProfile
from bot.render import numbers
from bot.render.bars import bar, percent_floor
from bot.render.numbers import compact_count, count
from bot.render.pages import page_footer, paginate_blocks
from bot.render.progress import game_block, progress_lines, render_progress
from bot.render.style import EMBED_COLOUR, FOOTER
from bot.reports import GameEntry, ProgressReport

SONIC = GameInfo(1, "Sonic the Hedgehog", "Genesis/Mega Drive", "/Images/085573.png")
PLAYER = UserProfile("MaxMilyin", "00003EMFWR7XB8SDPEHB3K56ZQ", "/UserPic/MaxMilyin.png", 0, 0, 0)


def progress(
    game_id: int,
    achievements: int,
    points: int,
    *,
    unlocked: tuple[int, int] = (0, 0),
    unlocked_hardcore: tuple[int, int] = (0, 0),
) -> GameProgress:
    """A game of `achievements` worth `points`; `unlocked` and `unlocked_hardcore` are
    (achievements, points), and every hardcore unlock is also counted in `unlocked`."""
    return GameProgress(
        game_id=game_id,
        possible=achievements,
        possible_score=points,
        achieved=unlocked[0],
        score=unlocked[1],
        achieved_hardcore=unlocked_hardcore[0],
        score_hardcore=unlocked_hardcore[1],
    )


def entry(game_id: int, game: GameProgress | None = None) -> GameEntry:
    info = GameInfo(game_id, f"Game {game_id}", "NES", None)
    return GameEntry(game_id, info, game or progress(game_id, 10, 100, unlocked=(10, 100)))


# ---------------------------------------------------------------------------------------------- bars


@pytest.mark.parametrize(
    ("done", "total", "expected"),
    [
        (0, 10, 0),
        (1, 3, 33),
        (2, 3, 66),
        (199, 200, 99),
        (200, 200, 100),
        (5, 0, 0),
        (0, 0, 0),
        (1, 1, 100),
        (30, 23, 100),
        (10**300, 1, 100),
        (-5, 10, 0),
    ],
)
def test_percent_is_rounded_down_and_never_above_100(done: int, total: int, expected: int) -> None:
    assert percent_floor(done, total) == expected


@pytest.mark.parametrize(
    ("done", "total", "expected"),
    [
        (0, 23, "░" * 10),
        (22, 23, "█" * 9 + "░"),
        (23, 23, "█" * 10),
        (1, 3, "███░░░░░░░"),
        (0, 0, "░" * 10),
        (1, 1, "█" * 10),
        (5, 0, "░" * 10),
        (30, 23, "█" * 10),
        (10**300, 7, "█" * 10),
        (-5, 10, "░" * 10),
    ],
)
def test_bar_fills_in_proportion_rounded_down_and_never_past_its_width(
    done: int, total: int, expected: str
) -> None:
    assert bar(done, total) == expected


def test_bar_of_another_width() -> None:
    assert bar(1, 2, width=4) == "██░░"
    assert bar(9, 2, width=4) == "████"


@given(st.integers(), st.integers(), st.integers(min_value=0, max_value=50))
def test_bars_and_percentages_stay_in_bounds(done: int, total: int, width: int) -> None:
    drawn = bar(done, total, width)
    assert len(drawn) == width
    assert set(drawn) <= {"█", "░"}
    complete = total > 0 and done >= total
    assert (drawn == "█" * width) == (complete or width == 0)
    assert 0 <= percent_floor(done, total) <= 100
    assert (percent_floor(done, total) == 100) == complete


# ---------------------------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("number", "shown"),
    [
        (0, "0"),
        (999, "999"),
        (1_000, "1,000"),
        (999_999, "999,999"),
        (1_000_000, "1M"),
        (1_999_999, "1M"),
        (999_999_999, "999M"),
        (10**9, "1B"),
        (10**12 - 1, "999B"),
        (10**12, "1T"),
        (10**15 - 1, "999T"),
        (10**15, "999T+"),
        (10**300, "999T+"),
    ],
)
def test_count_is_exact_below_a_million_then_rounded_down(number: int, shown: str) -> None:
    assert count(number) == shown


@pytest.mark.parametrize(
    ("number", "shown"),
    [
        (0, "0"),
        (251, "251"),
        (9_999, "9,999"),
        (10_000, "10K"),
        (12_345, "12K"),
        (999_999, "999K"),
        (10**6, "1M"),
        (10**15, "999T+"),
    ],
)
def test_compact_count_is_exact_below_ten_thousand(number: int, shown: str) -> None:
    assert compact_count(number) == shown


def test_rounding_down_leaves_numbers_below_a_thousand_as_they_are() -> None:
    assert numbers._rounded_down(999) == "999"
    assert numbers._rounded_down(1_000) == "1K"


@given(st.integers(min_value=0))
def test_counts_have_a_bounded_width(number: int) -> None:
    assert len(count(number)) <= 7
    assert len(compact_count(number)) <= 5


# ---------------------------------------------------------------------------------------------- pages


def test_pages_hold_whole_blocks_up_to_a_count_and_a_budget() -> None:
    blocks = ["a" * 8, "b" * 8, "c" * 8]
    # Each block costs its length plus the separator: 10.
    assert paginate_blocks(blocks, per_page=2, budget=100) == [["a" * 8, "b" * 8], ["c" * 8]]
    assert paginate_blocks(blocks, per_page=5, budget=20) == [["a" * 8, "b" * 8], ["c" * 8]]
    assert paginate_blocks(blocks, per_page=5, budget=19) == [["a" * 8], ["b" * 8], ["c" * 8]]
    assert paginate_blocks(blocks, per_page=5, budget=30) == [blocks]
    # Every page starts its count afresh.
    five = [c * 8 for c in "abcde"]
    assert paginate_blocks(five, per_page=5, budget=20) == [five[0:2], five[2:4], five[4:]]
    # A block larger than the budget still gets a page of its own.
    assert paginate_blocks(["x" * 50, "y"], per_page=5, budget=20) == [["x" * 50], ["y"]]
    assert paginate_blocks([], per_page=5) == [[]]


def test_page_footer_numbers_pages_only_when_there_are_several() -> None:
    assert page_footer("Base", 1, 1) == "Base"
    assert page_footer("Base", 2, 3) == "Base · Page 2/3"


# ---------------------------------------------------------------------------------------------- games


def test_mastered_game_block() -> None:
    mastered = GameEntry(1, SONIC, progress(1, 23, 251, unlocked=(23, 251), unlocked_hardcore=(23, 251)))
    assert game_block(mastered) == (
        "**[Sonic the Hedgehog](https://retroachievements.org/game/1)** · Genesis/Mega Drive"
        " · **👑 Mastered**\n"
        "`Softcore ██████████` 100% · 23/23 · 251/251 pts\n"
        "`Hardcore ██████████` 100% · 23/23 · 251/251 pts"
    )


def test_softcore_counts_hardcore_unlocks_too() -> None:
    # RAWeb's fixture: 3 achievements, one unlocked in hardcore and one in softcore only.
    fixture = GameEntry(1, SONIC, progress(1, 3, 40, unlocked=(2, 15), unlocked_hardcore=(1, 5)))
    lines = game_block(fixture).splitlines()
    assert lines[1] == "`Softcore ██████░░░░` 66% · 2/3 · 15/40 pts"
    assert lines[2] == "`Hardcore ███░░░░░░░` 33% · 1/3 · 5/40 pts"
    assert "Mastered" not in lines[0] and "Completed" not in lines[0]


def test_completed_but_not_mastered() -> None:
    completed = GameEntry(3, SONIC, progress(3, 30, 350, unlocked=(30, 350), unlocked_hardcore=(25, 290)))
    assert game_block(completed).splitlines()[0].endswith(" · **✅ Completed**")


def test_unknown_game_and_game_without_achievements_have_no_bar() -> None:
    unknown = game_block(GameEntry(15934, None, progress(15934, 0, 0)))
    assert unknown == "**Unknown game #15934**\nRetroAchievements has no game with this ID."
    empty = game_block(GameEntry(3, GameInfo(3, "Homebrew", "NES", None), progress(3, 0, 0)))
    assert empty == "**[Homebrew](https://retroachievements.org/game/3)** · NES\nNo achievements yet."


def test_a_game_the_catalogue_does_not_name_is_still_shown_by_id() -> None:
    nameless = game_block(GameEntry(7, None, progress(7, 5, 50, unlocked=(1, 10))))
    assert nameless.splitlines()[0] == "**[Game #7](https://retroachievements.org/game/7)**"
    blank_title = game_block(GameEntry(8, GameInfo(8, " \u200b ", "", None), progress(8, 5, 50)))
    assert blank_title.splitlines()[0] == "**[Game #8](https://retroachievements.org/game/8)**"


def test_never_played_shows_empty_bars() -> None:
    lines = game_block(GameEntry(2, SONIC, progress(2, 5, 50))).splitlines()
    assert lines[1] == "`Softcore ░░░░░░░░░░` 0% · 0/5 · 0/50 pts"


def test_mode_labels_are_padded_after_the_word_whichever_is_shorter() -> None:
    """In every catalogue so far the hardcore word is the longer; a language where it is the shorter
    pads it after the word too, so that both labels start at the line's start."""

    class ShortHardcore(gettext.NullTranslations):
        def gettext(self, message: str) -> str:
            return {"Softcore": "Casual", "Hardcore": "HC"}.get(message, message)

    language = Language("xx", Locale.parse("en"), ShortHardcore())
    assert progress_lines(progress(1, 10, 100, unlocked=(5, 50), unlocked_hardcore=(1, 10)), language) == (
        "`Casual █████░░░░░` 50% · 5/10 · 50/100 pts",
        "`HC     █░░░░░░░░░` 10% · 1/10 · 10/100 pts",
    )


def test_a_game_worth_one_point_says_pt() -> None:
    lines = game_block(GameEntry(2, SONIC, progress(2, 1, 1, unlocked=(1, 1)))).splitlines()
    assert lines[1:] == [
        "`Softcore ██████████` 100% · 1/1 · 1/1 pt",
        "`Hardcore ░░░░░░░░░░` 0% · 0/1 · 0/1 pt",
    ]


def test_huge_numbers_are_shown_rounded_down() -> None:
    huge = progress(4, 10**300, 10**300, unlocked=(10**299, 2 * 10**6), unlocked_hardcore=(10**6, 10**9))
    lines = game_block(GameEntry(4, SONIC, huge)).splitlines()
    assert lines[1] == "`Softcore █░░░░░░░░░` 10% · 999T+/999T+ · 2M/999T+ pts"
    assert lines[2] == "`Hardcore ░░░░░░░░░░` 0% · 1M/999T+ · 1B/999T+ pts"


def test_titles_cannot_break_markdown_or_links() -> None:
    info = GameInfo(9, "~~Hack~~ [Subset - Bonus] *x* @everyone", "N64", None)
    heading = game_block(GameEntry(9, info, progress(9, 1, 1))).splitlines()[0]
    assert heading.startswith("**[\\~\\~Hack\\~\\~ \\[Subset - Bonus\\] \\*x\\* @everyone](")


# ---------------------------------------------------------------------------------------------- reports


def test_summary_title_and_pages() -> None:
    entries = tuple(
        entry(
            i,
            progress(i, 10, 100, unlocked=(10, 100), unlocked_hardcore=(10 if i % 2 else 5, 50)),
        )
        for i in range(1, 24)
    )
    pages = render_progress(ProgressReport(PLAYER, entries))
    assert len(pages) == 3
    first = pages[0].to_dict()
    assert first["footer"]["text"] == "Data from RetroAchievements.org · Page 1/3"
    assert [(f["name"], f["value"], f["inline"]) for f in first["fields"]] == [
        ("Mastered", "12 of 23", True),
        ("Completed", "23 of 23", True),
        ("Beaten", "0 of 23", True),
        ("Points", "2,300 of 2,300\n(hardcore 1,150)", True),
    ]
    assert first["author"] == {
        "name": "MaxMilyin",
        "url": "https://retroachievements.org/user/MaxMilyin",
        "icon_url": "https://media.retroachievements.org/UserPic/MaxMilyin.png",
    }
    assert first["color"] == EMBED_COLOUR
    for page in pages:
        assert page.title == "Progress on 23 games"  # all the games, not this page's
        assert page.to_dict()["fields"] == first["fields"]
    assert [page.footer.text for page in pages] == [f"{FOOTER} · Page {n}/3" for n in (1, 2, 3)]


def test_ten_games_a_page_in_order() -> None:
    games = tuple(entry(i) for i in range(1, 24))
    pages = render_progress(ProgressReport(PLAYER, games))
    shown = [
        [int(line.split("game/")[1].split(")")[0]) for line in (page.description or "").split("\n\n")]
        for page in pages
    ]
    assert shown == [list(range(1, 11)), list(range(11, 21)), list(range(21, 24))]
    ten = render_progress(ProgressReport(PLAYER, games[:10]))
    assert len(ten) == 1
    assert ten[0].footer.text == FOOTER


def test_one_game_title_is_singular_and_summary_counts_only_games_with_achievements() -> None:
    one = render_progress(ProgressReport(PLAYER, (entry(1),)))
    assert one[0].title == "Progress on 1 game"
    two = render_progress(ProgressReport(PLAYER, (entry(1), GameEntry(2, None, progress(2, 0, 0)))))
    assert two[0].title == "Progress on 2 games"
    assert [f.value for f in two[0].fields][:2] == ["0 of 1", "1 of 1"]


def test_a_profile_without_avatar_has_an_author_without_icon() -> None:
    player = UserProfile("Scott", None, None, 0, 0, 0)
    author = render_progress(ProgressReport(player, (entry(1),)))[0].to_dict()["author"]
    assert author == {"name": "Scott", "url": "https://retroachievements.org/user/Scott"}
