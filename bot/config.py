"""Settings from the environment and `.env`, with one clear error per bad setting."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from dotenv import dotenv_values

from bot.errors import ConfigError
from bot.secret import Secret

T = TypeVar("T")

DEFAULT_RA_BASE_URL = "https://retroachievements.org"
MAX_PAGINATOR_SECONDS = 840.0
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("text", "json")
_USERNAME = re.compile(r"^[A-Za-z0-9]{2,20}$")


@dataclass(frozen=True)
class Settings:
    """Everything the bot can be told. Secrets are wrapped so that no repr shows them."""

    discord_token: Secret
    ra_api_key: Secret
    ra_username: str | None = None
    ra_base_url: str = DEFAULT_RA_BASE_URL
    discord_guild_id: int | None = None
    log_level: str = "INFO"
    data_dir: Path = Path("data")
    database_path: Path | None = None
    # RetroAchievements client
    ra_timeout_seconds: float = 15.0
    ra_max_retries: int = 3
    ra_requests_per_second: float = 3.0
    ra_burst: int = 6
    ra_ids_per_request: int = 100
    cache_game_seconds: float = 6 * 3600.0
    cache_profile_seconds: float = 60.0
    cache_progress_seconds: float = 60.0
    cache_leaderboard_seconds: float = 900.0
    # Commands
    progress_cooldown_seconds: float = 5.0
    max_games: int = 50
    paginator_timeout_seconds: float = 300.0
    # Where Discord is; only changed to run against the offline fake (tests, --demo, bench).
    discord_api_url: str | None = None
    discord_gateway_url: str | None = None
    # Several processes: shards, shared state, operations.
    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None
    redis_url: Secret | None = None
    database_url: Secret | None = None
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"
    shutdown_grace_seconds: float = 20.0
    # Operations: log lines as text or one JSON object each; how long to wait for services at start.
    log_format: str = "text"
    startup_retry_seconds: float = 300.0

    @property
    def sqlite_path(self) -> Path:
        return self.database_path if self.database_path is not None else self.data_dir / "bot.sqlite3"


def load_settings(
    env: Mapping[str, str] | None = None, dotenv_path: str | os.PathLike[str] | None = ".env"
) -> Settings:
    """Read settings; the real environment wins over `.env`. Raises ConfigError naming the variable."""
    values: dict[str, str] = {}
    if dotenv_path is not None and Path(dotenv_path).is_file():
        values.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
    values.update(os.environ if env is None else env)
    return settings_from_mapping(values)


def settings_from_mapping(values: Mapping[str, str]) -> Settings:
    def get(name: str) -> str | None:
        raw = values.get(name)
        if raw is None:
            return None
        raw = raw.strip()
        return raw or None

    def read(name: str, parse: Callable[[str], T], default: T, hint: str) -> T:
        raw = get(name)
        if raw is None:
            return default
        try:
            return parse(raw)
        except ValueError:
            raise ConfigError(f"{name} is {raw!r}, which is not valid: {hint}.") from None

    token = get("DISCORD_TOKEN")
    if token is None:
        raise ConfigError(
            "DISCORD_TOKEN is not set: copy your bot's token from the Discord Developer Portal "
            "(Applications -> your app -> Bot -> Reset Token) into .env."
        )
    if any(c.isspace() for c in token):
        raise ConfigError("DISCORD_TOKEN contains spaces: paste the token alone, without quotes or 'Bot '.")
    key = get("RA_API_KEY")
    if key is None:
        raise ConfigError(
            "RA_API_KEY is not set: copy your web API key from retroachievements.org "
            "(Settings -> Keys -> Web API Key) into .env."
        )
    if not re.fullmatch(r"[A-Za-z0-9]{16,64}", key):
        raise ConfigError(
            "RA_API_KEY does not look like a RetroAchievements web API key (16-64 letters and digits)."
        )

    username = get("RA_USERNAME")
    if username is not None and not _USERNAME.match(username):
        raise ConfigError(
            f"RA_USERNAME is {username!r}: use your RetroAchievements name (2-20 letters and digits)."
        )

    base_url = read(
        "RA_BASE_URL", _http_url, DEFAULT_RA_BASE_URL, "use a URL such as https://retroachievements.org"
    )
    log_level = read("LOG_LEVEL", _log_level, "INFO", "use one of " + ", ".join(LOG_LEVELS))
    guild_id = read(
        "DISCORD_GUILD_ID", _snowflake, None, "use the server's numeric ID (Developer Mode -> Copy Server ID)"
    )
    data_dir = Path(get("DATA_DIR") or "data")
    db_path_raw = get("DATABASE_PATH")

    shard_count = read(
        "SHARD_COUNT", _int_between(1, 10_000), None, "use the total number of shards, 1 or more"
    )
    shard_ids = read("SHARD_IDS", _id_list, None, "use shard numbers separated by commas, such as 0,1")
    if shard_ids is not None:
        if shard_count is None:
            raise ConfigError(
                "SHARD_IDS is set but SHARD_COUNT is not: set SHARD_COUNT to the total number of shards."
            )
        if max(shard_ids) >= shard_count:
            raise ConfigError(
                f"SHARD_IDS names shard {max(shard_ids)}, but SHARD_COUNT is {shard_count}: "
                f"shards are numbered 0 to {shard_count - 1}."
            )

    def positive(name: str, default: float) -> float:
        return read(name, _positive_float, default, "use a number greater than 0")

    def count(name: str, default: int, low: int, high: int) -> int:
        return read(name, _int_between(low, high), default, f"use a whole number from {low} to {high}")

    return Settings(
        discord_token=Secret(token),
        ra_api_key=Secret(key),
        ra_username=username,
        ra_base_url=base_url,
        discord_guild_id=guild_id,
        log_level=log_level,
        data_dir=data_dir,
        database_path=Path(db_path_raw) if db_path_raw else None,
        ra_timeout_seconds=positive("RA_TIMEOUT_SECONDS", 15.0),
        ra_max_retries=count("RA_MAX_RETRIES", 3, 0, 10),
        ra_requests_per_second=positive("RA_REQUESTS_PER_SECOND", 3.0),
        ra_burst=count("RA_BURST", 6, 1, 100),
        ra_ids_per_request=count("RA_IDS_PER_REQUEST", 100, 1, 500),
        cache_game_seconds=positive("CACHE_GAME_SECONDS", 6 * 3600.0),
        cache_profile_seconds=positive("CACHE_PROFILE_SECONDS", 60.0),
        cache_progress_seconds=positive("CACHE_PROGRESS_SECONDS", 60.0),
        cache_leaderboard_seconds=positive("CACHE_LEADERBOARD_SECONDS", 900.0),
        progress_cooldown_seconds=read(
            "PROGRESS_COOLDOWN_SECONDS", _non_negative_float, 5.0, "use a number of seconds, 0 or more"
        ),
        max_games=count("MAX_GAMES", 50, 1, 50),
        paginator_timeout_seconds=read(
            "PAGINATOR_TIMEOUT_SECONDS",
            _float_between(1.0, MAX_PAGINATOR_SECONDS),
            300.0,
            f"use a number of seconds from 1 to {MAX_PAGINATOR_SECONDS:.0f} "
            "(Discord's answer tokens last 15 minutes)",
        ),
        discord_api_url=read("DISCORD_API_URL", _http_url, None, "use an http(s) URL"),
        discord_gateway_url=read("DISCORD_GATEWAY_URL", _ws_url, None, "use a ws(s) URL"),
        shard_count=shard_count,
        shard_ids=shard_ids,
        redis_url=_secret_url(get("REDIS_URL"), "REDIS_URL", ("redis://", "rediss://", "unix://")),
        database_url=_secret_url(get("DATABASE_URL"), "DATABASE_URL", ("postgresql://", "postgres://")),
        metrics_port=read("METRICS_PORT", _int_between(1, 65535), None, "use a port number from 1 to 65535"),
        metrics_host=get("METRICS_HOST") or "127.0.0.1",
        shutdown_grace_seconds=read(
            "SHUTDOWN_GRACE_SECONDS", _non_negative_float, 20.0, "use a number of seconds, 0 or more"
        ),
        log_format=read("LOG_FORMAT", _log_format, "text", "use text or json"),
        startup_retry_seconds=read(
            "STARTUP_RETRY_SECONDS", _non_negative_float, 300.0, "use a number of seconds, 0 or more"
        ),
    )


def _id_list(raw: str) -> tuple[int, ...]:
    parts = [part.strip() for part in raw.split(",")]
    if not parts or not all(part.isdigit() for part in parts):
        raise ValueError(raw)
    ids = tuple(dict.fromkeys(int(part) for part in parts))
    return ids


def _secret_url(raw: str | None, name: str, schemes: tuple[str, ...]) -> Secret | None:
    """URLs that may carry a password are kept as secrets; errors never echo them."""
    if raw is None:
        return None
    if not raw.startswith(schemes) or any(c.isspace() for c in raw):
        raise ConfigError(f"{name} is not valid: use a URL starting with {' or '.join(schemes)}.")
    return Secret(raw)


def _http_url(raw: str) -> str:
    if not re.fullmatch(r"https?://[^\s/]+(/[^\s]*)?", raw):
        raise ValueError(raw)
    return raw.rstrip("/")


def _ws_url(raw: str) -> str:
    if not re.fullmatch(r"wss?://[^\s/]+(/[^\s]*)?", raw):
        raise ValueError(raw)
    return raw


def _log_level(raw: str) -> str:
    level = raw.upper()
    if level not in LOG_LEVELS:
        raise ValueError(raw)
    return level


def _log_format(raw: str) -> str:
    log_format = raw.lower()
    if log_format not in LOG_FORMATS:
        raise ValueError(raw)
    return log_format


def _snowflake(raw: str) -> int:
    if not raw.isdigit() or not 15 <= len(raw) <= 21:
        raise ValueError(raw)
    return int(raw)


def _positive_float(raw: str) -> float:
    value = float(raw)
    if not value > 0 or value == float("inf"):
        raise ValueError(raw)
    return value


def _non_negative_float(raw: str) -> float:
    value = float(raw)
    if not value >= 0 or value == float("inf"):
        raise ValueError(raw)
    return value


def _float_between(low: float, high: float) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        value = float(raw)
        if not low <= value <= high:
            raise ValueError(raw)
        return value

    return parse


def _int_between(low: int, high: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        value = int(raw)
        if not low <= value <= high:
            raise ValueError(raw)
        return value

    return parse
