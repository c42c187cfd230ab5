"""The feed across restarts, kill -9 and several processes: `python -m bot` subprocesses, as run for real.

The fakes run in this test process; awards are added to the fake RetroAchievements while the bots run, with
FEED_POLL_SECONDS=1. Each test then waits (bounded) until every expected award is in its server's channel,
and asserts that each is there exactly once and that nothing else is. Two-process tests use the servers of
`.ci/services` (TEST_REDIS_URL, TEST_DATABASE_URL), skipped without them unless REQUIRE_TEST_SERVICES=1.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.sandbox.fake_awards import FakeAward
from bot.sandbox.fake_discord import FakeDiscord, guild_for_shard
from bot.sandbox.fake_ra import FakeRA, demo_dataset
from bot.sandbox.harness import SANDBOX_API_KEY, final_answer, string_options
from tests.test_multiprocess import (
    ANSWER_SECONDS,
    BotProcess,
    bot_env,
    fresh_postgres_database,
    private_redis_url,
    start_bot,
    until_connected,
    wait_for_log,
)

FEED_REDIS_DB = 12  # a logical database of the test Redis that no other test file uses
MANAGE_GUILD = 1 << 5
WELCOME = "📣 This channel now announces RetroAchievements awards."
KINDS = ("mastered", "completed", "beaten-hardcore", "beaten-softcore")
SETTLE_SECONDS = 60.0  # bounded wait for every award to be posted
MEMBERS = {
    700_000_000_000_000_101: "Scott",
    700_000_000_000_000_102: "Jamiras",
    700_000_000_000_000_103: "luchaos",
}


async def slash(
    fake: FakeDiscord, name: str, options: list[dict[str, Any]], *, user_id: int, guild_id: int, **extra: Any
) -> dict[str, Any]:
    payload = fake.slash_payload(name, options, user_id=user_id, guild_id=guild_id, **extra)
    interaction = await fake.send_interaction(payload)
    if name == "feed":
        event = await interaction.wait_for(lambda e: e.kind in ("edit_original", "followup"), ANSWER_SECONDS)
        return event.body
    return await final_answer(interaction, wait_seconds=ANSWER_SECONDS)


async def link_members(fake: FakeDiscord, guild_id: int, members: dict[int, str]) -> None:
    for member, name in members.items():
        answer = await slash(
            fake, "link", string_options({"username": name}), user_id=member, guild_id=guild_id
        )
        assert answer["embeds"][0]["title"] == f"Linked to {name}", answer


async def turn_feed_on(fake: FakeDiscord, guild_id: int, channel: int) -> None:
    options = [{"name": "channel", "type": 7, "value": str(channel)}]
    answer = await slash(
        fake, "feed", options, user_id=1, guild_id=guild_id, subcommand="set", permissions=MANAGE_GUILD
    )
    assert str(answer["content"]).startswith(f"The award feed is on in <#{channel}>"), answer


def award_key(award: FakeAward) -> str:
    return f"{award.ulid}:{award.game_id}:{award.kind}:{int(award.awarded_at.timestamp())}"


def shown_keys(fake: FakeDiscord, channel: int, ulids: dict[str, str]) -> list[str]:
    """Every award shown in the channel's feed posts, in order, repeats included."""
    kinds = {"👑 Mastered": "mastered", "✅ Completed": "completed"}
    kinds |= {"🏁 Beaten in hardcore": "beaten-hardcore", "🏁 Beaten in softcore": "beaten-softcore"}
    found = []
    for message in fake.channel(channel).messages:
        if message["content"] == WELCOME:
            continue
        for embed in message["embeds"]:
            kind = kinds[embed["title"].split(":")[0]]
            game = int(embed["url"].rsplit("/", 1)[1])
            moment = int(datetime.fromisoformat(embed["timestamp"]).timestamp())
            found.append(f"{ulids[embed['author']['name']]}:{game}:{kind}:{moment}")
    return found


