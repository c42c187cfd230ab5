"""Parsing what members type: every string gives a clean result or a clear refusal."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import InvalidInput
from bot.input import parse_game_ids, parse_username, parse_usernames, quote
from bot.patterns import MAX_GAME_ID, ULID, USERNAME


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("MaxMilyin", "MaxMilyin"),
        ("  Scott  ", "Scott"),
        ("ab", "ab"),
        ("A" * 20, "A" * 20),
        ("00003EMFWR7XB8SDPEHB3K56ZQ", "00003EMFWR7XB8SDPEHB3K56ZQ"),
        ("https://retroachievements.org/user/MaxMilyin", "MaxMilyin"),
        ("retroachievements.org/user/Scott/", "Scott"),
        ("HTTPS://WWW.RetroAchievements.ORG/User/Scott?tab=games", "Scott"),
    ],
)
def test_accepts_user_names_ulids_and_profile_links(raw: str, expected: str) -> None:
    assert parse_username(raw) == expected


@pytest.mark.parametrize("raw", ["a", "A" * 21, "Max Milyin", "Max_Milyin", "Ünïcode", "@everyone", "<@123>"])
def test_refuses_bad_user_names_naming_them(raw: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_username(raw)
    assert quote(raw) in refused.value.user_message
    assert "2-20 letters and digits" in refused.value.user_message


def test_empty_user_name_says_what_to_type() -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_username("   ")
    assert refused.value.user_message == "Type a RetroAchievements user name, for example `MaxMilyin`."


def test_a_bad_user_name_is_refused_with_the_rule_and_an_example() -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_username("Max_Milyin")
    assert refused.value.user_message == (
        "`Max_Milyin` is not a RetroAchievements user name: names are 2-20 letters and digits "
        "(A-Z, 0-9), for example `MaxMilyin`."
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1,2,3", [1, 2, 3]),
        ("3 2 1", [3, 2, 1]),
        ("1, 2,,3 ;4", [1, 2, 3, 4]),
        ("1 1 2 1", [1, 2]),
        ("https://retroachievements.org/game/1446", [1446]),
        ("retroachievements.org/game/1446?tab=achievements, 7", [1446, 7]),
        ("https://www.retroachievements.org/game/5/", [5]),
        ("HTTP://RetroAchievements.Org/GAME/8#top", [8]),
        (str(MAX_GAME_ID), [2**31 - 1]),
    ],
)
def test_game_lists(raw: str, expected: list[int]) -> None:
    assert parse_game_ids(raw) == expected


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ("1, abc", "`abc`"),
        ("0", "`0`"),
        ("-5", "`-5`"),
        ("99999999999", "`99999999999`"),
        (str(2**31), f"`{2**31}`"),
        ("9" * 5000, "`" + "9" * 39 + "…`"),
        ("\uff11\uff12", "`\uff11\uff12`"),
    ],
)
def test_refused_game_names_the_offending_part(raw: str, named: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_game_ids(raw)
    assert named in refused.value.user_message
    assert "game ID" in refused.value.user_message


def test_no_games_and_too_many_games() -> None:
    with pytest.raises(InvalidInput, match="at least one game"):
        parse_game_ids(" , ")
    assert len(parse_game_ids(" ".join(map(str, range(1, 51))))) == 50
    with pytest.raises(InvalidInput, match="That is 51 games; one command can show at most 50"):
        parse_game_ids(" ".join(map(str, range(1, 52))))


def test_quote_keeps_member_text_inert() -> None:
    assert quote("a`b") == "`a'b`"
    assert quote("a\nb\r\n c") == "`a b c`"
    assert quote("x" * 40) == "`" + "x" * 40 + "`"
    assert quote("x" * 41) == "`" + "x" * 39 + "…`"
    assert quote("a" + " " * 50 + "b") == "`a …`"


def test_user_text_is_read_up_to_200_characters() -> None:
    link = "https://retroachievements.org/user/Scott?"
    assert parse_username(link + "x" * (200 - len(link))) == "Scott"
    with pytest.raises(InvalidInput, match="is not a RetroAchievements user name"):
        parse_username(link + "x" * (201 - len(link)))


def test_a_game_token_is_read_up_to_200_characters() -> None:
    link = "https://retroachievements.org/game/1446?"
    assert parse_game_ids(link + "x" * (200 - len(link))) == [1446]
    with pytest.raises(InvalidInput, match="is not a game ID"):
        parse_game_ids(link + "x" * (201 - len(link)))


def test_refusals_of_game_lists_say_exactly_what_to_do() -> None:
    with pytest.raises(InvalidInput) as empty:
        parse_game_ids(";")
    assert empty.value.user_message == (
        "Give at least one game: a game ID such as `1446`, or a game page link such as "
        "https://retroachievements.org/game/1446."
    )
    with pytest.raises(InvalidInput) as too_many:
        parse_game_ids("1 2 3", max_games=2)
    assert too_many.value.user_message == (
        "That is 3 games; one command can show at most 2. Split them over several commands."
    )
    with pytest.raises(InvalidInput) as one_too_many:
        parse_game_ids("7", max_games=0)
    assert one_too_many.value.user_message == (
        "That is 1 game; one command can show at most 0. Split them over several commands."
    )
    with pytest.raises(InvalidInput) as too_big:
        parse_game_ids(str(2**31))
    assert (
        too_big.value.user_message
        == f"`{2**31}` is not a game ID: IDs are whole numbers from 1 to {2**31 - 1}."
    )


def test_a_word_that_is_no_game_id_says_where_ids_are_found() -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_game_ids("Sonic")
    assert refused.value.user_message == (
        "`Sonic` is not a game ID. Use numbers such as `1446` or game page links such as "
        "https://retroachievements.org/game/1446, separated by commas or spaces. A game's ID is the number "
        "at the end of its page's address on retroachievements.org: search for the game there, open its "
        "page and copy the link."
    )


def test_name_lists_drop_repeats_in_any_case_and_count_the_rest() -> None:
    assert parse_usernames("Scott, scott MaxMilyin;luchaos") == ["Scott", "MaxMilyin", "luchaos"]
    assert parse_usernames("ab cd") == ["ab", "cd"]
    ten = [f"Player{n}" for n in range(10)]
    assert parse_usernames(",".join(ten)) == ten
    with pytest.raises(InvalidInput, match=r"you gave 1\."):
        parse_usernames("Scott SCOTT")
    with pytest.raises(InvalidInput, match=r"you gave 11\."):
        parse_usernames(" ".join(f"Player{n}" for n in range(11)))
    with pytest.raises(InvalidInput, match="`bad!` is not a RetroAchievements user name"):
        parse_usernames("Scott bad!")


def test_a_wrong_number_of_names_is_refused_with_the_range_and_the_count() -> None:
    with pytest.raises(InvalidInput) as one:
        parse_usernames("Scott")
    assert one.value.user_message == (
        "`/compare` needs 2 to 10 different RetroAchievements names, separated by commas or spaces; "
        "you gave 1."
    )
    with pytest.raises(InvalidInput) as three:
        parse_usernames("Scott MaxMilyin luchaos", 1, 2)
    assert three.value.user_message == (
        "`/compare` needs 1 to 2 different RetroAchievements names, separated by commas or spaces; "
        "you gave 3."
    )


HOSTILE_INPUTS: list[tuple[str, Callable[[str], object], Callable[[int], str]]] = [
    (
        "profile link + letters + space",
        parse_username,
        lambda n: "retroachievements.org/user/" + "a" * n + " x",
    ),
    ("game link + digits + letter", parse_game_ids, lambda n: "retroachievements.org/game/" + "1" * n + "x"),
    ("game link + slashes", parse_game_ids, lambda n: "retroachievements.org/game/1" + "/" * n + " x"),
    ("separators", parse_game_ids, lambda n: ", ;" * n + "x"),
    ("name list", parse_usernames, lambda n: "ab " * n),
]


def _cost(parse: Callable[[str], object], text: str) -> float:
    """The fastest of several runs: the work itself, with the machine's noise taken out."""
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        with contextlib.suppress(InvalidInput):
            parse(text)
        best = min(best, time.perf_counter() - started)
    return best


