"""Settings: one clear line per bad setting, the environment wins over .env, secrets never shown."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import load_settings, settings_from_mapping
from bot.errors import ConfigError
from bot.logs import RedactingFilter
from bot.secret import Secret

KEY = "ConfigTestKey000000000000000000a"
GOOD = {"DISCORD_TOKEN": "token.part.two", "RA_API_KEY": KEY}


def test_minimal_settings_and_defaults() -> None:
    settings = settings_from_mapping(GOOD)
    assert settings.ra_base_url == "https://retroachievements.org"
    assert settings.discord_guild_id is None and settings.ra_username is None
    assert settings.sqlite_path == Path("data/bot.sqlite3")
    assert KEY not in repr(settings) and "token.part.two" not in repr(settings)
    assert f"{settings.ra_api_key}" == "Secret('********')"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"DISCORD_TOKEN": ""}, "DISCORD_TOKEN is not set"),
        ({"RA_API_KEY": ""}, "RA_API_KEY is not set"),
        ({"RA_API_KEY": "short"}, "RA_API_KEY does not look like"),
        ({"RA_USERNAME": "bad name"}, "RA_USERNAME is 'bad name'"),
        ({"DISCORD_GUILD_ID": "my server"}, "DISCORD_GUILD_ID is 'my server'"),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL is 'loud', which is not valid: use one of DEBUG"),
        ({"RA_BASE_URL": "retroachievements.org"}, "RA_BASE_URL is"),
        ({"RA_REQUESTS_PER_SECOND": "0"}, "RA_REQUESTS_PER_SECOND is '0'"),
        ({"MAX_GAMES": "51"}, "MAX_GAMES is '51', which is not valid: use a whole number from 1 to 50"),
        ({"PAGINATOR_TIMEOUT_SECONDS": "1000"}, "PAGINATOR_TIMEOUT_SECONDS is '1000'"),
    ],
)
def test_bad_settings_name_the_variable(changes: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        settings_from_mapping({**GOOD, **changes})


def test_environment_wins_over_dotenv(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(f"DISCORD_TOKEN=from-file\nRA_API_KEY={KEY}\nLOG_LEVEL=DEBUG\n")
    settings = load_settings({"DISCORD_TOKEN": "from-env"}, dotenv)
    assert settings.discord_token.reveal() == "from-env"
    assert settings.log_level == "DEBUG"


def test_missing_setting_stops_the_bot_with_one_line_and_status_2(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISCORD_TOKEN", "RA_API_KEY")}
    run = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env={**env, "RA_API_KEY": KEY, "PYTHONPATH": os.getcwd()},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr.strip().count("\n") == 0
    assert run.stderr.startswith("Configuration error: DISCORD_TOKEN is not set")


def test_log_filter_redacts_secrets_from_messages_and_tracebacks() -> None:
    redactor = RedactingFilter([Secret(KEY)])
    try:
        raise ValueError(f"bad url ?y={KEY}")
    except ValueError:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "GET %s", (f"/API?y={KEY}",), sys.exc_info()
        )
    redactor.filter(record)
    assert KEY not in record.getMessage() and KEY not in (record.exc_text or "")
    assert "********" in record.getMessage()
