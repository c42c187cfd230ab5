"""Games by title end to end: the real bot fills its game catalogue from the fake RetroAchievements, then
members type titles, pick them from autocomplete, and the catalogue survives bad answers and restarts.

Every assertion is on the exact JSON the bot sent back, on the requests the fake received, or on what
the bot stored.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.catalogue.model import CatalogueGame
from bot.game_items import CATALOGUE_LOADING
from bot.sandbox.fake_catalogue import GENERATED_FIRST_ID, add_generated_catalogue
from bot.sandbox.fake_ra import Dataset, FakeRA, RecordedRARequest, demo_dataset
from bot.sandbox.harness import SANDBOX_API_KEY, Sandbox, running_sandbox

NO_COOLDOWN = {"PROGRESS_COOLDOWN_SECONDS": "0"}
EPHEMERAL = 64
DEMO_CONSOLES = [1, 2, 3, 4, 5, 7, 11, 12]  # the demo games' consoles, by ID
ZELDA = "Legend of Zelda, The: A Link to the Past"
SONIC_CANDIDATES = (
    "`Sonic the Hedgehog` matches 3 games. Use the ID of the one you mean (or its retroachievements.org "
    "link), or pick it from the suggestions that appear as you type.\n"
    "• Sonic the Hedgehog · Game Gear · ID `21`\n"
    "• Sonic the Hedgehog · Genesis/Mega Drive · ID `1`\n"
    "• Sonic the Hedgehog · Master System · ID `20`"
)
STREETS_BLOCK = (
    "**[Streets of Rage 2](https://retroachievements.org/game/3)** · Genesis/Mega Drive · **✅ Completed**\n"
    "`Softcore ██████████` 100% · 30/30 · 350/350 pts\n"
    "`Hardcore ████████░░` 83% · 25/30 · 290/350 pts"
)


def catalogue_dataset() -> Dataset:
    """The demo data, plus one title on three consoles and a title with a comma."""
    data = demo_dataset()
    data.add_game(20, "Sonic the Hedgehog", "Master System", 20, 200, console_id=11)
    data.add_game(21, "Sonic the Hedgehog", "Game Gear", 21, 210, console_id=15)
    data.add_game(30, ZELDA, "SNES/Super Famicom", 40, 500, console_id=3)
    data.add_game(31, f"{ZELDA} [Subset - Bonus]", "SNES/Super Famicom", 5, 50, console_id=3)
    return data


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with running_sandbox(catalogue_dataset(), env=NO_COOLDOWN) as running:
        yield running


def endpoints(sandbox: Sandbox) -> list[str]:
    return [request.endpoint for request in sandbox.ra.requests]


def titles(answer: dict[str, Any]) -> list[str]:
    return re.findall(r"^\*\*\[([^\]]+)\]", answer["embeds"][0]["description"], re.MULTILINE)


async def refusal(sandbox: Sandbox, command: str, **options: str) -> str:
    answer = await sandbox.ask(command, options)
    assert answer["flags"] == EPHEMERAL and not answer.get("embeds"), answer
    return str(answer["content"])


# -- filling ---------------------------------------------------------------------------------------


def catalogue_requests(sandbox: Sandbox) -> list[RecordedRARequest]:
    """What the bot asked at start, but for its RetroAchievements key check (a profile lookup)."""
    return [r for r in sandbox.startup_requests if r.endpoint != "API_GetUserProfile"]


async def test_first_start_fills_the_catalogue_one_console_at_a_time(sandbox: Sandbox) -> None:
    asked = [
        (r.endpoint, {k: v for k, v in r.params.items() if k != "y"}) for r in catalogue_requests(sandbox)
    ]
    assert asked == [("API_GetConsoleIDs", {"g": "1"})] + [
        ("API_GetGameList", {"i": str(console), "f": "1", "h": "0"}) for console in [*DEMO_CONSOLES, 15]
    ]
    assert all(r.params["y"] == SANDBOX_API_KEY for r in sandbox.startup_requests)
    stored = await sandbox.bot.storage.catalogue_games()
    # Games with published achievements only: game 4 (a homebrew without any) is not listed.
    assert [game.game_id for game in stored] == [1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 20, 21, 30, 31]
    assert stored[0] == CatalogueGame(
        1, "Sonic the Hedgehog", 1, "Genesis/Mega Drive", "/Images/085573.png", 23, 251
    )
    assert len(sandbox.bot.catalogue.index) == 15


async def test_replies_take_titles_from_the_catalogue(sandbox: Sandbox) -> None:
    answer = await sandbox.ask("progress", user="MaxMilyin", games="1, 2, 3, 30")
    assert titles(answer) == ["Sonic the Hedgehog", "Sonic the Hedgehog 2", "Streets of Rage 2", ZELDA]
    assert sorted(endpoints(sandbox)) == [
        "API_GetUserCompletionProgress",  # beaten marks
        "API_GetUserProfile",
        "API_GetUserProgress",
    ]


async def test_a_game_the_catalogue_lacks_is_asked_for_once_then_learned(sandbox: Sandbox) -> None:
    first = await sandbox.ask("progress", user="MaxMilyin", games="4")
    assert first["embeds"][0]["description"] == (
        "**[Homebrew Test Cart](https://retroachievements.org/game/4)** · Genesis/Mega Drive\n"
        "No achievements yet."
    )
    assert endpoints(sandbox).count("API_GetGame") == 1
    await sandbox.bot.background.settle_all()
    learned = [game for game in await sandbox.bot.storage.catalogue_games() if game.game_id == 4]
    assert learned == [CatalogueGame(4, "Homebrew Test Cart", 0, "Genesis/Mega Drive", "/Images/000004.png")]
    await sandbox.ask("compare", games="4, 1", users="MaxMilyin, Scott")
    assert endpoints(sandbox).count("API_GetGame") == 1


# -- titles ----------------------------------------------------------------------------------------


async def test_a_title(sandbox: Sandbox) -> None:
    answer = await sandbox.ask("progress", user="MaxMilyin", games="streets of rage 2")
    assert answer["embeds"][0]["title"] == "Progress on 1 game"
    assert answer["embeds"][0]["description"] == STREETS_BLOCK
    assert sorted(endpoints(sandbox)) == [
        "API_GetUserCompletionProgress",
        "API_GetUserProfile",
        "API_GetUserProgress",
    ]
    progress = next(r for r in sandbox.ra.requests if r.endpoint == "API_GetUserProgress")
    assert progress.params["i"] == "3"


async def test_a_prefix_a_typo_and_words_in_any_order(sandbox: Sandbox) -> None:
    answer = await sandbox.ask("progress", user="MaxMilyin", games="Streets; Pixl Quest; zelda link past")
    assert titles(answer) == ["Streets of Rage 2", "Pixel Quest", ZELDA]


async def test_an_ambiguous_title_lists_the_candidates_privately(sandbox: Sandbox) -> None:
    interaction = await sandbox.command("progress", user="MaxMilyin", games="1446, Sonic the Hedgehog")
    await interaction.wait_for(lambda e: e.kind == "callback")
    assert [(e.kind, e.body) for e in interaction.events] == [
        (
            "callback",
            {
                "type": 4,
                "data": {
                    "content": SONIC_CANDIDATES,
                    "flags": EPHEMERAL,
                    "tts": False,
                    "allowed_mentions": {"parse": []},
                },
            },
        )
    ]
    assert sandbox.ra.requests == []


async def test_an_unknown_title_is_refused_privately(sandbox: Sandbox) -> None:
    assert await refusal(sandbox, "progress", user="MaxMilyin", games="1, Quackshot Deluxe") == (
        "No RetroAchievements game is titled `Quackshot Deluxe`. Check the spelling, or use the game's ID "
        "or its retroachievements.org link; titles are suggested as you type."
    )
    assert sandbox.ra.requests == []


@pytest.mark.parametrize(
    "games",
    [
        f"{ZELDA}, 1",
        f'"{ZELDA}", 1',
        f"{ZELDA}; 1",
        "The Legend of Zelda: A Link to the Past, 1",
        "legend of zelda the a link to the past,sonic the hedgehog 2",
    ],
)
async def test_a_title_with_a_comma(sandbox: Sandbox, games: str) -> None:
    answer = await sandbox.ask("progress", user="MaxMilyin", games=games)
    expected = "Sonic the Hedgehog 2" if games.endswith("2") else "Sonic the Hedgehog"
    assert titles(answer) == [ZELDA, expected]


async def test_ids_and_links_mixed_with_titles_keep_their_order(sandbox: Sandbox) -> None:
    games = '3, https://retroachievements.org/game/1, pixel quest; "Ocean Odyssey", 6 7'
    answer = await sandbox.ask("progress", user="MaxMilyin", games=games)
    assert titles(answer) == [
        "Streets of Rage 2",
        "Sonic the Hedgehog",
        "Pixel Quest",
        "Ocean Odyssey",
        "Turbo Racer 64",
        "Castle of Shadows",
    ]
    progress = next(r for r in sandbox.ra.requests if r.endpoint == "API_GetUserProgress")
    assert progress.params["i"] == "3,1,5,12,6,7"


async def test_lists_of_ids_parse_as_they_always_did(sandbox: Sandbox) -> None:
    answer = await sandbox.ask("progress", user="MaxMilyin", games="3 https://retroachievements.org/game/1;2")
    assert titles(answer) == ["Streets of Rage 2", "Sonic the Hedgehog", "Sonic the Hedgehog 2"]


async def test_compare_and_leaderboard_take_titles(sandbox: Sandbox) -> None:
    compared = await sandbox.ask("compare", games="streets of rage 2, 1", users="MaxMilyin, Scott")
    assert "Streets of Rage 2" in compared["embeds"][0]["description"]
    await sandbox.ask("link", username="MaxMilyin")
    board = await sandbox.ask("leaderboard", game=ZELDA)
    assert board["embeds"][0]["description"].startswith(
        f"**[{ZELDA}](https://retroachievements.org/game/30)** · SNES/Super Famicom"
    )
    assert "API_GetGame" not in endpoints(sandbox)


async def test_leaderboard_on_an_id_that_is_no_game_says_so(sandbox: Sandbox) -> None:
    await sandbox.ask("link", username="MaxMilyin")
    sandbox.ra.requests.clear()
    assert await refusal(sandbox, "leaderboard", game="15934") == (
        "**Unknown game #15934**\nRetroAchievements has no game with this ID."
    )
    assert endpoints(sandbox) == ["API_GetGame"]  # and no member's progress was fetched


# -- autocomplete ----------------------------------------------------------------------------------


async def test_autocomplete_completes_the_game_being_typed(sandbox: Sandbox) -> None:
    choices = await sandbox.autocomplete("progress", "games", user="MaxMilyin", games="3, sonic")
    assert choices == [
        {"name": "Sonic the Hedgehog · Game Gear", "value": "3, 21"},
        {"name": "Sonic the Hedgehog · Genesis/Mega Drive", "value": "3, 1"},
        {"name": "Sonic the Hedgehog · Master System", "value": "3, 20"},
        {"name": "Sonic the Hedgehog 2 · Genesis/Mega Drive", "value": "3, 2"},
    ]
    picked = await sandbox.ask("progress", user="MaxMilyin", games=choices[1]["value"])
    assert titles(picked) == ["Streets of Rage 2", "Sonic the Hedgehog"]
    progress = next(r for r in sandbox.ra.requests if r.endpoint == "API_GetUserProgress")
    assert progress.params["i"] == "3,1"


async def test_autocomplete_leaves_out_games_already_listed_and_finds_titles_with_commas(
    sandbox: Sandbox,
) -> None:
    assert await sandbox.autocomplete("compare", "games", games="1, 2, Sonic the Hedgehog") == [
        {"name": "Sonic the Hedgehog · Game Gear", "value": "1, 2, 21"},
        {"name": "Sonic the Hedgehog · Master System", "value": "1, 2, 20"},
    ]
    assert await sandbox.autocomplete("progress", "games", games="2; Legend of Zelda, The: A Li") == [
        {"name": f"{ZELDA} · SNES/Super Famicom", "value": "2; 30"},
        {"name": f"{ZELDA} [Subset - Bonus] · SNES/Super Famicom", "value": "2; 31"},
    ]
    assert await sandbox.autocomplete(
        "leaderboard", "game", game="legend of zelda, the: a link to the past ["
    ) == [
        {"name": f"{ZELDA} · SNES/Super Famicom", "value": "30"},
        {"name": f"{ZELDA} [Subset - Bonus] · SNES/Super Famicom", "value": "31"},
    ]
    assert await sandbox.autocomplete("progress", "games", games="1, ") == []
    assert sandbox.ra.requests == []


async def test_titles_are_suggested_while_storage_fails(sandbox: Sandbox) -> None:
    """The member's link is in storage, the titles are in memory: a failing storage costs only the
    player's recently played games."""
    await sandbox.bot.storage.backend.close()  # from now on every storage call fails at once
    assert await sandbox.autocomplete("progress", "games", games="1, streets of") == [
        {"name": "Streets of Rage 2 · Genesis/Mega Drive", "value": "1, 3"}
    ]


