"""Chooses the engines from the settings: in-memory or Redis behind the RetroAchievements client."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import __version__
from bot.config import Settings
from bot.errors import ConfigError
from bot.ra.backends import RAObserver
from bot.ra.client import RAClient, RAClientOptions
from bot.settings_spec import SETTINGS

if TYPE_CHECKING:
    from redis.asyncio import Redis

USER_AGENT = f"RAProgressBot/{__version__} (Discord bot; python-aiohttp)"


async def open_ra_client(settings: Settings, observer: RAObserver) -> tuple[RAClient, Redis | None]:
    """In-memory cache and rate limit by default; shared through Redis by all processes with REDIS_URL.

    Returns the Redis connection too: the caller closes it after the client.
    """
    options = ra_options(settings)
    if settings.redis_url is None:
        return RAClient(options, observer=observer), None
    try:
        from bot.ra.redis_backend import RedisBreaker, RedisRateLimiter, RedisResponseStore, connect_redis
    except ImportError:
        raise ConfigError(
            "REDIS_URL is set, but the redis package is not installed: pip install 'ra-progress-bot[scale]'."
        ) from None
    redis = await connect_redis(settings.redis_url.reveal())
    breaker = RedisBreaker(redis, breaker_seconds=settings.redis_breaker_seconds)  # one for store and limiter
    client = RAClient(
        options,
        store=RedisResponseStore(redis, breaker=breaker),
        limiter=RedisRateLimiter(
            redis, rate=options.requests_per_second, burst=options.burst, breaker=breaker
        ),
        observer=observer,
    )
    return client, redis


def ra_options(settings: Settings) -> RAClientOptions:
    """The client's options: the value of every setting declared with a `client_option`."""
    declared = {s.client_option: getattr(settings, s.field) for s in SETTINGS if s.client_option}
    return RAClientOptions(**declared, user_agent=USER_AGENT)