async def until_posted(
    fake: FakeDiscord, expected: dict[int, set[str]], ulids: dict[str, str], bots: list[BotProcess]
) -> None:
    """Waits until every channel shows at least its expected awards; fails with the logs if it never does."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while any(not want <= set(shown_keys(fake, ch, ulids)) for ch, want in expected.items()):
        if time.monotonic() > deadline:
            missing = {ch: len(want - set(shown_keys(fake, ch, ulids))) for ch, want in expected.items()}
            logs = "\n".join(f"--- {b.name}\n{b.log()[-3000:]}" for b in bots)
            pytest.fail(f"awards still missing after {SETTLE_SECONDS} s: {missing}\n{logs}")
        await asyncio.sleep(0.1)


def assert_each_once(fake: FakeDiscord, expected: dict[int, set[str]], ulids: dict[str, str]) -> None:
    for channel, want in expected.items():
        shown = shown_keys(fake, channel, ulids)
        repeated = {key: n for key, n in Counter(shown).items() if n > 1}
        assert repeated == {}, f"posted twice in {channel}: {repeated}"
        assert set(shown) == want, f"channel {channel}: unexpected {set(shown) - want}"


class Burst:
    """Grants awards one after the other while the bots run: by the linked members and by strangers."""

    def __init__(self, ra: FakeRA) -> None:
        self.ra = ra
        self.linked: list[FakeAward] = []
        self.count = 0

    def grant(self) -> None:
        n = self.count
        self.count += 1
        name = list(MEMBERS.values())[n % len(MEMBERS)]
        game = (
            1 + n % 12 if n < 12 else 100 + n
        )  # each award its own (a game the fake does not know: no icon)
        self.linked.append(self.ra.awards.add(name, KINDS[n % 4], game))
        self.ra.awards.add(f"Stranger{n}", KINDS[n % 4], game)

    async def run(self, count: int, every: float) -> None:
        for _ in range(count):
            self.grant()
            await asyncio.sleep(every)


def ulids_of(ra: FakeRA) -> dict[str, str]:
    return {user.name: user.ulid for user in ra.dataset.users.values()}


async def wait_for_posts(fake: FakeDiscord, channel: int, at_least: int, bot: BotProcess) -> None:
    deadline = time.monotonic() + SETTLE_SECONDS
    while sum(m["content"] != WELCOME for m in fake.channel(channel).messages) < at_least:
        if time.monotonic() > deadline:
            pytest.fail(f"{bot.name} posted fewer than {at_least} messages:\n{bot.log()[-3000:]}")
        await asyncio.sleep(0.02)


# ---------------------------------------------------------------------------------------------- one process


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "restart"])
async def test_a_stop_in_the_middle_of_a_burst_posts_each_award_exactly_once(
    tmp_path: Path, stop: signal.Signals
) -> None:
    guild_a, guild_b = 300_000_000_000_000_101, 300_000_000_000_000_102
    channel_a, channel_b = 500_000_000_000_000_101, 500_000_000_000_000_102
    # Posting is the slow part (two posts per 3 s per channel), so the stop comes with posts pending.
    slow_channels = FakeDiscord(channel_rate_limit=2, channel_rate_window=3.0)
    async with FakeRA(demo_dataset(), api_key=SANDBOX_API_KEY) as ra, slow_channels as fake:
        env = bot_env(fake, ra, tmp_path / "data", FEED_POLL_SECONDS="1", RA_REQUESTS_PER_SECOND="50")
        first = await start_bot("first", env, tmp_path)
        bots = [first]
        try:
            await until_connected(fake, first, 0, identifies=1)
            await link_members(fake, guild_b, MEMBERS)
            await link_members(fake, guild_a, MEMBERS)  # relinked in A: both servers' boards
            await turn_feed_on(fake, guild_a, channel_a)
            await turn_feed_on(fake, guild_b, channel_b)
            burst = Burst(ra)
            granting = asyncio.create_task(burst.run(40, 0.025))  # over a poll or two
            await wait_for_posts(fake, channel_a, 2, first)
            first.process.send_signal(stop)
            shown, granted = (
                set(shown_keys(fake, channel_a, ulids_of(ra))),
                {award_key(a) for a in burst.linked},
            )
            assert len(shown) < len(granted), "the stop came with awards granted and not yet posted"
            await granting
            code = await asyncio.wait_for(first.process.wait(), 30)
            assert code == (-signal.SIGKILL if stop is signal.SIGKILL else 0), first.log()[-3000:]
            for _ in range(10):  # granted while the bot is down
                burst.grant()
            second = await start_bot("second", env, tmp_path)
            bots.append(second)
            await until_connected(fake, second, 0, identifies=2)
            expected = {channel: {award_key(a) for a in burst.linked} for channel in (channel_a, channel_b)}
            await until_posted(fake, expected, ulids_of(ra), bots)
            await asyncio.sleep(3.0)  # three more polls: nothing more may come
            assert_each_once(fake, expected, ulids_of(ra))
            assert "Traceback" not in second.log(), second.log()[-3000:]
        finally:
            for bot in bots:
                await bot.terminate()
        for bot in bots:
            assert SANDBOX_API_KEY not in bot.log()


# ---------------------------------------------------------------------------------------------- two processes


@contextlib.asynccontextmanager
async def shared_services(lease: str) -> AsyncIterator[dict[str, str]]:
    async with fresh_postgres_database() as database_url:
        settings = {"DATABASE_URL": database_url}
        if lease == "redis":
            settings["REDIS_URL"] = await private_redis_url(FEED_REDIS_DB)
        yield settings


async def leader_of(bots: list[BotProcess]) -> BotProcess:
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        leaders = [bot for bot in bots if bot.log().count("Feed: this process polls now") == 1]
        if len(leaders) == 1:
            return leaders[0]
        if time.monotonic() > deadline:
            pytest.fail("no single process polls:\n" + "\n".join(b.log()[-2000:] for b in bots))
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("lease", ["redis", "postgres"])
async def test_two_processes_one_polls_and_the_other_takes_over_when_it_is_killed(
    tmp_path: Path, lease: str
) -> None:
    guild_0, guild_1 = guild_for_shard(0, 2, 7), guild_for_shard(1, 2, 7)
    channel_0, channel_1 = 500_000_000_000_000_201, 500_000_000_000_000_202
    async with (
        shared_services(lease) as shared,
        FakeRA(demo_dataset(), api_key=SANDBOX_API_KEY) as ra,
        FakeDiscord() as fake,
    ):
        bots: list[BotProcess] = []
        try:
            for shard in (0, 1):
                env = bot_env(
                    fake, ra, tmp_path / f"data{shard}", SHARD_COUNT="2", SHARD_IDS=str(shard),
                    FEED_POLL_SECONDS="1", RA_REQUESTS_PER_SECOND="50", **shared,
                )  # fmt: skip
                bots.append(await start_bot(f"shard{shard}", env, tmp_path))
                await until_connected(fake, bots[-1], shard, identifies=shard + 1)
            await link_members(fake, guild_0, dict(list(MEMBERS.items())[:2]))
            await link_members(fake, guild_1, dict(list(MEMBERS.items())[2:]))
            await turn_feed_on(fake, guild_0, channel_0)
            await turn_feed_on(fake, guild_1, channel_1)
            leader = await leader_of(bots)
            follower = next(bot for bot in bots if bot is not leader)
            burst = Burst(ra)
            granting = asyncio.create_task(burst.run(60, 0.1))
            await wait_for_posts(fake, channel_0, 1, leader)
            leader.process.send_signal(signal.SIGKILL)
            await leader.process.wait()
            await granting
            await wait_for_log(follower, "Feed: this process polls now", timeout=SETTLE_SECONDS)
            linked_in = {channel_0: set(list(MEMBERS.values())[:2]), channel_1: {list(MEMBERS.values())[2]}}
            expected = {
                channel: {award_key(a) for a in burst.linked if a.user in names}
                for channel, names in linked_in.items()
            }
            await until_posted(fake, expected, ulids_of(ra), bots)
            await asyncio.sleep(3.0)  # three more polls: nothing more may come
            assert_each_once(fake, expected, ulids_of(ra))
            assert "Traceback" not in follower.log(), follower.log()[-3000:]
        finally:
            for bot in bots:
                await bot.terminate()
        for bot in bots:
            assert SANDBOX_API_KEY not in bot.log()
