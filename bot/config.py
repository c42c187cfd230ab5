"""Settings from the environment and `.env`: every bad setting reported at once, one line each.

What each setting accepts, its default and its help are declared once, in `bot.settings_spec`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from bot.errors import ConfigError
from bot.secret import Secret
from bot.settings_spec import SETTINGS, Invalid, Setting


@dataclass(frozen=True)
class Settings:
    """Everything the bot can be told: one field per declared setting, named as its variable in lower
    case. No defaults here: `settings_from_mapping` fills every field from the declaration. Secrets are
    wrapped so that no repr shows them."""

    discord_token: Secret
    ra_api_key: Secret
    ra_username: str | None
    discord_guild_id: int | None
    log_level: str
    log_format: str
    data_dir: Path
    database_path: Path | None
    # RetroAchievements client
    ra_base_url: str
    ra_timeout_seconds: float
    ra_max_retries: int
    ra_requests_per_second: float
    ra_burst: int
    ra_ids_per_request: int
    cache_game_seconds: float
    cache_profile_seconds: float
    cache_progress_seconds: float
    cache_leaderboard_seconds: float
    # Commands
    progress_cooldown_seconds: float
    max_games: int
    paginator_timeout_seconds: float
    # Several processes: shards, shared state, operations.
    shard_count: int | None
    shard_ids: tuple[int, ...] | None
    redis_url: Secret | None
    database_url: Secret | None
    metrics_port: int | None
    metrics_host: str
    shutdown_grace_seconds: float
    startup_retry_seconds: float
    storage_timeout_seconds: float
    redis_breaker_seconds: float
    # Upcoming features
    catalogue_refresh_hours: float
    feed_poll_seconds: float
    feed_catchup_hours: float
    # Where Discord is; only changed to run against the offline fake (tests, --demo, bench).
    discord_api_url: str | None
    discord_gateway_url: str | None

    @property
    def sqlite_path(self) -> Path:
        return self.database_path if self.database_path is not None else self.data_dir / "bot.sqlite3"


def load_settings(
    env: Mapping[str, str] | None = None, dotenv_path: str | os.PathLike[str] | None = ".env"
) -> Settings:
    """Read settings; the real environment wins over `.env`. Raises ConfigError naming each bad variable."""
    values: dict[str, str] = {}
    if dotenv_path is not None and Path(dotenv_path).is_file():
        values.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
    values.update(os.environ if env is None else env)
    return settings_from_mapping(values)


def settings_from_mapping(values: Mapping[str, str]) -> Settings:
    """Every declared setting from `values` (unset or blank: the default). Raises one ConfigError
    holding one message per bad setting."""
    fields: dict[str, Any] = {}
    problems: list[str] = []
    for setting in SETTINGS:
        try:
            fields[setting.field] = _read(setting, values.get(setting.env, ""))
        except _BadSetting as bad:
            problems.append(str(bad))
    if "shard_count" in fields and "shard_ids" in fields:
        problems += _shard_problems(fields["shard_count"], fields["shard_ids"])
    if problems:
        raise ConfigError(*problems)
    return Settings(**fields)


class _BadSetting(Exception):
    pass


def _read(setting: Setting, raw: str) -> Any:
    text = raw.strip()
    if not text:
        if setting.required:
            raise _BadSetting(f"{setting.env} is not set: {setting.help}.")
        return setting.default
    try:
        return setting.accepts.parse(text)
    except Invalid as invalid:
        raise _BadSetting(f"{setting.env} {invalid.problem}: {invalid.fix or setting.help}.") from None
    except ValueError:
        shown = "is not valid" if setting.secret else f"is {text!r}, which is not valid"
        raise _BadSetting(f"{setting.env} {shown}: {setting.help}.") from None


def _shard_problems(shard_count: int | None, shard_ids: tuple[int, ...] | None) -> list[str]:
    if shard_ids is None:
        return []
    if shard_count is None:
        return ["SHARD_IDS is set but SHARD_COUNT is not: set SHARD_COUNT to the total number of shards."]
    if max(shard_ids) >= shard_count:
        return [
            f"SHARD_IDS names shard {max(shard_ids)}, but SHARD_COUNT is {shard_count}: "
            f"shards are numbered 0 to {shard_count - 1}."
        ]
    return []
