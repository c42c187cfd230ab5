"""Benchmark of the game catalogue: cold /progress, autocomplete, a full refresh, and the memory it takes.

What is measured (the real bot and both fakes in this process, `bot.sandbox.harness.running_sandbox`;
the fake RetroAchievements holds the demo data plus a generated catalogue of `--games` games over 40
consoles, and answers after `--upstream-delay` seconds; the rate limit is the bot's default, 3/s with a
burst of 6, unless `--rate` / `--burst` say otherwise):

1. Cold /progress on 10 and on 50 catalogue games (by ID), once with the catalogue filled and once
   without (its console list failing, so titles come from API_GetGame as before the catalogue):
   upstream requests and seconds from sending the command to the answer. Target: 3 requests or fewer
   whatever the number of games, and the answer within about one upstream round trip.
2. Autocomplete over the catalogue: `--keystrokes` autocompletes of the games option, `--in-flight` at
   a time, each a member typing a title (prefixes of catalogue titles, some after earlier items): p50 /
   p99 seconds from sending to the choices, and CPU per keystroke of this whole process (the fake
   Discord included), beside a floor (the same autocomplete with nothing to look up) and the
   suggestion code alone (`complete_games`, timed directly). Target: p99 under 50 ms.
3. A full refresh (every console, `refresh_now(force=True)`): requests, seconds, and the share of the
   rate limit it used (requests / (rate x seconds)); meanwhile a member sends a /progress needing one
   upstream request every `--member-every` seconds, and the same is done without a refresh: their
   p50 / max latency side by side. Target: no extra latency.
4. Memory: what loading the catalogue from storage allocates (its games and their index;
   `tracemalloc`), and the peak RSS of the process with and without a catalogue.

Run:  .venv/bin/python -m bench.catalogue_bench [--games 10000] [--upstream-delay 0.1] [--rate 3]
      [--burst 6] [--keystrokes 1000] [--in-flight 50] [--member-every 1.0] [--seed 1]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import random
import resource
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench._ipc import Child
from bot.catalogue.model import CatalogueGame
from bot.game_suggestions import GameChoice, SuggestionRequest, Typing, complete_games
from bot.sandbox.fake_catalogue import add_generated_catalogue, consoles_of
from bot.sandbox.fake_discord import FakeDiscord
from bot.sandbox.fake_ra import Dataset, FakeRA, demo_dataset
from bot.sandbox.harness import (
    SANDBOX_API_KEY,
    Sandbox,
    final_answer,
    running_sandbox,
    sandbox_env,
    string_options,
)
from bot.titles import TitleIndex

MEMBER_BASE = 700_000_000_000_000_000
TARGET_COLD_REQUESTS = 3
TARGET_P99_SECONDS = 0.050


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile; nan for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.catalogue_bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--games", type=int, default=10_000, help="generated catalogue games (10000)")
    parser.add_argument("--upstream-delay", type=float, default=0.1, help="fake RA latency, s (0.1)")
    parser.add_argument("--rate", type=float, default=3.0, help="RA_REQUESTS_PER_SECOND (3)")
    parser.add_argument("--burst", type=int, default=6, help="RA_BURST (6)")
    parser.add_argument("--keystrokes", type=int, default=1000, help="autocompletes sent (1000)")
    parser.add_argument("--in-flight", type=int, default=50, help="autocompletes in flight (50)")
    parser.add_argument("--member-every", type=float, default=1.0, help="s between members' commands (1)")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


def bench_dataset(games: int, seed: int) -> tuple[Dataset, list[int]]:
    """The demo data, the generated catalogue, and players Cold10 and Cold50 for the cold commands."""
    data = demo_dataset()
    generated = add_generated_catalogue(data, games=games, seed=seed)
    for name in ("Cold10", "Cold50"):
        data.add_user(name, {game_id: (1, 5, 1, 5) for game_id in generated[:60:3]})
    return data, generated


def env(args: argparse.Namespace) -> dict[str, str]:
    return {
        "PROGRESS_COOLDOWN_SECONDS": "0",
        "RA_REQUESTS_PER_SECOND": f"{args.rate:g}",
        "RA_BURST": str(args.burst),
    }


def without_catalogue(fake: FakeRA) -> None:
    """The console list answers `{"success": false}` forever: the catalogue stays empty."""
    fake.fail_next("API_GetConsoleIDs", "json", body={"success": False}, times=10**9)


# -- 1. cold /progress -------------------------------------------------------------------------------


@dataclass
class Cold:
    label: str
    games: int
    seconds: float
    requests: dict[str, int]
    ok: bool


async def cold_progress(args: argparse.Namespace, with_catalogue: bool) -> list[Cold]:
    data, generated = bench_dataset(args.games, args.seed)
    rng = random.Random(args.seed)
    results = []
    prepare = None if with_catalogue else without_catalogue
    async with running_sandbox(data, env=env(args), ra_delay=args.upstream_delay, prepare=prepare) as sandbox:
        label = "with catalogue" if with_catalogue else "without"
        assert sandbox.bot.catalogue.filled == with_catalogue
        for count in (10, 50):
            ids = rng.sample(generated, count)
            sandbox.ra.requests.clear()
            await asyncio.sleep(1.5)  # the rate limit's burst refills between the two
            start = time.perf_counter()
            interaction = await sandbox.command(
                "progress", user=f"Cold{count}", games=",".join(map(str, ids)), user_id=MEMBER_BASE + count
            )
            answer = await final_answer(interaction, wait_seconds=300)
            seconds = time.perf_counter() - start
            requests = Counter(r.endpoint for r in sandbox.ra.requests)
            results.append(Cold(label, count, seconds, dict(requests), bool(answer.get("embeds"))))
    return results


# -- 2. autocomplete ---------------------------------------------------------------------------------


@dataclass
class Keystrokes:
    """`latencies` in the order the keystrokes were sent; the first `in_flight` all left at once."""

    label: str
    latencies: list[float]
    cpu: float
    empty: int
    in_flight: int

    @property
    def per_keystroke_ms(self) -> float:
        return 1000 * self.cpu / len(self.latencies)

    @property
    def steady(self) -> list[float]:
        """Latencies after the opening burst: each of these left when an earlier one was answered."""
        return self.latencies[self.in_flight :] or self.latencies


def keystrokes(catalogue_titles: list[str], count: int, seed: int) -> list[str]:
    """What members have typed when an autocomplete goes out: a prefix of a title, at times after items."""
    rng = random.Random(seed)
    typed: list[str] = []
    while len(typed) < count:
        title = rng.choice(catalogue_titles)
        before = rng.choice(["", "", "1446, ", "Sonic the Hedgehog 2, ", "3; 5; "])
        for end in range(1, min(len(title), 14) + 1):
            typed.append(before + title[:end])
    return typed[:count]


async def autocomplete_round(
    fake: FakeDiscord, bot: Child, label: str, typed: list[str], in_flight: int
) -> Keystrokes:
    """Sends the autocompletes, `in_flight` at a time; the CPU is the bot process's own."""
    payloads = [
        fake.autocomplete_payload(
            "progress", string_options({"games": text}), focused="games", user_id=MEMBER_BASE + n % 500
        )
        for n, text in enumerate(typed)
    ]
    limit = asyncio.Semaphore(in_flight)
    latencies: list[float] = [0.0] * len(payloads)
    empty = 0

    async def one(n: int, payload: dict[str, Any]) -> None:
        nonlocal empty
        async with limit:
            start = time.perf_counter()
            interaction = await fake.send_interaction(payload)
            event = await interaction.wait_for(lambda e: e.kind == "callback", timeout=10.0)
            latencies[n] = time.perf_counter() - start
            empty += not event.body["data"]["choices"]

    cpu = (await bot.request({"op": "stats"}))["cpu"]
    await asyncio.gather(*(one(n, payload) for n, payload in enumerate(payloads)))
    await asyncio.sleep(0.2)  # late work in the bot is counted too
    used = (await bot.request({"op": "stats"}))["cpu"] - cpu
    return Keystrokes(label, latencies, used, empty, in_flight)


