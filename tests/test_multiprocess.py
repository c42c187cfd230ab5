"""Several bot processes, as operators run them: `python -m bot` subprocesses, one per shard.

Two processes (shards 0 and 1 of 2) run against ONE fake Discord and ONE fake RetroAchievements served
from this test process, and share one Redis (cache, single flight, rate limit) and one PostgreSQL
database (links, memberships, the command-sync digest). The throwaway servers come from `.ci/services`
(TEST_REDIS_URL, TEST_DATABASE_URL); without them these tests are skipped, unless REQUIRE_TEST_SERVICES=1
makes that a failure. Isolation: Redis logical database `MP_REDIS_DB` of the TEST_REDIS_URL server,
flushed at the start (never the database other tests use), and a fresh PostgreSQL database per module.

A separate test restarts one process (SQLite) with SIGTERM while commands are in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import pytest_asyncio

from bot.errors import ConfigError
from bot.ra.redis_backend import connect_redis
from bot.sandbox.fake_discord import FakeDiscord, FakeInteraction, guild_for_shard
from bot.sandbox.fake_ra import FakeRA, demo_dataset
from bot.sandbox.harness import SANDBOX_API_KEY, final_answer, sandbox_env, string_options
from bot.tree import DRAINING_MESSAGE
from tests.services import fresh_postgres_database as fresh_database
from tests.services import services_unavailable

REPO_ROOT = Path(__file__).resolve().parent.parent
# A logical database of the shared test Redis server that no other test file uses: FLUSHDB is safe there.
MP_REDIS_DB = 13
# trust authentication ignores it, so it only serves to prove that no log line shows it
PG_PASSWORD = "MpPgSecret0123456789"
PROGRESS = "API_GetUserProgress"
EPHEMERAL = 64
RATE, BURST = 10, 2
GUILD_0 = guild_for_shard(0, 2)
GUILD_1 = guild_for_shard(1, 2)
MEMBER_BASE = 700_000_000_000_000_000
START_SECONDS = 30.0  # bounded wait for a process to reach READY (imports are slow on a busy machine)
ANSWER_SECONDS = 20.0


# ---------------------------------------------------------------------------------------------- services


def with_path(url: str, path: str) -> str:
    return urlsplit(url)._replace(path=path).geturl()


def with_password(url: str, password: str) -> str:
    parts = urlsplit(url)
    userinfo, _, host = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0] or "postgres"
    return parts._replace(netloc=f"{user}:{password}@{host}").geturl()


async def private_redis_url(db: int = MP_REDIS_DB) -> str:
    """TEST_REDIS_URL with a logical database of one test file's own, flushed; skips (or fails) if
    unreachable."""
    base = os.environ.get("TEST_REDIS_URL")
    if not base:
        services_unavailable("TEST_REDIS_URL is not set (source .ci/services)")
    url = with_path(base, f"/{db}")
    try:
        redis = await connect_redis(url)
    except ConfigError as exc:
        services_unavailable(str(exc))
    try:
        await redis.flushdb()
    finally:
        await redis.aclose()
    return url


@contextlib.asynccontextmanager
async def fresh_postgres_database() -> AsyncIterator[str]:
    """A new database on the TEST_DATABASE_URL server (URL with a password in it), dropped afterwards."""
    async with fresh_database("test_mp") as url:
        yield with_password(url, PG_PASSWORD)


# ---------------------------------------------------------------------------------------------- processes


@dataclass
class BotProcess:
    """One `python -m bot` subprocess; stdout and stderr go to `log_path`."""

    name: str
    process: asyncio.subprocess.Process
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    async def terminate(self, timeout: float = 15.0) -> int:  # noqa: ASYNC109
        """SIGTERM (graceful shutdown), then SIGKILL after `timeout`; returns the exit status."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), timeout)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        return self.process.returncode if self.process.returncode is not None else -1


