"""What `/readyz` and the gateway gauges report: the shards this process runs, and its storage.

Ready means: every shard of this process is connected to the gateway and past its first READY, and
the storage answers a read within `STORAGE_PROBE_SECONDS`.
"""

from __future__ import annotations

import asyncio
import logging
import math
from typing import TYPE_CHECKING

from bot.storage import GuardedStorage, Storage

if TYPE_CHECKING:
    from bot.app import ProgressBot

log = logging.getLogger(__name__)

STORAGE_PROBE_SECONDS = 2.0


def expected_shards(bot: ProgressBot) -> list[int]:
    """The shards this process runs; empty while discord.py has not learnt the shard count yet."""
    if bot.shard_ids is not None:
        return list(bot.shard_ids)
    return list(range(bot.shard_count)) if bot.shard_count else []


def connected_shards(bot: ProgressBot) -> list[int]:
    connected = []
    for shard_id in expected_shards(bot):
        shard = bot.get_shard(shard_id)
        if shard is not None and not shard.is_closed():
            connected.append(shard_id)
    return connected


async def readiness_problems(bot: ProgressBot) -> list[str]:
    """One line per thing that keeps this process from serving; empty when ready."""
    problems = []
    if bot.draining or bot.is_closed():
        problems.append("shutting down")
    expected = expected_shards(bot)
    if not expected or not bot.is_ready():
        problems.append("gateway: not connected yet")
    else:
        connected = set(connected_shards(bot))
        problems += [f"gateway: shard {shard} not connected" for shard in expected if shard not in connected]
    storage: Storage | None = getattr(bot, "storage", None)
    if storage is None:
        problems.append("storage: not open yet")
    else:
        try:
            await asyncio.wait_for(storage.get_meta("readyz"), STORAGE_PROBE_SECONDS)
        except Exception as error:  # any failure means not ready; the reason goes in the answer
            problems.append(f"storage: not answering ({type(error).__name__})")
    return problems


async def refresh_gauges(bot: ProgressBot) -> None:
    """Brings the gateway, server and link gauges up to date (called before each scrape)."""
    metrics = bot.metrics
    metrics.shards_connected.set(len(connected_shards(bot)))
    for shard_id in expected_shards(bot):
        shard = bot.get_shard(shard_id)
        latency = shard.latency if shard is not None else math.nan
        metrics.gateway_latency.labels(str(shard_id)).set(latency if math.isfinite(latency) else math.nan)
    metrics.guilds.set(len(bot.guilds))
    storage: GuardedStorage | None = getattr(bot, "storage", None)
    if storage is None:
        return
    metrics.storage_state(storage.healthy, storage.failures)
    try:
        links = await asyncio.wait_for(storage.count_links(), STORAGE_PROBE_SECONDS)
    except Exception as error:  # a scrape must still answer; the gauge keeps its last value
        log.debug("Could not count linked members: %s", type(error).__name__)
        return
    metrics.linked_members.set(links)