async def autocomplete(args: argparse.Namespace) -> tuple[list[Keystrokes], float, int]:
    """The bot in a process of its own (`bench._bot_host real`), the fakes in this one."""
    data, _ = bench_dataset(args.games, args.seed)
    with tempfile.TemporaryDirectory(prefix="ra-bench-") as folder:
        async with FakeRA(data, api_key=SANDBOX_API_KEY) as ra, FakeDiscord() as fake:
            env = {
                **sandbox_env(fake, ra, folder),
                "RA_REQUESTS_PER_SECOND": "1000",
                "RA_BURST": "100",
                "PROGRESS_COOLDOWN_SECONDS": "0",
            }
            bot = await Child.start("bot", "bench._bot_host", "real", env=env)
            try:
                await fake.wait_until_ready(timeout=30.0)
                titles = [game.title for game in data.games.values() if game.achievements > 0]
                typed = keystrokes(titles, args.keystrokes, args.seed)
                for _ in range(600):  # the bot fills its catalogue, then builds the index
                    if ra.count("API_GetGameList") == len(consoles_of(data)):
                        probe = await autocomplete_round(fake, bot, "filled?", ["sonic"], 1)
                        if not probe.empty:
                            break
                    await asyncio.sleep(0.1)
                else:
                    raise RuntimeError("the bot never filled its catalogue")
                await autocomplete_round(fake, bot, "warm-up", typed[:200], args.in_flight)
                rounds = [
                    await autocomplete_round(fake, bot, "one at a time: floor", ["1, "] * 200, 1),
                    await autocomplete_round(fake, bot, "one at a time: titles", typed[:200], 1),
                    await autocomplete_round(
                        fake, bot, "floor (nothing to look up)", ["1, "] * len(typed), args.in_flight
                    ),
                    await autocomplete_round(fake, bot, "catalogue titles", typed, args.in_flight),
                ]
            finally:
                await bot.stop()
    return rounds, await suggestion_code_ms(data, typed), len(titles)


