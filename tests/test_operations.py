"""Operating the bot: graceful shutdown, Prometheus metrics, logs that name process and shard, shards."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import os
import re
import socket
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime

import aiohttp
import discord
import discord.gateway
import discord.http
import pytest

from bot import __version__
from bot.app import ProgressBot, create_bot, run_bot
from bot.config import settings_from_mapping
from bot.errors import ConfigError
from bot.logs import configure_logging, current_shard, redact_interaction_tokens
from bot.sandbox.fake_discord import FakeDiscord, guild_for_shard
from bot.sandbox.fake_ra import FakeRA, demo_dataset
from bot.sandbox.harness import SANDBOX_API_KEY, Sandbox, final_answer, running_sandbox, sandbox_env
from bot.secret import Secret
from bot.tree import DRAINING_MESSAGE, interaction_shard

NO_COOLDOWN = {"PROGRESS_COOLDOWN_SECONDS": "0"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_shutdown_answers_commands_in_flight_and_refuses_new_ones() -> None:
    async with running_sandbox(env=NO_COOLDOWN) as sandbox:
        sandbox.ra.delay = 0.4
        in_flight = [
            await sandbox.command("progress", user="MaxMilyin", games="1", user_id=900 + n) for n in range(5)
        ]
        for interaction in in_flight:
            await interaction.wait_for(lambda e: e.kind == "callback")
        shutdown = asyncio.create_task(sandbox.bot.shutdown())
        await asyncio.sleep(0.05)
        late = await sandbox.ask("progress", user="MaxMilyin", games="2", user_id=999)
        assert late["content"] == DRAINING_MESSAGE and late["flags"] & 64
        answers = [await final_answer(i) for i in in_flight]
        assert all(a["embeds"] for a in answers), "every command in flight was answered before closing"
        await asyncio.wait_for(shutdown, 5)
        assert sandbox.bot.is_closed()


async def test_metrics_count_commands_upstream_requests_and_cache() -> None:
    port = free_port()
    async with running_sandbox(env={**NO_COOLDOWN, "METRICS_PORT": str(port)}) as sandbox:
        await sandbox.ask("progress", user="MaxMilyin", games="1")
        await sandbox.ask("progress", user="MaxMilyin", games="1", user_id=901)
        await sandbox.ask("progress", user="NoSuchPlayer", games="1", user_id=902)
        await sandbox.ask("progress", user="bad name", games="1", user_id=903)
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/metrics") as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/plain")
            text = await response.text()
    lines = set(text.splitlines())
    assert 'rabot_commands_total{command="progress",outcome="ok"} 2.0' in lines
    assert 'rabot_commands_total{command="progress",outcome="not_found"} 1.0' in lines
    assert 'rabot_commands_total{command="progress",outcome="refused"} 1.0' in lines
    assert 'rabot_upstream_requests_total{endpoint="API_GetUserProgress",status="200"} 2.0' in lines
    assert 'rabot_cache_lookups_total{kind="progress",result="hit"} 1.0' in lines
    assert 'rabot_command_duration_seconds_count{command="progress"} 4.0' in lines
    assert "rabot_commands_in_flight 0.0" in lines


def test_log_lines_name_the_process_and_shard_and_hide_secrets() -> None:
    stream = io.StringIO()
    configure_logging("INFO", [Secret("hunter2hunter2")], process_shards="0,1")
    root = logging.getLogger()
    root.handlers[0].setStream(stream)  # type: ignore[attr-defined]
    try:
        logging.getLogger("bot.test").info("outside any command, key hunter2hunter2")
        token = current_shard.set("1")
        logging.getLogger("bot.test").info("inside a command")
        current_shard.reset(token)
    finally:
        root.handlers.clear()
    first, second = stream.getvalue().splitlines()
    assert f"[pid {os.getpid()} shard 0,1] bot.test: outside any command, key ********" in first
    assert f"[pid {os.getpid()} shard 1] bot.test: inside a command" in second


def test_interactions_go_to_the_shard_discord_uses() -> None:
    class FakeInteraction:
        def __init__(self, guild_id: int | None) -> None:
            self.guild_id = guild_id

    guild = (5 << 22) | 12345
    assert interaction_shard(FakeInteraction(guild), 4) == 1  # type: ignore[arg-type]
    assert interaction_shard(FakeInteraction(None), 4) == 0  # type: ignore[arg-type]
    assert interaction_shard(FakeInteraction(guild), None) == 0  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SHARD_IDS": "0"}, "SHARD_IDS is set but SHARD_COUNT is not"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "0,2"}, "SHARD_IDS names shard 2, but SHARD_COUNT is 2"),
        ({"SHARD_COUNT": "two"}, "SHARD_COUNT is 'two'"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL is not valid: use a URL starting with redis://"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL is not valid: use a URL starting with postgresql://"),
        ({"METRICS_PORT": "99999"}, "METRICS_PORT is '99999'"),
    ],
)
def test_scale_settings_are_checked(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        settings_from_mapping({"DISCORD_TOKEN": "t", "RA_API_KEY": "k" * 32, **env})


def test_scale_settings_hide_passwords() -> None:
    settings = settings_from_mapping(
        {
            "DISCORD_TOKEN": "t",
            "RA_API_KEY": "k" * 32,
            "SHARD_COUNT": "4",
            "SHARD_IDS": "2,3",
            "REDIS_URL": "redis://:sekrit@127.0.0.1:6379/0",
            "DATABASE_URL": "postgresql://bot:sekrit@127.0.0.1/bot",
        }
    )
    assert (settings.shard_count, settings.shard_ids) == (4, (2, 3))
    assert "sekrit" not in repr(settings)


async def test_one_process_runs_every_shard_and_answers_on_each() -> None:
    # discord.py waits 5 s between two IDENTIFYs of one process, as Discord asks of most bots.
    async with running_sandbox(env={**NO_COOLDOWN, "SHARD_COUNT": "2"}) as sandbox:
        await sandbox.discord.wait_until_ready(timeout=15, shards=2)
        for shard in (0, 1):
            guild = guild_for_shard(shard, 2)
            interaction = await sandbox.command("progress", user="MaxMilyin", games="1", guild_id=guild)
            answer = await final_answer(interaction)
            assert answer["embeds"][0]["author"]["name"] == "MaxMilyin"
            assert interaction_shard_of(sandbox, interaction.id) == shard


def interaction_shard_of(sandbox: Sandbox, interaction_id: str) -> int | None:
    return sandbox.discord.interactions[interaction_id].shard


# ---------------------------------------------------------------------------------------------- health


@contextlib.asynccontextmanager
async def bot_starting(env: dict[str, str]) -> AsyncIterator[tuple[FakeDiscord, ProgressBot, str]]:
    """Fakes and a bot whose start the test can hold up (through the fakes) and watch; yields the fake
    Discord, the bot and the metrics base URL. The bot is closed and discord.py's addresses restored."""
    saved = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="ra-bot-") as folder:
        async with FakeRA(demo_dataset(), api_key=SANDBOX_API_KEY) as fake_ra, FakeDiscord() as fake:
            settings = settings_from_mapping(
                {**sandbox_env(fake, fake_ra, folder), "METRICS_PORT": str(port), **env}
            )
            bot = create_bot(settings, guild_ready_timeout=0.01)
            task = asyncio.create_task(run_bot(settings, bot))
            try:
                yield fake, bot, f"http://127.0.0.1:{port}"
            finally:
                await bot.close()
                await task
                discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.text()


