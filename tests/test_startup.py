"""Failures at start, as an operator meets them: `python -m bot` against closed ports, a port that never
answers, a name that does not resolve, TLS spoken to a plain server, a metrics port already taken.

Each ends in one line naming the service, its address and the cause, and the documented exit status,
after one log line per attempt; never a traceback.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import sys
from pathlib import Path

import pytest

from bot.sandbox.fake_discord import FakeDiscord
from bot.sandbox.fake_ra import FakeRA, demo_dataset
from bot.sandbox.harness import SANDBOX_API_KEY, sandbox_env
from bot.startup import EXIT_CONFIG, EXIT_UNREACHABLE
from tests.test_cli import REPO, closed_port, run_bot_command, silent_server

PG_PASSWORD = "StartupPgSecret1234"
ATTEMPT_LINE = re.compile(
    r".* WARNING  \[pid \d+ shard -\] bot\.startup: (?P<service>\w+ \([^)]*\)) is unreachable: "
    r"(?P<cause>[^;]+) \(attempt (?P<n>\d+)\); retrying in \d+\.\d s"
)


def base_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    return {
        "DISCORD_TOKEN": "fake-bot-token",
        "RA_API_KEY": SANDBOX_API_KEY,
        "DATA_DIR": str(tmp_path / "data"),
        "STARTUP_RETRY_SECONDS": "1.5",
        **settings,
    }


def assert_one_line_failure(err: str, expected_last: str) -> list[re.Match[str]]:
    """Every line but the last is one attempt; the last is the failure. Returns the attempts."""
    assert "Traceback" not in err, err
    *attempts, last = err.strip().splitlines()
    matches = [ATTEMPT_LINE.fullmatch(line) for line in attempts]
    assert all(matches), err
    assert last == expected_last, err
    found = [m for m in matches if m is not None]
    assert [int(m["n"]) for m in found] == list(range(1, len(found) + 1))
    return found


@pytest.mark.parametrize(
    ("url", "address", "cause"),
    [
        ("http://127.0.0.1:{closed}/api/v10", "127.0.0.1:{closed}", "connection refused"),
        (
            "http://no-such-host.invalid/api/v10",
            "no-such-host.invalid:80",
            "DNS lookup failed (no such host)",
        ),
        ("http://127.0.0.1:{silent}/api/v10", "127.0.0.1:{silent}", "timed out"),
    ],
    ids=["refused", "dns", "timeout"],
)
async def test_discord_unreachable_at_start(tmp_path: Path, url: str, address: str, cause: str) -> None:
    closed = closed_port()
    with silent_server() as silent:
        api = url.format(closed=closed, silent=silent)
        env = base_env(tmp_path, DISCORD_API_URL=api, DISCORD_GATEWAY_URL=f"ws://127.0.0.1:{closed}")
        code, out, err = await run_bot_command([], env, tmp_path)
    where = address.format(closed=closed, silent=silent)
    assert code == EXIT_UNREACHABLE
    attempts = assert_one_line_failure(
        err,
        f"Discord ({where}) is unreachable: {cause}. Gave up after 1.5 s (STARTUP_RETRY_SECONDS). "
        "Check DISCORD_API_URL.",
    )
    if cause != "timed out":  # a timed-out attempt may take the whole budget
        assert attempts, "each attempt before giving up is logged"
    assert all(m["service"] == f"Discord ({where})" and m["cause"] == cause for m in attempts)
    assert out == ""


async def test_tls_failure_to_discord_names_the_handshake(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:  # speaks plain HTTP
        env = base_env(tmp_path, DISCORD_API_URL=f"https://127.0.0.1:{fake.port}/api/v10")
        code, _, err = await run_bot_command([], env, tmp_path)
    assert code == EXIT_UNREACHABLE
    assert err.strip().splitlines()[-1] == (
        f"Discord (127.0.0.1:{fake.port}) is unreachable: TLS handshake failed. Gave up after 1.5 s "
        "(STARTUP_RETRY_SECONDS). Check DISCORD_API_URL."
    )
    assert "Traceback" not in err


async def test_discord_answering_again_within_the_budget_lets_the_bot_start(tmp_path: Path) -> None:
    async with FakeDiscord() as fake, FakeRA(demo_dataset(), api_key=SANDBOX_API_KEY) as fake_ra:
        fake.fail_next("GET", r"^/gateway$", 503, {"message": "upstream down"})
        env = {**sandbox_env(fake, fake_ra, tmp_path / "data"), "STARTUP_RETRY_SECONDS": "30"}
        code, _, err = await run_bot_command(["--sync-commands"], env, tmp_path)
    assert code == 0, err
    attempt = next(m for m in map(ATTEMPT_LINE.fullmatch, err.splitlines()) if m)
    assert (attempt["service"], attempt["cause"]) == (f"Discord (127.0.0.1:{fake.port})", "answered HTTP 503")
    assert f"Discord (127.0.0.1:{fake.port}) answers now (attempt 2)" in err


@pytest.mark.parametrize("service", ["PostgreSQL", "Redis"])
async def test_a_database_down_at_start_is_named_with_the_fix(tmp_path: Path, service: str) -> None:
    port = closed_port()
    if service == "PostgreSQL":
        setting = {"DATABASE_URL": f"postgresql://bot:{PG_PASSWORD}@127.0.0.1:{port}/bot"}
        advice = "Start PostgreSQL, or correct the host and port in DATABASE_URL."
    else:
        setting = {"REDIS_URL": f"redis://:{PG_PASSWORD}@127.0.0.1:{port}/0"}
        advice = "Start Redis, or correct REDIS_URL (unset it to run one process without Redis)."
    code, _, err = await run_bot_command([], base_env(tmp_path, **setting), tmp_path)
    assert code == EXIT_UNREACHABLE
    assert_one_line_failure(
        err,
        f"{service} (127.0.0.1:{port}) is unreachable: connection refused. Gave up after 1.5 s "
        f"(STARTUP_RETRY_SECONDS). {advice}",
    )
    assert PG_PASSWORD not in err


async def test_metrics_port_taken_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = int(taken.getsockname()[1])
        env = base_env(tmp_path, METRICS_PORT=str(port), DISCORD_API_URL=f"http://127.0.0.1:{closed_port()}")
        code, out, err = await run_bot_command([], env, tmp_path)
    assert code == EXIT_CONFIG
    assert err.strip().splitlines() == [
        f"METRICS_PORT {port} on 127.0.0.1 is already in use by another program: choose a free port for "
        "METRICS_PORT, or stop that program."
    ]
    assert out == ""


async def test_no_retry_budget_means_one_attempt(tmp_path: Path) -> None:
    port = closed_port()
    env = base_env(tmp_path, STARTUP_RETRY_SECONDS="0", DISCORD_API_URL=f"http://127.0.0.1:{port}")
    code, _, err = await run_bot_command([], env, tmp_path)
    assert code == EXIT_UNREACHABLE
    assert err.strip().splitlines() == [
        f"Discord (127.0.0.1:{port}) is unreachable: connection refused. Gave up after 0 s "
        "(STARTUP_RETRY_SECONDS). Check DISCORD_API_URL."
    ]


async def test_with_json_logs_the_failure_is_a_json_line_too(tmp_path: Path) -> None:
    port = closed_port()
    env = base_env(tmp_path, LOG_FORMAT="json", DISCORD_API_URL=f"http://127.0.0.1:{port}")
    code, _, err = await run_bot_command([], env, tmp_path)
    assert code == EXIT_UNREACHABLE
    entries = [json.loads(line) for line in err.splitlines()]
    *attempts, last = entries
    assert attempts and all(e["level"] == "WARNING" and e["logger"] == "bot.startup" for e in attempts)
    assert (last["level"], last["logger"]) == ("CRITICAL", "bot")
    assert last["message"].startswith(f"Discord (127.0.0.1:{port}) is unreachable: connection refused.")


def gateway_answer(url: str) -> dict[str, object]:
    limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
    return {"url": url, "shards": 1, "session_start_limit": limit}


async def test_the_gateway_unreachable_after_login_is_one_line_too(tmp_path: Path) -> None:
    port = closed_port()
    async with FakeDiscord() as fake, FakeRA(demo_dataset(), api_key=SANDBOX_API_KEY) as fake_ra:
        fake.fail_next("GET", r"^/gateway/bot$", 200, gateway_answer(f"ws://127.0.0.1:{port}"))
        env = {**sandbox_env(fake, fake_ra, tmp_path / "data"), "STARTUP_RETRY_SECONDS": "1.5"}
        code, _, err = await run_bot_command([], env, tmp_path)
    assert code == EXIT_UNREACHABLE
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        f"Discord's gateway (127.0.0.1:{port}) is unreachable: connection refused. Gave up after 1.5 s "
        "(STARTUP_RETRY_SECONDS). Check this machine's DNS and firewall (outgoing connections to "
        "gateway.discord.gg:443)."
    )


async def test_a_gateway_failing_later_logs_one_line_per_retry_and_sigterm_still_stops_the_bot(
    tmp_path: Path,
) -> None:
    async def hang_up(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()  # accepts the TCP connection (so the check at start passes), then no websocket

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    log_path = tmp_path / "bot.log"
    async with server, FakeDiscord() as fake, FakeRA(demo_dataset(), api_key=SANDBOX_API_KEY) as fake_ra:
        # Asked twice: by the check before connecting, and by discord.py to connect.
        fake.fail_next("GET", r"^/gateway/bot$", 200, gateway_answer(f"ws://127.0.0.1:{port}"), times=2)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "RA_"))},
            **sandbox_env(fake, fake_ra, tmp_path / "data"),
            "PYTHONPATH": str(REPO),
        }
        with log_path.open("wb") as log_file:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", cwd=tmp_path, env=env,
                stdout=log_file, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
        try:
            for _ in range(1500):
                if "Discord's gateway is unreachable for shard 0" in log_path.read_text():
                    break
                await asyncio.sleep(0.02)
            process.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(process.wait(), 15)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    log = log_path.read_text()
    assert code == 0, log
    assert "Traceback" not in log
    retry = next(line for line in log.splitlines() if "Discord's gateway is unreachable" in line)
    assert retry.endswith(
        "discord.shard: Discord's gateway is unreachable for shard 0: the connection was closed by the "
        "other side; discord.py retries in 5 s"
    ), retry