async def suggestion_code_ms(data: Dataset, typed: list[str]) -> float:
    """CPU per keystroke of the suggestion code alone (no Discord, no bot), in ms."""
    index = TitleIndex(
        CatalogueGame(g.game_id, g.title, g.console_id, g.console_name)
        for g in data.games.values()
        if g.achievements > 0
    )

    def choices(games: list[CatalogueGame]) -> list[GameChoice]:
        return [GameChoice(g.game_id, g.title, g.console_name) for g in games]

    async def source(request: SuggestionRequest, limit: int) -> list[GameChoice]:
        return choices(index.suggest(request.typed, limit, request.exclude))

    def whole(text: str, limit: int) -> list[GameChoice]:
        return choices(index.starting_with(text, limit))

    typing = Typing(MEMBER_BASE, None, {})
    start = time.process_time()
    for text in typed:
        await complete_games([source], text, typing, whole_titles=whole)
    return 1000 * (time.process_time() - start) / len(typed)


# -- 3. a full refresh -------------------------------------------------------------------------------


@dataclass
class Refresh:
    requests: int
    replaced: int
    failures: int
    seconds: float
    member_latencies: list[float]
    baseline_latencies: list[float]

    def share(self, rate: float) -> float:
        return self.requests / (rate * self.seconds) if self.seconds > 0 else math.nan


async def members_meanwhile(
    sandbox: Sandbox, ids: list[int], every: float, until: Callable[[], bool]
) -> list[float]:
    """A member's /progress on a game not asked before (one upstream request) every `every` s."""
    latencies = []
    for n, game_id in enumerate(ids):
        if until():
            break
        start = time.perf_counter()
        await sandbox.ask("progress", user="MaxMilyin", games=str(game_id), user_id=MEMBER_BASE + 1000 + n)
        latencies.append(time.perf_counter() - start)
        await asyncio.sleep(max(0.0, every - (time.perf_counter() - start)))
    return latencies


async def full_refresh(args: argparse.Namespace) -> Refresh:
    data, generated = bench_dataset(args.games, args.seed)
    ids = random.Random(args.seed + 1).sample(generated, 400)
    async with running_sandbox(data, env=env(args), ra_delay=args.upstream_delay) as sandbox:
        await sandbox.ask("progress", user="MaxMilyin", games="1")  # the profile is cached from here on
        stop_at = time.perf_counter() + 15.0
        baseline = await members_meanwhile(
            sandbox, ids[:200], args.member_every, lambda: time.perf_counter() > stop_at
        )
        sandbox.ra.requests.clear()
        done = asyncio.Event()
        members = asyncio.create_task(members_meanwhile(sandbox, ids[200:], args.member_every, done.is_set))
        start = time.perf_counter()
        report = await sandbox.bot.catalogue_refresher.refresh_now(force=True)
        seconds = time.perf_counter() - start
        done.set()
        during = await members
        catalogue_requests = sum(
            1 for r in sandbox.ra.requests if r.endpoint in ("API_GetConsoleIDs", "API_GetGameList")
        )
        return Refresh(catalogue_requests, report.replaced, len(report.failures), seconds, during, baseline)


# -- 4. memory ---------------------------------------------------------------------------------------


async def memory(args: argparse.Namespace) -> tuple[float, float, int]:
    """(MB allocated loading the catalogue's games and index, MB of the index alone, games)."""
    data, _ = bench_dataset(args.games, args.seed)
    async with running_sandbox(data, env=env(args)) as sandbox:
        storage = sandbox.bot.storage
        tracemalloc.start()
        before = tracemalloc.take_snapshot()
        games = await storage.catalogue_games()
        after_rows = tracemalloc.take_snapshot()
        index = TitleIndex(games)
        after_index = tracemalloc.take_snapshot()
        tracemalloc.stop()
        total = sum(s.size_diff for s in after_index.compare_to(before, "filename"))
        index_only = sum(s.size_diff for s in after_index.compare_to(after_rows, "filename"))
        return total / 1e6, index_only / 1e6, len(index)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- report ------------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def ms(seconds: float) -> float:
    return 1000 * seconds


