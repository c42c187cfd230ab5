"""Parsers for RetroAchievements answers: documented examples, old string numbers, bad shapes."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import pytest
from hypothesis import find, given
from hypothesis import strategies as st

from bot.ra.models import (
    MAX_IMAGE_PATH,
    MAX_NUMBER,
    GameInfo,
    GameProgress,
    ResponseShapeError,
    UserProfile,
    as_int,
    clean_text,
    image_path,
    media_url,
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


PROGRESS_NAMES = (
    "NumPossibleAchievements",
    "PossibleScore",
    "NumAchieved",
    "ScoreAchieved",
    "NumAchievedHardcore",
    "ScoreAchievedHardcore",
)
# Complete entries, numbers small enough that unlocks above the total and hardcore above all unlocks
# are common (as ints or as the strings older answers sent).
small_number = st.integers(0, 30) | st.integers(0, 30).map(str)
complete_entry = st.fixed_dictionaries(dict.fromkeys(PROGRESS_NAMES, small_number))
complete_progress = st.dictionaries(st.integers(1, 10**6).map(str), complete_entry, min_size=1, max_size=4)


def over_full(entry: GameProgress) -> list[str]:
    """The rules a parsed entry breaks: nothing above what is possible, hardcore within all."""
    broken = []
    if entry.achieved > entry.possible:
        broken.append("achieved above possible")
    if entry.score > entry.possible_score:
        broken.append("score above possible score")
    if entry.achieved_hardcore > entry.achieved:
        broken.append("hardcore above achieved")
    if entry.score_hardcore > entry.score:
        broken.append("hardcore score above score")
    return broken


def unclamped(data: dict[str, dict[str, int | str]]) -> list[GameProgress]:
    """The answer as given, without the parser's clamps."""
    return [
        GameProgress(int(key), *(as_int(entry[name], name) for name in PROGRESS_NAMES))
        for key, entry in data.items()
    ]


@given(complete_progress)
def test_parsed_progress_is_never_over_full(data: dict[str, dict[str, int | str]]) -> None:
    progress = parse_user_progress(data)
    assert progress is not None and len(progress) == len(data)
    for entry in progress.values():
        assert over_full(entry) == []


@pytest.mark.parametrize(
    "rule",
    [
        "achieved above possible",
        "score above possible score",
        "hardcore above achieved",
        "hardcore score above score",
    ],
)
def test_the_over_full_property_can_fail(rule: str) -> None:
    """Without the clamps the property above fails: its strategy builds answers breaking each rule alone."""
    example = find(complete_progress, lambda data: any(over_full(e) == [rule] for e in unclamped(data)))
    assert any(over_full(e) == [rule] for e in unclamped(example))


def test_progress_over_full_is_clamped_field_by_field() -> None:
    entry = dict(zip(PROGRESS_NAMES, (10, 100, 12, 130, 11, 120), strict=True))
    assert parse_user_progress({"5": entry}) == {5: GameProgress(5, 10, 100, 10, 100, 10, 100)}
    entry = dict(zip(PROGRESS_NAMES, (10, 100, 6, 50, 7, 60), strict=True))
    assert parse_user_progress({"5": entry}) == {5: GameProgress(5, 10, 100, 6, 50, 6, 50)}


def test_a_game_without_achievements_has_no_unlocks_nor_points() -> None:
    entry = dict(zip(PROGRESS_NAMES, (0, 0, 4, 40, 2, 20), strict=True))
    progress = parse_user_progress({"5": entry})
    assert progress == {5: GameProgress(5, 0, 0, 0, 0, 0, 0)}
    assert not progress[5].completed and not progress[5].mastered


def test_progress_at_exactly_full_is_kept() -> None:
    entry = dict(zip(PROGRESS_NAMES, (10, 100, 10, 100, 10, 100), strict=True))
    progress = parse_user_progress({"5": entry})
    assert progress == {5: GameProgress(5, 10, 100, 10, 100, 10, 100)}
    assert progress[5].completed and progress[5].mastered


def test_huge_numbers_are_clamped_to_the_bound() -> None:
    entry = dict.fromkeys(PROGRESS_NAMES, 10**300)
    assert parse_user_progress({"5": entry}) == {5: GameProgress(5, *[MAX_NUMBER] * 6)}
    profile = parse_user_profile({"User": "Ab", "TotalPoints": 10**300, "TotalTruePoints": "999999999"})
    assert profile is not None
    assert (profile.total_points, profile.total_softcore_points, profile.total_true_points) == (
        MAX_NUMBER,
        0,
        MAX_NUMBER,
    )
    # The bound is far above any real figure and short enough for any field.
    assert 10**7 <= MAX_NUMBER <= 10**9


@pytest.mark.parametrize(
    ("value", "expected"),
    [(MAX_NUMBER, MAX_NUMBER), (MAX_NUMBER + 1, MAX_NUMBER), (float(MAX_NUMBER * 10), MAX_NUMBER), (0, 0)],
)
def test_as_int_clamps_at_the_bound(value: object, expected: int) -> None:
    assert as_int(value, "n") == expected


