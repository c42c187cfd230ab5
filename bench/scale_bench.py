"""Benchmark of scaling out: one bot process against two (shards 0 and 1 of 2), with and without Redis.

What is measured
    Four scenarios, each with fresh processes and empty caches:
      1 process, no Redis     the bot alone, unsharded, in-memory cache and rate limit
      1 process, Redis        the same, with the cache, single flight and rate limit in Redis
      2 processes, no Redis   SHARD_COUNT=2, SHARD_IDS=0 / 1: each process has its OWN cache and its
                              OWN rate limit, so the RetroAchievements key is spent by both: up to
                              twice the configured rate, and identical commands load twice
      2 processes, Redis      both share one cache, one single flight and one rate limit
    Each scenario sends three kinds of round through ONE fake Discord (interactions are routed to the
    shard that owns their guild: members are spread over many guilds) to the real bot(s):
      cold      `--commands` identical `/progress user:MaxMilyin games:1,2,3` all at once, caches empty
      warm      the same again, `--warm-rounds` times (cache hits: the bots' own throughput)
      uncached  `--uncached` commands with as many different game lists, all at once: every one needs
                an upstream request, so the rate limit paces them (default 10/s, burst 2)
    Figures per round: commands/s (commands / wall time from first send to last answer), p50 / p99
    latency (send to final answer, nearest rank), upstream requests (API_GetUserProgress / all) and
    the most upstream requests the fake RetroAchievements received within any one second, against the
    configured limit (rate + burst: the most a shared limit allows in a second).

How
    The fakes run in their own process (`bench.scale_bench --fake-host`: `bench._fake_host.FakeHost`
    with one FakeDiscord, plus a routed burst); each bot runs alone in its process
    (`bench._bot_host real`, settings from the environment); this process orchestrates over
    `bench._ipc`. Each bot process has its own SQLite database (DATA_DIR): storage is not what is
    measured here (pass `--env DATABASE_URL=...` to share a PostgreSQL database instead).
    Redis: `--redis-url` (default: $TEST_REDIS_URL with logical database 14, from `.ci/services`).
    The bot's keys (`ra:v1:*`) in that database are deleted before each Redis scenario; use a
    throwaway server. Without a reachable Redis the Redis scenarios are left out.

Run:  .venv/bin/python -m bench.scale_bench [--commands 200] [--warm-rounds 2] [--uncached 40]
      [--rate 10] [--burst 2] [--upstream-delay 0.05] [--redis-url URL] [--env KEY=VALUE ...]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import os
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bench._fake_host import FakeHost, timed_answer
from bench._ipc import JSON, Child, send, serve
from bench.progress_bench import bot_env
from bench.stats import percentile
from bot.errors import ConfigError
from bot.ra.redis_backend import connect_redis, redact_url
from bot.sandbox.fake_discord import guild_for_shard
from bot.sandbox.fake_ra import peak_per_second
from bot.sandbox.harness import string_options

PROGRESS = "API_GetUserProgress"
MEMBER_BASE = 600_000_000_000_000_000
BENCH_REDIS_DB = 14
KEY_PATTERN = "ra:v1:*"
GAMES = range(1, 13)  # the demo dataset's games


# ---------------------------------------------------------------------------------------------- fake host


def game_lists(count: int) -> list[str]:
    """`count` different game lists (pairs, then triples of the demo games), never "1,2,3"."""
    lists = [",".join(map(str, c)) for size in (2, 3) for c in itertools.combinations(GAMES, size)]
    lists.remove("1,2,3")
    if count > len(lists):
        raise ValueError(f"at most {len(lists)} different game lists")
    return lists[:count]


class ScaleHost(FakeHost):
    """The progress benchmark's fake host, with a burst spread over shards and game lists."""

    async def handle(self, request: JSON) -> JSON | None:
        op = request.get("op")
        if op == "wait_shards":
            fake = self.discords[0]
            await fake.wait_until_ready(timeout=float(request["timeout"]), shards=int(request["shards"]))
            return {"ok": True}
        if op == "routed_burst":
            return await self.routed_burst(request)
        return await super().handle(request)

    async def routed_burst(self, request: JSON) -> JSON:
        """All commands at once; member n is on a guild of shard n % shards."""
        fake = self.discords[0]
        shards = int(request["shards"])
        member_base = int(request["member_base"])
        timeout = float(request["timeout"])
        games: list[str] = list(request["games"])
        payloads = [
            fake.slash_payload(
                "progress",
                string_options({"user": "MaxMilyin", "games": game_list}),
                user_id=member_base + n,
                guild_id=guild_for_shard(n % shards, shards, n),
            )
            for n, game_list in enumerate(games)
        ]
        ra_start = len(self.ra.requests)
        latencies: list[float] = []
        errors: Counter[str] = Counter()
        per_shard: Counter[int] = Counter()

        async def one(payload: JSON) -> None:
            answer = await timed_answer(fake, payload, timeout, "MaxMilyin")
            if answer.problem is not None or answer.interaction is None:
                errors[answer.problem or "no interaction"] += 1
                return
            per_shard[answer.interaction.shard] += 1
            latencies.append(answer.seconds)

        wall_start = time.perf_counter()
        await asyncio.gather(*(one(p) for p in payloads))
        wall = time.perf_counter() - wall_start
        upstream = self.ra.requests[ra_start:]
        return {
            "latencies": latencies,
            "errors": dict(errors),
            "wall": wall,
            "ra_requests": dict(Counter(r.endpoint for r in upstream)),
            "ra_peak_per_second": peak_per_second([r.time for r in upstream]),
            "per_shard": {str(k): v for k, v in per_shard.items()},
        }