async def until_serving(url: str) -> None:
    for _ in range(500):
        try:
            await get(url)
            return
        except aiohttp.ClientConnectionError:
            await asyncio.sleep(0.01)
    raise AssertionError(f"nothing serves {url}")


async def test_healthz_and_readyz_before_and_after_the_gateway_connects() -> None:
    async with bot_starting({"STARTUP_RETRY_SECONDS": "30"}) as (fake, bot, base):
        fake.fail_next("GET", r"^/gateway$", 503, {"message": "down"}, times=2)  # holds the start ~2 s
        await until_serving(f"{base}/healthz")
        assert await get(f"{base}/healthz") == (200, "ok\n")
        status, body = await get(f"{base}/readyz")
        assert not fake.connected_shards
        assert (status, body) == (503, "gateway: not connected yet\nstorage: not open yet\n")

        await fake.wait_until_ready(timeout=15)
        await asyncio.wait_for(bot.wait_until_ready(), 15)
        assert await get(f"{base}/readyz") == (200, "ready\n")
        assert await get(f"{base}/healthz") == (200, "ok\n")

        await bot.storage.close()
        assert await get(f"{base}/readyz") == (503, "storage: not answering (StorageError)\n")


async def test_gauges_show_the_gateway_servers_links_process_and_version() -> None:
    port = free_port()
    async with running_sandbox(env={**NO_COOLDOWN, "METRICS_PORT": str(port)}) as sandbox:
        await sandbox.ask("link", username="MaxMilyin")
        await sandbox.ask("link", username="Scott", user_id=901)
        status, text = await get(f"http://127.0.0.1:{port}/metrics")
        guilds = len(sandbox.bot.guilds)
    assert status == 200
    lines = text.splitlines()
    assert "rabot_shards_connected 1.0" in lines
    assert any(line.startswith('rabot_gateway_latency_seconds{shard="0"} ') for line in lines)
    assert f"rabot_guilds {float(guilds)}" in lines
    assert "rabot_linked_members 2.0" in lines
    assert {"rabot_storage_healthy 1.0", "rabot_storage_failures_total 0.0"} <= set(lines)
    assert f'rabot_build_info{{version="{__version__}"}} 1.0' in lines
    for name in ("process_resident_memory_bytes", "process_cpu_seconds_total", "process_open_fds"):
        assert any(line.startswith(name + " ") for line in lines), name


