"""/compare and /leaderboard: players one under the other, in lines that fit a phone (about 45
characters), with unlock counts as well as percentages."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.ra.models import GameInfo, GameProgress, UserProfile
from bot.render.compare import compared_game_block, player_lines, render_comparison
from bot.render.games import standing_lines
from bot.render.leaderboard import board_entry, render_leaderboard
from bot.render.style import EMBED_COLOUR, FOOTER, LEGEND
from bot.reports import BoardRow, ComparedGame, Comparison, Leaderboard, PlayerResult
from tests.markdown import width

PHONE_WIDTH = 45
# Discord shows a member mention as "@" and the member's name, which the bot does not choose: the
# leaderboard's name line leaves this much of the phone's width for it.
MENTION_ROOM = 15
MENTION = re.compile(r" <@\d+>$")
SONIC = GameInfo(1, "Sonic the Hedgehog", "Genesis/Mega Drive", None)
HEADING = "**[Sonic the Hedgehog](https://retroachievements.org/game/1)** · Genesis/Mega Drive"


def on_sonic(unlocked: tuple[int, int], unlocked_hardcore: tuple[int, int] = (0, 0)) -> GameProgress:
    """Progress on a game of 23 achievements worth 251 points; (achievements, points) unlocked."""
    return GameProgress(1, 23, 251, unlocked[0], unlocked[1], unlocked_hardcore[0], unlocked_hardcore[1])


MASTERED = on_sonic((23, 251), (23, 251))
COMPLETED = on_sonic((23, 251), (21, 200))
PLAYING = on_sonic((22, 240), (3, 30))


def test_standing_shows_bar_percentage_unlocks_and_points_for_each_mode() -> None:
    assert standing_lines(PLAYING) == (
        "`HC █░░░░░░░░░` 13% · 3/23 · 30 pts",
        "`SC █████████░` 95% · 22/23 · 240 pts",
    )


def test_counts_tell_apart_what_percentages_do_not() -> None:
    twenty_two, twenty_one = on_sonic((22, 0)), on_sonic((21, 0))
    assert standing_lines(twenty_two)[1] == "`SC █████████░` 95% · 22/23 · 0 pts"
    assert standing_lines(twenty_one)[1] == "`SC █████████░` 91% · 21/23 · 0 pts"


def test_compare_player_lines() -> None:
    assert player_lines(1, PlayerResult("MaxMilyin", MASTERED)) == (
        "**1. MaxMilyin** 👑\n`HC ██████████` 100% · 23/23 · 251 pts\n`SC ██████████` 100% · 23/23 · 251 pts"
    )
    assert player_lines(2, PlayerResult("Scott", COMPLETED)).splitlines()[0] == "**2. Scott** ✅"
    assert player_lines(10, PlayerResult("Jamiras", PLAYING)).splitlines()[0] == "**10. Jamiras**"


def test_compare_block_and_embed() -> None:
    game = ComparedGame(1, SONIC, (PlayerResult("MaxMilyin", MASTERED), PlayerResult("Scott", PLAYING)))
    assert compared_game_block(game) == "\n".join(
        (HEADING, player_lines(1, game.results[0]), player_lines(2, game.results[1]))
    )
    players = (UserProfile("MaxMilyin", None, None, 0, 0, 0), UserProfile("Scott", None, None, 0, 0, 0))
    [page] = render_comparison(Comparison(players, ("Nobody1", "Nobody2"), (game,)))
    assert page.to_dict() == {
        "type": "rich",
        "flags": 0,
        "title": "Comparing 2 players",
        "description": compared_game_block(game),
        "color": EMBED_COLOUR,
        "fields": [
            {"name": "Players", "value": "MaxMilyin, Scott", "inline": False},
            {"name": "Not found on RetroAchievements", "value": "`Nobody1`, `Nobody2`", "inline": False},
        ],
        "footer": {"text": "Data from RetroAchievements.org · HC = hardcore, SC = softcore"},
    }
    long_names = ("N" * 20, "L" * 21)
    [page] = render_comparison(Comparison(players, long_names, (game,)))
    assert page.fields[1].value == f"`{'N' * 20}`, `{'L' * 19}…`"
    [alone] = render_comparison(Comparison(players, (), (game,)))
    assert [f.name for f in alone.fields] == ["Players"]


def test_one_point_is_pt_and_one_player_found_is_singular() -> None:
    assert standing_lines(on_sonic((1, 1), (1, 1))) == (
        "`HC ░░░░░░░░░░` 4% · 1/23 · 1 pt",
        "`SC ░░░░░░░░░░` 4% · 1/23 · 1 pt",
    )
    game = ComparedGame(1, SONIC, (PlayerResult("Scott", PLAYING),))
    [page] = render_comparison(Comparison((UserProfile("Scott", None, None, 0, 0, 0),), ("Nobody",), (game,)))
    assert page.title == "Comparing 1 player"


def test_compare_games_without_achievements_or_unknown() -> None:
    nothing = GameProgress(3, 0, 0, 0, 0, 0, 0)
    empty = ComparedGame(3, GameInfo(3, "Homebrew", "NES", None), (PlayerResult("A1", nothing),))
    assert compared_game_block(empty) == (
        "**[Homebrew](https://retroachievements.org/game/3)** · NES\nNo achievements yet."
    )
    unknown = ComparedGame(9, None, (PlayerResult("A1", nothing),))
    assert compared_game_block(unknown) == "**Unknown game #9**\nRetroAchievements has no game with this ID."


def test_compare_shows_five_games_a_page() -> None:
    players = (UserProfile("A1", None, None, 0, 0, 0), UserProfile("B2", None, None, 0, 0, 0))
    games = tuple(ComparedGame(i, None, (PlayerResult("A1", PLAYING),)) for i in range(1, 12))
    pages = render_comparison(Comparison(players, (), games))
    per_page = [len((page.description or "").split("\n\n")) for page in pages]
    assert per_page == [5, 5, 1]
    assert [page.footer.text for page in pages] == [f"{FOOTER} · {LEGEND} · Page {n}/3" for n in (1, 2, 3)]
    assert {page.title for page in pages} == {"Comparing 2 players"}


def board(rows: int, **notes: int) -> Leaderboard:
    entries = tuple(BoardRow(1000 + n, f"Member{n}", PLAYING) for n in range(rows))
    return Leaderboard(1, SONIC, entries, notes.get("accounts_gone", 0), notes.get("unchecked", 0))


def test_board_entry() -> None:
    assert board_entry(1, BoardRow(42, "MaxMilyin", MASTERED)) == (
        "`#1  ` **MaxMilyin** 👑 <@42>\n"
        "`HC ██████████` 100% · 23/23 · 251 pts\n"
        "`SC ██████████` 100% · 23/23 · 251 pts"
    )
    assert board_entry(300, BoardRow(7, "Scott", COMPLETED)).splitlines()[0] == "`#300` **Scott** ✅ <@7>"
    assert board_entry(1234, BoardRow(7, "Scott", PLAYING)).splitlines()[0] == "`#1234` **Scott** <@7>"


def test_leaderboard_pages_of_ten_with_your_place() -> None:
    pages = render_leaderboard(board(23), "Retro Club", invoker_id=1021)
    assert [page.title for page in pages] == ["Retro Club leaderboard"] * 3
    rows = [re.findall(r"^`#(\d+) *`", page.description or "", re.MULTILINE) for page in pages]
    assert rows == [[str(n) for n in range(1, 11)], [str(n) for n in range(11, 21)], ["21", "22", "23"]]
    assert (pages[0].description or "").startswith(HEADING + "\n\n`#1  ` **Member0** <@1000>\n")
    own = board_entry(22, BoardRow(1021, "Member21", PLAYING))
    assert [(f.name, f.value, f.inline) for f in pages[0].fields] == [("Your place", own, False)]
    assert [(f.name, f.value) for f in pages[1].fields] == [("Your place", own)]
    assert pages[2].fields == []  # the last page shows the member's place in the list itself
    first_of_page_two = render_leaderboard(board(23), "Retro Club", invoker_id=1010)
    own = board_entry(11, BoardRow(1010, "Member10", PLAYING))
    assert [[f.value for f in page.fields] for page in first_of_page_two] == [[own], [], [own]]
    last_of_page_one = render_leaderboard(board(23), "Retro Club", invoker_id=1009)
    own = board_entry(10, BoardRow(1009, "Member9", PLAYING))
    assert [[f.value for f in page.fields] for page in last_of_page_one] == [[], [own], [own]]
    assert [page.footer.text for page in pages] == [
        f"Data from RetroAchievements.org · 23 members ranked · Page {n}/3" for n in (1, 2, 3)
    ]
    assert {page.to_dict()["color"] for page in pages} == {EMBED_COLOUR}


def test_leaderboard_of_ten_fits_one_page_and_an_outsider_has_no_place() -> None:
    [page] = render_leaderboard(board(10), "S", invoker_id=5)
    assert page.fields == []
    assert page.footer.text == "Data from RetroAchievements.org · 10 members ranked"
    [first_of_one] = render_leaderboard(board(1), "S", invoker_id=1000)
    assert first_of_one.footer.text == "Data from RetroAchievements.org · 1 member ranked"
    assert first_of_one.fields == []


def test_leaderboard_of_a_game_the_catalogue_does_not_name() -> None:
    rows = (BoardRow(1, "A1", PLAYING),)
    [page] = render_leaderboard(Leaderboard(7, None, rows, 0, 0), "S", invoker_id=1)
    assert (page.description or "").startswith("**[Game #7](https://retroachievements.org/game/7)**\n\n")


def test_leaderboard_notes_and_nobody_ranked() -> None:
    [page] = render_leaderboard(board(0, accounts_gone=3, unchecked=2), "S", invoker_id=1)
    assert page.description == HEADING + "\n\nNobody could be ranked this time."
    assert [(f.name, f.value, f.inline) for f in page.fields] == [
        (
            "Note",
            "2 members could not be checked just now; try again in a minute.\n"
            "3 linked accounts no longer exist on RetroAchievements.",
            False,
        )
    ]
    [gone] = render_leaderboard(board(1, accounts_gone=1), "S", invoker_id=1)
    assert [f.value for f in gone.fields] == ["1 linked account no longer exists on RetroAchievements."]
    [one] = render_leaderboard(board(1, unchecked=1), "S", invoker_id=1)
    assert [f.value for f in one.fields] == ["1 member could not be checked just now; try again in a minute."]
    [unchecked] = render_leaderboard(board(1, unchecked=4), "S", invoker_id=1)
    assert [f.value for f in unchecked.fields] == [
        "4 members could not be checked just now; try again in a minute."
    ]


# ---------------------------------------------------------------------------------------------- widths

numbers = st.one_of(st.integers(min_value=0, max_value=10**5), st.integers(min_value=0), st.just(10**300))
names = st.one_of(st.text(max_size=60), st.just("ThisNameIsTwentyChrs"), st.just("**__~~||``[]<>\\" * 3))


@st.composite
def any_progress(draw: st.DrawFn) -> GameProgress:
    return GameProgress(
        1, draw(numbers), draw(numbers), draw(numbers), draw(numbers), draw(numbers), draw(numbers)
    )


@settings(max_examples=300, deadline=None)
@given(names, any_progress(), st.integers(min_value=1, max_value=10))
def test_compare_lines_fit_a_phone_for_any_name_and_numbers(
    name: str, progress: GameProgress, place: int
) -> None:
    for line in player_lines(place, PlayerResult(name, progress)).splitlines():
        assert width(line) <= PHONE_WIDTH, line


@settings(max_examples=300, deadline=None)
@given(
    names, any_progress(), st.integers(min_value=1, max_value=9999), st.integers(min_value=0, max_value=2**64)
)
def test_leaderboard_lines_fit_a_phone_for_any_name_and_numbers(
    name: str, progress: GameProgress, place: int, member: int
) -> None:
    name_line, *standing = board_entry(place, BoardRow(member, name, progress)).splitlines()
    assert MENTION.search(name_line)
    assert width(MENTION.sub("", name_line)) + 1 + MENTION_ROOM <= PHONE_WIDTH, name_line
    for line in standing:
        assert width(line) <= PHONE_WIDTH, line
