"""The real bot, started through its real startup code, against the fake Discord and fake RetroAchievements.

Used by the end-to-end tests, by `python -m bot --demo` and by the benchmarks.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord
import discord.gateway
import discord.http

from bot.app import ProgressBot, create_bot, run_bot
from bot.config import Settings, settings_from_mapping
from bot.sandbox.fake_discord import FakeDiscord, FakeInteraction
from bot.sandbox.fake_ra import Dataset, FakeRA, RecordedRARequest, demo_dataset

SANDBOX_API_KEY = "SandboxKey00000000000000000000ab"
DEFAULT_MEMBER_ID = 200000000000000001
DEFAULT_GUILD_ID = 300000000000000001
# Initial responses after which the member's answer is on screen.
_SETTLING_RESPONSES = {
    discord.InteractionResponseType.channel_message.value,
    discord.InteractionResponseType.message_update.value,
    discord.InteractionResponseType.autocomplete_result.value,
}


@dataclass
class Sandbox:
    discord: FakeDiscord
    ra: FakeRA
    bot: ProgressBot
    settings: Settings
    #: What the bot asked RetroAchievements for before the sandbox was handed over (the catalogue's
    #: first fill); `ra.requests` starts empty, so that it holds only what the test's commands cause.
    startup_requests: list[RecordedRARequest] = field(default_factory=list)

    async def command(
        self,
        name: str,
        options: Mapping[str, str] | None = None,
        *,
        user_id: int = DEFAULT_MEMBER_ID,
        guild_id: int | None = DEFAULT_GUILD_ID,
        member_name: str = "member",
        locale: str = "en-US",
        guild_locale: str = "en-US",
        **more_options: str,
    ) -> FakeInteraction:
        """Sends a slash command whose options are all strings, as a member would type it; `locale` is the
        member's Discord language, `guild_locale` the server's."""
        payload = self.discord.slash_payload(
            name,
            string_options({**(options or {}), **more_options}),
            user_id=user_id,
            username=member_name,
            guild_id=guild_id,
            locale=locale,
            guild_locale=guild_locale,
        )
        return await self.discord.send_interaction(payload)

    async def ask(self, name: str, options: Mapping[str, str] | None = None, **kwargs: Any) -> dict[str, Any]:
        """Sends a command and returns the message the member ends up seeing."""
        interaction = await self.command(name, options, **kwargs)
        return await final_answer(interaction)

    async def autocomplete(
        self,
        name: str,
        focused: str,
        *,
        user_id: int = DEFAULT_MEMBER_ID,
        guild_id: int | None = DEFAULT_GUILD_ID,
        locale: str = "en-US",
        **options: str,
    ) -> list[dict[str, Any]]:
        payload = self.discord.autocomplete_payload(
            name, string_options(options), focused=focused, user_id=user_id, guild_id=guild_id, locale=locale
        )
        interaction = await self.discord.send_interaction(payload)
        event = await interaction.wait_for(lambda e: e.kind == "callback")
        choices: list[dict[str, Any]] = event.body["data"]["choices"]
        return choices

    async def click(
        self, message: dict[str, Any], label: str, *, user_id: int = DEFAULT_MEMBER_ID, locale: str = "en-US"
    ) -> FakeInteraction:
        """Presses the button with this label on a message the fake holds."""
        custom_id = button_id(message, label)
        payload = self.discord.component_payload(
            self.discord.messages[message["id"]], custom_id, user_id=user_id, locale=locale
        )
        return await self.discord.send_interaction(payload)

    async def click_custom_id(
        self,
        custom_id: str,
        *,
        message_id: int | str | None = None,
        user_id: int = DEFAULT_MEMBER_ID,
        guild_id: int | None = DEFAULT_GUILD_ID,
        locale: str = "en-US",
    ) -> FakeInteraction:
        """Presses a button with any custom_id, on any message: say, one sent before a restart."""
        payload = self.discord.click_payload(
            custom_id, message_id=message_id, user_id=user_id, guild_id=guild_id, locale=locale
        )
        return await self.discord.send_interaction(payload)


def string_options(options: Mapping[str, str]) -> list[dict[str, Any]]:
    return [{"name": key, "type": 3, "value": value} for key, value in options.items()]


def button_id(message: dict[str, Any], label: str) -> str:
    for row in message.get("components", []):
        for component in row.get("components", []):
            if component.get("label") == label:
                return str(component["custom_id"])
    raise LookupError(f"no button labelled {label!r}")


async def final_answer(interaction: FakeInteraction, wait_seconds: float = 10.0) -> dict[str, Any]:
    """The message a member ends up seeing: a reply, an error followup, or an edit that shows embeds."""

    def settled(event: Any) -> bool:
        if event.kind == "callback":
            return bool(event.body.get("type") in _SETTLING_RESPONSES)
        if event.kind == "followup":
            return True
        return event.kind == "edit_original" and bool(event.body.get("embeds"))

    await interaction.wait_for(settled, timeout=wait_seconds)
    if interaction.followups:
        return interaction.followups[-1]
    if interaction.original is not None:
        return interaction.original
    callback = next(e for e in reversed(interaction.events) if e.kind == "callback")
    data: dict[str, Any] = callback.body.get("data", {})
    return data


def sandbox_env(fake_discord: FakeDiscord, fake_ra: FakeRA, data_dir: Path | str) -> dict[str, str]:
    """The settings that point a bot at these fakes, as environment variables."""
    return {
        "DISCORD_TOKEN": fake_discord.bot_token,
        "RA_API_KEY": SANDBOX_API_KEY,
        "RA_BASE_URL": fake_ra.base_url,
        "DISCORD_API_URL": fake_discord.api_url,
        "DISCORD_GATEWAY_URL": fake_discord.gateway_url,
        "DATA_DIR": str(data_dir),
    }


@contextlib.asynccontextmanager
async def running_sandbox(
    dataset: Dataset | None = None,
    *,
    data_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
    ra_delay: float = 0.0,
    prepare: Callable[[FakeRA], None] | None = None,
    wait_for_catalogue: bool = True,
) -> AsyncIterator[Sandbox]:
    """Starts both fakes and the bot; stops all three and restores discord.py's addresses afterwards.

    `prepare` is called with the fake RetroAchievements before the bot starts (to make it fail, say).
    With `wait_for_catalogue`, the sandbox is handed over once the bot's first catalogue pass is done."""
    saved = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    fake_ra = FakeRA(dataset or demo_dataset(), api_key=SANDBOX_API_KEY, delay=ra_delay)
    if prepare is not None:
        prepare(fake_ra)
    fake_discord = FakeDiscord()
    with contextlib.ExitStack() as stack:
        folder = data_dir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ra-bot-")))
        await fake_ra.start()
        await fake_discord.start()
        try:
            settings = settings_from_mapping(
                {
                    **sandbox_env(fake_discord, fake_ra, folder),
                    "RA_REQUESTS_PER_SECOND": "1000",
                    "RA_BURST": "100",
                    **(env or {}),
                }
            )
            bot = create_bot(settings, guild_ready_timeout=0.01)
            task = asyncio.create_task(run_bot(settings, bot))
            await _until_ready(fake_discord, task)
            startup = await _after_start_up(bot, fake_ra, wait_for_catalogue)
            try:
                yield Sandbox(
                    discord=fake_discord, ra=fake_ra, bot=bot, settings=settings, startup_requests=startup
                )
            finally:
                await bot.close()
                await task
        finally:
            await fake_discord.stop()
            await fake_ra.stop()
            discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved


async def _after_start_up(
    bot: ProgressBot, fake_ra: FakeRA, wait_for_catalogue: bool
) -> list[RecordedRARequest]:
    """Waits for the bot's own calls at start (the RetroAchievements key check, and the catalogue's first
    pass unless told not to) and hands them back, so that tests see only the requests their commands
    cause."""
    if bot.ra_key_check is not None:
        await bot.ra_key_check
    if wait_for_catalogue:
        await asyncio.wait_for(bot.catalogue_refresher.first_pass.wait(), timeout=120.0)
    startup, fake_ra.requests = fake_ra.requests, []
    return startup


async def _until_ready(fake_discord: FakeDiscord, bot_task: asyncio.Task[None]) -> None:
    ready = asyncio.create_task(fake_discord.wait_until_ready(timeout=10.0))
    done, _ = await asyncio.wait({ready, bot_task}, return_when=asyncio.FIRST_COMPLETED)
    if bot_task in done:
        ready.cancel()
        bot_task.result()
        raise RuntimeError("the bot stopped before it was ready")
    ready.result()
