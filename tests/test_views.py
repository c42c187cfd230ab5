"""Page buttons: First and Last from four pages on, custom_ids the bot recognises, and an answer for
every click, even on buttons no live view owns (from before a restart, timed out, or unknown)."""

from __future__ import annotations

import logging
from typing import Any

import discord
import pytest
from discord.ext import commands

from bot.sandbox.harness import DEFAULT_MEMBER_ID, Sandbox, button_id, final_answer, running_sandbox
from bot.views import (
    EXPIRED_BUTTONS,
    NOT_YOURS,
    PAGE_BUTTON_PREFIX,
    PageView,
    answer_stale_component,
    custom_ids,
    install_stale_button_handler,
)

NO_COOLDOWN = {"PROGRESS_COOLDOWN_SECONDS": "0"}
OTHER_MEMBER = 200000000000000009
EXPIRED_REPLY = {
    "type": 4,
    "data": {"content": EXPIRED_BUTTONS, "flags": 64, "tts": False, "allowed_mentions": {"parse": []}},
}


def layout(view: PageView) -> list[tuple[str, bool, str]]:
    return [
        (str(button.label), button.disabled, str(button.custom_id))
        for button in view.children
        if isinstance(button, discord.ui.Button)
    ]


def pages(count: int) -> list[discord.Embed]:
    return [discord.Embed(title=f"Page {n}") for n in range(1, count + 1)]


@pytest.mark.parametrize("count", [2, 3])
async def test_up_to_three_pages_have_previous_position_and_next(count: int) -> None:
    view = PageView(pages(count), owner_id=1, timeout=60)
    assert layout(view) == [
        ("Previous", True, "rabot:page:previous"),
        (f"1/{count}", True, "rabot:page:position"),
        ("Next", False, "rabot:page:next"),
    ]


@pytest.mark.parametrize("count", [4, 30])
async def test_from_four_pages_first_and_last_too(count: int) -> None:
    view = PageView(pages(count), owner_id=1, timeout=60)
    assert layout(view) == [
        ("First", True, "rabot:page:first"),
        ("Previous", True, "rabot:page:previous"),
        (f"1/{count}", True, "rabot:page:position"),
        ("Next", False, "rabot:page:next"),
        ("Last", False, "rabot:page:last"),
    ]
    assert all(custom_id.startswith(PAGE_BUTTON_PREFIX) for _, _, custom_id in layout(view))
    assert custom_ids(view) == {c for _, _, c in layout(view)}


async def test_a_view_needs_two_pages() -> None:
    with pytest.raises(ValueError, match="at least two pages"):
        PageView(pages(1), owner_id=1, timeout=60)


async def test_the_stale_button_handler_is_installed_once() -> None:
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.none())
    install_stale_button_handler(bot)
    install_stale_button_handler(bot)
    assert bot.extra_events["on_interaction"] == [answer_stale_component]
    await bot.close()


# ---------------------------------------------------------------------------------------------- end to end


async def progress_on(sandbox: Sandbox, games: int) -> dict[str, Any]:
    return await sandbox.ask("progress", user="MaxMilyin", games=",".join(map(str, range(1, games + 1))))


async def test_a_click_from_before_a_restart_is_answered(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot.views")
    async with running_sandbox(env=NO_COOLDOWN) as before:
        message = await progress_on(before, 12)
    async with running_sandbox(env=NO_COOLDOWN) as after:
        click = await after.click_custom_id(button_id(message, "Next"), message_id=message["id"])
        reply = await click.wait_for(lambda e: e.kind == "callback")
        assert reply.body == EXPIRED_REPLY
        assert [e.kind for e in click.events] == ["callback"]
    assert any(
        "expired buttons" in r.getMessage() and "rabot:page:next" in r.getMessage() for r in caplog.records
    )


@pytest.mark.parametrize("custom_id", ["rabot:page:nowhere", "something-else", "x" * 100])
async def test_an_unknown_custom_id_on_live_pages_is_answered_and_the_pages_still_turn(
    custom_id: str,
) -> None:
    async with running_sandbox(env=NO_COOLDOWN) as sandbox:
        message = await progress_on(sandbox, 12)
        for clicker in (DEFAULT_MEMBER_ID, OTHER_MEMBER):
            click = await sandbox.click_custom_id(custom_id, message_id=message["id"], user_id=clicker)
            assert (await click.wait_for(lambda e: e.kind == "callback")).body == EXPIRED_REPLY
        turned = await final_answer(await sandbox.click(sandbox.discord.messages[message["id"]], "Next"))
        assert turned["embeds"][0]["footer"]["text"].endswith("Page 2/2")


async def test_live_buttons_are_answered_once_by_their_view(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot.views")
    async with running_sandbox(env=NO_COOLDOWN) as sandbox:
        message = await progress_on(sandbox, 12)
        stranger = await sandbox.click(message, "Next", user_id=OTHER_MEMBER)
        refusal = await stranger.wait_for(lambda e: e.kind == "callback")
        assert refusal.body["data"]["content"] == NOT_YOURS
        owner = await sandbox.click(message, "Next")
        turn = await owner.wait_for(lambda e: e.kind == "callback")
        assert turn.body["type"] == 7
        await final_answer(await sandbox.command("progress", user="MaxMilyin", games="1"))
        for interaction in (stranger, owner):
            assert [e.kind for e in interaction.events] == ["callback"]
    assert not [r for r in caplog.records if "expired" in r.getMessage()]


async def test_buttons_that_timed_out_are_answered() -> None:
    env = {**NO_COOLDOWN, "PAGINATOR_TIMEOUT_SECONDS": "1"}
    async with running_sandbox(env=env) as sandbox:
        interaction = await sandbox.command(
            "progress", user="MaxMilyin", games=",".join(map(str, range(1, 13)))
        )
        message = await final_answer(interaction)
        await interaction.wait_for(lambda e: e.kind == "edit_original" and e.body.get("components") == [])
        # A member whose Discord still shows the buttons presses one.
        click = await sandbox.click_custom_id(button_id(message, "Next"), message_id=message["id"])
        assert (await click.wait_for(lambda e: e.kind == "callback")).body == EXPIRED_REPLY


async def test_first_and_last_on_four_pages_but_not_on_three() -> None:
    async with running_sandbox(env=NO_COOLDOWN) as sandbox:
        three = await progress_on(sandbox, 30)
        assert [c["label"] for c in three["components"][0]["components"]] == ["Previous", "1/3", "Next"]
        four = await progress_on(sandbox, 31)
        labels = [c["label"] for c in four["components"][0]["components"]]
        assert labels == ["First", "Previous", "1/4", "Next", "Last"]
        body = (await (await sandbox.click(four, "Last")).wait_for(lambda e: e.kind == "callback")).body
        assert body["data"]["embeds"][0]["footer"]["text"].endswith("Page 4/4")
        assert [
            (c["label"], c.get("disabled", False)) for c in body["data"]["components"][0]["components"]
        ] == [
            ("First", False),
            ("Previous", False),
            ("4/4", True),
            ("Next", True),
            ("Last", True),
        ]
        shown = sandbox.discord.messages[four["id"]]
        body = (await (await sandbox.click(shown, "First")).wait_for(lambda e: e.kind == "callback")).body
        assert body["data"]["embeds"][0] == four["embeds"][0]
