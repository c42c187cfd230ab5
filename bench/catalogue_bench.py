"""Benchmark of the game catalogue: cold /progress, autocomplete, a full refresh, and the memory it takes.

What is measured (sections 1, 3 and 4: the real bot and both fakes in this process,
`bot.sandbox.harness.running_sandbox`; section 2: each in a process of its own, see there; the fake
RetroAchievements holds the demo data plus a generated catalogue of `--games` games over 40 consoles,
and answers after `--upstream-delay` seconds (section 2: at once); the rate limit is the bot's default,
3/s with a burst of 6, unless `--rate` / `--burst` say otherwise):

1. Cold /progress on 10 and on 50 catalogue games (by ID), once with the catalogue filled and once
   without (its console list failing, so titles come from API_GetGame as before the catalogue):
   upstream requests and seconds from sending the command to the answer. Target: 3 requests or fewer
   whatever the number of games, and the answer within about one upstream round trip.
2. Autocomplete over the catalogue, with the bot alone in its process as in production: the fakes
   (fake RetroAchievements with the generated catalogue, and the fake Discords, which play the members
   and time each keystroke) run in one process (`bench._fake_host`), the real bot in another and
   discord.py's floor in a third (`bench._bot_host real|floor`: a minimal bot with the same command,
   whose autocomplete answers at once with no choices); this process only orchestrates
   (`bench._ipc`). Once the real bot has filled its catalogue (its rate limit raised for that),
   `--keystrokes` autocompletes of the games option go out, `--in-flight` at a time (each later one
   leaves when an earlier one is answered), each a member typing a title (prefixes of catalogue titles,
   some after earlier items); the same count goes to the floor, and to the real bot with nothing to
   look up ("1, ": an item typed and the next one empty), all three `--repeat` times in turn (the
   machine's slow spells then fall on each alike); and 200 of each one at a time. Figures:
   p50 / p99 / max seconds from sending to the choices; the CPU per keystroke of the bot's own process
   (`time.process_time()` over the round plus 0.2 s of settling) and of the fakes' process; the bot
   process's full garbage collections and its and the fakes' longest collection (`gc.callbacks`);
   beside them the suggestion code alone (`complete_games`, timed directly in this process). With
   all `--in-flight` always waiting, a keystroke's latency is about `--in-flight` times the bot's time
   per keystroke: the p99 follows the CPU. Target: p99 under 50 ms (the median of the repeats).
3. A full refresh (every console, `refresh_now(force=True)`): requests, seconds, and the share of the
   rate limit it used (requests / (rate x seconds)); meanwhile a member sends a /progress needing one
   upstream request every `--member-every` seconds, and the same is done without a refresh: their
   p50 / max latency side by side. Target: no extra latency.
4. Memory: what loading the catalogue from storage allocates (its games and their index;
   `tracemalloc`), and the peak RSS of the process with and without a catalogue.

Run:  .venv/bin/python -m bench.catalogue_bench [--games 10000] [--upstream-delay 0.1] [--rate 3]
      [--burst 6] [--keystrokes 1000] [--in-flight 50] [--repeat 3] [--member-every 1.0] [--seed 1]
      [--sections 1234] [--profile-dir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import random
import resource
import statistics
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from bench._ipc import Child
from bench.progress_bench import bot_env
from bench.stats import percentile
from bot.catalogue.model import CatalogueGame
from bot.game_suggestions import GameChoice, SuggestionRequest, Typing, complete_games
from bot.sandbox.fake_catalogue import add_generated_catalogue
from bot.sandbox.fake_ra import Dataset, FakeRA, demo_dataset
from bot.sandbox.harness import Sandbox, final_answer, running_sandbox
from bot.titles import TitleIndex

MEMBER_BASE = 700_000_000_000_000_000
TARGET_COLD_REQUESTS = 3
TARGET_P99_SECONDS = 0.050
SETTLE_SECONDS = 0.2
NOTHING_TO_LOOK_UP = "1, "  # an item typed, the next one empty: no title to complete, nothing to look up
FLOOR, NOTHING, TITLES = "discord.py floor", "nothing to look up", "catalogue titles"


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
    parser.add_argument("--repeat", type=int, default=3, help="section 2: rounds in flight, each (3)")
    parser.add_argument("--member-every", type=float, default=1.0, help="s between members' commands (1)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sections", default="1234", help="which sections to run, by number (1234: all)")
    parser.add_argument(
        "--profile-dir",
        metavar="DIR",
        help="section 2: cProfile each bot process into DIR/{real,floor}.pstats",
    )
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
    cpu: float  # of the bot's process
    empty: int
    in_flight: int
    fake_cpu: float  # of the fakes' process, while they sent these and waited for the choices
    full_collections: int  # of the bot's process (generation 2)
    longest_collection: float  # the bot's process's longest garbage collection, s
    fakes_longest_collection: float  # the fakes' process's, s

    @property
    def per_keystroke_ms(self) -> float:
        return 1000 * self.cpu / len(self.latencies)

    @property
    def fakes_per_keystroke_ms(self) -> float:
        return 1000 * self.fake_cpu / len(self.latencies)

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


@dataclass
class Bots:
    """The fakes' process and the two bots' processes of section 2, each bot with its own FakeDiscord."""

    fakes: Child
    real: Child
    floor: Child

    def target(self, bot: Child) -> int:
        return 0 if bot is self.real else 1


async def autocomplete_round(
    bots: Bots, bot: Child, label: str, typed: list[str], in_flight: int
) -> Keystrokes:
    """The fakes' process sends the autocompletes, `in_flight` at a time, to `bot` and times them;
    the CPU is `bot`'s process's own (with a short settling time, so late work is counted)."""
    before = await bot.request({"op": "stats"})
    result = await bots.fakes.request(
        {
            "op": "autocomplete",
            "target": bots.target(bot),
            "typed": typed,
            "in_flight": in_flight,
            "member_base": MEMBER_BASE,
        }
    )
    await asyncio.sleep(SETTLE_SECONDS)
    after = await bot.request({"op": "stats"})
    if result["errors"]:
        raise RuntimeError(f"{label}: {result['errors']}")
    latencies = [float(x) for x in result["latencies"]]
    full = after["gc"]["collections"][2] - before["gc"]["collections"][2]
    return Keystrokes(
        label,
        latencies,
        after["cpu"] - before["cpu"],
        int(result["empty"]),
        in_flight,
        float(result["fake_cpu"]),
        full,
        max(after["gc"]["longest"]),
        max(result["gc"]["longest"]),
    )


#: The catalogue fills in a few seconds; the keystrokes themselves make no upstream request.
FAST_FILL = ["RA_REQUESTS_PER_SECOND=1000", "RA_BURST=100"]


async def wait_for_catalogue(bots: Bots) -> None:
    """Until the real bot has every console's games, has built its index of them for the last time
    (its first refresh pass is over: a rebuild would take a core from the rounds) and answers a title."""
    await bots.real.request({"op": "settle", "timeout": 60.0})
    for _ in range(600):
        upstream = await bots.fakes.request({"op": "upstream"})
        if upstream["requests"].get("API_GetGameList", 0) >= upstream["consoles"]:
            probe = await autocomplete_round(bots, bots.real, "filled?", ["sonic"], 1)
            if not probe.empty:
                return
        await asyncio.sleep(0.1)
    raise RuntimeError("the bot never filled its catalogue")


async def autocomplete(args: argparse.Namespace) -> tuple[list[Keystrokes], float, int, dict[str, int]]:
    """The fakes in a process of their own (`bench._fake_host`, with the generated catalogue), the real
    bot in another and discord.py's floor in a third (`bench._bot_host real|floor`); this process only
    orchestrates."""
    data, _ = bench_dataset(args.games, args.seed)
    titles = [game.title for game in data.games.values() if game.achievements > 0]
    typed = keystrokes(titles, args.keystrokes, args.seed)
    nothing = [NOTHING_TO_LOOK_UP] * len(typed)
    children: list[Child] = []
    with tempfile.TemporaryDirectory(prefix="ra-bench-") as folder:
        try:
            fakes = await Child.start(
                "fakes",
                "bench._fake_host",
                "--discords",
                "2",
                "--games",
                str(args.games),
                "--seed",
                str(args.seed),
            )
            children.append(fakes)
            started = []
            for index, kind in enumerate(("real", "floor")):
                profile = ["--profile", f"{args.profile_dir}/{kind}.pstats"] if args.profile_dir else []
                env = bot_env(fakes, index, f"{folder}/{kind}", FAST_FILL)
                started.append(await Child.start(kind, "bench._bot_host", kind, *profile, env=env))
                children.append(started[-1])
                await fakes.request({"op": "wait_ready", "target": index, "timeout": 30.0})
            bots = Bots(fakes, *started)
            pids = {"fakes": fakes.pid, "real": bots.real.pid, "floor": bots.floor.pid}
            await wait_for_catalogue(bots)
            await autocomplete_round(bots, bots.real, "warm-up", typed[:200], args.in_flight)
            await autocomplete_round(bots, bots.floor, "warm-up", typed[:200], args.in_flight)
            one = typed[:200]
            rounds = [
                await autocomplete_round(bots, bots.floor, "discord.py floor", one, 1),
                await autocomplete_round(bots, bots.real, "nothing to look up", nothing[:200], 1),
                await autocomplete_round(bots, bots.real, "catalogue titles", one, 1),
            ]
            for _ in range(args.repeat):  # interleaved: a slow spell of the machine hits all three
                rounds += [
                    await autocomplete_round(bots, bots.floor, FLOOR, typed, args.in_flight),
                    await autocomplete_round(bots, bots.real, NOTHING, nothing, args.in_flight),
                    await autocomplete_round(bots, bots.real, TITLES, typed, args.in_flight),
                ]
        finally:
            for child in reversed(children):
                await child.stop()
    return rounds, await suggestion_code_ms(data, typed), len(titles), pids


async def suggestion_code_ms(data: Dataset, typed: list[str]) -> float:
    """CPU per keystroke of the suggestion code alone (no Discord, no bot), in ms."""
    index = TitleIndex(
        CatalogueGame(g.game_id, g.title, g.console_id, g.console_name)
        for g in data.games.values()
        if g.achievements > 0
    )

    def choices(games: list[CatalogueGame]) -> list[GameChoice]:
        return [GameChoice(g.game_id, g.title, g.console_name) for g in games]

    def source(request: SuggestionRequest, limit: int) -> list[GameChoice]:
        return choices(index.suggest(request.typed, limit, request.exclude))

    def whole(text: str, limit: int) -> list[GameChoice]:
        return choices(index.starting_with(text, limit))

    typing = Typing(MEMBER_BASE, None, {})
    start = time.process_time()
    for text in typed:
        complete_games([source], text, typing, whole_titles=whole)
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
    sections = {"1": report_cold, "2": report_autocomplete, "3": report_refresh, "4": report_memory}
    for number, report in sections.items():
        if number in args.sections:
            await report(args)


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
    rounds, code_ms, games, pids = await autocomplete(args)
    print(f"   processes: fakes pid {pids['fakes']}, real bot pid {pids['real']}, floor pid {pids['floor']}")
    print(
        f"   {'':34} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'steady p99':>10} "
        f"{'CPU ms/key':>10} {'fakes ms/key':>12} {'empty':>6} {'full gc':>7} {'gc max ms':>9} "
        f"{'fakes gc':>8}"
    )
    for r in rounds:
        p50, p99, top = ms(percentile(r.latencies, 50)), ms(percentile(r.latencies, 99)), ms(max(r.latencies))
        steady = ms(percentile(r.steady, 99))
        where = "1 at a time" if r.in_flight == 1 else f"{r.in_flight} in flight"
        print(
            f"   {where + ': ' + r.label:34} {p50:>7.1f} {p99:>7.1f} {top:>7.1f} {steady:>10.1f} "
            f"{r.per_keystroke_ms:>10.2f} {r.fakes_per_keystroke_ms:>12.2f} {r.empty:>6} "
            f"{r.full_collections:>7} {ms(r.longest_collection):>9.1f} {ms(r.fakes_longest_collection):>8.1f}"
        )
    print(f"   (steady p99: without the first {args.in_flight}, which were all sent at the same instant;")
    print("    CPU ms/key: the bot's own process; fakes ms/key: the fakes' process, same load for each bot;")
    print("    full gc / gc max ms: the bot process's full garbage collections and its longest collection;")
    print("    fakes gc: the longest garbage collection in the fakes' process)")
    print(f"   the suggestion code alone over {games} games: {code_ms:.3f} ms CPU per keystroke")
    real, nothing, floor = (
        statistics.median(percentile(r.latencies, 99) for r in rounds if r.in_flight > 1 and r.label == label)
        for label in (TITLES, NOTHING, FLOOR)
    )
    print(
        f"   target: p99 under {ms(TARGET_P99_SECONDS):.0f} ms with {args.in_flight} in flight (median of "
        f"{args.repeat} rounds): {verdict(real < TARGET_P99_SECONDS)} ({ms(real):.1f} ms; with nothing to "
        f"look up: {ms(nothing):.1f} ms; discord.py's floor: {ms(floor):.1f} ms)\n"
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
