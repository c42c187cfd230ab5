"""The command line as an operator meets it: --check against (fake) real services, --demo offline."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

from bot.sandbox.fake_discord import FakeDiscord
from bot.sandbox.fake_ra import FakeRA, demo_dataset
from bot.sandbox.harness import SANDBOX_API_KEY, sandbox_env

REPO = Path(__file__).resolve().parent.parent


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def silent_server() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) but never answers: requests time out."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield int(sock.getsockname()[1])


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
    app = "https://discord.com/oauth2/authorize?client_id=100000000000000001"
    assert f"add it to a server: {app}&integration_type=0&scope=bot%20applications.commands ;" in lines[1]
    assert lines[1].endswith(
        f"or to a member's account (needs User Install, see the README): "
        f"{app}&integration_type=1&scope=applications.commands"
    )
    assert lines[2].startswith("ok   Storage: database at ")
    assert err == "", "no voice, intents or login chatter from discord.py"


async def test_check_names_what_fails_without_leaking_the_key(tmp_path: Path) -> None:
    wrong_key = "WrongKey0000000000000000000000zz"
    code, out, err = await check_against_fakes(tmp_path, wrong_key, "not-the-token")
    assert code == 1
    ra, discord_line = out.splitlines()[:2]
    assert re.fullmatch(
        r"FAIL RetroAchievements: http://127\.0\.0\.1:\d+/API/API_GetUserProfile\.php\?u=MaxMilyin answered "
        r"HTTP 401: RetroAchievements refused RA_API_KEY\. Copy the Web API Key from retroachievements\.org "
        r"\(Settings -> Keys\) into RA_API_KEY\.",
        ra,
    )
    assert re.fullmatch(
        r"FAIL Discord: http://127\.0\.0\.1:\d+/api/v10/users/@me answered HTTP 401: Discord refused "
        r"DISCORD_TOKEN\. Copy a fresh token .*",
        discord_line,
    )
    assert wrong_key not in out + err and "not-the-token" not in out + err
    assert err == ""


async def test_check_says_what_it_tried_and_why_it_failed(tmp_path: Path) -> None:
    closed = closed_port()
    with silent_server() as silent:
        env = {
            "DISCORD_TOKEN": "fake-bot-token",
            "RA_API_KEY": SANDBOX_API_KEY,
            "RA_BASE_URL": f"http://127.0.0.1:{silent}",
            "RA_TIMEOUT_SECONDS": "0.5",
            "DISCORD_API_URL": f"http://127.0.0.1:{closed}/api/v10",
            "DATA_DIR": str(tmp_path / "data"),
        }
        code, out, err = await run_bot_command(["--check"], env, tmp_path)
    assert code == 1
    ra, discord_line = out.splitlines()[:2]
    assert ra == (
        f"FAIL RetroAchievements: could not reach http://127.0.0.1:{silent}/API/API_GetUserProfile.php"
        "?u=MaxMilyin: no answer within 0.5 s (RA_TIMEOUT_SECONDS). Check this machine's internet access, "
        "DNS and firewall, and RA_BASE_URL."
    )
    assert discord_line.startswith(
        f"FAIL Discord: could not reach http://127.0.0.1:{closed}/api/v10/users/@me: connection refused. "
    )
    assert SANDBOX_API_KEY not in out + err and err == ""


async def test_check_recognises_an_html_page(tmp_path: Path) -> None:
    async with FakeRA(demo_dataset(), api_key=SANDBOX_API_KEY) as fake_ra:
        fake_ra.fail_next(None, "html200")
        env = {
            "DISCORD_TOKEN": "fake-bot-token",
            "RA_API_KEY": SANDBOX_API_KEY,
            "RA_BASE_URL": fake_ra.base_url,
            "DISCORD_API_URL": f"http://127.0.0.1:{closed_port()}/api/v10",
            "DATA_DIR": str(tmp_path / "data"),
        }
        code, out, _ = await run_bot_command(["--check"], env, tmp_path)
    assert code == 1
    assert out.splitlines()[0] == (
        f"FAIL RetroAchievements: {fake_ra.base_url}/API/API_GetUserProfile.php?u=MaxMilyin answered "
        "HTTP 200 with an HTML page instead of JSON: RA_BASE_URL may name the wrong server, or a proxy "
        "or a maintenance page is in the way. Try again later."
    )


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


async def test_every_bad_setting_gets_its_line_then_exit_2(tmp_path: Path) -> None:
    env = {
        "RA_API_KEY": SANDBOX_API_KEY,
        "RA_BASE_URL": "http://a..b",
        "MAX_GAMES": "51",
        "LOG_FORMAT": "xml",
        "METRICS_HOST": "metrics host",
    }
    code, out, err = await run_bot_command([], env, tmp_path)
    assert code == 2
    assert out == ""
    assert err.splitlines() == [
        "Configuration error: DISCORD_TOKEN is not set: copy your bot's token from the Discord Developer "
        "Portal (Applications -> your app -> Bot -> Reset Token) into .env.",
        "Configuration error: LOG_FORMAT is 'xml', which is not valid: use one of text, json.",
        "Configuration error: RA_BASE_URL is 'http://a..b', whose host is not a valid host name or IP "
        "address: use a URL starting with http:// or https:// (such as https://retroachievements.org).",
        "Configuration error: MAX_GAMES is '51', which is not valid: use a whole number from 1 to 50.",
        "Configuration error: METRICS_HOST is 'metrics host', which is not valid: "
        "use a host name or IP address.",
    ]
