"""A hung database must not silence the bot: commands that do not need storage are answered as usual,
the ones that do get their own clear message in time, autocompletes get an empty answer in time, and
everything works again once the database answers. The real bot on PostgreSQL, reached through a proxy
that can freeze (connections stay open, nothing comes back: a hung server)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from bot.error_handler import STORAGE_DOWN
from bot.sandbox.fake_discord import FakeInteraction
from bot.sandbox.harness import DEFAULT_GUILD_ID, Sandbox, final_answer, running_sandbox
from tests.services import fresh_postgres_database
from tests.tcp_faults import FreezableProxy

EPHEMERAL = 64
NEW_MEMBERS = range(210000000000000001, 210000000000000021)
LINKED_MEMBER = 220000000000000001


@pytest.fixture
async def database_url() -> AsyncIterator[str]:
    async with fresh_postgres_database("test_hung") as url:
        yield url


@pytest.fixture
async def proxy(database_url: str) -> AsyncIterator[FreezableProxy]:
    target_port = urlsplit(database_url).port
    assert target_port is not None
    running = FreezableProxy(target_port)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def sandbox(database_url: str, proxy: FreezableProxy) -> AsyncIterator[Sandbox]:
    user = urlsplit(database_url).username or "postgres"
    proxied = urlunsplit(urlsplit(database_url)._replace(netloc=f"{user}@127.0.0.1:{proxy.port}"))
    env = {"DATABASE_URL": proxied, "PROGRESS_COOLDOWN_SECONDS": "0", "STORAGE_TIMEOUT_SECONDS": "1"}
    async with running_sandbox(env=env) as running:
        yield running


async def first_callback(interaction: FakeInteraction) -> dict[str, Any]:
    event = await interaction.wait_for(lambda e: e.kind == "callback")
    body: dict[str, Any] = event.body
    return body


async def test_a_hung_database_silences_nothing(
    sandbox: Sandbox, proxy: FreezableProxy, caplog: pytest.LogCaptureFixture
) -> None:
    await final_answer(await sandbox.command("link", {"username": "MaxMilyin"}, user_id=LINKED_MEMBER))
    proxy.freeze()
    caplog.set_level(logging.WARNING)
    progress = [
        await sandbox.command("progress", {"user": "MaxMilyin", "games": "1,2"}, user_id=member)
        for member in NEW_MEMBERS
    ]
    compare = await sandbox.command("compare", {"games": "1", "users": "MaxMilyin, Scott"})
    link = await sandbox.command("link", {"username": "Scott"})
    unlink = await sandbox.command("unlink", user_id=LINKED_MEMBER)
    board = await sandbox.command("leaderboard", {"game": "1"})
    choices = await sandbox.autocomplete("progress", "user", user="Max", games="1")

    answers = await asyncio.gather(*(final_answer(i) for i in progress))
    assert [a["embeds"][0]["title"] for a in answers] == ["Progress on 2 games"] * len(progress)
    assert (await final_answer(compare))["embeds"][0]["title"] == "Comparing 2 players"
    for needs_storage in (link, unlink, board):
        answer = await final_answer(needs_storage)
        assert (answer["content"], answer["flags"] & EPHEMERAL) == (STORAGE_DOWN, EPHEMERAL)
    assert choices == []
    assert sandbox.discord.counts.expired == 0, "every interaction was answered within Discord's 3 s"

    proxy.thaw()
    relinked = await final_answer(await sandbox.command("link", {"username": "Scott"}))
    assert relinked["embeds"][0]["title"] == "Linked to Scott"
    again = await final_answer(await sandbox.command("leaderboard", {"game": "1"}, guild_id=DEFAULT_GUILD_ID))
    assert "MaxMilyin" in again["embeds"][0]["description"]
