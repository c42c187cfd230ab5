"""The command line as an operator meets it: --check against (fake) real services, --demo offline."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from bot.sandbox.fake_discord import FakeDiscord
from bot.sandbox.fake_ra import FakeRA, demo_dataset
from bot.sandbox.harness import SANDBOX_API_KEY, sandbox_env

REPO = Path(__file__).resolve().parent.parent


async def run_bot_command(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "RA_"))}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args,
        cwd=cwd, env={**base, "PYTHONPATH": str(REPO), **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode or 0, out.decode(), err.decode()


async def check_against_fakes(tmp_path: Path, key: str, token: str) -> tuple[int, str, str]:
    async with FakeRA(demo_dataset(), api_key=SANDBOX_API_KEY) as fake_ra:
        fake_discord = FakeDiscord()
        await fake_discord.start()
        try:
            env = {
                **sandbox_env(fake_discord, fake_ra, tmp_path / "data"),
                "DISCORD_TOKEN": token,
                "RA_API_KEY": key,
            }
            return await run_bot_command(["--check"], env, tmp_path)
        finally:
            await fake_discord.stop()


async def test_check_reports_what_works(tmp_path: Path) -> None:
    code, out, err = await check_against_fakes(tmp_path, SANDBOX_API_KEY, "fake-bot-token")
    assert code == 0, out + err
    lines = out.splitlines()
    assert lines[0] == "ok   RetroAchievements: the API key works (looked up MaxMilyin)"
    assert lines[1].startswith("ok   Discord: logged in as FakeBot")
    assert "scope=bot%20applications.commands" in lines[1]
    assert lines[2].startswith("ok   Storage: database at ")


async def test_check_names_what_fails_without_leaking_the_key(tmp_path: Path) -> None:
    wrong_key = "WrongKey0000000000000000000000zz"
    code, out, err = await check_against_fakes(tmp_path, wrong_key, "not-the-token")
    assert code == 1
    assert "FAIL RetroAchievements: The bot is misconfigured: RetroAchievements refused its API key." in out
    assert "FAIL Discord: DISCORD_TOKEN was refused" in out
    assert wrong_key not in out + err and "not-the-token" not in out + err


async def test_demo_runs_offline_and_shows_the_reply(tmp_path: Path) -> None:
    code, out, err = await run_bot_command(["--demo"], {}, tmp_path)
    assert code == 0, err
    assert "> /progress user:MaxMilyin games:1,2,3" in out
    assert "Softcore ██████████ 100% · 23/23 · 251/251 pts" in out
    assert "There is no RetroAchievements user named NoSuchPlayer" in out
    assert "Page 2/2" in out
    assert "RECENTLY PLAYED: 8 GAMES" in out  # /progress with nothing typed: the linked account's
    assert "Scott 🏁 SC" in out
    assert "Traceback" not in out + err


async def test_a_damaged_database_stops_the_bot_with_a_clear_message(tmp_path: Path) -> None:
    database = tmp_path / "data" / "bot.sqlite3"
    database.parent.mkdir()
    database.write_bytes(b"this is not a database" * 100)
    async with FakeRA(demo_dataset(), api_key=SANDBOX_API_KEY) as fake_ra:
        fake_discord = FakeDiscord()
        await fake_discord.start()
        try:
            env = sandbox_env(fake_discord, fake_ra, database.parent)
            code, _, err = await run_bot_command([], env, tmp_path)
        finally:
            await fake_discord.stop()
    assert code == 2
    last_line = err.strip().splitlines()[-1]
    assert last_line.startswith("Storage error: ") and str(database) in last_line
    assert "Traceback" not in err
    assert database.read_bytes() == b"this is not a database" * 100