async def test_an_answered_autocomplete_is_freed_without_the_garbage_collector(sandbox: Sandbox) -> None:
    """Keystrokes come by the dozen a second: what each leaves behind must not wait for the collector."""

    def interactions() -> int:
        return sum(1 for thing in gc.get_objects() if isinstance(thing, discord.Interaction))

    for _ in range(100):  # the bot freezes what it built at start once ready, hiding it from get_objects
        if gc.get_freeze_count():
            break
        await asyncio.sleep(0.01)
    gc.disable()
    try:
        before = interactions()
        assert await sandbox.autocomplete("progress", "games", games="sonic")
        for _ in range(50):  # until the bot's task for it has ended
            if interactions() == before:
                break
            await asyncio.sleep(0.02)
        assert interactions() == before
    finally:
        gc.enable()


async def test_autocomplete_over_ten_thousand_games_gives_25_at_most() -> None:
    data = catalogue_dataset()
    add_generated_catalogue(data, games=10_000)
    async with running_sandbox(data, env=NO_COOLDOWN) as sandbox:
        assert len(sandbox.bot.catalogue.index) > 10_000
        many = await sandbox.autocomplete("progress", "games", games="s")
        tetris = await sandbox.autocomplete("leaderboard", "game", game="tetris")
    assert len(many) == 25
    assert all(choice["value"].isdigit() and len(choice["name"]) <= 100 for choice in many)
    every_tetris = sorted((g.console_name, g.game_id) for g in data.games.values() if g.title == "Tetris")
    assert len(every_tetris) == 7
    assert tetris[:7] == [
        {"name": f"Tetris · {console}", "value": str(game_id)} for console, game_id in every_tetris
    ]
    assert all(int(choice["value"]) >= GENERATED_FIRST_ID for choice in tetris)


