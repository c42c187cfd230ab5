"""A player's games, parsed: recently played games and completion pages, their rules and their codecs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.ra.backends import KEY_PREFIX
from bot.ra.models import MAX_NUMBER, GameInfo, GameProgress, ResponseShapeError
from bot.ra.player_games import (
    COMPLETION_CODEC,
    COMPLETION_MIN_ACHIEVEMENTS,
    COMPLETION_PAGE_SIZE,
    RECENTLY_PLAYED_CODEC,
    AwardKind,
    CompletionPage,
    RecentGame,
    beaten_mark,
    completion_key,
    could_be_beaten,
    parse_completion_page,
    parse_recently_played,
    recently_played_key,
)

# As RAWeb's code builds a row: the game's details, then the six progress numbers merged in.
SIMPSONS = {
    "GameID": 19010,
    "ConsoleID": 21,
    "ConsoleName": "PlayStation 2",
    "Title": "Simpsons, The: Hit & Run",
    "ImageIcon": "/Images/066024.png",
    "ImageTitle": "/Images/066025.png",
    "ImageIngame": "/Images/066026.png",
    "ImageBoxArt": "/Images/066027.png",
    "LastPlayed": "2022-10-24 22:05:12",
    "AchievementsTotal": 131,
    "NumPossibleAchievements": 131,
    "PossibleScore": 865,
    "NumAchieved": 23,
    "ScoreAchieved": 84,
    "NumAchievedHardcore": 23,
    "ScoreAchievedHardcore": 84,
}
SIMPSONS_GAME = RecentGame(
    GameInfo(19010, "Simpsons, The: Hit & Run", "PlayStation 2", "/Images/066024.png"),
    GameProgress(19010, 131, 865, 23, 84, 23, 84),
)
COMPLETION_ROW = {
    "GameID": 1,
    "Title": "Sonic the Hedgehog",
    "ImageIcon": "/Images/085573.png",
    "ConsoleID": 1,
    "ConsoleName": "Genesis/Mega Drive",
    "MaxPossible": 23,
    "NumAwarded": 23,
    "NumAwardedHardcore": 23,
    "MostRecentAwardedDate": "2024-06-01T12:00:00+00:00",
    "HighestAwardKind": "mastered",
    "HighestAwardDate": "2024-06-01T12:00:00+00:00",
}


def row(**changes: Any) -> dict[str, Any]:
    return {**SIMPSONS, **changes}


def completion(*rows: dict[str, Any], total: Any = None) -> dict[str, Any]:
    return {"Count": len(rows), "Total": len(rows) if total is None else total, "Results": list(rows)}


def standing(possible: int, achieved: int, hardcore: int = 0) -> GameProgress:
    return GameProgress(1, possible, possible * 10, achieved, achieved * 10, hardcore, hardcore * 10)


# -- API_GetUserRecentlyPlayedGames -------------------------------------------------------------------


def test_a_recently_played_game_carries_its_details_and_progress() -> None:
    assert parse_recently_played([SIMPSONS]) == (SIMPSONS_GAME,)


def test_order_is_kept_and_an_unknown_users_empty_list_is_no_games() -> None:
    second = row(GameID=1, Title="Sonic")
    games = parse_recently_played([SIMPSONS, second])
    assert [game.info.game_id for game in games] == [19010, 1]
    assert parse_recently_played([]) == ()


def test_numbers_as_strings_give_the_same_games() -> None:
    as_strings = {key: str(value) if isinstance(value, int) else value for key, value in SIMPSONS.items()}
    assert parse_recently_played([as_strings]) == (SIMPSONS_GAME,)


def test_progress_is_clamped_to_what_the_game_has() -> None:
    over = row(NumAchieved=140, ScoreAchieved=900, NumAchievedHardcore=150, ScoreAchievedHardcore=10**9)
    (game,) = parse_recently_played([over])
    assert game.progress == GameProgress(19010, 131, 865, 131, 865, 131, 865)
    huge = row(NumPossibleAchievements=10**300, PossibleScore=10**300)
    assert parse_recently_played([huge])[0].progress.possible == MAX_NUMBER


def test_texts_are_cleaned_and_odd_image_paths_dropped() -> None:
    hostile = row(Title="\u202eSimpsons\u200b", ConsoleName="PS\u20662", ImageIcon="javascript:alert(1)")
    (game,) = parse_recently_played([hostile])
    assert game.info == GameInfo(19010, "Simpsons", "PS2", None)


def test_missing_console_and_icon_are_empty() -> None:
    (game,) = parse_recently_played([row(ConsoleName=None, ImageIcon=None)])
    assert (game.info.console_name, game.info.image_icon) == ("", None)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"success": False}, "recently played games is not a list"),
        (None, "recently played games is not a list"),
        ("[]", "recently played games is not a list"),
        ([7], "a recently played game is not an object"),
        ([[SIMPSONS]], "a recently played game is not an object"),
        ([row(GameID=0)], "GameID is not a game ID"),
        ([row(GameID=-4)], "GameID is negative"),
        ([row(GameID=True)], "GameID is a boolean"),
        ([row(GameID=None)], "GameID is not a whole number"),
        ([row(GameID="x")], "GameID is not a whole number"),
        ([row(Title=None)], "Title is not a string"),
        ([row(Title=5)], "Title is not a string"),
        ([row(ConsoleName=3)], "ConsoleName is not a string"),
        ([row(ImageIcon=["/a.png"])], "ImageIcon is not a string"),
        ([row(NumAchieved=None)], "NumAchieved of game 19010 is not a whole number"),
        (
            [{key: value for key, value in SIMPSONS.items() if key != "ScoreAchievedHardcore"}],
            "ScoreAchievedHardcore of game 19010 is not a whole number",
        ),
        ([row(PossibleScore=-1)], "PossibleScore of game 19010 is negative"),
        ([row(NumAchievedHardcore="lots")], "NumAchievedHardcore of game 19010 is not a whole number"),
    ],
)
def test_wrong_recently_played_shapes_are_refused_with_the_reason(data: object, reason: str) -> None:
    with pytest.raises(ResponseShapeError) as refused:
        parse_recently_played(data)
    assert str(refused.value) == reason


# -- API_GetUserCompletionProgress --------------------------------------------------------------------


def test_a_completion_page_maps_games_to_their_highest_award() -> None:
    rows = [
        COMPLETION_ROW,
        {**COMPLETION_ROW, "GameID": 2, "HighestAwardKind": "beaten-hardcore"},
        {**COMPLETION_ROW, "GameID": 3, "HighestAwardKind": "beaten-softcore"},
        {**COMPLETION_ROW, "GameID": 4, "HighestAwardKind": "completed"},
        {**COMPLETION_ROW, "GameID": 5, "HighestAwardKind": None},
    ]
    page = parse_completion_page(500, completion(*rows, total=1200))
    assert page == CompletionPage(
        offset=500,
        total=1200,
        rows=5,
        awards={
            1: AwardKind.MASTERED,
            2: AwardKind.BEATEN_HARDCORE,
            3: AwardKind.BEATEN_SOFTCORE,
            4: AwardKind.COMPLETED,
            5: None,
        },
    )
    assert list(page.awards) == [1, 2, 3, 4, 5]


def test_an_unknown_users_answer_is_an_empty_page() -> None:
    assert parse_completion_page(0, {"Count": 0, "Total": 0, "Results": []}) == CompletionPage(0, 0, 0, {})


def test_an_award_kind_the_bot_does_not_know_is_no_award() -> None:
    page = parse_completion_page(0, completion({**COMPLETION_ROW, "HighestAwardKind": "beaten-casual"}))
    assert page.awards == {1: None}


def test_completion_numbers_as_strings_and_a_missing_total() -> None:
    page = parse_completion_page(0, {"Results": [{**COMPLETION_ROW, "GameID": "7"}]})
    assert page == CompletionPage(0, 1, 1, {7: AwardKind.MASTERED})
    assert parse_completion_page(0, completion(COMPLETION_ROW, total="10")).total == 10
    assert parse_completion_page(0, completion(COMPLETION_ROW, total=10**12)).total == MAX_NUMBER


def test_a_game_listed_twice_counts_as_two_rows() -> None:
    twice = completion(COMPLETION_ROW, {**COMPLETION_ROW, "HighestAwardKind": None})
    assert parse_completion_page(0, twice) == CompletionPage(0, 2, 2, {1: None})


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ([], "completion progress is not an object"),
        (None, "completion progress is not an object"),
        ({"Count": 0, "Total": 0}, "Results is not a list"),
        ({"Results": {"1": COMPLETION_ROW}}, "Results is not a list"),
        (completion(COMPLETION_ROW, total=-1), "Total is negative"),
        (completion(COMPLETION_ROW, total="many"), "Total is not a whole number"),
        ({"Results": [5]}, "a completion progress row is not an object"),
        ({"Results": [{**COMPLETION_ROW, "GameID": 0}]}, "GameID is not a game ID"),
        ({"Results": [{**COMPLETION_ROW, "GameID": None}]}, "GameID is not a whole number"),
        ({"Results": [{**COMPLETION_ROW, "HighestAwardKind": 3}]}, "HighestAwardKind is not a string"),
        (
            {"Results": [{**COMPLETION_ROW, "HighestAwardKind": ["mastered"]}]},
            "HighestAwardKind is not a string",
        ),
    ],
)
def test_wrong_completion_shapes_are_refused_with_the_reason(data: object, reason: str) -> None:
    with pytest.raises(ResponseShapeError) as refused:
        parse_completion_page(0, data)
    assert str(refused.value) == reason


@pytest.mark.parametrize(
    ("offset", "rows", "total", "more"),
    [
        (0, COMPLETION_PAGE_SIZE, COMPLETION_PAGE_SIZE + 1, True),
        (0, COMPLETION_PAGE_SIZE, COMPLETION_PAGE_SIZE, False),
        (0, COMPLETION_PAGE_SIZE - 1, 5000, False),
        (500, COMPLETION_PAGE_SIZE, 1001, True),
        (500, COMPLETION_PAGE_SIZE, 1000, False),
        (0, 0, 0, False),
    ],
)
def test_a_page_has_more_only_when_full_and_short_of_the_total(
    offset: int, rows: int, total: int, more: bool
) -> None:
    page = CompletionPage(offset, total, rows, {})
    assert page.has_more is more
    assert page.next_offset == offset + rows


# -- beaten marks -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("progress", "could"),
    [
        (standing(COMPLETION_MIN_ACHIEVEMENTS + 1, 1), True),
        (standing(COMPLETION_MIN_ACHIEVEMENTS + 1, COMPLETION_MIN_ACHIEVEMENTS), True),
        (standing(COMPLETION_MIN_ACHIEVEMENTS, 1), False),  # completion progress never lists it
        (standing(40, 0), False),  # nothing unlocked: not listed either
        (standing(40, 40), False),  # completed: the completed mark is shown instead
        (standing(40, 40, 40), False),
        (standing(0, 0), False),
    ],
)
def test_which_games_could_carry_a_beaten_mark(progress: GameProgress, could: bool) -> None:
    assert could_be_beaten(progress) is could


@pytest.mark.parametrize(
    ("award", "progress", "mark"),
    [
        (AwardKind.BEATEN_HARDCORE, standing(40, 10, 10), AwardKind.BEATEN_HARDCORE),
        (AwardKind.BEATEN_SOFTCORE, standing(40, 39), AwardKind.BEATEN_SOFTCORE),
        (AwardKind.BEATEN_SOFTCORE, standing(40, 40), None),  # completed since
        (AwardKind.BEATEN_HARDCORE, standing(40, 40, 40), None),  # mastered since
        (AwardKind.MASTERED, standing(40, 10), None),
        (AwardKind.COMPLETED, standing(40, 10), None),
        (None, standing(40, 10), None),
    ],
)
def test_a_beaten_mark_only_for_beaten_games_not_completed(
    award: AwardKind | None, progress: GameProgress, mark: AwardKind | None
) -> None:
    assert beaten_mark(award, progress) is mark


# -- cache keys and codecs ----------------------------------------------------------------------------


def test_cache_keys_are_per_user_any_case_and_per_count_or_page() -> None:
    assert recently_played_key("MaxMilyin", 10) == f"{KEY_PREFIX}recent:maxmilyin:10"
    assert recently_played_key("maxmilyin", 10) != recently_played_key("maxmilyin", 50)
    assert completion_key("MaxMilyin", 500) == f"{KEY_PREFIX}completion:maxmilyin:500"
    assert completion_key("a1", 0) != recently_played_key("a1", 0)


infos = st.builds(
    GameInfo,
    st.integers(1, 10**6),
    st.text(max_size=20),
    st.text(max_size=10),
    st.none() | st.just("/Images/000001.png"),
)
progresses = st.builds(GameProgress, *[st.integers(0, MAX_NUMBER)] * 7)
pages = st.builds(
    CompletionPage,
    st.integers(0, 10**4),
    st.integers(0, MAX_NUMBER),
    st.integers(0, COMPLETION_PAGE_SIZE),
    st.dictionaries(st.integers(1, 10**6), st.none() | st.sampled_from(AwardKind), max_size=20),
)


@given(st.lists(st.builds(RecentGame, infos, progresses), max_size=12).map(tuple))
def test_recently_played_codec_round_trips_through_json(games: tuple[RecentGame, ...]) -> None:
    stored = json.loads(json.dumps(RECENTLY_PLAYED_CODEC.dump(games)))
    assert RECENTLY_PLAYED_CODEC.load(stored) == games


@given(pages)
def test_completion_codec_round_trips_through_json_in_order(page: CompletionPage) -> None:
    loaded = COMPLETION_CODEC.load(json.loads(json.dumps(COMPLETION_CODEC.dump(page))))
    assert loaded == page
    assert list(loaded.awards.items()) == list(page.awards.items())


# -- any answer ---------------------------------------------------------------------------------------

json_values: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)
row_like = st.fixed_dictionaries(
    {},
    optional={
        name: st.integers(-3, 300) | st.text("0123456789- ", max_size=3) | st.none() | st.floats()
        for name in ("GameID", *(key for key in SIMPSONS if key.startswith(("Num", "Possible", "Score"))))
    }
    | {"Title": st.text(max_size=5) | st.none(), "HighestAwardKind": st.sampled_from([*AwardKind, None, 1])},
)


@given(json_values | st.lists(row_like, max_size=3) | st.builds(completion, row_like, row_like))
def test_any_json_gives_games_a_page_or_a_shape_error(data: object) -> None:
    try:
        games = parse_recently_played(data)
    except ResponseShapeError:
        pass
    else:
        assert all(1 <= game.info.game_id <= MAX_NUMBER for game in games)
        assert all(game.progress.achieved_hardcore <= game.progress.achieved for game in games)
        assert all(game.progress.achieved <= game.progress.possible for game in games)
    try:
        page = parse_completion_page(0, data)
    except ResponseShapeError:
        return
    assert page.rows >= len(page.awards)
    assert all(kind is None or isinstance(kind, AwardKind) for kind in page.awards.values())
