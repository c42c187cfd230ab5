"""Cache lookups while Redis hangs: how long each waits, and what the log gets.

    .venv/bin/python -m bench.redis_hang_bench [--redis-url URL] [--rate 80] [--hang 10] [--keys 50]

A Redis cache (`RedisResponseStore`, the bot's default settings) reaches the Redis at `--redis-url`
(default: $TEST_REDIS_URL, else redis://127.0.0.1:6390/0) through a proxy on 127.0.0.1. Lookups of
`--keys` keys, all already in Redis, start at `--rate` per second without waiting for each other.
After 2 s the proxy freezes (every byte held, new connections never answered: a hung Redis) for
`--hang` seconds, then thaws; lookups go on 2 s more. Printed: p50 / p99 / max seconds per lookup
started before, during and after the hang, and the warnings logged. Uses only the API that the bot
has had since Redis support, so the same file measures an older checkout (run it from there).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import uuid
from typing import Any

from bench.stats import percentile
from bot.ra.redis_backend import RedisResponseStore, connect_redis
from tests.tcp_faults import FreezableProxy

PHASES = ("before", "hung", "after")


class Plain:
    def dump(self, value: object) -> Any:
        return value

    def load(self, data: Any) -> object:
        return data


class Counting(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


async def run(url: str, rate: float, hang: float, keys: int) -> None:
    port = int(url.rsplit(":", 1)[1].split("/", 1)[0])
    log_lines = Counting()
    logging.getLogger("bot").addHandler(log_lines)
    namespace = f"bench:{uuid.uuid4().hex}:"
    codec = Plain()
    async with FreezableProxy(port) as proxy:
        redis = await connect_redis(f"redis://127.0.0.1:{proxy.port}/0")
        store = RedisResponseStore(redis, namespace=namespace)

        async def value() -> object:
            return "loaded"

        for key in range(keys):
            await store.get_or_load(f"k{key}", value, 3600, codec)
        loop = asyncio.get_running_loop()
        timings: dict[str, list[float]] = {phase: [] for phase in PHASES}

        async def lookup(n: int, phase: str) -> None:
            start = loop.time()
            await store.get_or_load(f"k{n % keys}", value, 3600, codec)
            timings[phase].append(loop.time() - start)

        tasks: list[asyncio.Task[None]] = []
        start = loop.time()
        n = 0
        for phase, seconds in zip(PHASES, (2.0, hang, 2.0), strict=True):
            if phase == "hung":
                proxy.freeze()
            elif phase == "after":
                proxy.thaw()
            until = loop.time() + seconds
            while loop.time() < until:
                tasks.append(asyncio.create_task(lookup(n, phase)))
                n += 1
                await asyncio.sleep(max(0.0, start + n / rate - loop.time()))
        await asyncio.gather(*tasks)
        await store.close()
        keys_left = [key async for key in redis.scan_iter(match=namespace + "*", count=1000)]
        if keys_left:
            await redis.delete(*keys_left)
        await redis.aclose()
    print(f"{n} lookups at {rate:g}/s; Redis hung for {hang:g} s")
    print(f"{'started':>8} {'lookups':>8} {'p50 s':>8} {'p99 s':>8} {'max s':>8}")
    for phase in PHASES:
        times = sorted(timings[phase])
        print(
            f"{phase:>8} {len(times):>8} {percentile(times, 50):>8.3f} {percentile(times, 99):>8.3f} "
            f"{times[-1]:>8.3f}"
        )
    size = sum(len(line) + 1 for line in log_lines.lines)
    print(f"warnings logged: {len(log_lines.lines)} ({size} bytes)")
    for line in log_lines.lines:
        print(f"  {line[:160]}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--redis-url", default=os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6390/0"))
    parser.add_argument("--rate", type=float, default=80.0)
    parser.add_argument("--hang", type=float, default=10.0)
    parser.add_argument("--keys", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(run(args.redis_url, args.rate, args.hang, args.keys))


if __name__ == "__main__":
    main()