# -- refreshes -------------------------------------------------------------------------------------


async def test_the_catalogue_failing_mid_refresh_keeps_the_previous_copy(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    before = await sandbox.bot.storage.catalogue_games()
    data, control = sandbox.ra.dataset, sandbox.ra.catalogue
    data.games[3].title = "Streets of Rage 2 (Renamed)"  # on console 1, which succeeds
    data.games[5].title = "Pixel Quest (Renamed)"  # on console 3, which fails
    control.fail_console(3, "success_false")
    control.fail_console(4, "html", times=10)
    control.fail_console(7, "truncated", times=10)
    control.fail_console(11, "empty")
    control.fail_console(12, "wrong_shape")
    caplog.set_level(logging.DEBUG)

    report = await sandbox.bot.catalogue_refresher.refresh_now(force=True)

    assert (report.requests, report.replaced, len(report.failures)) == (10, 4, 5)
    assert report.next_in == 600.0  # the failed consoles are tried again in ten minutes
    after = {game.game_id: game for game in await sandbox.bot.storage.catalogue_games()}
    assert after[3].title == "Streets of Rage 2 (Renamed)"
    kept = [game for game in before if game.console_id in (3, 4, 7, 11, 12)]
    assert [after[game.game_id] for game in kept] == kept
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.name for r in warnings] == ["bot.catalogue.refresh"]
    assert (
        warnings[0]
        .getMessage()
        .startswith("Game catalogue: 5 of 10 requests failed, their previous copy is kept")
    )
    assert SANDBOX_API_KEY not in caplog.text
    answer = await sandbox.ask("progress", user="MaxMilyin", games="pixel quest, streets of rage 2 (renamed)")
    assert titles(answer) == ["Pixel Quest", "Streets of Rage 2 (Renamed)"]