async def test_an_info_line_says_when_the_bot_is_ready(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    async with running_sandbox() as sandbox:
        await asyncio.wait_for(sandbox.bot.wait_until_ready(), 10)
        for _ in range(200):
            ready = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Ready as ")]
            if ready:
                break
            await asyncio.sleep(0.01)
    assert ready == [f"Ready as FakeBot in {len(sandbox.bot.guilds)} servers, shards 0 of 1"]


async def test_a_key_refused_at_start_is_an_error_naming_it_and_the_bot_still_serves(
    caplog: pytest.LogCaptureFixture,
) -> None:
    wrong_key = "WrongKey0000000000000000000000zz"
    async with running_sandbox(env={"RA_API_KEY": wrong_key}) as sandbox:
        errors = [r for r in caplog.records if r.levelno == logging.ERROR and r.name == "bot.app"]
        answer = await sandbox.ask("progress", user="MaxMilyin", games="1")
    assert len(errors) == 1
    message = errors[0].getMessage()
    assert "answered HTTP 401: RetroAchievements refused RA_API_KEY" in message
    assert "/API/API_GetUserProfile.php?u=MaxMilyin" in message
    assert answer["content"].startswith("The bot is misconfigured: RetroAchievements refused its API key.")
    assert wrong_key not in caplog.text


# ---------------------------------------------------------------------------------------------- log lines


@pytest.fixture
def bot_log() -> Iterator[Callable[[str, str], io.StringIO]]:
    """Configures logging as `python -m bot` does (level, format) into a string; restores it after."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)

    def configure(level: str, log_format: str) -> io.StringIO:
        stream = io.StringIO()
        configure_logging(level, [Secret(SANDBOX_API_KEY), Secret("fake-bot-token")], "-", log_format)
        root.handlers[0].setStream(stream)  # type: ignore[attr-defined]
        return stream

    yield configure
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


async def test_json_logs_are_one_object_per_line_with_the_error_id(
    bot_log: Callable[[str, str], io.StringIO],
) -> None:
    stream = bot_log("INFO", "json")
    async with running_sandbox(env=NO_COOLDOWN) as sandbox:
        await asyncio.wait_for(sandbox.bot.wait_until_ready(), 10)  # the "Ready as" line is written
        await sandbox.ask("progress", user="MaxMilyin", games="1")

        async def broken(*_: object) -> None:
            raise RuntimeError("a bug")  # the next /link fails unexpectedly: a logged error with an id

        sandbox.bot.storage.link = broken  # type: ignore[method-assign,assignment]
        answer = await sandbox.ask("link", username="MaxMilyin")
    error_id = re.search(r"error id `([0-9a-f]{8})`", answer["content"])
    assert error_id is not None, answer
    entries = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert {"discord.client", "bot.app", "bot.error_handler"} <= {entry["logger"] for entry in entries}
    for entry in entries:
        assert {"time", "level", "logger", "pid", "shard", "message"} <= entry.keys()
        assert datetime.fromisoformat(entry["time"]).tzinfo is not None
    failure = next(e for e in entries if e.get("error_id"))
    assert failure["error_id"] == error_id[1]
    assert failure["level"] == "ERROR" and failure["message"] == f"Unexpected error {error_id[1]} in /link"
    assert failure["shard"] == "0" and "Traceback" in failure["exception"]
    assert any(e["message"].startswith("Ready as FakeBot") for e in entries)


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_debug_logs_show_no_interaction_token_nor_secret(
    bot_log: Callable[[str, str], io.StringIO], log_format: str
) -> None:
    stream = bot_log("DEBUG", log_format)
    async with running_sandbox(env=NO_COOLDOWN) as sandbox:
        await sandbox.ask("link", username="MaxMilyin")
        await sandbox.ask("progress", user="MaxMilyin", games=",".join(map(str, range(1, 13))))
        await sandbox.ask("compare", games="1,2", users="MaxMilyin Scott")
        await sandbox.ask("leaderboard", game="1")
        await sandbox.autocomplete("compare", "users", games="1", users="Max")
        sandbox.ra.fail_next(None, "500", times=2)
        await sandbox.ask("progress", user="Scott", games="3", user_id=901)
        await sandbox.ask("unlink")
        tokens = [interaction.token for interaction in sandbox.discord.interactions.values()]
    text = stream.getvalue()
    assert len(tokens) >= 7
    for secret in (*tokens, SANDBOX_API_KEY, "fake-bot-token"):
        assert secret not in text
    # discord.py did print them (webhook URLs, callback URLs, gateway payloads): they were redacted.
    shown = (
        text if log_format == "text" else "\n".join(json.loads(line)["message"] for line in text.splitlines())
    )
    assert "/webhooks/100000000000000001/********/messages/@original" in shown
    assert re.search(r"/interactions/\d+/\*{8}/callback", shown)
    assert "'token': '********'" in shown


def test_interaction_tokens_are_redacted_wherever_they_appear() -> None:
    token = "aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OmFiY2RlZg"
    assert (
        redact_interaction_tokens(
            f"POST https://discord.com/api/v10/interactions/123/{token}/callback has returned 204"
        )
        == "POST https://discord.com/api/v10/interactions/123/********/callback has returned 204"
    )
    assert redact_interaction_tokens(f"PATCH /webhooks/1/{token}/messages/@original") == (
        "PATCH /webhooks/1/********/messages/@original"
    )
    assert redact_interaction_tokens(f"/webhooks/1/{token}?wait=true") == "/webhooks/1/********?wait=true"
    assert (
        redact_interaction_tokens(f'{{"id": "1", "token": "{token}"}}') == '{"id": "1", "token": "********"}'
    )
    assert (
        redact_interaction_tokens(f"{{'token': '{token}', 'type': 2}}") == "{'token': '********', 'type': 2}"
    )
