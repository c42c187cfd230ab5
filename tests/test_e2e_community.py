"""Community features end to end: /link, /unlink, /compare, /leaderboard and name autocomplete.

The real bot runs through its real startup code against the fake Discord and the fake RetroAchievements
(bot.sandbox.harness); every assertion is on the exact JSON the bot sent back or on what it stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import signal
import sqlite3
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.sandbox.fake_discord import FakeDiscord, FakeInteraction, InteractionEvent
from bot.sandbox.fake_ra import Dataset, FakeRA, demo_dataset, fake_ulid
from bot.sandbox.harness import (
    DEFAULT_GUILD_ID,
    DEFAULT_MEMBER_ID,
    SANDBOX_API_KEY,
    Sandbox,
    final_answer,
    running_sandbox,
    sandbox_env,
)
from bot.views import NOT_YOURS

REPO_ROOT = Path(__file__).resolve().parent.parent
OTHER_GUILD_ID = 300000000000000002
MEMBER_B = 200000000000000002
MEMBER_C = 200000000000000003
MEMBER_D = 200000000000000004
MEMBER_E = 200000000000000005
NO_COOLDOWN = {"PROGRESS_COOLDOWN_SECONDS": "0"}
EPHEMERAL = 64
NO_PINGS: dict[str, list[str]] = {"parse": []}
MAX_ULID = "00003EMFWR7XB8SDPEHB3K56ZQ"
GOLD = 0xCC9900
LINK_DESCRIPTION = (
    "`/progress` and `/compare` now suggest this account first, and you appear on this "
    "server's `/leaderboard`. Use `/unlink` to remove everything the bot keeps about you."
)
UNLINKED = (
    "Done: your linked RetroAchievements account and your place on every server's board are deleted. "
    "The bot stores nothing about you now."
)
NOTHING_TO_UNLINK = "You had no linked account, and the bot stores nothing about you."
SONIC_HEADING = "**[Sonic the Hedgehog](https://retroachievements.org/game/1)** · Genesis/Mega Drive"
BOARD_LINE = re.compile(r"^`#(\d+) *` \*\*(\w+)\*\*(?: 👑| ✅)? <@(\d+)>$", re.MULTILINE)


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with running_sandbox(env=NO_COOLDOWN) as running:
        yield running


# ---------------------------------------------------------------------------------------------- helpers


def link_embed(name: str) -> dict[str, Any]:
    return {
        "type": "rich",
        "flags": 0,
        "title": f"Linked to {name}",
        "url": f"https://retroachievements.org/user/{name}",
        "description": LINK_DESCRIPTION,
        "color": GOLD,
        "thumbnail": {"url": f"https://media.retroachievements.org/UserPic/{name}.png"},
    }


def private_reply(content: str) -> dict[str, Any]:
    """The body of an immediate ephemeral answer (callback type 4)."""
    return {
        "type": 4,
        "data": {"content": content, "flags": EPHEMERAL, "tts": False, "allowed_mentions": NO_PINGS},
    }


def bodies(interaction: FakeInteraction) -> list[tuple[str, dict[str, Any]]]:
    return [(event.kind, event.body) for event in interaction.events]


async def callback(interaction: FakeInteraction) -> dict[str, Any]:
    event = await interaction.wait_for(lambda e: e.kind == "callback")
    return event.body


async def link_directly(sandbox: Sandbox, member_id: int, name: str, guild_id: int | None) -> None:
    """Stores a link without going through Discord (the /link path itself is tested on its own)."""
    await sandbox.bot.storage.link(member_id, fake_ulid(name), name, guild_id)


def board_rows(embed: dict[str, Any]) -> list[tuple[int, str, int]]:
    """(place, RA name, Discord id) of each ranked line of a leaderboard page."""
    return [(int(p), name, int(uid)) for p, name, uid in BOARD_LINE.findall(embed["description"])]


def buttons(message: dict[str, Any]) -> list[tuple[str, bool]]:
    """(label, disabled) of every button of a message, custom ids left out (they are random)."""
    return [
        (str(button["label"]), bool(button.get("disabled")))
        for row in message.get("components", [])
        for button in row["components"]
    ]


def field(embed: dict[str, Any], name: str) -> str | None:
    return next((f["value"] for f in embed.get("fields", []) if f["name"] == name), None)


def sonic_dataset() -> Dataset:
    data = Dataset()
    data.add_game(1, "Sonic the Hedgehog", "Genesis/Mega Drive", 23, 251, console_id=1)
    return data


def rename(dataset: Dataset, old: str, new: str) -> None:
    """A rename on RetroAchievements: same account (ULID), new name and avatar path."""
    user = dataset.users.pop(old.lower())
    user.name = new
    user.user_pic = f"/UserPic/{new}.png"
    dataset.users[new.lower()] = user


# ------------------------------------------------------------------------------------------ /link, /unlink


async def test_link_shows_canonical_name_and_avatar_and_stores_the_ulid(sandbox: Sandbox) -> None:
    interaction = await sandbox.command("link", username="maxmilyin")
    answer = await final_answer(interaction)
    assert bodies(interaction) == [
        ("callback", {"type": 5, "data": {"flags": EPHEMERAL}}),
        ("edit_original", {"embeds": [link_embed("MaxMilyin")], "tts": False, "allowed_mentions": NO_PINGS}),
    ]
    assert answer["flags"] == EPHEMERAL
    link = await sandbox.bot.storage.get_link(DEFAULT_MEMBER_ID)
    assert link is not None
    assert (link.ra_ulid, link.ra_name) == (MAX_ULID, "MaxMilyin")
    assert [r.endpoint for r in sandbox.ra.requests] == ["API_GetUserProfile"]
    # Linking in a server puts the member on that server's board.
    assert [a.ra_name for a in await sandbox.bot.storage.guild_links(DEFAULT_GUILD_ID)] == ["MaxMilyin"]


async def test_unlink_deletes_everything_then_there_is_nothing(sandbox: Sandbox) -> None:
    await sandbox.ask("link", username="Scott")
    first = await sandbox.command("unlink")
    assert await callback(first) == private_reply(UNLINKED)
    assert await sandbox.bot.storage.get_link(DEFAULT_MEMBER_ID) is None
    assert await sandbox.bot.storage.guild_links(DEFAULT_GUILD_ID) == []
    second = await sandbox.command("unlink")
    assert await callback(second) == private_reply(NOTHING_TO_UNLINK)


def guild_member_rows(database: Path) -> list[tuple[int, int]]:
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as conn:
        return [
            (int(g), int(m)) for g, m in conn.execute("SELECT guild_id, discord_user_id FROM guild_members")
        ]


@pytest.mark.parametrize("linked_before", [False, True], ids=["never-linked", "linked-before-a-restart"])
async def test_unlink_in_a_server_leaves_nothing_stored(tmp_path: Path, linked_before: bool) -> None:
    """`/unlink` says "the bot stores nothing about you now": not even the server membership."""
    if linked_before:
        async with running_sandbox(data_dir=tmp_path, env=NO_COOLDOWN) as sandbox:
            await sandbox.ask("link", username="MaxMilyin")
    async with running_sandbox(data_dir=tmp_path, env=NO_COOLDOWN) as sandbox:
        interaction = await sandbox.command("unlink")
        expected = UNLINKED if linked_before else NOTHING_TO_UNLINK
        assert await callback(interaction) == private_reply(expected)
        database = sandbox.settings.sqlite_path
    # The bot is stopped: every write it had queued has landed.
    assert guild_member_rows(database) == []


async def test_relink_after_a_rename_follows_the_account() -> None:
    dataset = demo_dataset()
    async with running_sandbox(dataset, env=NO_COOLDOWN) as sandbox:
        await sandbox.ask("link", username="MaxMilyin")
        await sandbox.bot.storage.link(MEMBER_B, MAX_ULID, "MaxMilyin", DEFAULT_GUILD_ID)
        rename(dataset, "MaxMilyin", "MaxRenamed")

        interaction = await sandbox.command("link", username="maxrenamed")
        await final_answer(interaction)
        assert bodies(interaction)[-1] == (
            "edit_original",
            {"embeds": [link_embed("MaxRenamed")], "tts": False, "allowed_mentions": NO_PINGS},
        )
        for member in (DEFAULT_MEMBER_ID, MEMBER_B):
            link = await sandbox.bot.storage.get_link(member)
            assert link is not None
            assert (link.ra_ulid, link.ra_name) == (MAX_ULID, "MaxRenamed")


async def test_progress_on_a_renamed_account_updates_storage_and_suggestions() -> None:
    dataset = demo_dataset()
    async with running_sandbox(dataset, env=NO_COOLDOWN) as sandbox:
        await sandbox.ask("link", username="MaxMilyin")
        rename(dataset, "MaxMilyin", "MaxRenamed")
        answer = await sandbox.ask("progress", user="MaxRenamed", games="1", user_id=MEMBER_C)
        assert answer["embeds"][0]["author"]["name"] == "MaxRenamed"
        link = await sandbox.bot.storage.get_link(DEFAULT_MEMBER_ID)
        assert link is not None
        assert (link.ra_ulid, link.ra_name) == (MAX_ULID, "MaxRenamed")
        assert await sandbox.autocomplete("progress", "user", user="max", games="1") == [
            {"name": "MaxRenamed (you)", "value": "MaxRenamed"}
        ]


async def test_linking_an_unknown_account_is_refused_privately(sandbox: Sandbox) -> None:
    interaction = await sandbox.command("link", username="NoSuchPlayer")
    answer = await final_answer(interaction)
    assert bodies(interaction)[-1] == (
        "followup",
        {
            "content": "There is no RetroAchievements user named `NoSuchPlayer`. Check the spelling "
            "(names are 2-20 letters and digits).",
            "flags": EPHEMERAL,
            "tts": False,
            "allowed_mentions": NO_PINGS,
        },
    )
    assert answer["flags"] & EPHEMERAL
    assert answer["embeds"] == []
    assert await sandbox.bot.storage.get_link(DEFAULT_MEMBER_ID) is None


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (
            "bad name!",
            "`bad name!` is not a RetroAchievements user name: names are 2-20 letters and digits "
            "(A-Z, 0-9), for example `MaxMilyin`.",
        ),
        ("   ", "Type a RetroAchievements user name, for example `MaxMilyin`."),
        (
            "ThisNameIsFarTooLongToExist",
            "`ThisNameIsFarTooLongToExist` is not a RetroAchievements user name: names are 2-20 letters "
            "and digits (A-Z, 0-9), for example `MaxMilyin`.",
        ),
    ],
)
async def test_invalid_name_is_refused_before_any_upstream_request(
    sandbox: Sandbox, typed: str, message: str
) -> None:
    interaction = await sandbox.command("link", username=typed)
    assert await callback(interaction) == private_reply(message)
    assert sandbox.ra.requests == []
    assert await sandbox.bot.storage.get_link(DEFAULT_MEMBER_ID) is None


# ---------------------------------------------------------------------------------------------- autocomplete


async def test_progress_autocomplete_own_account_first_then_this_servers_members(sandbox: Sandbox) -> None:
    await link_directly(sandbox, DEFAULT_MEMBER_ID, "MaxMilyin", DEFAULT_GUILD_ID)
    await link_directly(sandbox, MEMBER_B, "Scott", DEFAULT_GUILD_ID)
    await link_directly(sandbox, MEMBER_C, "Jamiras", DEFAULT_GUILD_ID)
    await link_directly(sandbox, MEMBER_D, "luchaos", DEFAULT_GUILD_ID)
    await link_directly(sandbox, MEMBER_E, "Sandra", OTHER_GUILD_ID)

    assert await sandbox.autocomplete("progress", "user", user="", games="1") == [
        {"name": "MaxMilyin (you)", "value": "MaxMilyin"},
        {"name": "Jamiras", "value": "Jamiras"},
        {"name": "luchaos", "value": "luchaos"},
        {"name": "Scott", "value": "Scott"},
    ]
    # Prefix matches first; the other server's Sandra is never suggested here.
    assert await sandbox.autocomplete("progress", "user", user="s", games="1") == [
        {"name": "Scott", "value": "Scott"},
        {"name": "Jamiras", "value": "Jamiras"},
        {"name": "luchaos", "value": "luchaos"},
    ]
    assert await sandbox.autocomplete("progress", "user", user="MAX", games="1") == [
        {"name": "MaxMilyin (you)", "value": "MaxMilyin"}
    ]
    # A member's own account follows them to any server, but not the other server's members.
    assert await sandbox.autocomplete("progress", "user", user="", games="1", user_id=MEMBER_E) == [
        {"name": "Sandra (you)", "value": "Sandra"},
        {"name": "Jamiras", "value": "Jamiras"},
        {"name": "luchaos", "value": "luchaos"},
        {"name": "MaxMilyin", "value": "MaxMilyin"},
        {"name": "Scott", "value": "Scott"},
    ]
    # In a DM there is no server: only the member's own account.
    assert await sandbox.autocomplete("progress", "user", user="", games="1", guild_id=None) == [
        {"name": "MaxMilyin (you)", "value": "MaxMilyin"}
    ]
    assert sandbox.ra.requests == []


async def test_progress_autocomplete_answers_at_most_25_choices(sandbox: Sandbox) -> None:
    await link_directly(sandbox, DEFAULT_MEMBER_ID, "Player99", DEFAULT_GUILD_ID)
    for n in range(40):
        await link_directly(sandbox, MEMBER_B + 100 + n, f"Player{n:02d}", DEFAULT_GUILD_ID)
    interaction = await sandbox.discord.send_interaction(
        sandbox.discord.autocomplete_payload(
            "progress",
            [{"name": "user", "type": 3, "value": "play"}, {"name": "games", "type": 3, "value": "1"}],
            focused="user",
            user_id=DEFAULT_MEMBER_ID,
            guild_id=DEFAULT_GUILD_ID,
        )
    )
    body = await callback(interaction)
    assert body["type"] == 8
    assert body["data"]["choices"] == [{"name": "Player99 (you)", "value": "Player99"}] + [
        {"name": f"Player{n:02d}", "value": f"Player{n:02d}"} for n in range(24)
    ]
    assert sandbox.ra.requests == []


async def test_compare_autocomplete_completes_the_last_name_and_keeps_the_others(sandbox: Sandbox) -> None:
    await link_directly(sandbox, DEFAULT_MEMBER_ID, "MaxMilyin", DEFAULT_GUILD_ID)
    await link_directly(sandbox, MEMBER_B, "Scott", DEFAULT_GUILD_ID)
    await link_directly(sandbox, MEMBER_C, "Jamiras", DEFAULT_GUILD_ID)
    await link_directly(sandbox, MEMBER_E, "Sandra", OTHER_GUILD_ID)

    assert await sandbox.autocomplete("compare", "users", games="1", users="MaxMilyin, Sc") == [
        {"name": "MaxMilyin, Scott", "value": "MaxMilyin, Scott"}
    ]
    # Names already in the list are not offered again; the other server's Sandra never is.
    assert await sandbox.autocomplete("compare", "users", games="1", users="Scott ") == [
        {"name": "Scott MaxMilyin", "value": "Scott MaxMilyin"},
        {"name": "Scott Jamiras", "value": "Scott Jamiras"},
    ]
    assert await sandbox.autocomplete("compare", "users", games="1", users="Jamiras,scott;s") == []
    assert sandbox.ra.requests == []


# ---------------------------------------------------------------------------------------------- /compare


async def test_compare_with_a_missing_name_compares_the_others_and_names_it(sandbox: Sandbox) -> None:
    interaction = await sandbox.command("compare", games="1", users="MaxMilyin, Scott, NoSuchPlayer")
    await final_answer(interaction)
    assert bodies(interaction) == [
        ("callback", {"type": 5}),
        (
            "edit_original",
            {
                "content": None,
                "embeds": [
                    {
                        "type": "rich",
                        "flags": 0,
                        "title": "Comparing 2 players",
                        "color": GOLD,
                        "description": SONIC_HEADING + "\n"
                        "**1. MaxMilyin** 👑\n"
                        "`HC ██████████` 100% · 23/23 · 251 pts\n"
                        "`SC ██████████` 100% · 23/23 · 251 pts\n"
                        "**2. Scott** ✅\n"
                        "`HC ░░░░░░░░░░` 0% · 0/23 · 0 pts\n"
                        "`SC ██████████` 100% · 23/23 · 251 pts",
                        "fields": [
                            {"name": "Players", "value": "MaxMilyin, Scott", "inline": False},
                            {
                                "name": "Not found on RetroAchievements",
                                "value": "`NoSuchPlayer`",
                                "inline": False,
                            },
                        ],
                        "footer": {"text": "Data from RetroAchievements.org · HC = hardcore, SC = softcore"},
                    }
                ],
                "tts": False,
                "allowed_mentions": NO_PINGS,
            },
        ),
    ]


@pytest.mark.parametrize(
    ("users", "count", "hint"),
    [
        ("MaxMilyin", 1, " To compare yourself with one player, link your account with `/link` first."),
        (
            "MaxMilyin, maxmilyin",
            1,
            " To compare yourself with one player, link your account with `/link` first.",
        ),
        (" , ", 0, ""),
        (", ".join(f"Player{n}" for n in range(11)), 11, ""),
    ],
)
async def test_compare_refuses_fewer_than_two_or_more_than_ten_names(
    sandbox: Sandbox, users: str, count: int, hint: str
) -> None:
    interaction = await sandbox.command("compare", games="1", users=users)
    assert await callback(interaction) == private_reply(
        "`/compare` needs 2 to 10 different RetroAchievements names, separated by commas or spaces; "
        f"you gave {count}.{hint}"
    )
    assert sandbox.ra.requests == []


# ---------------------------------------------------------------------------------------------- /leaderboard


async def test_leaderboard_in_a_dm_explains_it_needs_a_server(sandbox: Sandbox) -> None:
    await sandbox.ask("link", username="MaxMilyin", guild_id=None)
    interaction = await sandbox.command("leaderboard", game="1", guild_id=None)
    assert await callback(interaction) == private_reply(
        "`/leaderboard` ranks the members of a server, so it only works in a server."
    )


async def test_leaderboard_where_nobody_linked_says_how_to_link(sandbox: Sandbox) -> None:
    await link_directly(sandbox, MEMBER_E, "Sandra", OTHER_GUILD_ID)
    interaction = await sandbox.command("leaderboard", game="1")
    assert await callback(interaction) == private_reply(
        "Nobody on this server has linked a RetroAchievements account yet. "
        "Use `/link` with your RetroAchievements name to join the board."
    )
    assert sandbox.ra.requests == []


# Game 1 has 23 achievements worth 251 points. (achieved, score, achieved_hardcore, score_hardcore)
RANKED_TOP: list[tuple[str, tuple[int, int, int, int]]] = [
    ("Master", (23, 251, 23, 251)),  # mastered
    ("Hard22", (23, 250, 22, 240)),  # completed in softcore, not mastered: below on hardcore
    ("Hard20Soft21", (21, 200, 20, 190)),
    ("Hard20Soft20", (20, 230, 20, 190)),  # same hardcore, fewer softcore: below despite more points
    ("Hard5Pts90", (10, 90, 5, 40)),
    ("Hard5Pts80", (10, 80, 5, 40)),  # same hardcore and softcore, fewer points
    ("Soft23", (23, 251, 0, 0)),  # every achievement in softcore ranks below any hardcore unlock
    ("Soft22", (22, 230, 0, 0)),
]
FILLERS = 291
INVOKER_NAME = "Zlast"  # no progress at all: place 300


def board_dataset() -> Dataset:
    data = sonic_dataset()
    for name, progress in RANKED_TOP:
        data.add_user(name, {1: progress})
    for n in range(FILLERS):
        achieved = max(2, 21 - n // 15)
        data.add_user(f"Fill{n:03d}", {1: (achieved, achieved * 10, 0, 0)})
    data.add_user(INVOKER_NAME, {})
    data.add_user("Outsider", {1: (23, 251, 23, 251)})
    return data


async def board_of_300(sandbox: Sandbox) -> list[tuple[str, int]]:
    """Links 300 members of this server (and one of another server) straight into storage."""
    ranked = [name for name, _ in RANKED_TOP] + [f"Fill{n:03d}" for n in range(FILLERS)]
    members = [(name, 500000000000000000 + i) for i, name in enumerate(ranked)]
    members.append((INVOKER_NAME, DEFAULT_MEMBER_ID))
    for name, member in members:
        await link_directly(sandbox, member, name, DEFAULT_GUILD_ID)
    await link_directly(sandbox, MEMBER_E, "Outsider", OTHER_GUILD_ID)
    return members


FIRST_OF_30 = [("First", True), ("Previous", True), ("1/30", True), ("Next", False), ("Last", False)]


async def test_leaderboard_of_300_ranks_pages_and_shows_your_place() -> None:
    async with running_sandbox(board_dataset(), env=NO_COOLDOWN) as sandbox:
        members = await board_of_300(sandbox)
        interaction = await sandbox.command("leaderboard", game="1")
        message = await final_answer(interaction)

        edit = bodies(interaction)[-1]
        assert edit[0] == "edit_original"
        assert edit[1]["allowed_mentions"] == NO_PINGS  # ten <@member> mentions, nobody pinged
        assert edit[1]["content"] is None
        page_one = edit[1]["embeds"][0]
        assert page_one["title"] == "Server leaderboard"
        assert page_one["description"].startswith(SONIC_HEADING + "\n\n")
        assert board_rows(page_one) == [(place, *members[place - 1]) for place in range(1, 11)]
        assert (
            "`#1  ` **Master** 👑 <@500000000000000000>\n"
            "`HC ██████████` 100% · 23/23 · 251 pts\n"
            "`SC ██████████` 100% · 23/23 · 251 pts\n"
            "`#2  ` **Hard22** ✅ <@500000000000000001>\n"
            "`HC █████████░` 95% · 22/23 · 240 pts\n"
            "`SC ██████████` 100% · 23/23 · 250 pts\n" in page_one["description"]
        )
        assert page_one["fields"] == [
            {
                "name": "Your place",
                "value": f"`#300` **{INVOKER_NAME}** <@{DEFAULT_MEMBER_ID}>\n"
                "`HC ░░░░░░░░░░` 0% · 0/23 · 0 pts\n"
                "`SC ░░░░░░░░░░` 0% · 0/23 · 0 pts",
                "inline": False,
            }
        ]
        assert page_one["footer"] == {
            "text": "Data from RetroAchievements.org · 300 members ranked · Page 1/30"
        }
        assert buttons(edit[1]) == FIRST_OF_30
        assert "Outsider" not in json.dumps(edit[1])
        assert sandbox.ra.count("API_GetUserProgress") == 300

        # Next, for the member who asked: the same message becomes page 2.
        turn = await sandbox.click(message, "Next")
        body = await callback(turn)
        assert body["type"] == 7
        page_two = body["data"]["embeds"][0]
        assert board_rows(page_two) == [(place, *members[place - 1]) for place in range(11, 21)]
        assert field(page_two, "Your place") is not None
        assert page_two["footer"]["text"].endswith("· Page 2/30")
        assert buttons(body["data"]) == [
            ("First", False),
            ("Previous", False),
            ("2/30", True),
            ("Next", False),
            ("Last", False),
        ]
        shown = sandbox.discord.messages[message["id"]]
        assert board_rows(shown["embeds"][0])[0][0] == 11

        # Another member pressing is refused privately and the page stays as it is.
        refused = await sandbox.click(shown, "Previous", user_id=MEMBER_B)
        assert await callback(refused) == private_reply(NOT_YOURS)
        assert sandbox.discord.messages[message["id"]] == shown

        # Previous, for the member who asked: back to page 1.
        back = await sandbox.click(shown, "Previous")
        body = await callback(back)
        assert body["type"] == 7
        assert board_rows(body["data"]["embeds"][0]) == board_rows(page_one)
        assert buttons(body["data"]) == FIRST_OF_30

        # Last, then First: straight to page 30, where the member's own place is, and back.
        last = await sandbox.click(sandbox.discord.messages[message["id"]], "Last")
        body = await callback(last)
        assert body["type"] == 7
        page_30 = body["data"]["embeds"][0]
        assert board_rows(page_30) == [(place, *members[place - 1]) for place in range(291, 301)]
        assert field(page_30, "Your place") is None
        assert page_30["footer"]["text"].endswith("· Page 30/30")
        assert buttons(body["data"]) == [
            ("First", False),
            ("Previous", False),
            ("30/30", True),
            ("Next", True),
            ("Last", True),
        ]
        first = await sandbox.click(sandbox.discord.messages[message["id"]], "First")
        body = await callback(first)
        assert body["data"]["embeds"][0] == page_one
        assert buttons(body["data"]) == FIRST_OF_30


async def test_leaderboard_last_page_holds_your_place_without_the_extra_field() -> None:
    data = sonic_dataset()
    for n in range(12):
        data.add_user(f"Fill{n:03d}", {1: (20 - n, 200 - n, 0, 0)})
    async with running_sandbox(data, env=NO_COOLDOWN) as sandbox:
        for n in range(11):
            await link_directly(sandbox, 500000000000000000 + n, f"Fill{n:03d}", DEFAULT_GUILD_ID)
        await link_directly(sandbox, DEFAULT_MEMBER_ID, "Fill011", DEFAULT_GUILD_ID)
        message = await sandbox.ask("leaderboard", game="1")
        assert field(message["embeds"][0], "Your place") is not None
        turn = await sandbox.click(message, "Next")
        body = await callback(turn)
        page_two = body["data"]["embeds"][0]
        assert board_rows(page_two) == [
            (11, "Fill010", 500000000000000010),
            (12, "Fill011", DEFAULT_MEMBER_ID),
        ]
        assert field(page_two, "Your place") is None


async def test_leaderboard_buttons_are_removed_after_the_timeout() -> None:
    data = sonic_dataset()
    for n in range(11):
        data.add_user(f"Fill{n:03d}", {1: (20 - n, 200 - n, 0, 0)})
    env = {**NO_COOLDOWN, "PAGINATOR_TIMEOUT_SECONDS": "1"}
    async with running_sandbox(data, env=env) as sandbox:
        for n in range(11):
            await link_directly(sandbox, 500000000000000000 + n, f"Fill{n:03d}", DEFAULT_GUILD_ID)
        interaction = await sandbox.command("leaderboard", game="1")
        message = await final_answer(interaction)
        shown_at = time.monotonic()
        assert buttons(message) == [("Previous", True), ("1/2", True), ("Next", False)]

        def buttons_removed(event: InteractionEvent) -> bool:
            return event.kind == "edit_original" and event.body.get("components") == []

        removal = await interaction.wait_for(buttons_removed, timeout=5.0)
        assert time.monotonic() - shown_at >= 0.8
        assert removal.body == {"components": [], "tts": False, "allowed_mentions": NO_PINGS}
        final = sandbox.discord.messages[message["id"]]
        assert final["components"] == []
        assert final["embeds"] == message["embeds"]  # the page itself stays


async def test_member_who_used_a_command_joins_the_board_once_linked(sandbox: Sandbox) -> None:
    await sandbox.ask("link", username="MaxMilyin")
    # B uses a command on this server, C on another server; neither is linked yet.
    await sandbox.ask("progress", user="Scott", games="1", user_id=MEMBER_B)
    await sandbox.ask("progress", user="Jamiras", games="1", user_id=MEMBER_C, guild_id=OTHER_GUILD_ID)

    before = await sandbox.ask("leaderboard", game="1")
    assert board_rows(before["embeds"][0]) == [(1, "MaxMilyin", DEFAULT_MEMBER_ID)]

    # Both link in a DM, which by itself joins no server's board.
    await sandbox.ask("link", username="Scott", user_id=MEMBER_B, guild_id=None)
    await sandbox.ask("link", username="Jamiras", user_id=MEMBER_C, guild_id=None)

    after = await sandbox.ask("leaderboard", game="1")
    assert board_rows(after["embeds"][0]) == [(1, "MaxMilyin", DEFAULT_MEMBER_ID), (2, "Scott", MEMBER_B)]
    other = await sandbox.ask("leaderboard", game="1", user_id=MEMBER_C, guild_id=OTHER_GUILD_ID)
    assert board_rows(other["embeds"][0]) == [(1, "Jamiras", MEMBER_C)]


# ---------------------------------------------------------------------------------------------- persistence


async def assert_link_survived(data_dir: Path) -> None:
    async with running_sandbox(data_dir=data_dir, env=NO_COOLDOWN) as sandbox:
        assert await sandbox.autocomplete("progress", "user", user="", games="1") == [
            {"name": "MaxMilyin (you)", "value": "MaxMilyin"}
        ]
        board = await sandbox.ask("leaderboard", game="1")
        assert board_rows(board["embeds"][0]) == [(1, "MaxMilyin", DEFAULT_MEMBER_ID)]
        first = await sandbox.command("unlink")
        assert await callback(first) == private_reply(UNLINKED)
        second = await sandbox.command("unlink")
        assert await callback(second) == private_reply(NOTHING_TO_UNLINK)


async def test_link_survives_a_bot_restart(tmp_path: Path) -> None:
    async with running_sandbox(data_dir=tmp_path, env=NO_COOLDOWN) as sandbox:
        answer = await sandbox.ask("link", username="maxmilyin")
        assert answer["embeds"][0]["title"] == "Linked to MaxMilyin"
    await assert_link_survived(tmp_path)


async def test_link_survives_kill_9(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    work_dir = tmp_path / "cwd"  # no .env there
    work_dir.mkdir()
    async with FakeRA(demo_dataset(), api_key=SANDBOX_API_KEY) as fake_ra, FakeDiscord() as fake_discord:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            # The package is imported from the checkout, wherever the test runs from.
            "PYTHONPATH": str(REPO_ROOT),
            **sandbox_env(fake_discord, fake_ra, data_dir),
            "LOG_LEVEL": "DEBUG",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            cwd=work_dir,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            await fake_discord.wait_until_ready(timeout=20.0)
            payload = fake_discord.slash_payload(
                "link",
                [{"name": "username", "type": 3, "value": "maxmilyin"}],
                user_id=DEFAULT_MEMBER_ID,
                guild_id=DEFAULT_GUILD_ID,
            )
            interaction = await fake_discord.send_interaction(payload)
            answer = await final_answer(interaction)
            process.send_signal(signal.SIGKILL)
            assert answer["embeds"][0]["title"] == "Linked to MaxMilyin"
        finally:
            if process.returncode is None:
                process.kill()
            _, stderr = await process.communicate()
        assert process.returncode == -signal.SIGKILL
        log_text = stderr.decode(errors="replace")
        assert "Registered" in log_text  # the bot did log at DEBUG/INFO
        for secret in (SANDBOX_API_KEY, fake_discord.bot_token):
            assert secret not in log_text
    await assert_link_survived(data_dir)


# ---------------------------------------------------------------------------------------------- secrets


async def test_no_secret_is_sent_to_discord_or_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    env = {**NO_COOLDOWN, "RA_MAX_RETRIES": "1", "RA_TIMEOUT_SECONDS": "1"}
    async with running_sandbox(env=env) as sandbox:
        await sandbox.ask("link", username="MaxMilyin")
        await sandbox.ask("link", username="NoSuchPlayer", user_id=MEMBER_B)
        await sandbox.ask("link", username="bad name!", user_id=MEMBER_B)
        await sandbox.ask("compare", games="1,2", users="MaxMilyin Scott NoSuchPlayer")
        await sandbox.ask("leaderboard", game="1")
        await sandbox.autocomplete("compare", "users", games="1", users="Max")
        sandbox.ra.fail_next("API_GetUserProfile", "401")
        await sandbox.ask("link", username="Jamiras", user_id=MEMBER_C)
        sandbox.ra.fail_next(None, "500", times=2)
        await sandbox.ask("compare", games="3", users="luchaos Jamiras", user_id=MEMBER_C)
        sandbox.ra.fail_next(None, "html", times=4)
        await sandbox.ask("progress", user="luchaos", games="10", user_id=MEMBER_D)
        await sandbox.ask("unlink")

        token = sandbox.discord.bot_token
        assert any(r.params.get("y") == SANDBOX_API_KEY for r in sandbox.ra.requests)  # the key is in use
        sent = [json.dumps(r.json) for r in sandbox.discord.requests if r.json is not None]
        assert len(sent) > 10
        for secret in (SANDBOX_API_KEY, token):
            for body in sent:
                assert secret not in body
    assert any(r.levelno == logging.DEBUG for r in caplog.records)
    for secret in (SANDBOX_API_KEY, token):
        assert secret not in caplog.text
        for record in caplog.records:
            assert secret not in record.getMessage()
            assert secret not in (record.exc_text or "")


async def test_a_second_leaderboard_is_served_from_cache_even_after_progress_answers_expire() -> None:
    env = {**NO_COOLDOWN, "CACHE_PROGRESS_SECONDS": "0.01"}
    async with running_sandbox(board_dataset(), env=env) as sandbox:
        await board_of_300(sandbox)
        await final_answer(await sandbox.command("leaderboard", game="1"))
        first = sandbox.ra.count("API_GetUserProgress")
        await asyncio.sleep(0.05)  # every /progress-lifetime answer is stale now
        again = await final_answer(await sandbox.command("leaderboard", game="1"))
        assert first == 300
        assert sandbox.ra.count("API_GetUserProgress") == first
        assert again["embeds"][0]["footer"]["text"].endswith("300 members ranked · Page 1/30")


async def test_a_slow_leaderboard_shows_how_far_it_has_got() -> None:
    env = {**NO_COOLDOWN, "RA_REQUESTS_PER_SECOND": "100", "RA_BURST": "1"}
    async with running_sandbox(board_dataset(), env=env) as sandbox:
        await board_of_300(sandbox)  # about 3 s at 100 requests/s
        interaction = await sandbox.command("leaderboard", game="1")
        await final_answer(interaction, wait_seconds=15)
    notes = [
        e.body["content"]
        for e in interaction.events
        if e.kind == "edit_original" and not e.body.get("embeds")
    ]
    assert notes, "the member saw no progress while 300 members were checked"
    assert all(re.fullmatch(r"Checking \d+ of 300 members on RetroAchievements…", note) for note in notes)
    assert interaction.original is not None and interaction.original["content"] == ""