async def test_a_console_that_fails_at_first_start_is_filled_on_the_next_try() -> None:
    def failing(fake: FakeRA) -> None:
        fake.catalogue.fail_console(3, "500", times=100)

    async with running_sandbox(catalogue_dataset(), env=NO_COOLDOWN, prepare=failing) as sandbox:
        refresher = sandbox.bot.catalogue_refresher
        assert refresher.last is not None and refresher.last.failures
        assert not sandbox.bot.catalogue.filled  # one console is missing: titles may be there
        assert await refusal(sandbox, "progress", user="MaxMilyin", games="pixel quest") == CATALOGUE_LOADING
        assert (await sandbox.ask("progress", user="MaxMilyin", games="streets of rage 2"))["embeds"]
        sandbox.ra.catalogue.failures.clear()
        report = await refresher.refresh_now()
        assert (report.requests, report.replaced, report.failures) == (1, 1, [])
        assert sandbox.bot.catalogue.filled
        answer = await sandbox.ask("progress", user="MaxMilyin", games="pixel quest")
    assert titles(answer) == ["Pixel Quest"]


async def test_commands_work_while_the_catalogue_cannot_be_filled() -> None:
    def unreachable(fake: FakeRA) -> None:
        fake.fail_next("API_GetConsoleIDs", "html", times=1000)

    async with running_sandbox(catalogue_dataset(), env=NO_COOLDOWN, prepare=unreachable) as sandbox:
        assert not sandbox.bot.catalogue.filled
        answer = await sandbox.ask("progress", user="MaxMilyin", games="1, 3")
        assert titles(answer) == ["Sonic the Hedgehog", "Streets of Rage 2"]
        assert endpoints(sandbox).count("API_GetGame") == 2
        # Titles the bot has met work; the others wait for the catalogue.
        answer = await sandbox.ask("progress", user="MaxMilyin", games="streets of rage 2")
        assert titles(answer) == ["Streets of Rage 2"]
        assert await refusal(sandbox, "progress", user="MaxMilyin", games="pixel quest") == CATALOGUE_LOADING