# -- profiles: names, ULIDs, pictures --------------------------------------------------------------


def profile(**fields: object) -> UserProfile:
    parsed = parse_user_profile({"User": "MaxMilyin", **fields})
    assert parsed is not None
    return parsed


@pytest.mark.parametrize("name", ["Ab", "A" * 20, "0123", "MaxMilyin", "x1Y2"])
def test_names_following_the_rule_are_kept(name: str) -> None:
    assert profile(User=name).user == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        "A",
        "A" * 21,
        "A" * 300,
        "[x](http://evil.example)",
        "Max\u202eMilyin",
        "Max\u200bMilyin",
        "Max Milyin",
        "MaxMilyin\n",
        " MaxMilyin",
        "M\u00e1x",
        "Max\uff2dilyin",
        "@everyone",
        4,
        None,
        ["MaxMilyin"],
    ],
)
def test_names_breaking_the_rule_are_a_bad_answer(name: object) -> None:
    with pytest.raises(ResponseShapeError, match="User"):
        parse_user_profile({"User": name, "ULID": "00003EMFWR7XB8SDPEHB3K56ZQ"})


def test_a_missing_user_is_a_bad_answer() -> None:
    with pytest.raises(ResponseShapeError, match="User"):
        parse_user_profile({"ULID": "00003EMFWR7XB8SDPEHB3K56ZQ"})


@pytest.mark.parametrize("empty", ["", None])
def test_an_empty_ulid_is_none(empty: object) -> None:
    assert profile(ULID=empty).ulid is None
    assert profile().ulid is None


@pytest.mark.parametrize(
    "ulid",
    [
        "00003emfwr7xb8sdpehb3k56zq",
        "00003EMFWR7XB8SDPEHB3K56Z",
        "00003EMFWR7XB8SDPEHB3K56ZQQ",
        "x",
        7,
        "\u200b",
    ],
)
def test_a_ulid_that_is_not_one_is_a_bad_answer(ulid: object) -> None:
    with pytest.raises(ResponseShapeError, match="ULID"):
        parse_user_profile({"User": "MaxMilyin", "ULID": ulid})


@pytest.mark.parametrize(
    ("pic", "kept"),
    [
        ("/UserPic/MaxMilyin.png", "/UserPic/MaxMilyin.png"),
        ("/UserPic/Max\u200bMilyin.png", "/UserPic/MaxMilyin.png"),
        ("http://evil.example/pic.png", None),
        ("", None),
        (None, None),
    ],
)
def test_user_pictures(pic: str | None, kept: str | None) -> None:
    assert profile(UserPic=pic).user_pic == kept


def test_a_user_picture_that_is_not_a_string_is_a_bad_answer() -> None:
    with pytest.raises(ResponseShapeError, match="UserPic"):
        parse_user_profile({"User": "MaxMilyin", "UserPic": 5})


def test_profile_url() -> None:
    assert profile().url == "https://retroachievements.org/user/MaxMilyin"
    assert profile().avatar_url is None


# -- games: strings cleaned ------------------------------------------------------------------------


def test_game_strings_lose_their_controls() -> None:
    game = parse_game(
        7,
        {
            "Title": "\u202eSonic\u200b the \u2066Hedgehog\ufeff",
            "ConsoleName": "Genesis\u200d/Mega Drive\u2069",
            "ImageIcon": "/Images/\u200c085573.png",
        },
    )
    assert game == GameInfo(7, "Sonic the Hedgehog", "Genesis/Mega Drive", "/Images/085573.png")


@pytest.mark.parametrize(
    ("icon", "kept"),
    [("javascript:alert(1)", None), ("", None), (None, None), ("Images/1.png", "Images/1.png")],
)
def test_game_icons(icon: str | None, kept: str | None) -> None:
    game = parse_game(1, {"Title": "T", "ImageIcon": icon})
    assert game is not None and game.image_icon == kept


def test_a_game_without_a_console_has_an_empty_one() -> None:
    assert parse_game(1, {"Title": "T", "ConsoleName": None}) == GameInfo(1, "T", "", None)
    assert parse_game(1, {"Title": "T"}) == GameInfo(1, "T", "", None)


# -- the cleaning and path rules themselves -----------------------------------------------------------

STRIPPED = (
    [chr(c) for c in range(0x200B, 0x2010)]
    + [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2060, 0x2065)]
    + [chr(c) for c in range(0x2066, 0x206A)]
    + ["\ufeff", "\u00ad", "\u061c", "\U000e0001", "\x00", "\x07", "\x1b", "\x7f", "\x85", "\ud800"]
    + ["\u2028", "\u2029"]
)


@pytest.mark.parametrize("char", STRIPPED, ids=[f"U+{ord(c):04X}" for c in STRIPPED])
def test_clean_text_strips(char: str) -> None:
    assert clean_text(f"a{char}b{char}") == "ab"


@pytest.mark.parametrize(
    "text", ["plain", "t\tab", "new\nline", "cr\r", "Pok\u00e9mon", "\u30bd\u30cb\u30c3\u30af", "a b", ""]
)
def test_clean_text_keeps(text: str) -> None:
    assert clean_text(text) == text
    assert clean_text(text + "\u200b") == text