async def run(args: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.ERROR)
    print(
        f"catalogue: {args.games} generated games + the demo's; upstream delay {args.upstream_delay:g} s; "
        f"rate {args.rate:g}/s, burst {args.burst}\n"
    )
    await report_cold(args)
    await report_autocomplete(args)
    await report_refresh(args)
    await report_memory(args)


async def report_cold(args: argparse.Namespace) -> None:
    print("1. cold /progress (by ID), the first command after start")
    rows = await cold_progress(args, with_catalogue=False) + await cold_progress(args, with_catalogue=True)
    print(f"   {'':16} {'games':>5} {'seconds':>8} {'requests':>8}  by endpoint")
    for row in rows:
        total = sum(row.requests.values())
        detail = ", ".join(f"{k.removeprefix('API_')} {v}" for k, v in sorted(row.requests.items()))
        missing = "" if row.ok else " (no answer!)"
        print(f"   {row.label:16} {row.games:>5} {row.seconds:>8.2f} {total:>8}  {detail}{missing}")
    with_rows = [r for r in rows if r.label == "with catalogue"]
    ok = all(sum(r.requests.values()) <= TARGET_COLD_REQUESTS and r.ok for r in with_rows)
    print(f"   target: {TARGET_COLD_REQUESTS} requests or fewer with the catalogue: {verdict(ok)}\n")


async def report_autocomplete(args: argparse.Namespace) -> None:
    print(f"2. autocomplete of the games option, {args.keystrokes} keystrokes, {args.in_flight} in flight")
    rounds, code_ms, games = await autocomplete(args)
    print(
        f"   {'':28} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'steady p99':>10} "
        f"{'CPU ms/key':>10} {'empty':>6}"
    )
    for r in rounds:
        p50, p99, top = ms(percentile(r.latencies, 50)), ms(percentile(r.latencies, 99)), ms(max(r.latencies))
        steady = ms(percentile(r.steady, 99))
        print(
            f"   {r.label:28} {p50:>7.1f} {p99:>7.1f} {top:>7.1f} {steady:>10.1f} "
            f"{r.per_keystroke_ms:>10.2f} {r.empty:>6}"
        )
    print(f"   (steady p99: without the first {args.in_flight}, which were all sent at the same instant)")
    print(f"   the suggestion code alone over {games} games: {code_ms:.3f} ms CPU per keystroke")
    p99, floor = percentile(rounds[-1].latencies, 99), percentile(rounds[-2].latencies, 99)
    print(
        f"   target: p99 under {ms(TARGET_P99_SECONDS):.0f} ms with {args.in_flight} in flight: "
        f"{verdict(p99 < TARGET_P99_SECONDS)} (the floor's p99: {ms(floor):.1f} ms)\n"
    )


async def report_refresh(args: argparse.Namespace) -> None:
    print(f"3. full refresh (every console), a member's /progress every {args.member_every:g} s meanwhile")
    refresh = await full_refresh(args)
    print(
        f"   {refresh.requests} requests ({refresh.replaced} consoles replaced, {refresh.failures} failed) "
        f"in {refresh.seconds:.1f} s: {100 * refresh.share(args.rate):.0f}% of the rate limit"
    )
    for label, values in (
        ("without a refresh", refresh.baseline_latencies),
        ("during the refresh", refresh.member_latencies),
    ):
        p50, top = ms(percentile(values, 50)), ms(max(values, default=math.nan))
        print(
            f"   members' /progress {label:19}: {len(values):>3} commands, p50 {p50:.0f} ms, max {top:.0f} ms"
        )
    extra = percentile(refresh.member_latencies, 50) - percentile(refresh.baseline_latencies, 50)
    print(f"   extra p50 latency during the refresh: {ms(extra):+.0f} ms\n")


async def report_memory(args: argparse.Namespace) -> None:
    print("4. memory")
    rss_before = peak_rss_mb()
    total, index_only, loaded = await memory(args)
    print(f"   loading {loaded} games from storage allocates {total:.1f} MB ({index_only:.1f} MB: the index)")
    print(f"   peak RSS of this process (bot, fakes, data): {rss_before:.0f} MB, then {peak_rss_mb():.0f} MB")


def main(argv: list[str] | None = None) -> None:
    asyncio.run(run(parse_args(argv)))


if __name__ == "__main__":
    main()
