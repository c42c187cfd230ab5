"""`python -m bot --demo`: the real bot, offline, answering a few commands as a member would see them."""

from __future__ import annotations

import logging
from typing import Any

from bot.sandbox.harness import Sandbox, final_answer, running_sandbox
from bot.sandbox.terminal import render_message

SCRIPT: list[tuple[str, dict[str, str]]] = [
    ("progress", {"user": "MaxMilyin", "games": "1,2,3"}),
    ("progress", {"user": "MaxMilyin", "games": "4 15934 https://retroachievements.org/game/2"}),
    ("progress", {"user": "NoSuchPlayer", "games": "1"}),
    ("progress", {"user": "MaxMilyin", "games": "1, abc"}),
    ("link", {"username": "maxmilyin"}),
    ("progress", {}),
    ("compare", {"games": "2,12", "users": "Scott"}),
    ("compare", {"games": "1,2", "users": "MaxMilyin, Scott, NoSuchPlayer"}),
    ("leaderboard", {"game": "2"}),
]


def _show(command: str, options: dict[str, str], message: dict[str, Any]) -> None:
    typed = " ".join(f"{key}:{value}" for key, value in options.items())
    print(f"\n> /{command} {typed}")
    print(render_message(message))


async def _paginated(sandbox: Sandbox) -> None:
    options = {"user": "MaxMilyin", "games": " ".join(str(i) for i in range(1, 13))}
    interaction = await sandbox.command("progress", options)
    message = await final_answer(interaction)
    _show("progress", options, message)
    click = await sandbox.click(message, "Next")
    page_two = await click.wait_for(lambda e: e.kind == "callback")
    print("\n(pressing Next)")
    print(render_message(page_two.body["data"]))


async def run_demo() -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    print("Offline demo: the real bot against a fake Discord and a fake RetroAchievements on 127.0.0.1.")
    async with running_sandbox(env={"PROGRESS_COOLDOWN_SECONDS": "0"}) as sandbox:
        for command, options in SCRIPT:
            _show(command, options, await sandbox.ask(command, options))
        await _paginated(sandbox)
    print("\nThat was the bot answering real interactions offline. See README.md to run it for real.")
    return 0
