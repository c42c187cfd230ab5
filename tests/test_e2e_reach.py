"""Members can use the bot anywhere: installed to their own account, in servers without the bot, in DMs
and group DMs. The real bot against the fake Discord; assertions on the exact JSON sent back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.sandbox.fake_discord import InteractionContextType
from bot.sandbox.harness import DEFAULT_GUILD_ID, DEFAULT_MEMBER_ID, Sandbox, final_answer, running_sandbox

EPHEMERAL = 64
NO_PINGS: dict[str, list[str]] = {"parse": []}
STRANGER_GUILD_ID = 300000000000000777  # a server the bot was never added to
GROUP_DM = InteractionContextType.PRIVATE_CHANNEL
EVERYWHERE = {"integration_types": [0, 1], "contexts": [0, 1, 2]}


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with running_sandbox(env={"PROGRESS_COOLDOWN_SECONDS": "0"}) as running:
        yield running


def progress_options(user: str = "MaxMilyin", games: str = "1") -> list[dict[str, Any]]:
    return [{"name": "user", "type": 3, "value": user}, {"name": "games", "type": 3, "value": games}]


async def test_commands_are_registered_for_user_installs_and_every_chat(sandbox: Sandbox) -> None:
    registered = {cmd["name"]: cmd for cmd in sandbox.discord.commands[None]}
    for name in ("progress", "compare", "link", "unlink"):
        assert {key: registered[name][key] for key in EVERYWHERE} == EVERYWHERE, name
    board = registered["leaderboard"]
    assert (board["integration_types"], board["contexts"]) == ([0, 1], [0])


async def test_leaderboard_in_a_server_without_the_bot_explains_how_to_add_it(sandbox: Sandbox) -> None:
    payload = sandbox.discord.slash_payload(
        "leaderboard",
        [{"name": "game", "type": 3, "value": "1"}],
        guild_id=STRANGER_GUILD_ID,
        user_install=True,
    )
    interaction = await sandbox.discord.send_interaction(payload)
    event = await interaction.wait_for(lambda e: e.kind == "callback")
    assert event.body == {
        "type": 4,
        "data": {
            "content": "`/leaderboard` ranks the members of a server, and the bot is not in this one: you "
            "are using it from your own account. Ask an admin to add the bot to this server with its "
            "invite link.",
            "flags": EPHEMERAL,
            "tts": False,
            "allowed_mentions": NO_PINGS,
        },
    }


async def test_progress_works_in_a_server_without_the_bot_and_records_nothing_there(sandbox: Sandbox) -> None:
    payload = sandbox.discord.slash_payload(
        "progress",
        progress_options(),
        user_id=DEFAULT_MEMBER_ID,
        guild_id=STRANGER_GUILD_ID,
        user_install=True,
    )
    answer = await final_answer(await sandbox.discord.send_interaction(payload))
    assert answer["embeds"][0]["author"]["name"] == "MaxMilyin"
    await sandbox.bot.background.settle_all()
    # Once linked, a member recorded on that server would be on its board: they must not be.
    await sandbox.bot.storage.link(DEFAULT_MEMBER_ID, "0" * 26, "MaxMilyin", None)
    assert await sandbox.bot.storage.guild_links(STRANGER_GUILD_ID) == []


async def test_progress_and_link_work_in_a_group_dm(sandbox: Sandbox) -> None:
    progress = sandbox.discord.slash_payload(
        "progress",
        progress_options(),
        user_id=DEFAULT_MEMBER_ID,
        guild_id=None,
        context=GROUP_DM,
        user_install=True,
    )
    answer = await final_answer(await sandbox.discord.send_interaction(progress))
    assert answer["embeds"][0]["title"] == "Progress on 1 game"
    link = sandbox.discord.slash_payload(
        "link",
        [{"name": "username", "type": 3, "value": "MaxMilyin"}],
        user_id=DEFAULT_MEMBER_ID,
        guild_id=None,
        context=GROUP_DM,
        user_install=True,
    )
    linked = await final_answer(await sandbox.discord.send_interaction(link))
    assert linked["embeds"][0]["title"] == "Linked to MaxMilyin"
    stored = await sandbox.bot.storage.get_link(DEFAULT_MEMBER_ID)
    assert stored is not None and stored.ra_name == "MaxMilyin"
    assert await sandbox.bot.storage.guild_links(DEFAULT_GUILD_ID) == []


@pytest.mark.parametrize("kind", ["masked_link_name", "long_name", "bidi_name"])
async def test_link_refuses_a_profile_whose_name_breaks_the_rules(sandbox: Sandbox, kind: str) -> None:
    """A profile name RetroAchievements itself would never give (a masked link, 300 letters, a bidi
    control) is a bad answer: nothing is stored, and the member is told to try again."""
    sandbox.ra.fail_next("API_GetUserProfile", kind, times=10)
    answer = await final_answer(await sandbox.command("link", {"username": "MaxMilyin"}))
    assert (answer["content"], answer["flags"] & EPHEMERAL) == (
        "RetroAchievements is not answering right now. Please try again in a minute.",
        EPHEMERAL,
    )
    assert await sandbox.bot.storage.get_link(DEFAULT_MEMBER_ID) is None
