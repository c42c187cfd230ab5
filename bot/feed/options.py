"""The feed's settings, from `Settings`: FEED_POLL_SECONDS (default 60, at least 1) and FEED_CATCHUP_HOURS
(default 24), declared with every other setting in `bot.settings_spec` (so `.env` and `--check` know them)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings

DEFAULT_POLL_SECONDS = 60.0
DEFAULT_CATCHUP_HOURS = 24.0


@dataclass(frozen=True)
class FeedOptions:
    poll_seconds: float = DEFAULT_POLL_SECONDS
    catchup_hours: float = DEFAULT_CATCHUP_HOURS


def feed_options(settings: Settings) -> FeedOptions:
    return FeedOptions(poll_seconds=settings.feed_poll_seconds, catchup_hours=settings.feed_catchup_hours)
