"""Storage calls while PostgreSQL hangs: how long each takes, how many fail, and what the log gets.

    .venv/bin/python -m bench.storage_outage_bench [--database-url URL] [--rate 80] [--outage 10]

The bot's storage (`open_storage`, default settings) reaches the PostgreSQL server at `--database-url`
(default: $TEST_DATABASE_URL) through a proxy on 127.0.0.1, in a fresh schema dropped afterwards. Calls
start at `--rate` per second without waiting for each other, cycling through what commands do:
recording a new member, reading a link, refreshing a name, listing a server's links. After 2 s the
proxy freezes for `--outage` seconds (bytes held, new connections never answered: a hung server), then
thaws; calls go on 10 s more. Printed, for the calls started before, during and after the outage: how
many, how many failed, p50 / p99 / max seconds; then the records logged at WARNING and above (count and
bytes, tracebacks included) and the storage's failure counter if it has one. It uses only the API that
`open_storage` has always had, so it also measures an older checkout (run it from there).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from bench.stats import percentile
from bot.storage import open_storage
from tests.tcp_faults import FreezableProxy

PHASES = ("before", "outage", "after")
GUILD = 1000


class Collecting(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def ulid(n: int) -> str:
    return f"01J{n:023d}"


async def run(url: str, rate: float, outage: float) -> None:
    schema = f"bench_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(url)
    await admin.execute(f'CREATE SCHEMA "{schema}"')
    port = urlsplit(url).port or 5432
    log_lines = Collecting()
    logging.getLogger().addHandler(log_lines)
    try:
        async with FreezableProxy(port) as proxy:
            parts = urlsplit(url)
            host = parts.netloc.rpartition(":")[0] if parts.port else parts.netloc
            query = f"{parts.query}&" if parts.query else ""
            proxied = parts._replace(netloc=f"{host}:{proxy.port}", query=f"{query}search_path={schema}")
            storage = open_storage(Path(tempfile.gettempdir()) / "unused.sqlite3", proxied.geturl())
            await storage.open()
            for user in range(50):
                await storage.link(user, ulid(user), f"player{user}", GUILD)
            calls: list[Callable[[int], Awaitable[object]]] = [
                lambda n: storage.record_member(GUILD, 10_000 + n),
                lambda n: storage.get_link(n % 50),
                lambda n: storage.refresh_name(ulid(n % 50), f"player{n % 50}"),
                lambda n: storage.guild_links(GUILD),
            ]
            loop = asyncio.get_running_loop()
            timings: dict[str, list[float]] = {phase: [] for phase in PHASES}
            failed: dict[str, int] = dict.fromkeys(PHASES, 0)

            async def call(n: int, phase: str) -> None:
                start = loop.time()
                try:
                    await calls[n % len(calls)](n)
                except Exception:
                    failed[phase] += 1
                timings[phase].append(loop.time() - start)

            tasks: list[asyncio.Task[None]] = []
            start = loop.time()
            n = 0
            for phase, seconds in zip(PHASES, (2.0, outage, 10.0), strict=True):
                if phase == "outage":
                    proxy.freeze()
                elif phase == "after":
                    proxy.thaw()
                until = loop.time() + seconds
                while loop.time() < until:
                    tasks.append(asyncio.create_task(call(n, phase)))
                    n += 1
                    await asyncio.sleep(max(0.0, start + n / rate - loop.time()))
            await asyncio.gather(*tasks)
            failures: Any = getattr(storage, "failures", "(none)")
            await storage.close()
    finally:
        logging.getLogger().removeHandler(log_lines)
        await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await admin.close()
    print(f"{n} calls at {rate:g}/s; PostgreSQL hung for {outage:g} s")
    print(f"{'started':>8} {'calls':>6} {'failed':>7} {'p50 s':>8} {'p99 s':>8} {'max s':>8}")
    for phase in PHASES:
        times = sorted(timings[phase])
        print(
            f"{phase:>8} {len(times):>6} {failed[phase]:>7} {percentile(times, 50):>8.3f} "
            f"{percentile(times, 99):>8.3f} {times[-1]:>8.3f}"
        )
    size = sum(len(line) + 1 for line in log_lines.lines)
    print(f"records logged at WARNING or above: {len(log_lines.lines)} ({size} bytes)")
    print(f"the storage's failure counter: {failures}")
    for line in log_lines.lines[:5]:
        print(f"  {line[:200]}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL", ""))
    parser.add_argument("--rate", type=float, default=80.0)
    parser.add_argument("--outage", type=float, default=10.0)
    args = parser.parse_args()
    if not args.database_url:
        parser.error("give --database-url or set TEST_DATABASE_URL (a server where a schema may be created)")
    asyncio.run(run(args.database_url, args.rate, args.outage))


if __name__ == "__main__":
    main()
