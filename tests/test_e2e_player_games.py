"""A player's own games end to end: `/progress` with no games, `user` left out, beaten marks, and the
recently played suggestions, through the real bot against the fake Discord and RetroAchievements."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Coroutine
from typing import Any

import pytest

from bot import recently_played
from bot.background import BackgroundWrites
from bot.errors import RAConfigurationError
from bot.ra.client import RAClient
from bot.ra.redis_backend import RedisRateLimiter, RedisResponseStore
from bot.recently_played import recently_played_choices
from bot.sandbox.fake_discord import FakeInteraction
from bot.sandbox.fake_ra import Dataset, demo_dataset, fake_ulid
from bot.sandbox.harness import (
    DEFAULT_GUILD_ID,
    DEFAULT_MEMBER_ID,
    SANDBOX_API_KEY,
    Sandbox,
    final_answer,
    running_sandbox,
)
from bot.storage import NOT_KNOWN
from bot.storage.postgres import PostgresStorage
from tests.services import fresh_postgres_database, pg_execute
from tests.test_ra_client import fast_options
from tests.test_ra_redis import redis_namespace

OTHER_MEMBER = 200000000000000077
NO_COOLDOWN = {"PROGRESS_COOLDOWN_SECONDS": "0"}
EPHEMERAL = 64
NO_PINGS: dict[str, list[str]] = {"parse": []}
GOLD = 0xCC9900
PROFILE = "API_GetUserProfile"
PROGRESS = "API_GetUserProgress"
RECENT = "API_GetUserRecentlyPlayedGames"
COMPLETION = "API_GetUserCompletionProgress"
ADA_ULID = fake_ulid("Ada")
NOT_LINKED = (
    "Whose progress? You have no linked RetroAchievements account: link yours with `/link`, or give a `user`."
)
ONE_PLAYER = (
    "`/compare` needs 2 to 10 different RetroAchievements names, separated by commas or spaces; you gave 1."
)
SONIC2_BEATEN = (
    "**[Sonic the Hedgehog 2](https://retroachievements.org/game/2)** · Genesis/Mega Drive · **🏁 Beaten**\n"
    "`Softcore █████░░░░░` 57% · 20/35 · 210/400 pts\n"
    "`Hardcore ███░░░░░░░` 34% · 12/35 · 130/400 pts"
)
OCEAN_BEATEN_SOFTCORE = (
    "**[Ocean Odyssey](https://retroachievements.org/game/12)** · SNES/Super Famicom"
    " · **🏁 Beaten (softcore)**\n"
    "`Softcore ██░░░░░░░░` 24% · 12/50 · 140/640 pts\n"
    "`Hardcore █░░░░░░░░░` 12% · 6/50 · 70/640 pts"
)
HOMEBREW = (
    "**[Homebrew Test Cart](https://retroachievements.org/game/4)** · Genesis/Mega Drive\n"
    "No achievements yet."
)
SONIC_MASTERED = (
    "**[Sonic the Hedgehog](https://retroachievements.org/game/1)** · Genesis/Mega Drive · **👑 Mastered**\n"
    "`Softcore ██████████` 100% · 23/23 · 251/251 pts\n"
    "`Hardcore ██████████` 100% · 23/23 · 251/251 pts"
)


def author(name: str) -> dict[str, str]:
    return {
        "name": name,
        "url": f"https://retroachievements.org/user/{name}",
        "icon_url": f"https://media.retroachievements.org/UserPic/{name}.png",
    }


def player_games_dataset() -> Dataset:
    """The demo, plus Ada (played 2, 12, 4, then 1 long ago; beat 2 in hardcore and 12 in softcore),
    Champion (only mastered games: nothing could be beaten), Newcomer (no game yet) and Tinkerer (last
    played a game the site names no console for)."""
    data = demo_dataset()
    data.add_user(
        "Ada",
        {2: (20, 210, 12, 130), 12: (12, 140, 6, 70), 4: (0, 0, 0, 0), 1: (23, 251, 23, 251)},
        awards={2: "beaten-hardcore", 12: "beaten-softcore"},
        last_played={1: "2023-01-01 10:00:00"},
    )
    data.add_user("Champion", {1: (23, 251, 23, 251), 9: (60, 750, 60, 750)})
    data.add_user("Newcomer", {})
    data.add_game(13, "Prototype Cart", "", 8, 80)
    data.add_user("Tinkerer", {13: (1, 10, 0, 0), 1: (1, 10, 1, 10)})
    return data


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with running_sandbox(player_games_dataset(), env=NO_COOLDOWN) as running:
        yield running


async def link(sandbox: Sandbox, name: str, member_id: int = DEFAULT_MEMBER_ID) -> None:
    """Stores a link without going through Discord (/link itself is tested on its own)."""
    await sandbox.bot.storage.link(member_id, fake_ulid(name), name, DEFAULT_GUILD_ID)


def bodies(interaction: FakeInteraction) -> list[tuple[str, dict[str, Any]]]:
    return [(event.kind, event.body) for event in interaction.events]


def endpoints(sandbox: Sandbox) -> list[str]:
    return sorted(request.endpoint for request in sandbox.ra.requests)


def private_reply(content: str) -> tuple[str, dict[str, Any]]:
    """An immediate ephemeral answer (callback type 4), as the member sees it before any defer."""
    data = {"content": content, "flags": EPHEMERAL, "tts": False, "allowed_mentions": NO_PINGS}
    return "callback", {"type": 4, "data": data}


ADA_RECENT_EMBED = {
    "type": "rich",
    "flags": 0,
    "title": "Recently played: 4 games",
    "color": GOLD,
    "author": author("Ada"),
    "description": "\n\n".join((SONIC2_BEATEN, OCEAN_BEATEN_SOFTCORE, HOMEBREW, SONIC_MASTERED)),
    "fields": [
        {"name": "Mastered", "value": "1 of 3", "inline": True},
        {"name": "Completed", "value": "1 of 3", "inline": True},
        {"name": "Beaten", "value": "2 of 3", "inline": True},
        {"name": "Points", "value": "601 of 1,291\n(hardcore 451)", "inline": True},
    ],
    "footer": {"text": "Data from RetroAchievements.org"},
}


# -- /progress with no games --------------------------------------------------------------------------


async def test_progress_with_no_games_shows_the_games_played_last(sandbox: Sandbox) -> None:
    interaction = await sandbox.command("progress", user="Ada")
    await final_answer(interaction)
    assert bodies(interaction) == [
        ("callback", {"type": 5}),
        (
            "edit_original",
            {"embeds": [ADA_RECENT_EMBED], "content": None, "tts": False, "allowed_mentions": NO_PINGS},
        ),
    ]
    # Titles and progress in one request, beside the profile; completion progress for the beaten marks.
    assert endpoints(sandbox) == [COMPLETION, PROFILE, RECENT]
    recent = next(r for r in sandbox.ra.requests if r.endpoint == RECENT)
    assert recent.params == {"y": SANDBOX_API_KEY, "u": "Ada", "c": "10"}


async def test_no_completion_request_when_no_game_played_last_could_be_beaten(sandbox: Sandbox) -> None:
    answer = await sandbox.ask("progress", user="Champion")
    embed = answer["embeds"][0]
    assert embed["title"] == "Recently played: 2 games"
    assert [f["value"] for f in embed["fields"]][:3] == ["2 of 2", "2 of 2", "0 of 2"]
    assert endpoints(sandbox) == [PROFILE, RECENT]


async def test_asking_again_within_the_cache_lifetime_costs_no_request(sandbox: Sandbox) -> None:
    first = await sandbox.ask("progress", user="Ada")
    again = await sandbox.ask("progress", user="ada", user_id=OTHER_MEMBER)
    assert again["embeds"] == first["embeds"]
    assert len(sandbox.ra.requests) == 3


async def test_a_player_who_has_played_nothing_is_told_privately(sandbox: Sandbox) -> None:
    interaction = await sandbox.command("progress", user="Newcomer")
    await final_answer(interaction)
    assert bodies(interaction)[1:] == [
        ("delete_original", {}),
        (
            "followup",
            {
                "content": "Newcomer has not played any game on RetroAchievements yet.",
                "flags": EPHEMERAL,
                "tts": False,
                "allowed_mentions": NO_PINGS,
            },
        ),
    ]


async def test_an_unknown_player_with_no_games_is_not_found(sandbox: Sandbox) -> None:
    answer = await sandbox.ask("progress", user="NoSuchPlayer")
    assert answer["flags"] & EPHEMERAL
    assert answer["content"] == (
        "There is no RetroAchievements user named `NoSuchPlayer`. "
        "Check the spelling (names are 2-20 letters and digits)."
    )


# -- `user` left out ----------------------------------------------------------------------------------


async def test_a_linked_member_leaving_user_out_sees_their_own_games(sandbox: Sandbox) -> None:
    await link(sandbox, "Ada")
    interaction = await sandbox.command("progress", {})
    await final_answer(interaction)
    assert bodies(interaction)[-1] == (
        "edit_original",
        {"embeds": [ADA_RECENT_EMBED], "content": None, "tts": False, "allowed_mentions": NO_PINGS},
    )
    # The account is asked for by its ULID, which survives renames.
    assert {r.params["u"] for r in sandbox.ra.requests} == {ADA_ULID}


async def test_a_linked_member_leaving_user_out_with_games(sandbox: Sandbox) -> None:
    await link(sandbox, "Ada")
    answer = await sandbox.ask("progress", games="1")
    embed = answer["embeds"][0]
    assert (embed["title"], embed["author"], embed["description"]) == (
        "Progress on 1 game",
        author("Ada"),
        SONIC_MASTERED,
    )
    progress = next(r for r in sandbox.ra.requests if r.endpoint == PROGRESS)
    assert progress.params == {"y": SANDBOX_API_KEY, "u": ADA_ULID, "i": "1"}


async def test_a_renamed_linked_account_is_still_found() -> None:
    dataset = player_games_dataset()
    async with running_sandbox(dataset, env=NO_COOLDOWN) as sandbox:
        await link(sandbox, "Ada")
        ada = dataset.users.pop("ada")
        ada.name, ada.user_pic = "AdaLovelace", "/UserPic/AdaLovelace.png"
        dataset.users["adalovelace"] = ada
        answer = await sandbox.ask("progress", games="2")
        assert answer["embeds"][0]["author"] == author("AdaLovelace")
        stored = await sandbox.bot.storage.get_link(DEFAULT_MEMBER_ID)
        assert stored is not None and stored.ra_name == "AdaLovelace"


@pytest.mark.parametrize("options", [{}, {"games": "1"}], ids=["no-games", "games"])
async def test_an_unlinked_member_leaving_user_out_is_told_how_to_fix_it(
    sandbox: Sandbox, options: dict[str, str]
) -> None:
    interaction = await sandbox.command("progress", options)
    await final_answer(interaction)
    assert bodies(interaction) == [private_reply(NOT_LINKED)]
    assert sandbox.ra.requests == []


async def test_a_refusal_for_a_missing_link_spends_no_cooldown() -> None:
    async with running_sandbox(player_games_dataset(), env={"PROGRESS_COOLDOWN_SECONDS": "60"}) as sandbox:
        refused = await sandbox.command("progress", games="1")
        await final_answer(refused)
        answer = await sandbox.ask("progress", user="Ada", games="1")
    assert bodies(refused) == [private_reply(NOT_LINKED)]
    assert answer["embeds"][0]["author"] == author("Ada")


# -- beaten marks -------------------------------------------------------------------------------------


async def test_progress_marks_beaten_games_and_counts_them(sandbox: Sandbox) -> None:
    answer = await sandbox.ask("progress", user="Ada", games="12 2 1 3")
    embed = answer["embeds"][0]
    never_played = (
        "**[Streets of Rage 2](https://retroachievements.org/game/3)** · Genesis/Mega Drive\n"
        "`Softcore ░░░░░░░░░░` 0% · 0/30 · 0/350 pts\n"
        "`Hardcore ░░░░░░░░░░` 0% · 0/30 · 0/350 pts"
    )
    assert embed["description"] == "\n\n".join(
        (OCEAN_BEATEN_SOFTCORE, SONIC2_BEATEN, SONIC_MASTERED, never_played)
    )
    assert embed["fields"] == [
        {"name": "Mastered", "value": "1 of 4", "inline": True},
        {"name": "Completed", "value": "1 of 4", "inline": True},
        {"name": "Beaten", "value": "2 of 4", "inline": True},
        {"name": "Points", "value": "601 of 1,641\n(hardcore 451)", "inline": True},
    ]
    completion = [r.params for r in sandbox.ra.requests if r.endpoint == COMPLETION]
    assert completion == [{"y": SANDBOX_API_KEY, "u": "Ada", "c": "500", "o": "0"}]


async def test_compare_marks_each_players_beaten_games(sandbox: Sandbox) -> None:
    interaction = await sandbox.command("compare", games="2,12", users="Ada, Scott")
    await final_answer(interaction)
    assert bodies(interaction)[-1] == (
        "edit_original",
        {
            "content": None,
            "embeds": [
                {
                    "type": "rich",
                    "flags": 0,
                    "title": "Comparing 2 players",
                    "color": GOLD,
                    "description": (
                        "**[Sonic the Hedgehog 2](https://retroachievements.org/game/2)**"
                        " · Genesis/Mega Drive\n"
                        "**1. Scott** 👑\n"
                        "`HC ██████████` 100% · 35/35 · 400 pts\n"
                        "`SC ██████████` 100% · 35/35 · 400 pts\n"
                        "**2. Ada** 🏁\n"
                        "`HC ███░░░░░░░` 34% · 12/35 · 130 pts\n"
                        "`SC █████░░░░░` 57% · 20/35 · 210 pts\n\n"
                        "**[Ocean Odyssey](https://retroachievements.org/game/12)** · SNES/Super Famicom\n"
                        "**1. Ada** 🏁 SC\n"
                        "`HC █░░░░░░░░░` 12% · 6/50 · 70 pts\n"
                        "`SC ██░░░░░░░░` 24% · 12/50 · 140 pts\n"
                        "**2. Scott** 🏁 SC\n"
                        "`HC █░░░░░░░░░` 12% · 6/50 · 70 pts\n"
                        "`SC ██░░░░░░░░` 24% · 12/50 · 140 pts"
                    ),
                    "fields": [{"name": "Players", "value": "Ada, Scott", "inline": False}],
                    "footer": {"text": "Data from RetroAchievements.org · HC = hardcore, SC = softcore"},
                }
            ],
            "tts": False,
            "allowed_mentions": NO_PINGS,
        },
    )
    assert sorted(r.params["u"] for r in sandbox.ra.requests if r.endpoint == COMPLETION) == ["Ada", "Scott"]


async def test_compare_with_one_name_adds_the_linked_members_own_account(sandbox: Sandbox) -> None:
    await link(sandbox, "Ada")
    answer = await sandbox.ask("compare", games="2", users="Scott")
    embed = answer["embeds"][0]
    assert embed["fields"] == [{"name": "Players", "value": "Ada, Scott", "inline": False}]
    assert embed["description"].splitlines()[1:] == [
        "**1. Scott** 👑",
        "`HC ██████████` 100% · 35/35 · 400 pts",
        "`SC ██████████` 100% · 35/35 · 400 pts",
        "**2. Ada** 🏁",
        "`HC ███░░░░░░░` 34% · 12/35 · 130 pts",
        "`SC █████░░░░░` 57% · 20/35 · 210 pts",
    ]


@pytest.mark.parametrize("users", ["Ada", "ada, ADA", ADA_ULID])
async def test_compare_with_only_ones_own_account_is_refused(sandbox: Sandbox, users: str) -> None:
    await link(sandbox, "Ada")
    interaction = await sandbox.command("compare", games="2", users=users)
    await final_answer(interaction)
    assert bodies(interaction) == [private_reply(ONE_PLAYER)]
    assert sandbox.ra.requests == []


async def test_a_failing_completion_request_is_a_clear_private_answer() -> None:
    async with running_sandbox(player_games_dataset(), env={**NO_COOLDOWN, "RA_MAX_RETRIES": "1"}) as sandbox:
        sandbox.ra.fail_next(COMPLETION, "500", times=2)
        answer = await sandbox.ask("progress", user="Ada", games="2")
    assert answer["flags"] & EPHEMERAL
    assert answer["content"] == "RetroAchievements is not answering right now. Please try again in a minute."


# -- recently played suggestions ----------------------------------------------------------------------


def suggest(
    sandbox: Sandbox, typed_user: str | None, typed: str, member: int = DEFAULT_MEMBER_ID, limit: int = 25
) -> Any:
    bot = sandbox.bot
    return recently_played_choices(
        bot.ra, bot.storage, member, typed_user, typed, spawn=bot.suggestion_fetches.spawn, limit=limit
    )


ADA_CHOICES = [
    ("Sonic the Hedgehog 2 · Genesis/Mega Drive", "2"),
    ("Ocean Odyssey · SNES/Super Famicom", "12"),
    ("Homebrew Test Cart · Genesis/Mega Drive", "4"),
    ("Sonic the Hedgehog · Genesis/Mega Drive", "1"),
]


async def test_suggestions_answer_from_memory_and_fetch_what_is_missing_for_the_next_keystroke(
    sandbox: Sandbox,
) -> None:
    await link(sandbox, "Ada")  # a link this process has not read since
    bot = sandbox.bot
    jobs: list[object] = []

    def spawn(job: Coroutine[Any, Any, None]) -> None:
        jobs.append(job)
        bot.suggestion_fetches.spawn(job)

    sandbox.ra.delay = 1.0  # the fetch cannot land while the keystrokes are answered
    keystrokes = [
        recently_played_choices(bot.ra, bot.storage, DEFAULT_MEMBER_ID, None, "", spawn=spawn)
        for _ in range(5)
    ]
    assert keystrokes == [[]] * 5  # neither the link nor the list in memory: answered at once, empty
    assert len(jobs) == 1  # the link is read, then the list fetched: once, whatever the keystrokes
    await bot.suggestion_fetches.settle_all()
    sandbox.ra.delay = 0.0
    assert [r.params for r in sandbox.ra.requests] == [{"y": SANDBOX_API_KEY, "u": ADA_ULID, "c": "10"}]
    assert suggest(sandbox, None, "") == ADA_CHOICES
    assert suggest(sandbox, "", "SONIC") == [ADA_CHOICES[0], ADA_CHOICES[3]]
    assert suggest(sandbox, None, "hedgehog 2") == [ADA_CHOICES[0]]
    assert suggest(sandbox, None, "oce ody") == [ADA_CHOICES[1]]
    assert suggest(sandbox, None, "1") == [ADA_CHOICES[1], ADA_CHOICES[3]]  # IDs 12 and 1
    assert suggest(sandbox, None, "zelda") == []
    assert suggest(sandbox, None, "", limit=2) == ADA_CHOICES[:2]
    assert suggest(sandbox, None, "", limit=0) == []
    assert len(sandbox.ra.requests) == 1


async def test_a_game_without_a_console_is_labelled_by_its_title(sandbox: Sandbox) -> None:
    await sandbox.ask("progress", user="Tinkerer")
    assert suggest(sandbox, "Tinkerer", "") == [
        ("Prototype Cart", "13"),
        ("Sonic the Hedgehog · Genesis/Mega Drive", "1"),
    ]


async def test_suggestions_follow_the_user_typed_before_the_linked_account(sandbox: Sandbox) -> None:
    await link(sandbox, "Ada")
    assert suggest(sandbox, "https://retroachievements.org/user/Scott", "") == []
    await sandbox.bot.suggestion_fetches.settle_all()
    scott = suggest(sandbox, "scott", "")
    assert scott[:2] == [
        ("Sonic the Hedgehog · Genesis/Mega Drive", "1"),
        ("Sonic the Hedgehog 2 · Genesis/Mega Drive", "2"),
    ]
    assert suggest(sandbox, "not a name!", "") == []  # falls back to the linked account: not cached
    await sandbox.bot.suggestion_fetches.settle_all()
    assert [r.params["u"] for r in sandbox.ra.requests] == ["Scott", ADA_ULID]


async def test_progress_with_no_games_fills_the_cache_suggestions_read(sandbox: Sandbox) -> None:
    await sandbox.ask("progress", user="Ada")
    assert suggest(sandbox, "Ada", "") == ADA_CHOICES
    assert sandbox.ra.count(RECENT) == 1


async def test_no_player_no_suggestions_and_no_request(sandbox: Sandbox) -> None:
    assert suggest(sandbox, None, "sonic", member=OTHER_MEMBER) == []
    await sandbox.bot.suggestion_fetches.settle_all()
    assert sandbox.ra.requests == []


async def test_a_failed_fetch_is_logged_quietly_and_tried_again(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.recently_played")
    sandbox.ra.fail_next(RECENT, "401")
    assert suggest(sandbox, "Ada", "") == []
    await sandbox.bot.suggestion_fetches.settle_all()
    assert [r.getMessage() for r in caplog.records if r.name == "bot.recently_played"] == [
        f"Recently played games for suggestions: {RAConfigurationError().user_message}"
    ]
    assert suggest(sandbox, "Ada", "") == []
    await sandbox.bot.suggestion_fetches.settle_all()
    assert suggest(sandbox, "Ada", "") == ADA_CHOICES
    assert sandbox.ra.count(RECENT) == 2
    assert SANDBOX_API_KEY not in caplog.text


async def test_with_a_redis_cache_the_lists_fetched_here_are_remembered(sandbox: Sandbox) -> None:
    async with redis_namespace() as (redis, namespace):
        options = fast_options(sandbox.ra.base_url, key=SANDBOX_API_KEY)
        limiter = RedisRateLimiter(redis, f"{namespace}ratelimit", options.requests_per_second, options.burst)
        store = RedisResponseStore(redis, namespace=namespace)
        background = BackgroundWrites()
        async with RAClient(options, store=store, limiter=limiter) as client:
            ask = recently_played_choices(client, sandbox.bot.storage, 1, "Ada", "", spawn=background.spawn)
            assert ask == []
            await background.settle_all()
            again = recently_played_choices(client, sandbox.bot.storage, 1, "Ada", "", spawn=background.spawn)
            assert again == ADA_CHOICES
    assert sandbox.ra.count(RECENT) == 1


async def test_a_link_or_unlink_reaches_the_next_keystrokes_suggestions(sandbox: Sandbox) -> None:
    """The member's link is read once and then remembered (no database trip per keystroke): /link and
    /unlink must reach the suggestions at once."""
    ada = [{"name": label, "value": value} for label, value in ADA_CHOICES]

    assert await sandbox.autocomplete("progress", "games", games="") == []  # no user typed, no link
    await sandbox.bot.suggestion_fetches.settle_all()
    assert sandbox.ra.count(RECENT) == 0
    await sandbox.ask("link", username="Ada")
    assert await sandbox.autocomplete("progress", "games", games="") == []  # fetched for the next one
    await sandbox.bot.suggestion_fetches.settle_all()
    assert await sandbox.autocomplete("progress", "games", games="") == ada
    await sandbox.ask("unlink")
    assert await sandbox.autocomplete("progress", "games", games="") == []
    assert [r.params["u"] for r in sandbox.ra.requests if r.endpoint == RECENT] == [ADA_ULID]


async def test_a_fetch_the_runner_dropped_is_started_again_later(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full background runner drops new work without running it; the key must not stay taken."""
    monkeypatch.setattr(recently_played, "PENDING_SECONDS", 0.05)
    bot = sandbox.bot
    offered: list[str] = []

    def spawn(job: Coroutine[Any, Any, None]) -> None:
        offered.append("dropped" if not offered else "run")
        if offered[-1] == "dropped":
            job.close()  # what BackgroundWrites.spawn does past its limit
        else:
            bot.suggestion_fetches.spawn(job)

    def keystroke() -> list[tuple[str, str]]:
        return recently_played_choices(bot.ra, bot.storage, DEFAULT_MEMBER_ID, "Ada", "", spawn=spawn)

    assert keystroke() == [] and keystroke() == []
    assert offered == ["dropped"]  # the second keystroke thinks the first fetch is under way
    await asyncio.sleep(0.06)
    assert keystroke() == []
    assert offered == ["dropped", "run"]
    await bot.suggestion_fetches.settle_all()
    assert keystroke() == ADA_CHOICES


