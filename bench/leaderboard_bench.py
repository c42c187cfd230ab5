"""Benchmark of `/leaderboard` on a big server: time to the answer, upstream requests, warm cache.

What is measured
    For each member count (default 300 and 1000) and each rate limit (default: 300 members at the
    bot's default 3 requests/s with burst 6, and 1000 members at 20/s with burst 6, so that the
    default run takes a few minutes; `--rates` changes it), a fresh sandbox runs the real bot
    (`bot.sandbox.harness.running_sandbox`, bot and fakes in this process: this benchmark measures
    time and request counts, not CPU) against a fake RetroAchievements answering after
    `--upstream-delay` seconds (default 0.1). Then one member sends `/leaderboard game:2` twice in a
    row:
      * cold: the first one, with empty caches;
      * warm: a second one right after the first answer.
    For each: seconds from `send_interaction` to the final answer (the edit carrying the board's
    embed), requests that reached the fake RetroAchievements (by endpoint), the most requests it
    received within one second, and how many "Checking N of M members" edits the member saw
    before the answer (the bot edits its "thinking" message every 2 s while it gathers).

Setup (not timed)
    The FakeRA dataset gets N extra users `Bench0001`... with varied, seeded progress on game 2
    (`Dataset.add_user`). They are linked by writing straight into the bot's storage with
    `sandbox.bot.storage.link(discord_id, ulid, name, guild_id)` before the timed part, instead of
    N real `/link` interactions, which would take minutes at 3 requests/s. The rate limit is passed
    explicitly as env RA_REQUESTS_PER_SECOND / RA_BURST; PROGRESS_COOLDOWN_SECONDS=0 so the second
    /leaderboard is not refused. Caches keep the bot's defaults (progress 60 s) unless `--env`.

Run:  .venv/bin/python -m bench.leaderboard_bench [--members 300 1000] [--rates 3 20]
      [--burst 6] [--upstream-delay 0.1] [--env KEY=VALUE ...]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from bot.sandbox.fake_discord import FakeInteraction
from bot.sandbox.fake_ra import Dataset, demo_dataset, peak_per_second
from bot.sandbox.harness import DEFAULT_GUILD_ID, Sandbox, final_answer, running_sandbox

GAME_ID = 2
FIRST_MEMBER_ID = 600_000_000_000_000_000
CHECKING = "Checking "


@dataclass
class Run:
    label: str
    seconds: float
    upstream: dict[str, int]
    peak_per_second: int
    checking_edits: int
    last_checking: str
    answer_title: str
    errors: str


def bench_dataset(members: int, seed: int) -> tuple[Dataset, list[tuple[str, str]]]:
    """The demo data plus `members` players with varied progress on game 2; returns (name, ulid) pairs."""
    data = demo_dataset()
    possible_count = data.games[GAME_ID].achievements
    possible_points = data.games[GAME_ID].points
    rng = random.Random(seed)
    players: list[tuple[str, str]] = []
    for n in range(1, members + 1):
        achieved = rng.randint(0, possible_count)
        hardcore = rng.randint(0, achieved)
        score = achieved * possible_points // possible_count
        score_hardcore = hardcore * possible_points // possible_count
        progress = {GAME_ID: (achieved, score, hardcore, score_hardcore)} if achieved else {}
        user = data.add_user(f"Bench{n:04d}", progress)
        players.append((user.name, user.ulid))
    return data, players


async def link_all(sandbox: Sandbox, players: list[tuple[str, str]]) -> None:
    for offset, (name, ulid) in enumerate(players):
        await sandbox.bot.storage.link(FIRST_MEMBER_ID + offset, ulid, name, DEFAULT_GUILD_ID)


async def one_leaderboard(sandbox: Sandbox, label: str, wait_seconds: float) -> Run:
    ra = sandbox.ra
    start_index = len(ra.requests)
    started = time.perf_counter()
    interaction: FakeInteraction | None = None
    errors = ""
    title = ""
    try:
        interaction = await sandbox.command("leaderboard", {"game": str(GAME_ID)}, user_id=FIRST_MEMBER_ID)
        message = await final_answer(interaction, wait_seconds=wait_seconds)
        embeds: list[dict[str, Any]] = message.get("embeds") or []
        title = str(embeds[0].get("title", "")) if embeds else f"(no embed) {message.get('content')!r}"
    except Exception as exc:
        errors = f"{type(exc).__name__}: {str(exc)[:200]}"
    seconds = time.perf_counter() - started
    requests = ra.requests[start_index:]
    checking = [
        str(e.body.get("content"))
        for e in (interaction.events if interaction else [])
        if e.kind == "edit_original" and str(e.body.get("content") or "").startswith(CHECKING)
    ]
    return Run(
        label=label,
        seconds=seconds,
        upstream=dict(Counter(r.endpoint for r in requests)),
        peak_per_second=peak_per_second([r.time for r in requests]),
        checking_edits=len(checking),
        last_checking=checking[-1] if checking else "",
        answer_title=title,
        errors=errors,
    )


async def scenario(
    members: int, rate: float, args: argparse.Namespace
) -> tuple[list[Run], dict[str, Any], float]:
    data, players = bench_dataset(members, args.seed)
    env = {
        "RA_REQUESTS_PER_SECOND": f"{rate:g}",
        "RA_BURST": str(args.burst),
        "PROGRESS_COOLDOWN_SECONDS": "0",
    }
    for item in args.env:
        key, _, value = item.partition("=")
        env[key.strip()] = value
    async with running_sandbox(data, env=env, ra_delay=args.upstream_delay) as sandbox:
        link_started = time.perf_counter()
        await link_all(sandbox, players)
        link_seconds = time.perf_counter() - link_started
        timeout = members / rate * 3 + 120
        runs = [
            await one_leaderboard(sandbox, "cold", timeout),
            await one_leaderboard(sandbox, "warm", timeout),
        ]
        return runs, sandbox.bot.ra.stats.snapshot(), link_seconds


def describe(members: int, rate: float, burst: int, run: Run) -> str:
    total = sum(run.upstream.values())
    by_endpoint = (
        ", ".join(f"{k.removeprefix('API_')}={v}" for k, v in sorted(run.upstream.items())) or "none"
    )
    text = (
        f"  {members:5} members  {rate:5g}/s burst {burst}  {run.label:4}: "
        f"{run.seconds:7.1f} s to the answer  "
        f"upstream {total:5} ({by_endpoint}; max {run.peak_per_second} in 1 s)  "
        f"'Checking' edits seen {run.checking_edits}"
    )
    if run.last_checking:
        text += f" (last: {run.last_checking!r})"
    text += f"\n{'':8}answer: {run.answer_title!r}"
    if run.errors:
        text += f"\n{'':8}ERROR: {run.errors}"
    return text


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.leaderboard_bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--members", type=int, nargs="+", default=[300, 1000], help="linked members per run")
    parser.add_argument(
        "--rates",
        type=float,
        nargs="+",
        default=None,
        help="RA requests/s, one per --members value (default: 3 for the first, 20 for the others)",
    )
    parser.add_argument("--burst", type=int, default=6, help="RA_BURST (default 6, the bot's default)")
    parser.add_argument("--upstream-delay", type=float, default=0.1, help="fake RA latency, s (default 0.1)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--env", action="append", default=[], metavar="KEY=VALUE", help="extra bot setting (repeatable)"
    )
    args = parser.parse_args(argv)
    if args.rates is None:
        args.rates = [3.0] + [20.0] * (len(args.members) - 1)
    if len(args.rates) != len(args.members):
        parser.error("give one --rates value per --members value")
    if any(m < 1 for m in args.members) or any(r <= 0 for r in args.rates):
        parser.error("--members must be at least 1 and --rates greater than 0")
    return args


async def run(args: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    plan = ", ".join(f"{m}@{r:g}" for m, r in zip(args.members, args.rates, strict=True))
    print(
        f"leaderboard_bench: /leaderboard game:{GAME_ID}, "
        f"upstream delay {args.upstream_delay * 1000:.0f} ms, "
        f"runs (members @ requests/s): {plan}"
    )
    for members, rate in zip(args.members, args.rates, strict=True):
        runs, stats, link_seconds = await scenario(members, rate, args)
        print(f"  ({members} links written to storage in {link_seconds:.1f} s, not timed)")
        for r in runs:
            print(describe(members, rate, args.burst, r), flush=True)
        floor_seconds = members / rate
        print(
            f"{'':8}rate-limit floor for {members} progress requests at {rate:g}/s: ~{floor_seconds:.0f} s; "
            f"RA client counters: {stats}"
        )


def main(argv: list[str] | None = None) -> int:
    asyncio.run(run(parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