async def host_main(upstream_delay: float) -> None:
    """Child side (`--fake-host`): serve the fakes over `bench._ipc` until told to quit."""
    logging.basicConfig(level=logging.WARNING, format="fakes %(levelname)s %(name)s: %(message)s")
    host = ScaleHost(1, upstream_delay)
    send(await host.start())
    try:
        await serve(host.handle)
    finally:
        await host.stop()


# ---------------------------------------------------------------------------------------------- orchestrator


@dataclass(frozen=True)
class Scenario:
    processes: int
    redis: bool

    @property
    def label(self) -> str:
        plural = "es" if self.processes > 1 else ""
        return f"{self.processes} process{plural}, {'Redis' if self.redis else 'no Redis'}"


@dataclass
class RoundResult:
    scenario: Scenario
    kind: str
    commands: int
    latencies: list[float]
    wall: float
    errors: dict[str, int]
    ra_requests: dict[str, int]
    peak_per_second: int
    per_shard: dict[str, int]

    @property
    def rate(self) -> float:
        return self.commands / self.wall if self.wall > 0 else 0.0


def merge(rounds: list[RoundResult]) -> RoundResult:
    """Several rounds of one kind as one: totals, and percentiles over every answer."""
    first = rounds[0]
    return RoundResult(
        scenario=first.scenario,
        kind=first.kind,
        commands=sum(r.commands for r in rounds),
        latencies=[x for r in rounds for x in r.latencies],
        wall=sum(r.wall for r in rounds),
        errors=dict(sum((Counter(r.errors) for r in rounds), Counter())),
        ra_requests=dict(sum((Counter(r.ra_requests) for r in rounds), Counter())),
        peak_per_second=max(r.peak_per_second for r in rounds),
        per_shard=dict(sum((Counter(r.per_shard) for r in rounds), Counter())),
    )


