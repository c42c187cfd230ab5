"""Parsing what members type: every string gives a clean result or a clear refusal."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import InvalidInput
from bot.input import parse_game_ids, parse_username, quote


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
    with pytest.raises(InvalidInput, match="Type a RetroAchievements user name"):
        parse_username("   ")


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
    assert len(quote("x" * 500)) <= 42


@given(st.text(max_size=300))
def test_any_user_string_is_a_name_or_a_refusal(raw: str) -> None:
    try:
        name = parse_username(raw)
    except InvalidInput as refused:
        assert refused.user_message
    else:
        assert name.isascii() and name.isalnum() and 2 <= len(name) <= 26


@given(st.text(alphabet=st.sampled_from("0123456789, abc/:.-\n\t") | st.characters(), max_size=300))
def test_any_games_string_is_a_list_or_a_refusal(raw: str) -> None:
    try:
        ids = parse_game_ids(raw)
    except InvalidInput as refused:
        assert refused.user_message
    else:
        assert 1 <= len(ids) <= 50 and len(set(ids)) == len(ids) and all(i >= 1 for i in ids)
