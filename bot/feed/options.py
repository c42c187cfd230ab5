"""The feed's settings: FEED_POLL_SECONDS (default 60, at least 1) and FEED_CATCHUP_HOURS (default 24).

They belong on `Settings` (as `feed_poll_seconds` and `feed_catchup_hours`), which another change
declares. Until then they are read here from the process environment, with the same rules.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass

from bot.config import Settings
from bot.errors import ConfigError

DEFAULT_POLL_SECONDS = 60.0
DEFAULT_CATCHUP_HOURS = 24.0


@dataclass(frozen=True)
class FeedOptions:
    poll_seconds: float = DEFAULT_POLL_SECONDS
    catchup_hours: float = DEFAULT_CATCHUP_HOURS


def feed_options(settings: Settings, environ: Mapping[str, str] | None = None) -> FeedOptions:
    """The feed's settings from `settings` when it has them, else from the environment."""
    env = os.environ if environ is None else environ
    poll = getattr(settings, "feed_poll_seconds", None)
    catchup = getattr(settings, "feed_catchup_hours", None)
    return FeedOptions(
        poll_seconds=float(poll)
        if poll is not None
        else _number(env, "FEED_POLL_SECONDS", DEFAULT_POLL_SECONDS, 1.0),
        catchup_hours=(
            float(catchup)
            if catchup is not None
            else _number(env, "FEED_CATCHUP_HOURS", DEFAULT_CATCHUP_HOURS, None)
        ),
    )


def _number(env: Mapping[str, str], name: str, default: float, low: float | None) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or (value < low if low is not None else value <= 0):
        rule = f"at least {low:g}" if low is not None else "greater than 0"
        raise ConfigError(
            f"{name} must be a number of {'seconds' if 'SECONDS' in name else 'hours'}, {rule} (got {raw!r})."
        )
    return value
