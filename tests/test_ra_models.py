"""Parsers for RetroAchievements answers: documented examples, old string numbers, bad shapes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.ra.models import (
    GameInfo,
    GameProgress,
    ResponseShapeError,
    UserProfile,
    as_int,
    parse_game,
    parse_user_profile,
    parse_user_progress,
)

DOCUMENTED = {
    "1": {
        "NumPossibleAchievements": 23,
        "PossibleScore": 251,
        "NumAchieved": 23,
        "ScoreAchieved": 251,
        "NumAchievedHardcore": 23,
        "ScoreAchievedHardcore": 251,
    }
}
EDGE_CASE = json.loads(
    '{"1":{"NumPossibleAchievements":3,"PossibleScore":40,"NumAchieved":2,"ScoreAchieved":15,'
    '"NumAchievedHardcore":1,"ScoreAchievedHardcore":5},'
    '"2":{"NumPossibleAchievements":5,"PossibleScore":50,"NumAchieved":0,"ScoreAchieved":0,'
    '"NumAchievedHardcore":0,"ScoreAchievedHardcore":0},'
    '"3":{"NumPossibleAchievements":0,"PossibleScore":0,"NumAchieved":0,"ScoreAchieved":0,'
    '"NumAchievedHardcore":0,"ScoreAchievedHardcore":0},'
    '"15934":{"NumPossibleAchievements":0,"PossibleScore":0,"NumAchieved":0,"ScoreAchieved":0,'
    '"NumAchievedHardcore":0,"ScoreAchievedHardcore":0}}'
)


def test_documented_example_is_a_mastery() -> None:
    progress = parse_user_progress(DOCUMENTED)
    assert progress == {1: GameProgress(1, 23, 251, 23, 251, 23, 251)}
    assert progress[1].completed and progress[1].mastered


def test_edge_case_fixture() -> None:
    progress = parse_user_progress(EDGE_CASE)
    assert progress is not None
    assert list(progress) == [1, 2, 3, 15934]
    assert progress[1] == GameProgress(1, 3, 40, 2, 15, 1, 5)
    assert not progress[1].completed and not progress[1].mastered
    assert progress[2] == GameProgress(2, 5, 50, 0, 0, 0, 0)
    assert not progress[3].has_achievements and not progress[3].completed
    assert progress[15934] == GameProgress(15934, 0, 0, 0, 0, 0, 0)


def test_string_numbers_are_accepted() -> None:
    as_strings = {"1": {k: str(v) for k, v in DOCUMENTED["1"].items()}}
    assert parse_user_progress(as_strings) == parse_user_progress(DOCUMENTED)


def test_empty_list_means_unknown() -> None:
    assert parse_user_progress([]) is None
    assert parse_game(1, []) is None
    assert parse_user_profile([]) is None


def test_completed_but_not_mastered() -> None:
    entry = dict(DOCUMENTED["1"], NumPossibleAchievements=30, NumAchieved=30, NumAchievedHardcore=25)
    progress = parse_user_progress({"3": entry})
    assert progress is not None
    assert progress[3].completed and not progress[3].mastered


@pytest.mark.parametrize(
    "data",
    [
        [1],
        "text",
        7,
        None,
        {"abc": DOCUMENTED["1"]},
        {"1": [1, 2]},
        {"1": dict(DOCUMENTED["1"], NumAchieved="many")},
        {"1": dict(DOCUMENTED["1"], NumAchieved=True)},
        {"1": dict(DOCUMENTED["1"], NumAchieved=-3)},
        {"1": dict(DOCUMENTED["1"], NumAchieved="\u00b2")},
        {"1": dict(DOCUMENTED["1"], NumAchieved="--5")},
        {"\u00b2": DOCUMENTED["1"]},
        {"1": {"NumPossibleAchievements": 23}},
    ],
)
def test_wrong_progress_shapes_raise_response_shape_error(data: object) -> None:
    with pytest.raises(ResponseShapeError):
        parse_user_progress(data)


def test_parse_game() -> None:
    game = parse_game(
        1,
        {
            "Title": "Sonic the Hedgehog",
            "ConsoleName": "Genesis/Mega Drive",
            "ImageIcon": "/Images/085573.png",
            "ConsoleID": "1",
        },
    )
    assert game == GameInfo(1, "Sonic the Hedgehog", "Genesis/Mega Drive", "/Images/085573.png")
    assert game.icon_url == "https://media.retroachievements.org/Images/085573.png"
    assert game.url == "https://retroachievements.org/game/1"


@pytest.mark.parametrize(
    "data", [[{}], "x", {"ConsoleName": "NES"}, {"Title": 5}, {"Title": "T", "ImageIcon": 3}]
)
def test_wrong_game_shapes(data: object) -> None:
    with pytest.raises(ResponseShapeError):
        parse_game(1, data)


def test_parse_user_profile_with_string_numbers() -> None:
    profile = parse_user_profile(
        {
            "User": "MaxMilyin",
            "ULID": "00003EMFWR7XB8SDPEHB3K56ZQ",
            "UserPic": "/UserPic/MaxMilyin.png",
            "TotalPoints": "1551",
            "TotalSoftcorePoints": 465,
            "TotalTruePoints": None,
        }
    )
    assert profile == UserProfile(
        "MaxMilyin", "00003EMFWR7XB8SDPEHB3K56ZQ", "/UserPic/MaxMilyin.png", 1551, 465, 0
    )
    assert profile.avatar_url == "https://media.retroachievements.org/UserPic/MaxMilyin.png"


@pytest.mark.parametrize("data", [[1], 3, {"User": ""}, {"User": 4}, {"User": "a", "TotalPoints": "x"}])
def test_wrong_profile_shapes(data: object) -> None:
    with pytest.raises(ResponseShapeError):
        parse_user_profile(data)


@pytest.mark.parametrize(("value", "expected"), [(5, 5), ("10", 10), (" 7 ", 7), (3.0, 3)])
def test_as_int_accepts(value: object, expected: int) -> None:
    assert as_int(value, "n") == expected


@pytest.mark.parametrize(
    "value", [None, True, "1.5", 2.5, float("nan"), float("inf"), "", "x", "\u0663", "9" * 5000]
)
def test_as_int_refuses(value: object) -> None:
    with pytest.raises(ResponseShapeError):
        as_int(value, "n")


json_values: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)
progress_like = st.dictionaries(
    st.sampled_from(["1", "2", "15934", "x", "-1", "\u0661"]),
    st.dictionaries(
        st.sampled_from(
            [
                "NumPossibleAchievements",
                "PossibleScore",
                "NumAchieved",
                "ScoreAchieved",
                "NumAchievedHardcore",
                "ScoreAchievedHardcore",
            ]
        ),
        st.integers(-5, 500) | st.text("0123456789-\u0663 ", max_size=4) | st.none() | st.floats(),
    ),
    max_size=3,
)


@given(json_values | progress_like)
def test_any_json_gives_a_model_none_or_shape_error(data: object) -> None:
    for parse in (parse_user_progress, lambda d: parse_game(1, d), parse_user_profile):
        try:
            result = parse(data)
        except ResponseShapeError:
            continue
        assert result is None or isinstance(result, dict | GameInfo | UserProfile)


@given(progress_like)
def test_parsed_progress_is_never_over_full(data: object) -> None:
    try:
        progress = parse_user_progress(data)
    except ResponseShapeError:
        return
    for entry in (progress or {}).values():
        assert entry.achieved_hardcore <= entry.achieved
        if entry.possible:
            assert entry.achieved <= entry.possible
