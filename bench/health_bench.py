"""Benchmark of the operator endpoints: what a Prometheus scrape (/metrics, which counts the linked
members) and a readiness probe (/readyz, which reads the database) cost on a big SQLite database.

    .venv/bin/python -m bench.health_bench [--links 100000] [--requests 200]

The real bot runs in this process against the fakes (`bot.sandbox.harness`); the links are written
straight into its SQLite file before it starts. Prints nearest-rank p50 / p99 seconds per request.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sqlite3
import tempfile
import time
from contextlib import closing
from pathlib import Path

import aiohttp

from bench.stats import percentile
from bot.sandbox.harness import running_sandbox
from bot.storage import SQLiteStorage


async def make_database(path: Path, links: int) -> None:
    storage = SQLiteStorage(path)
    await storage.open()  # creates the schema
    await storage.close()
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.executemany(
            "INSERT INTO links (discord_user_id, ra_ulid, ra_name, linked_at) VALUES (?, ?, ?, ?)",
            ((10**17 + n, f"{n:026d}", f"Player{n}", 1_700_000_000) for n in range(links)),
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def timed(http: aiohttp.ClientSession, url: str, count: int) -> list[float]:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        async with http.get(url) as response:
            await response.read()
            assert response.status == 200, (url, response.status)
        times.append(time.perf_counter() - started)
    return times


async def main(links: int, requests: int) -> None:
    with tempfile.TemporaryDirectory(prefix="ra-bot-bench-") as folder:
        data = Path(folder)
        await make_database(data / "bot.sqlite3", links)
        port = free_port()
        async with running_sandbox(data_dir=data, env={"METRICS_PORT": str(port)}) as sandbox:
            await asyncio.wait_for(sandbox.bot.wait_until_ready(), 10)
            async with aiohttp.ClientSession() as http:
                for path in ("/metrics", "/readyz", "/healthz"):
                    times = await timed(http, f"http://127.0.0.1:{port}{path}", requests)
                    print(
                        f"{path:9} {links:>8} links  p50 {percentile(times, 50) * 1000:7.2f} ms"
                        f"  p99 {percentile(times, 99) * 1000:7.2f} ms  ({requests} requests)"
                    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--links", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.links, arguments.requests))