async def test_a_restart_does_not_fetch_the_catalogue_again(tmp_path: Path) -> None:
    async with running_sandbox(catalogue_dataset(), data_dir=tmp_path, env=NO_COOLDOWN) as first:
        assert len(catalogue_requests(first)) == 1 + 9
    async with running_sandbox(catalogue_dataset(), data_dir=tmp_path, env=NO_COOLDOWN) as second:
        assert catalogue_requests(second) == []
        assert second.bot.catalogue.filled
        answer = await second.ask("progress", user="MaxMilyin", games="streets of rage 2")
    assert answer["embeds"][0]["description"] == STREETS_BLOCK


async def test_autocomplete_puts_the_players_recently_played_games_first(sandbox: Sandbox) -> None:
    """The first keystroke fetches the typed player's recently played games in the background (it answers
    with catalogue matches at once); from the next one, those games come first, most recent first."""
    first = await sandbox.autocomplete("progress", "games", user="MaxMilyin", games="3, ")
    assert first == []  # nothing typed yet and nothing cached: no suggestion, one fetch started
    await sandbox.bot.suggestion_fetches.settle_all()
    assert [r.endpoint for r in sandbox.ra.requests] == ["API_GetUserRecentlyPlayedGames"]
    recent = await sandbox.bot.ra.get_user_recently_played("MaxMilyin", 10)
    expected = [
        {"name": f"{game.info.title} · {game.info.console_name}", "value": f"3, {game.info.game_id}"}
        for game in recent
        if game.info.game_id != 3
    ]
    assert expected, "the demo player has played games"
    again = await sandbox.autocomplete("progress", "games", user="MaxMilyin", games="3, ")
    assert again[: len(expected)] == expected
    assert [r.endpoint for r in sandbox.ra.requests] == ["API_GetUserRecentlyPlayedGames"]