@given(st.text())
def test_clean_text_leaves_no_control(text: str) -> None:
    cleaned = clean_text(text)
    controls = {"Cc", "Cf", "Cs", "Zl", "Zp"}
    assert all(char in "\t\n\r" or unicodedata.category(char) not in controls for char in cleaned)
    assert [char for char in text if char.isprintable()] == [char for char in cleaned if char.isprintable()]
    assert clean_text(cleaned) == cleaned


@pytest.mark.parametrize(
    "path",
    [
        "/Images/085573.png",
        "Images/085573.png",
        "/UserPic/Max_Milyin-2.png",
        "x",
        "https://media.retroachievements.org/Images/085573.png",
        "https://example.com",
        "https://a.b-c.example:8443/p/q.png?v=1&s=2#top",
        "/" + "a" * (MAX_IMAGE_PATH - 1),
    ],
)
def test_image_paths_kept(path: str) -> None:
    assert image_path(path) == path


@pytest.mark.parametrize(
    "path",
    [
        "",
        "/",
        "http://media.retroachievements.org/Images/1.png",
        "javascript:alert(1)",
        "data:image/png;base64,AAAA",
        "//evil.example/x.png",
        "/Images//x.png",
        "/../x.png",
        "/Images/../x.png",
        "/.hidden",
        "/Images/x.png/",
        "/Images/x y.png",
        "/Images/(x).png",
        "https://",
        "https://-bad.example/x.png",
        "https://bad-.example/x.png",
        "https://evil.example/x.png)",
        "https://evil.example/x.png\n",
        "https://a..b/x.png",
        "https://user@evil.example/x.png",
        "https://evil.example:123456/x.png",
        " /Images/1.png",
        "/" + "a" * MAX_IMAGE_PATH,
    ],
)
def test_image_paths_dropped(path: str) -> None:
    assert image_path(path) is None


def test_image_path_of_none_is_none() -> None:
    assert image_path(None) is None


@pytest.mark.parametrize(
    ("path", "url"),
    [
        (None, None),
        ("", None),
        ("/Images/1.png", "https://media.retroachievements.org/Images/1.png"),
        ("Images/1.png", "https://media.retroachievements.org/Images/1.png"),
        ("https://example.com/1.png", "https://example.com/1.png"),
    ],
)
def test_media_url(path: str | None, url: str | None) -> None:
    assert media_url(path) == url


# -- the reason of a wrong shape is what the log and RAUnavailable say: exactly -----------------------

GOOD_ENTRY = DOCUMENTED["1"]
WRONG_SHAPES: list[tuple[Any, Any, str]] = [
    (parse_user_progress, [1], "progress is a non-empty list"),
    (parse_user_progress, "x", "progress is not an object"),
    (parse_user_progress, {"x": GOOD_ENTRY}, "progress has a key that is not a game ID"),
    (parse_user_progress, {"7": [1]}, "progress for game 7 is not an object"),
    (parse_user_progress, {"7": dict(GOOD_ENTRY, NumAchieved=True)}, "NumAchieved of game 7 is a boolean"),
    (
        parse_user_progress,
        {"7": dict(GOOD_ENTRY, PossibleScore="x")},
        "PossibleScore of game 7 is not a whole number",
    ),
    (parse_user_progress, {"7": dict(GOOD_ENTRY, ScoreAchieved=-1)}, "ScoreAchieved of game 7 is negative"),
    (lambda d: parse_game(1, d), [1], "game is a non-empty list"),
    (lambda d: parse_game(1, d), 3, "game is not an object"),
    (lambda d: parse_game(1, d), {"Title": None}, "Title is not a string"),
    (lambda d: parse_game(1, d), {"Title": "T", "ConsoleName": 1}, "ConsoleName is not a string"),
    (lambda d: parse_game(1, d), {"Title": "T", "ImageIcon": 1}, "ImageIcon is not a string"),
    (parse_user_profile, [1], "profile is a non-empty list"),
    (parse_user_profile, 3, "profile is not an object"),
    (parse_user_profile, {"User": "a"}, "User is not 2-20 letters and digits"),
    (parse_user_profile, {"User": "Ab", "ULID": "x"}, "ULID is not 26 digits and capital letters"),
    (parse_user_profile, {"User": "Ab", "UserPic": 1}, "UserPic is not a string"),
    (parse_user_profile, {"User": "Ab", "TotalPoints": "x"}, "TotalPoints is not a whole number"),
    (parse_user_profile, {"User": "Ab", "TotalTruePoints": -2}, "TotalTruePoints is negative"),
]


@pytest.mark.parametrize(("parse", "data", "reason"), WRONG_SHAPES, ids=[r for _, _, r in WRONG_SHAPES])
def test_wrong_shapes_say_exactly_what_is_wrong(parse: Any, data: Any, reason: str) -> None:
    with pytest.raises(ResponseShapeError) as caught:
        parse(data)
    assert str(caught.value) == reason
