"""Chooses the engines from the settings: in-memory or Redis behind the RetroAchievements client."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import __version__
from bot.config import Settings
from bot.errors import ConfigError
from bot.ra.backends import RAObserver
from bot.ra.client import RAClient, RAClientOptions

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
        from bot.ra.redis_backend import RedisRateLimiter, RedisResponseStore, connect_redis
    except ImportError:
        raise ConfigError(
            "REDIS_URL is set, but the redis package is not installed: pip install 'ra-progress-bot[scale]'."
        ) from None
    redis = await connect_redis(settings.redis_url.reveal())
    client = RAClient(
        options,
        store=RedisResponseStore(redis),
        limiter=RedisRateLimiter(redis, rate=settings.ra_requests_per_second, burst=settings.ra_burst),
        observer=observer,
    )
    return client, redis


def ra_options(settings: Settings) -> RAClientOptions:
    return RAClientOptions(
        base_url=settings.ra_base_url,
        api_key=settings.ra_api_key,
        username=settings.ra_username,
        timeout_seconds=settings.ra_timeout_seconds,
        max_retries=settings.ra_max_retries,
        requests_per_second=settings.ra_requests_per_second,
        burst=settings.ra_burst,
        ids_per_request=settings.ra_ids_per_request,
        cache_game_seconds=settings.cache_game_seconds,
        cache_profile_seconds=settings.cache_profile_seconds,
        cache_progress_seconds=settings.cache_progress_seconds,
        user_agent=USER_AGENT,
    )