def default_redis_url() -> str | None:
    base = os.environ.get("TEST_REDIS_URL")
    return urlsplit(base)._replace(path=f"/{BENCH_REDIS_DB}").geturl() if base else None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.scale_bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--commands", type=int, default=200, help="commands per cold/warm round (200)")
    parser.add_argument("--warm-rounds", type=int, default=2, help="warm rounds per scenario (2)")
    parser.add_argument("--uncached", type=int, default=40, help="commands of the uncached round (40)")
    parser.add_argument("--rate", type=float, default=10.0, help="RA_REQUESTS_PER_SECOND (10)")
    parser.add_argument("--burst", type=int, default=2, help="RA_BURST (2)")
    parser.add_argument("--upstream-delay", type=float, default=0.05, help="fake RA latency, s (0.05)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for one answer")
    parser.add_argument("--redis-url", default=default_redis_url(), help="Redis for the Redis scenarios")
    parser.add_argument(
        "--env", action="append", default=[], metavar="KEY=VALUE", help="extra bot setting (repeatable)"
    )
    parser.add_argument("--fake-host", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.commands < 1 or args.warm_rounds < 0 or args.uncached < 1:
        parser.error("--commands and --uncached must be at least 1, --warm-rounds at least 0")
    game_lists(args.uncached)  # fails early if too many
    return args


async def redis_ready(url: str | None) -> str | None:
    """None if Redis can be used, else why not."""
    if url is None:
        return "no --redis-url and no TEST_REDIS_URL"
    try:
        redis = await connect_redis(url)
    except ConfigError as exc:
        return str(exc)
    await redis.aclose()
    return None


async def clear_bot_keys(url: str) -> int:
    """Deletes the bot's cache, lock and rate-limit keys, so each Redis scenario starts cold."""
    redis = await connect_redis(url)
    try:
        keys = [key async for key in redis.scan_iter(match=KEY_PATTERN, count=1000)]
        if keys:
            await redis.delete(*keys)
        return len(keys)
    finally:
        await redis.aclose()


async def run_scenario(scenario: Scenario, args: argparse.Namespace, folder: Path) -> list[RoundResult]:
    if scenario.redis:
        await clear_bot_keys(args.redis_url)
    children: list[Child] = []
    try:
        fakes = await Child.start(
            "fakes", "bench.scale_bench", "--fake-host", "--upstream-delay", str(args.upstream_delay)
        )
        children.append(fakes)
        for index in range(scenario.processes):
            extra = [
                f"RA_REQUESTS_PER_SECOND={args.rate:g}",
                f"RA_BURST={args.burst}",
                f"REDIS_URL={args.redis_url if scenario.redis else ''}",
                f"SHARD_COUNT={scenario.processes if scenario.processes > 1 else ''}",
                f"SHARD_IDS={index if scenario.processes > 1 else ''}",
                *args.env,
            ]
            data_dir = folder / f"{scenario.processes}{'r' if scenario.redis else 'm'}{index}"
            env = bot_env(fakes, 0, str(data_dir), extra)
            children.append(await Child.start(f"bot{index}", "bench._bot_host", "real", env=env))
            # One after the other: the second finds the commands registered (with a shared database).
            await fakes.request({"op": "wait_shards", "shards": index + 1, "timeout": 60.0})
        rounds: list[RoundResult] = []
        plan = [("cold", ["1,2,3"] * args.commands)]
        plan += [("warm", ["1,2,3"] * args.commands)] * args.warm_rounds
        plan += [("uncached", game_lists(args.uncached))]
        for number, (kind, games) in enumerate(plan):
            result = await fakes.request(
                {
                    "op": "routed_burst",
                    "shards": scenario.processes,
                    "member_base": MEMBER_BASE + number * 10_000,
                    "timeout": args.timeout,
                    "games": games,
                },
                wait_seconds=args.timeout + 120,
            )
            rounds.append(
                RoundResult(
                    scenario=scenario,
                    kind=kind,
                    commands=len(games),
                    latencies=[float(x) for x in result["latencies"]],
                    wall=float(result["wall"]),
                    errors={str(k): int(v) for k, v in result["errors"].items()},
                    ra_requests={str(k): int(v) for k, v in result["ra_requests"].items()},
                    peak_per_second=int(result["ra_peak_per_second"]),
                    per_shard={str(k): int(v) for k, v in result["per_shard"].items()},
                )
            )
        return rounds
    finally:
        for child in reversed(children):
            await child.stop()


def table(results: list[RoundResult], args: argparse.Namespace) -> list[str]:
    limit = args.rate + args.burst
    header = (
        f"  {'scenario':22} {'round':8} {'cmds':>5} {'ok':>5} {'cmd/s':>7} {'p50 ms':>8} {'p99 ms':>8}"
        f" {'progress/all upstream':>22} {'max/s':>6}  vs limit {limit:g}"
    )
    lines = [header, "  " + "-" * (len(header) - 2)]
    for r in results:
        ms = 1000.0
        upstream = f"{r.ra_requests.get(PROGRESS, 0)}/{sum(r.ra_requests.values())}"
        over = r.peak_per_second > limit
        verdict = f"OVER by {r.peak_per_second - limit:g}" if over else "within"
        lines.append(
            f"  {r.scenario.label:22} {r.kind:8} {r.commands:5} {len(r.latencies):5} {r.rate:7.1f}"
            f" {percentile(r.latencies, 50) * ms:8.1f} {percentile(r.latencies, 99) * ms:8.1f}"
            f" {upstream:>22} {r.peak_per_second:6}  {verdict}"
        )
        if r.errors:
            lines.append("      errors: " + "; ".join(f"{n}x {e}" for e, n in r.errors.items()))
    return lines


async def run(args: argparse.Namespace) -> None:
    problem = await redis_ready(args.redis_url)
    scenarios = [Scenario(p, r) for r in (False, True) for p in (1, 2)]
    if problem is not None:
        print(f"Redis scenarios left out: {problem}")
        scenarios = [s for s in scenarios if not s.redis]
    shown_url = redact_url(args.redis_url) if args.redis_url else "none"
    print(
        f"scale_bench: cold + {args.warm_rounds} warm rounds of {args.commands} x /progress "
        f"user:MaxMilyin games:1,2,3 and 1 uncached round of {args.uncached} different game lists, all "
        f"in flight at once; limit {args.rate:g}/s burst {args.burst} (per process without Redis); "
        f"upstream delay {args.upstream_delay * 1000:.0f} ms; Redis {shown_url}; "
        f"extra env {args.env or 'none'}",
        flush=True,
    )
    results: list[RoundResult] = []
    with tempfile.TemporaryDirectory(prefix="ra-scale-") as folder:
        for scenario in scenarios:
            started = time.perf_counter()
            rounds = await run_scenario(scenario, args, Path(folder))
            warm = [r for r in rounds if r.kind == "warm"]
            rounds = [r for r in rounds if r.kind != "warm"]
            if warm:
                rounds.insert(1, merge(warm))
            results.extend(rounds)
            shards = json.dumps(merge(rounds).per_shard, sort_keys=True)
            seconds = time.perf_counter() - started
            print(f"  done: {scenario.label} in {seconds:.1f} s; answers by shard {shards}", flush=True)
    print()
    for line in table(results, args):
        print(line)
    print(
        "\n  cold: identical commands at once with empty caches; the single flight makes one progress "
        "request per cache (so 2 without Redis with 2 processes, 1 with Redis)."
        "\n  warm: cache hits only (rounds merged); uncached: every command needs its own upstream "
        "request. max/s is the most requests the fake RetroAchievements saw within any one second;"
        "\n  the limit is rate + burst for the one key: without Redis each process has its own limiter, "
        "so two processes together may spend up to twice that."
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.fake_host:
        asyncio.run(host_main(args.upstream_delay))
    else:
        asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
