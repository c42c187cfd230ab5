"""Operating the bot: graceful shutdown, Prometheus metrics, logs that name process and shard, shards."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import socket

import aiohttp
import pytest

from bot.config import settings_from_mapping
from bot.errors import ConfigError
from bot.logs import configure_logging, current_shard
from bot.sandbox.fake_discord import guild_for_shard
from bot.sandbox.harness import Sandbox, final_answer, running_sandbox
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