async def test_without_postgres_notifications_suggestions_still_follow_the_linked_account(
    sandbox: Sandbox,
) -> None:
    """PostgreSQL storage remembers links only while it hears other processes' changes (LISTEN; a
    pooler may refuse it): suggestions then keep the link they read for a few seconds themselves."""
    async with fresh_postgres_database("test_suggest") as url:
        storage = PostgresStorage(url)
        await storage.open()
        try:
            await storage.link(DEFAULT_MEMBER_ID, ADA_ULID, "Ada", None)
            await pg_execute(
                url,
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND query LIKE 'LISTEN%'",
            )
            for _ in range(100):  # until the storage has noticed
                await storage.get_link(DEFAULT_MEMBER_ID)
                if storage.known_link(DEFAULT_MEMBER_ID) is NOT_KNOWN:
                    break
                await asyncio.sleep(0.01)
            assert storage.known_link(DEFAULT_MEMBER_ID) is NOT_KNOWN
            fetches = BackgroundWrites()

            def keystroke() -> list[tuple[str, str]]:
                member = DEFAULT_MEMBER_ID
                return recently_played_choices(sandbox.bot.ra, storage, member, None, "", spawn=fetches.spawn)

            assert keystroke() == []
            await fetches.settle_all()
            assert keystroke() == ADA_CHOICES
        finally:
            await storage.close()