@pytest.mark.parametrize(("what", "parse", "build"), HOSTILE_INPUTS, ids=[h[0] for h in HOSTILE_INPUTS])
def test_parsing_is_linear_in_the_input(
    what: str, parse: Callable[[str], object], build: Callable[[int], str]
) -> None:
    """Compares the work on a 100x longer hostile input with a short one, in one run on one machine:
    linear parsing costs about 100x (bounded parsing less); the quadratic pattern this replaces cost
    about 10,000x (0.3 s a command at 6,000 characters)."""
    short, long = build(60), build(6000)
    ratio = _cost(parse, long) / max(_cost(parse, short), 1e-7)
    assert ratio < 1000, f"{what}: {ratio:.0f}x the work for 100x the input"


@given(st.text(max_size=300))
def test_any_user_string_is_a_name_or_a_refusal(raw: str) -> None:
    try:
        name = parse_username(raw)
    except InvalidInput as refused:
        assert refused.user_message
    else:
        assert USERNAME.fullmatch(name) or ULID.fullmatch(name)


@given(st.text(alphabet=st.sampled_from("0123456789, abc/:.-\n\t") | st.characters(), max_size=300))
def test_any_games_string_is_a_list_or_a_refusal(raw: str) -> None:
    try:
        ids = parse_game_ids(raw)
    except InvalidInput as refused:
        assert refused.user_message
    else:
        assert 1 <= len(ids) <= 50 and len(set(ids)) == len(ids) and all(i >= 1 for i in ids)