def bot_env(fake_discord: FakeDiscord, fake_ra: FakeRA, data_dir: Path, **settings: str) -> dict[str, str]:
    """A clean environment: only what the bot is told here (no DISCORD_*/RA_* of the developer's)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(REPO_ROOT),
        **sandbox_env(fake_discord, fake_ra, data_dir),
        "LOG_LEVEL": "INFO",
        "PROGRESS_COOLDOWN_SECONDS": "0",
        **settings,
    }


async def start_bot(name: str, env: Mapping[str, str], folder: Path) -> BotProcess:
    """Starts `python -m bot` in `folder`, which exists and has no .env; output goes to folder/<name>.log."""
    log_path = folder / f"{name}.log"
    with log_path.open("ab") as log_file:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot",
            cwd=folder, env=dict(env),
            stdin=asyncio.subprocess.DEVNULL, stdout=log_file, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
    return BotProcess(name, process, log_path)


async def until_connected(
    fake: FakeDiscord,
    bot: BotProcess,
    shard: int,
    identifies: int,
    timeout: float = START_SECONDS,  # noqa: ASYNC109
) -> None:
    """Waits until the fake has had `identifies` IDENTIFYs and `shard` holds an open connection.

    (`wait_until_ready` also counts the dead session of a stopped process, so a restart needs this.)
    Fails at once, with the process's log, if the process exits first.
    """
    deadline = time.monotonic() + timeout
    while not (len(fake.identifies) >= identifies and shard in fake.connected_shards):
        if bot.process.returncode is not None:
            pytest.fail(f"{bot.name} exited with {bot.process.returncode} before READY:\n{bot.log()[-3000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"{bot.name} not READY within {timeout} s:\n{bot.log()[-3000:]}")
        await asyncio.sleep(0.05)


async def wait_for_log(bot: BotProcess, text: str, timeout: float = 10.0) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while text not in bot.log():
        if time.monotonic() > deadline:
            pytest.fail(f"{bot.name} never logged {text!r}:\n{bot.log()[-3000:]}")
        await asyncio.sleep(0.02)


# ---------------------------------------------------------------------------------------------- helpers


async def slash(
    fake: FakeDiscord, name: str, options: Mapping[str, str], *, user_id: int, guild_id: int
) -> FakeInteraction:
    payload = fake.slash_payload(name, string_options(options), user_id=user_id, guild_id=guild_id)
    return await fake.send_interaction(payload)


async def suggestions(fake: FakeDiscord, *, user_id: int, guild_id: int) -> list[dict[str, Any]]:
    """What `/progress user:` autocomplete offers this member on this server (empty text typed)."""
    payload = fake.autocomplete_payload(
        "progress", string_options({"user": "", "games": "1"}), focused="user", user_id=user_id,
        guild_id=guild_id,
    )  # fmt: skip
    interaction = await fake.send_interaction(payload)
    event = await interaction.wait_for(lambda e: e.kind == "callback", timeout=ANSWER_SECONDS)
    choices: list[dict[str, Any]] = event.body["data"]["choices"]
    return choices


def embed_text(message: dict[str, Any]) -> str:
    return repr(message.get("embeds") or [])


async def progress_embeds(interactions: list[FakeInteraction], expect: str) -> list[str]:
    """Problems with the answers: each must be the progress embed (an edit of the defer), mentioning
    `expect`. Returns one line per interaction that is not."""
    answers = await asyncio.gather(
        *(final_answer(i, wait_seconds=ANSWER_SECONDS) for i in interactions), return_exceptions=True
    )
    problems = []
    for interaction, answer in zip(interactions, answers, strict=True):
        if isinstance(answer, BaseException):
            problems.append(f"{interaction.id}: {type(answer).__name__}: {answer}")
        elif interaction.followups or not answer.get("embeds") or expect not in embed_text(answer):
            problems.append(f"{interaction.id}: {str(answer.get('content'))[:120]!r}")
    return problems


# ---------------------------------------------------------------------------------------------- two shards


@dataclass
class Cluster:
    """The fakes, and one bot process per shard (index = shard id)."""

    discord: FakeDiscord
    ra: FakeRA
    bots: list[BotProcess]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def cluster(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Cluster]:
    redis_url = await private_redis_url()
    folder = tmp_path_factory.mktemp("shards")
    async with (
        fresh_postgres_database() as database_url,
        FakeRA(demo_dataset(), api_key=SANDBOX_API_KEY) as fake_ra,
        FakeDiscord() as fake_discord,
    ):
        bots: list[BotProcess] = []
        try:
            for shard in (0, 1):
                env = bot_env(
                    fake_discord, fake_ra, folder / f"data{shard}",
                    SHARD_COUNT="2", SHARD_IDS=str(shard), REDIS_URL=redis_url, DATABASE_URL=database_url,
                    RA_REQUESTS_PER_SECOND=str(RATE), RA_BURST=str(BURST), SHUTDOWN_GRACE_SECONDS="10",
                )  # fmt: skip
                # One after the other: the first registers the commands, the second finds them unchanged
                # in the shared database (setup_hook syncs before the gateway connects, so READY means
                # the sync is over).
                bots.append(await start_bot(f"shard{shard}", env, folder))
                await until_connected(fake_discord, bots[-1], shard, identifies=shard + 1)
            await fake_discord.wait_until_ready(timeout=5.0, shards=2)
            # The start's own requests (each process checks the key; one fills the catalogue) are over
            # before the tests count requests.
            for bot in bots:
                await wait_for_log(bot, "RetroAchievements accepts RA_API_KEY")
            await wait_for_log(bots[0], "Game catalogue refreshed")
            cluster = Cluster(fake_discord, fake_ra, bots)
            yield cluster
        finally:
            for bot in bots:
                await bot.terminate()


@pytest.mark.asyncio(loop_scope="module")
async def test_commands_are_registered_once_for_both_processes(cluster: Cluster) -> None:
    assert cluster.discord.command_syncs == 1
    assert "Registered " in cluster.bots[0].log()
    assert "Slash commands unchanged" in cluster.bots[1].log(), cluster.bots[1].log()[-2000:]
    assert sorted((s, c) for s, c in (i["shard"] for i in cluster.discord.identifies)) == [(0, 2), (1, 2)]


@pytest.mark.asyncio(loop_scope="module")
async def test_the_same_progress_on_both_shards_at_once_makes_one_upstream_request(cluster: Cluster) -> None:
    fake, ra = cluster.discord, cluster.ra
    ra.delay = 0.3  # long enough for all 40 to overlap
    before = len(ra.requests)
    try:
        payloads = [
            (fake.slash_payload(
                "progress", string_options({"user": "MaxMilyin", "games": "1,2,3"}),
                user_id=MEMBER_BASE + shard * 100 + n, guild_id=guild_for_shard(shard, 2, n),
            ), shard)
            for n in range(20)
            for shard in (0, 1)
        ]  # fmt: skip
        interactions = await asyncio.gather(*(fake.send_interaction(p) for p, _ in payloads))
        assert [i.shard for i in interactions] == [shard for _, shard in payloads]
        problems = await progress_embeds(list(interactions), "Sonic the Hedgehog 2")
    finally:
        ra.delay = 0.0
    assert problems == []
    assert all(i.callback_type == 5 for i in interactions), "each was deferred, then edited"
    upstream = Counter(r.endpoint for r in ra.requests[before:])
    assert upstream[PROGRESS] == 1, upstream
    # Profile and game details are single-flighted too (fewer if an earlier test cached them).
    assert upstream["API_GetUserProfile"] <= 1 and upstream["API_GetGame"] <= 3, upstream


@pytest.mark.asyncio(loop_scope="module")
async def test_a_link_made_through_one_process_is_seen_by_the_other(cluster: Cluster) -> None:
    """Autocomplete on shard 1 reads the link that shard 0's process wrote (shared PostgreSQL): no
    upstream request and no cache in between, so it shows exactly what the other process stored.
    Then the member uses a command on a shard-1 server, and /leaderboard there (shard 1) lists them."""
    fake = cluster.discord
    member, other = MEMBER_BASE + 5000, MEMBER_BASE + 5001
    assert await suggestions(fake, user_id=member, guild_id=GUILD_1) == []
    link = await slash(fake, "link", {"username": "maxmilyin"}, user_id=member, guild_id=GUILD_0)
    answer = await final_answer(link, wait_seconds=ANSWER_SECONDS)
    assert link.shard == 0
    assert answer["embeds"][0]["title"] == "Linked to MaxMilyin"
    assert await suggestions(fake, user_id=member, guild_id=GUILD_1) == [
        {"name": "MaxMilyin (you)", "value": "MaxMilyin"}
    ]
    used = await slash(
        fake, "progress", {"user": "MaxMilyin", "games": "1"}, user_id=member, guild_id=GUILD_1
    )
    assert await progress_embeds([used], "Sonic the Hedgehog") == []
    board = await slash(fake, "leaderboard", {"game": "1"}, user_id=other, guild_id=GUILD_1)
    shown = await final_answer(board, wait_seconds=ANSWER_SECONDS)
    assert (used.shard, board.shard) == (1, 1)
    assert f"<@{member}>" in shown["embeds"][0]["description"], shown


@pytest.mark.asyncio(loop_scope="module")
async def test_both_processes_together_stay_within_the_upstream_rate_limit(cluster: Cluster) -> None:
    """40 /progress with 40 different game lists (20 per shard) all at once: about 50 upstream requests
    wanted at the same moment, paced by the limit shared through Redis to `RATE`/s with `BURST`."""
    fake, ra = cluster.discord, cluster.ra
    pairs = [(a, b) for a in range(1, 13) for b in range(a + 1, 13)][:40]
    started = len(ra.requests)
    sends = [
        slash(
            fake, "progress", {"user": "MaxMilyin", "games": f"{a},{b}"},
            user_id=MEMBER_BASE + 1000 + n, guild_id=guild_for_shard(n % 2, 2, n),
        )
        for n, (a, b) in enumerate(pairs)
    ]  # fmt: skip
    interactions = await asyncio.gather(*sends)
    assert sorted(i.shard for i in interactions) == [0] * 20 + [1] * 20
    problems = await progress_embeds(list(interactions), "MaxMilyin")
    assert problems == []
    load = ra.requests[started:]
    assert sum(r.endpoint == PROGRESS for r in load) == 40, "the cache could not help"
    span = max(r.time for r in load) - min(r.time for r in load)
    assert span >= (len(load) - BURST - RATE) / RATE, f"the limit was binding: {len(load)} in {span:.2f}s"
    assert ra.max_requests_in_any_second() <= RATE + BURST, ra.max_requests_in_any_second()


@pytest.mark.asyncio(loop_scope="module")
async def test_each_process_names_its_shard_in_its_logs_and_no_secret(cluster: Cluster) -> None:
    """Stops both processes (SIGTERM: both exit 0), then reads everything they logged at INFO."""
    for bot in cluster.bots:
        assert await bot.terminate() == 0, bot.log()[-3000:]
    for shard, bot in enumerate(cluster.bots):
        text = bot.log()
        lines = [line for line in text.splitlines() if f"[pid {bot.pid} shard {shard}]" in line]
        assert lines, text[-2000:]
        assert any("Shutting down" in line for line in lines)
        for secret in (SANDBOX_API_KEY, cluster.discord.bot_token, PG_PASSWORD):
            assert secret not in text, f"{bot.name} logged a secret"
        assert "Traceback" not in text, text[-3000:]


# ---------------------------------------------------------------------------------------------- restart


async def test_sigterm_under_load_answers_what_is_in_flight_refuses_new_work_and_keeps_links(
    tmp_path: Path,
) -> None:
    grace = 5.0
    links = {MEMBER_BASE + 9001: "Scott", MEMBER_BASE + 9002: "Jamiras", MEMBER_BASE + 9003: "luchaos"}
    async with FakeRA(demo_dataset(), api_key=SANDBOX_API_KEY, delay=0.5) as fake_ra, FakeDiscord() as fake:
        env = bot_env(
            fake, fake_ra, tmp_path / "data", RA_REQUESTS_PER_SECOND="1000", RA_BURST="100",
            SHUTDOWN_GRACE_SECONDS=str(grace),
        )  # fmt: skip
        first = await start_bot("first", env, tmp_path)
        second: BotProcess | None = None
        try:
            await until_connected(fake, first, 0, identifies=1)
            progress = [
                slash(fake, "progress", {"user": "MaxMilyin", "games": "1,2,3"},
                      user_id=MEMBER_BASE + 8000 + n, guild_id=GUILD_0)
                for n in range(20)
            ]  # fmt: skip
            linking = [
                slash(fake, "link", {"username": name}, user_id=member, guild_id=GUILD_0)
                for member, name in links.items()
            ]
            interactions = await asyncio.gather(*progress, *linking)
            await asyncio.gather(
                *(i.wait_for(lambda e: e.kind == "callback", timeout=ANSWER_SECONDS) for i in interactions)
            )
            in_flight = [i for i in interactions if i.deferred and not i.answered]
            first.process.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            # The bot logs this once it has started draining: from then on it refuses new commands.
            await wait_for_log(first, "Shutting down: waiting for")
            connected = 0 in fake.connected_shards
            late = await slash(
                fake, "progress", {"user": "MaxMilyin", "games": "1"}, user_id=MEMBER_BASE + 8999,
                guild_id=GUILD_0,
            )  # fmt: skip
            code = await asyncio.wait_for(first.process.wait(), grace + 10)
            took = time.monotonic() - signalled

            assert code == 0, first.log()[-3000:]
            assert took < grace + 3, f"exited {took:.1f} s after SIGTERM"
            assert in_flight, "SIGTERM came after every answer: nothing was in flight"
            assert await progress_embeds(interactions[:20], "Sonic the Hedgehog 2") == []
            for interaction, name in zip(interactions[20:], links.values(), strict=True):
                answer = await final_answer(interaction, wait_seconds=1.0)
                assert answer["embeds"][0]["title"] == f"Linked to {name}"
            if connected:
                # Still connected when the late command came: it got the refusal, privately.
                event = await late.wait_for(lambda e: e.kind == "callback", timeout=1.0)
                assert event.body["type"] == 4
                assert event.body["data"]["content"] == DRAINING_MESSAGE
                assert event.body["data"]["flags"] & EPHEMERAL
            else:  # pragma: no cover - only if the process closed its gateway before we could send
                assert not late.events, "a closed gateway cannot have answered"
            assert "Traceback" not in first.log()

            second = await start_bot("second", env, tmp_path)
            await until_connected(fake, second, 0, identifies=2)
            for member, name in links.items():
                # On a server where nobody else used the bot, the member's own link is the only suggestion.
                assert await suggestions(fake, user_id=member, guild_id=GUILD_1) == [
                    {"name": f"{name} (you)", "value": name}
                ]
            assert await second.terminate() == 0
        finally:
            await first.terminate()
            if second is not None:
                await second.terminate()
        for bot in (first, second):
            assert bot is not None and SANDBOX_API_KEY not in bot.log()
