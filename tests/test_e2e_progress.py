"""/progress end to end: the real bot, a fake Discord and a fake RetroAchievements, exact JSON on the wire."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.sandbox.fake_discord import FakeInteraction
from bot.sandbox.fake_ra import edge_case_dataset
from bot.sandbox.harness import SANDBOX_API_KEY, Sandbox, final_answer, running_sandbox
from bot.views import NOT_YOURS

OTHER_MEMBER = 200000000000000099
NO_COOLDOWN = {"PROGRESS_COOLDOWN_SECONDS": "0"}
FAST_RETRIES = {"RA_MAX_RETRIES": "1", "RA_TIMEOUT_SECONDS": "0.5", **NO_COOLDOWN}

MASTERED_SONIC = (
    "**[Sonic the Hedgehog](https://retroachievements.org/game/1)** · Genesis/Mega Drive · **👑 Mastered**\n"
    "`Softcore ██████████` 100% · 23/23 · 251/251 pts\n"
    "`Hardcore ██████████` 100% · 23/23 · 251/251 pts"
)
MAXMILYIN_AUTHOR = {
    "name": "MaxMilyin",
    "url": "https://retroachievements.org/user/MaxMilyin",
    "icon_url": "https://media.retroachievements.org/UserPic/MaxMilyin.png",
}


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with running_sandbox(env=NO_COOLDOWN) as running:
        yield running


def kinds(interaction: FakeInteraction) -> list[str]:
    return [event.kind for event in interaction.events]


async def private_error(sandbox: Sandbox, **options: str) -> str:
    """Sends /progress and returns the text of the ephemeral error the member sees."""
    answer = await sandbox.ask("progress", options)
    assert answer["flags"] & 64, answer
    assert answer["embeds"] == []
    return str(answer["content"])


async def test_documented_example_exact_reply(sandbox: Sandbox) -> None:
    interaction = await sandbox.command("progress", user="MaxMilyin", games="1")
    await final_answer(interaction)
    assert [(e.kind, e.body) for e in interaction.events] == [
        ("callback", {"type": 5}),
        (
            "edit_original",
            {
                "embeds": [
                    {
                        "type": "rich",
                        "flags": 0,
                        "title": "Progress on 1 game",
                        "color": 0xCC9900,
                        "author": MAXMILYIN_AUTHOR,
                        "description": MASTERED_SONIC,
                        "fields": [
                            {"name": "Mastered", "value": "1 of 1", "inline": True},
                            {"name": "Completed", "value": "1 of 1", "inline": True},
                            {"name": "Beaten", "value": "0 of 1", "inline": True},
                            {"name": "Points", "value": "251 of 251\n(hardcore 251)", "inline": True},
                        ],
                        "footer": {"text": "Data from RetroAchievements.org"},
                    }
                ],
                "content": None,
                "tts": False,
                "allowed_mentions": {"parse": []},
            },
        ),
    ]
    progress_calls = [r for r in sandbox.ra.requests if r.endpoint == "API_GetUserProgress"]
    assert [r.params for r in progress_calls] == [{"y": SANDBOX_API_KEY, "u": "MaxMilyin", "i": "1"}]
    assert (progress_calls[0].user_agent or "").startswith("RAProgressBot/")


async def test_three_games_in_the_order_asked_with_summary(sandbox: Sandbox) -> None:
    answer = await sandbox.ask(
        "progress", user="maxmilyin", games="3, https://retroachievements.org/game/1 2 3"
    )
    embed = answer["embeds"][0]
    assert embed["author"] == MAXMILYIN_AUTHOR  # the name as RetroAchievements spells it
    titles = re.findall(r"^\*\*\[([^\]]+)\]", embed["description"], re.MULTILINE)
    assert titles == ["Streets of Rage 2", "Sonic the Hedgehog", "Sonic the Hedgehog 2"]
    assert "· **✅ Completed**" in embed["description"].split("\n\n")[0]
    assert "· **🏁 Beaten**" in embed["description"].split("\n\n")[2]
    assert [f["value"] for f in embed["fields"]] == [
        "1 of 3",
        "2 of 3",
        "1 of 3",
        "811 of 1,001\n(hardcore 671)",
    ]


async def test_edge_case_fixture() -> None:
    async with running_sandbox(edge_case_dataset(), env=NO_COOLDOWN) as sandbox:
        answer = await sandbox.ask("progress", user="EdgeCase", games="1 2 3 15934")
    blocks = answer["embeds"][0]["description"].split("\n\n")
    assert blocks[0].splitlines()[1:] == [
        "`Softcore ██████░░░░` 66% · 2/3 · 15/40 pts",
        "`Hardcore ███░░░░░░░` 33% · 1/3 · 5/40 pts",
    ]
    assert blocks[1].splitlines()[1:] == [
        "`Softcore ░░░░░░░░░░` 0% · 0/5 · 0/50 pts",
        "`Hardcore ░░░░░░░░░░` 0% · 0/5 · 0/50 pts",
    ]
    assert blocks[2].endswith("\nNo achievements yet.")
    assert blocks[3] == "**Unknown game #15934**\nRetroAchievements has no game with this ID."
    assert [f["value"] for f in answer["embeds"][0]["fields"]][:2] == ["0 of 2", "0 of 2"]


async def test_numbers_sent_as_strings_give_the_same_reply() -> None:
    async with running_sandbox(env=NO_COOLDOWN) as sandbox:
        sandbox.ra.string_numbers = True
        answer = await sandbox.ask("progress", user="MaxMilyin", games="1")
    assert answer["embeds"][0]["description"] == MASTERED_SONIC
    assert [f["value"] for f in answer["embeds"][0]["fields"]][3] == "251 of 251\n(hardcore 251)"


async def test_unknown_user_is_told_privately_after_the_public_defer(sandbox: Sandbox) -> None:
    interaction = await sandbox.command("progress", user="NoSuchPlayer", games="1")
    answer = await final_answer(interaction)
    assert kinds(interaction) == ["callback", "delete_original", "followup"]
    assert answer["flags"] & 64
    assert answer["content"] == (
        "There is no RetroAchievements user named `NoSuchPlayer`. "
        "Check the spelling (names are 2-20 letters and digits)."
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"user": "Max Milyin", "games": "1"}, "`Max Milyin` is not a RetroAchievements user name"),
        ({"user": "@everyone", "games": "1"}, "`@everyone` is not a RetroAchievements user name"),
        ({"user": "MaxMilyin", "games": "1, abc"}, "No RetroAchievements game is titled `abc`."),
        ({"user": "MaxMilyin", "games": "1, 0"}, "`0` is not a game ID: IDs are whole numbers"),
        ({"user": "MaxMilyin", "games": " "}, "Give at least one game"),
        ({"user": "MaxMilyin", "games": " ".join(map(str, range(1, 52)))}, "That is 51 games"),
    ],
)
async def test_bad_input_is_refused_privately_before_any_request(
    sandbox: Sandbox, options: dict[str, str], message: str
) -> None:
    interaction = await sandbox.command("progress", options)
    answer = await final_answer(interaction)
    assert kinds(interaction) == ["callback"]
    assert interaction.events[0].body["type"] == 4
    assert answer["flags"] == 64
    assert message in answer["content"]
    assert interaction.events[0].body["data"]["allowed_mentions"] == {"parse": []}
    assert sandbox.ra.requests == []


async def test_cooldown_says_when_to_try_again() -> None:
    async with running_sandbox(env={"PROGRESS_COOLDOWN_SECONDS": "5"}) as sandbox:
        await sandbox.ask("progress", user="MaxMilyin", games="1")
        message = await private_error(sandbox, user="MaxMilyin", games="2")
        other = await sandbox.ask("progress", user="MaxMilyin", games="2", user_id=OTHER_MEMBER)
    assert message == "You are going a little fast: try again in 5 s."
    assert other["embeds"]


@pytest.mark.parametrize(
    ("kind", "times", "message"),
    [
        ("401", 1, "The bot is misconfigured: RetroAchievements refused its API key."),
        ("429", 2, "RetroAchievements is asking the bot to slow down."),
        ("500", 2, "RetroAchievements is not answering right now."),
        ("html", 2, "RetroAchievements is not answering right now."),
        ("html200", 2, "RetroAchievements is not answering right now."),
        ("truncated", 2, "RetroAchievements is not answering right now."),
        ("wrong_types", 1, "RetroAchievements is not answering right now."),
        ("slow", 2, "RetroAchievements is not answering right now."),
    ],
)
async def test_upstream_failures_become_clear_private_answers(
    kind: str, times: int, message: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with running_sandbox(env=FAST_RETRIES) as sandbox:
        sandbox.ra.fail_next("API_GetUserProgress", kind, times=times, retry_after=0.05)
        interaction = await sandbox.command("progress", user="MaxMilyin", games="1")
        answer = await final_answer(interaction)
        assert kinds(interaction) == ["callback", "delete_original", "followup"]
        assert answer["flags"] & 64
        assert answer["content"].startswith(message)
        recovered = await sandbox.ask("progress", user="MaxMilyin", games="1", user_id=OTHER_MEMBER)
        assert recovered["embeds"], "the bot keeps working after the failure"
    if kind == "401":
        assert "RA_API_KEY" in caplog.text
    assert_no_secret(sandbox, caplog)


async def test_retries_through_a_dropped_connection_and_a_429(sandbox: Sandbox) -> None:
    sandbox.ra.fail_next("API_GetUserProgress", "drop")
    sandbox.ra.fail_next("API_GetUserProfile", "429", retry_after=0.05)
    answer = await sandbox.ask("progress", user="MaxMilyin", games="1")
    assert answer["embeds"][0]["description"] == MASTERED_SONIC


async def test_unexpected_error_shows_an_error_id_that_is_logged(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    sandbox.discord.fail_next(
        "PATCH", r"/messages/@original$", 400, {"code": 50035, "message": "Invalid Form Body"}
    )
    answer = await sandbox.ask("progress", user="MaxMilyin", games="1")
    assert answer["flags"] & 64
    match = re.search(r"error id `([0-9a-f]{8})`", answer["content"])
    assert match, answer["content"]
    assert f"Unexpected error {match.group(1)} in /progress" in caplog.text


async def test_expired_interaction_is_logged_quietly(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    sandbox.discord.token_lifetime = 0.1
    sandbox.ra.delay = 0.3
    interaction = await sandbox.command("progress", user="MaxMilyin", games="1")
    await interaction.wait_for(lambda e: e.kind == "callback")
    for _ in range(50):
        if "expired" in caplog.text:
            break
        await asyncio.sleep(0.05)
    assert "expired before" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    sandbox.discord.token_lifetime = 900
    sandbox.ra.delay = 0
    assert (await sandbox.ask("progress", user="Scott", games="1", user_id=OTHER_MEMBER))["embeds"]


async def test_pages_buttons_only_for_the_invoker_and_gone_on_timeout() -> None:
    games = " ".join(map(str, range(1, 13)))
    async with running_sandbox(env={**NO_COOLDOWN, "PAGINATOR_TIMEOUT_SECONDS": "1"}) as sandbox:
        interaction = await sandbox.command("progress", user="MaxMilyin", games=games)
        first = await final_answer(interaction)
        assert first["embeds"][0]["footer"]["text"] == "Data from RetroAchievements.org · Page 1/2"
        labels = [c["label"] for c in first["components"][0]["components"]]
        assert labels == ["Previous", "1/2", "Next"]
        assert [c["disabled"] for c in first["components"][0]["components"]] == [True, True, False]

        stranger = await sandbox.click(first, "Next", user_id=OTHER_MEMBER)
        refusal = await stranger.wait_for(lambda e: e.kind == "callback")
        assert refusal.body == {
            "type": 4,
            "data": {"content": NOT_YOURS, "flags": 64, "tts": False, "allowed_mentions": {"parse": []}},
        }

        turn = await sandbox.click(first, "Next")
        page_two = (await turn.wait_for(lambda e: e.kind == "callback")).body
        assert page_two["type"] == 7
        assert page_two["data"]["embeds"][0]["footer"]["text"].endswith("Page 2/2")
        assert "Puzzle Drop" not in page_two["data"]["embeds"][0]["description"]

        removal = await interaction.wait_for(
            lambda e: e.kind == "edit_original" and e.body.get("components") == [], timeout=5
        )
        assert "embeds" not in removal.body


async def test_identical_commands_in_flight_share_one_upstream_request(sandbox: Sandbox) -> None:
    sandbox.ra.delay = 0.2
    interactions = await asyncio.gather(
        *(sandbox.command("progress", user="MaxMilyin", games="1,2", user_id=300 + n) for n in range(40))
    )
    answers = await asyncio.gather(*(final_answer(i) for i in interactions))
    assert all(a["embeds"] for a in answers)
    assert sandbox.ra.count("API_GetUserProgress") == 1
    assert sandbox.ra.count("API_GetUserProfile") == 1


async def test_long_id_lists_are_split_into_chunks() -> None:
    async with running_sandbox(env={**NO_COOLDOWN, "RA_IDS_PER_REQUEST": "20"}) as sandbox:
        answer = await sandbox.ask("progress", user="MaxMilyin", games=" ".join(map(str, range(1, 51))))
    assert answer["embeds"][0]["footer"]["text"].endswith("Page 1/5")
    progress = [r.params["i"].split(",") for r in sandbox.ra.requests if r.endpoint == "API_GetUserProgress"]
    assert sorted(len(ids) for ids in progress) == [10, 20, 20]


async def test_commands_register_once_globally_or_per_guild(tmp_path: Path) -> None:
    async with running_sandbox(data_dir=tmp_path) as first:
        assert first.discord.command_syncs == 1
        assert sorted(c["name"] for c in first.discord.commands[None]) == [
            "compare", "feed", "leaderboard", "link", "progress", "unlink",
        ]  # fmt: skip
    async with running_sandbox(data_dir=tmp_path) as second:
        assert second.discord.command_syncs == 0, "nothing changed, so nothing is registered again"
    guild = "123456789012345678"
    async with running_sandbox(data_dir=tmp_path, env={"DISCORD_GUILD_ID": guild}) as third:
        assert third.discord.command_syncs == 1
        assert int(guild) in third.discord.commands


async def test_no_privileged_intents_and_no_pings(sandbox: Sandbox) -> None:
    await sandbox.ask("progress", user="MaxMilyin", games="1")
    await sandbox.ask("progress", user="NoSuchPlayer", games="1", user_id=OTHER_MEMBER)
    privileged = (1 << 1) | (1 << 8) | (1 << 15)
    assert sandbox.discord.identifies[0]["intents"] & privileged == 0
    bodies = [r.json for r in sandbox.discord.requests if isinstance(r.json, dict) and message_body(r.json)]
    assert bodies
    for body in bodies:
        data = body.get("data", body)
        assert data.get("allowed_mentions") == {"parse": []}, body


def message_body(body: dict[str, Any]) -> bool:
    data = body.get("data", body)
    return isinstance(data, dict) and ("content" in data or "embeds" in data)


def assert_no_secret(sandbox: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    sent = json.dumps([r.json for r in sandbox.discord.requests])
    for secret in (SANDBOX_API_KEY, sandbox.discord.bot_token):
        assert secret not in sent
        assert secret not in caplog.text
        for record in caplog.records:
            assert secret not in str(record.exc_info)


@pytest.mark.parametrize(
    "options",
    [[{"name": "user", "type": 3, "value": "MaxMilyin"}], [{"name": "player", "type": 3, "value": "x"}]],
)
async def test_stale_commands_get_an_answer(sandbox: Sandbox, options: list[dict[str, Any]]) -> None:
    payload = sandbox.discord.slash_payload("progress" if options[0]["name"] == "player" else "gone", options)
    answer = await final_answer(await sandbox.discord.send_interaction(payload))
    assert answer["flags"] & 64
    assert answer["content"].startswith("This command has changed since Discord last loaded it.")


async def test_page_buttons_that_time_out_after_shutdown_are_quiet(caplog: pytest.LogCaptureFixture) -> None:
    loop = asyncio.get_running_loop()
    problems: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _, context: problems.append(context))
    try:
        async with running_sandbox(env={**NO_COOLDOWN, "PAGINATOR_TIMEOUT_SECONDS": "1"}) as sandbox:
            await sandbox.ask("progress", user="MaxMilyin", games=" ".join(map(str, range(1, 13))))
        await asyncio.sleep(1.5)  # the buttons time out after the bot has closed
        gc.collect()  # an exception nobody retrieved is reported when its task is collected
    finally:
        loop.set_exception_handler(None)
    assert problems == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
