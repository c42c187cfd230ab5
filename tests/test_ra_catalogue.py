"""The catalogue's endpoints: their parsers (hostile answers included) and RAClient against the fake."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.catalogue.model import CatalogueGame, Console
from bot.errors import RAInvalidRequest, RAUnavailable
from bot.ra.catalogue import parse_console_ids, parse_game_list
from bot.ra.client import RAClient
from bot.ra.models import ResponseShapeError
from bot.sandbox.fake_ra import FakeRA, demo_dataset
from tests.test_ra_client import KEY, fast_options

DEMO_CONSOLES = [
    Console(1, "Genesis/Mega Drive"),
    Console(2, "Nintendo 64"),
    Console(3, "SNES/Super Famicom"),
    Console(4, "Game Boy"),
    Console(5, "Game Boy Advance"),
    Console(7, "NES/Famicom"),
    Console(11, "Master System"),
    Console(12, "PlayStation"),
]
GENESIS_GAMES = [
    CatalogueGame(1, "Sonic the Hedgehog", 1, "Genesis/Mega Drive", "/Images/085573.png", 23, 251),
    CatalogueGame(2, "Sonic the Hedgehog 2", 1, "Genesis/Mega Drive", "/Images/000002.png", 35, 400),
    CatalogueGame(3, "Streets of Rage 2", 1, "Genesis/Mega Drive", "/Images/000003.png", 30, 350),
]


def row(game_id: int = 1, **changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "Title": "Sonic the Hedgehog",
        "ID": game_id,
        "ConsoleID": 1,
        "ConsoleName": "Genesis/Mega Drive",
        "ImageIcon": "/Images/085573.png",
        "NumAchievements": 23,
        "NumLeaderboards": 0,
        "Points": 251,
        "DateModified": "2024-01-01 00:00:00",
        "ForumTopicID": 1,
    }
    fields.update(changes)
    return fields


@pytest.fixture
async def fake() -> AsyncIterator[FakeRA]:
    async with FakeRA(demo_dataset(), api_key=KEY) as server:
        yield server


@pytest.fixture
async def client(fake: FakeRA) -> AsyncIterator[RAClient]:
    async with RAClient(fast_options(fake.base_url)) as made:
        yield made


# -- parsers ---------------------------------------------------------------------------------------


def test_a_game_list_is_cast_and_cleaned() -> None:
    hostile = row(
        2,
        Title="\u202eSonic\u200b 2",
        ImageIcon="javascript:alert(1)",
        NumAchievements="35",
        Points=None,
        ConsoleID="1",
    )
    assert parse_game_list(1, [row(), hostile, row(1, Title="Listed twice")]) == [
        CatalogueGame(1, "Sonic the Hedgehog", 1, "Genesis/Mega Drive", "/Images/085573.png", 23, 251),
        CatalogueGame(2, "Sonic 2", 1, "Genesis/Mega Drive", None, 35, 0),
    ]
    assert parse_game_list(1, []) == []


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ({"success": False}, "is not a list"),
        ([row(), "text"], "not an object"),
        ([row(ConsoleID=2)], "not on console 1"),
        ([row(ID=0)], "not an ID"),
        ([row(ID="x")], "ID of a game is not a whole number"),
        ([row(Title="")], "Title of game 1 is empty"),
        ([row(Title=None)], "Title of game 1 is not a string"),
        ([row(Title="x" * 501)], "longer than 500"),
        ([row(NumAchievements=-1)], "negative"),
        ([row(ImageIcon=7)], "ImageIcon of game 1 is not a string"),
    ],
)
def test_a_damaged_game_list_is_refused_whole(answer: object, reason: str) -> None:
    with pytest.raises(ResponseShapeError, match=reason):
        parse_game_list(1, answer)


def test_the_console_list_keeps_game_systems_by_id() -> None:
    answer = [
        {"ID": 3, "Name": "SNES/Super Famicom", "IsGameSystem": True},
        {"ID": "1", "Name": "Genesis/Mega Drive", "Active": True},
        {"ID": 100, "Name": "Hubs", "IsGameSystem": False},
        {"ID": 3, "Name": "Listed twice", "IsGameSystem": True},
    ]
    assert parse_console_ids(answer) == [Console(1, "Genesis/Mega Drive"), Console(3, "SNES/Super Famicom")]
    with pytest.raises(ResponseShapeError, match="Name of console 4 is not a string"):
        parse_console_ids([{"ID": 4}])


# -- the client against the fake -------------------------------------------------------------------


async def test_console_ids_and_game_lists_through_the_wire(fake: FakeRA, client: RAClient) -> None:
    assert await client.get_console_ids() == DEMO_CONSOLES
    assert await client.get_game_list(1) == GENESIS_GAMES  # game 4 has no achievements: not listed
    assert await client.get_game_list(99) == []
    assert [(r.endpoint, r.params) for r in fake.requests] == [
        ("API_GetConsoleIDs", {"y": KEY, "g": "1"}),
        ("API_GetGameList", {"y": KEY, "i": "1", "f": "1", "h": "0"}),
        ("API_GetGameList", {"y": KEY, "i": "99", "f": "1", "h": "0"}),
    ]
    fake.string_numbers = True
    assert await client.get_game_list(1) == GENESIS_GAMES


async def test_the_fake_answers_as_the_reference_says(fake: FakeRA, client: RAClient) -> None:
    raw: Any = await client._get_json("API_GetConsoleIDs", {})
    assert [(c["ID"], c["IsGameSystem"]) for c in raw][-2:] == [(100, False), (101, False)]
    assert await client._get_json("API_GetGameList", {"i": "0"}) == {"success": False}
    assert await client._get_json("API_GetGameList", {"i": "abc"}) == {"success": False}
    page = await client._get_json("API_GetGameList", {"i": "1", "o": "1", "c": "1", "h": "1"})
    assert page == [  # without f=1 the homebrew (no achievements) comes first: this is the second game
        {
            "Title": "Sonic the Hedgehog",
            "ID": 1,
            "ConsoleID": 1,
            "ConsoleName": "Genesis/Mega Drive",
            "ImageIcon": "/Images/085573.png",
            "NumAchievements": 23,
            "NumLeaderboards": 0,
            "Points": 251,
            "DateModified": "2024-01-01 00:00:00",
            "ForumTopicID": 1001,
            "Hashes": ["00000000000000000000000000000001"],
        }
    ]
    every = await client._get_json("API_GetGameList", {"i": "1"})
    assert isinstance(every, list) and [game["ID"] for game in every] == [4, 1, 2, 3]  # by title
    with pytest.raises(RAInvalidRequest):
        await client._get_json("API_GetGameList", {"i": "1", "c": "-1"})


async def test_success_false_is_a_bad_answer_not_retried(fake: FakeRA, client: RAClient) -> None:
    fake.catalogue.fail_console(1, "success_false")
    with pytest.raises(RAUnavailable, match="is not a list"):
        await client.get_game_list(1)
    assert fake.count("API_GetGameList") == 1
    with pytest.raises(RAInvalidRequest):
        await client.get_game_list(0)
    assert fake.count("API_GetGameList") == 1


@pytest.mark.parametrize("kind", ["html", "truncated", "500"])
async def test_pages_and_cut_answers_are_retried_then_unavailable(
    fake: FakeRA, client: RAClient, kind: str
) -> None:
    fake.catalogue.fail_console(1, kind, times=3)
    with pytest.raises(RAUnavailable):
        await client.get_game_list(1)
    assert fake.count("API_GetGameList") == 3
    fake.catalogue.fail_console(1, kind, times=1)
    assert await client.get_game_list(1) == GENESIS_GAMES


async def test_background_failures_are_logged_quietly(
    fake: FakeRA, client: RAClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.ra.client")
    fake.catalogue.fail_console(1, "html", times=3)
    with pytest.raises(RAUnavailable):
        await client.get_game_list(1, background=True)
    fake.catalogue.fail_console(2, "success_false")
    with pytest.raises(RAUnavailable):
        await client.get_game_list(2, background=True)
    assert [r.levelno for r in caplog.records if r.name == "bot.ra.client"].count(logging.WARNING) == 0
    failed_attempts = [r for r in caplog.records if r.msg == "%s: %s (attempt %d)"]
    assert [r.levelno for r in failed_attempts] == [logging.DEBUG] * 3
    assert [r.levelno for r in caplog.records if "unexpected shape" in r.getMessage()] == [logging.DEBUG]
    caplog.clear()
    fake.catalogue.fail_console(1, "html", times=1)
    assert await client.get_game_list(1) == GENESIS_GAMES
    assert [r.levelno for r in caplog.records if r.name == "bot.ra.client"].count(logging.WARNING) == 1
