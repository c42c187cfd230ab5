"""Benchmark of `/progress` under load: the real bot against discord.py's own floor, in the same run.

What is measured
    Bursts of `/progress user:MaxMilyin games:1,2,3` interactions (default 200, all 200 in flight at
    once) go through the strict fake Discord to the bot, which answers through its real pipeline
    (validate -> defer -> RA client: cache / single flight / rate limiter -> fake RetroAchievements
    with `--upstream-delay` seconds of latency -> render -> edit the original response). The same
    traffic goes to a do-nothing "floor" bot (`bench._bot_host.FloorBot`: a minimal
    `discord.ext.commands.Bot` with the same `/progress user games` command that defers and then
    edits the original response with a fixed embed of the same size). The two bots alternate
    round by round (real, floor, real, floor, ...); the figures that matter are the real/floor
    ratios measured in one run, not absolute times, because the machine is shared and noisy.

How
    Three kinds of process, so that each bot's own CPU and memory can be read cleanly:
      * one fakes process (`bench._fake_host`): the FakeRA (demo data) and one FakeDiscord per bot
        (a FakeDiscord serves one gateway client), which also plays the members: it builds the
        payloads, sends them, and times each interaction from `send_interaction` to its final
        answer (the first edit of the original response that carries an embed);
      * one process per bot (`bench._bot_host real|floor`), started from the same environment
        settings (`PROGRESS_COOLDOWN_SECONDS=0`; rate limit and caches at the bot's defaults
        unless `--env` says otherwise);
      * this process, which only orchestrates over stdin/stdout JSON lines (`bench._ipc`).
    The rounds start once the real bot has filled its game catalogue (it does so at start, then once
    a day in the background), so that every round measures the steady state.
    Because the fakes run in their own process, the CPU time of a bot process over a burst is
    the bot's own work (discord.py, aiohttp, the bot's code and its SQLite thread) plus a couple
    of control messages. The fakes' CPU is printed as well, to show both bots got the same load.

Figures, per bot
    cpu/cmd     `time.process_time()` delta of the bot process over the burst (plus 0.5 s of
                settling afterwards, so late background work is counted), divided by commands; "gc":
                the part of it the garbage collector took (`gc.callbacks`)
    p50 / p99   latency from `send_interaction` to the final answer (nearest rank)
    cmd/s       commands divided by the burst's wall time (first send to last answer)
    upstream    requests that reached the fake RetroAchievements per command, by endpoint, for the
                first round after start (cold cache) and for the later rounds (warm cache)
    peak RSS    `ru_maxrss` of the bot's process (Linux: peak resident set, whole process: the
                interpreter, discord.py and everything the bot imported count)
    Targets (PASS/FAIL is printed; the script always exits 0): warm cache with all commands in
    flight, cpu/cmd and p99 each at most 1.25x the floor's; the cold round's concurrent identical
    commands make exactly one API_GetUserProgress request; the real bot's peak RSS under 80 MB.

Languages
    With `--locale de` (any Discord locale), every round also sends the same burst to the real bot from
    members whose Discord is in that language, right after the English one: the summary then compares
    each language with the floor, and the language with English, all in the same session. (That
    language's first round follows the English cold round, so its caches are warm.)

Run:  .venv/bin/python -m bench.progress_bench [--commands 200] [--concurrency 200]
      [--upstream-delay 0.05] [--rounds 3] [--fresh-members] [--env KEY=VALUE ...] [--locale de]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Any

from bench._ipc import JSON, Child
from bench.stats import percentile
from bot.sandbox.harness import SANDBOX_API_KEY

KINDS = ("real", "floor")
TARGET_RATIO = 1.25  # issue 7: a warm /progress costs at most 1.25x the floor
TARGET_RSS_MB = 80.0
MEMBER_BASE = 500_000_000_000_000_000
SETTLE_SECONDS = 0.5


@dataclass
class Round:
    kind: str
    number: int  # 0 is the cold round
    cpu: float
    gc: float  # seconds the garbage collector ran in the bot process (part of `cpu`)
    fake_cpu: float
    wall: float
    latencies: list[float]
    commands: int
    errors: dict[str, int]
    ra_requests: dict[str, int]
    rest_requests: int
    embed_chars: int

    @property
    def cpu_per_command(self) -> float:
        return self.cpu / self.commands

    @property
    def rate(self) -> float:
        return self.commands / self.wall if self.wall > 0 else 0.0


@dataclass
class BotFigures:
    kind: str
    rounds: list[Round] = field(default_factory=list)
    peak_rss_mb: float = 0.0
    final_stats: JSON = field(default_factory=dict)

    def warm(self) -> list[Round]:
        return [r for r in self.rounds if r.number > 0]

    def cold(self) -> Round:
        return next(r for r in self.rounds if r.number == 0)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.progress_bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--commands", type=int, default=200, help="interactions per round (default 200)")
    parser.add_argument("--concurrency", type=int, default=200, help="interactions in flight (default 200)")
    parser.add_argument(
        "--upstream-delay", type=float, default=0.05, help="fake RA latency, s (default 0.05)"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="warm rounds per bot after the cold one (default 3)"
    )
    parser.add_argument("--user", default="MaxMilyin")
    parser.add_argument("--games", default="1,2,3")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for one answer")
    parser.add_argument(
        "--fresh-members",
        action="store_true",
        help="new member ids every round (default: the same ids each round)",
    )
    parser.add_argument(
        "--env", action="append", default=[], metavar="KEY=VALUE", help="extra bot setting (repeatable)"
    )
    parser.add_argument(
        "--locale",
        metavar="LOCALE",
        help="also send each round to the real bot in this Discord locale (such as de) and compare",
    )
    parser.add_argument(
        "--profile-dir",
        metavar="DIR",
        help="cProfile each bot process into DIR/{real,floor}.pstats (slows both)",
    )
    args = parser.parse_args(argv)
    if args.commands < 1 or args.concurrency < 1 or args.rounds < 1:
        parser.error("--commands, --concurrency and --rounds must be at least 1")
    return args


def bot_env(fakes: Child, index: int, data_dir: str, extra: list[str]) -> dict[str, str]:
    discord_info: dict[str, Any] = fakes.ready["discords"][index]
    env = {
        "DISCORD_TOKEN": str(discord_info["token"]),
        "DISCORD_API_URL": str(discord_info["api_url"]),
        "DISCORD_GATEWAY_URL": str(discord_info["gateway_url"]),
        "RA_API_KEY": SANDBOX_API_KEY,
        "RA_BASE_URL": str(fakes.ready["ra_url"]),
        "DATA_DIR": data_dir,
        "PROGRESS_COOLDOWN_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
    }
    for item in extra:
        key, _, value = item.partition("=")
        env[key.strip()] = value
    return env


async def run_round(
    fakes: Child,
    bot: Child,
    kind: str,
    index: int,
    number: int,
    args: argparse.Namespace,
    locale: str = "en-US",
) -> Round:
    before = await bot.request({"op": "stats"})
    member_base = MEMBER_BASE + (number * args.commands if args.fresh_members else 0)
    result = await fakes.request(
        {
            "op": "burst",
            "target": index,
            "commands": args.commands,
            "concurrency": args.concurrency,
            "member_base": member_base,
            "user": args.user,
            "games": args.games,
            "timeout": args.timeout,
            "expect": "Sonic the Hedgehog",
            "locale": locale,
        },
        wait_seconds=args.timeout * args.commands + 60,
    )
    await asyncio.sleep(SETTLE_SECONDS)
    after = await bot.request({"op": "stats"})
    return Round(
        kind=kind,
        number=number,
        cpu=float(after["cpu"]) - float(before["cpu"]),
        gc=sum(after["gc"]["total"]) - sum(before["gc"]["total"]),
        fake_cpu=float(result["fake_cpu"]),
        wall=float(result["wall"]),
        latencies=[float(x) for x in result["latencies"]],
        commands=args.commands,
        errors={str(k): int(v) for k, v in result["errors"].items()},
        ra_requests={str(k): int(v) for k, v in result["ra_requests"].items()},
        rest_requests=int(result["rest_requests"]),
        embed_chars=int(result["embed_chars"]),
    )


def describe_round(r: Round) -> str:
    ms = 1000.0
    upstream = ", ".join(f"{k.removeprefix('API_')}={v}" for k, v in sorted(r.ra_requests.items())) or "none"
    text = (
        f"  {r.kind:8} round {r.number} ({'cold' if r.number == 0 else 'warm'}): "
        f"cpu/cmd {r.cpu_per_command * ms:6.2f} ms (gc {r.gc / r.commands * ms:4.2f})  "
        f"p50 {percentile(r.latencies, 50) * ms:7.1f} ms  "
        f"p99 {percentile(r.latencies, 99) * ms:7.1f} ms  {r.rate:6.1f} cmd/s  "
        f"ok {len(r.latencies)}/{r.commands}  REST/cmd {r.rest_requests / r.commands:.2f}  "
        f"fakes cpu/cmd {r.fake_cpu / r.commands * ms:5.2f} ms  upstream: {upstream}"
    )
    if r.errors:
        text += "\n    errors: " + "; ".join(f"{n}x {e}" for e, n in r.errors.items())
    return text


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def warm_cpu(f: BotFigures) -> float:
    return statistics.median(r.cpu_per_command for r in f.warm())


def warm_lat(f: BotFigures, p: float) -> float:
    return percentile([x for r in f.warm() for x in r.latencies], p)


def warm_rate(f: BotFigures) -> float:
    return statistics.median(r.rate for r in f.warm())


def compare_languages(english: BotFigures, other: BotFigures, floor: BotFigures) -> list[str]:
    """The real bot answering in another language, against the floor and against English."""
    ms = 1000.0
    cpu_ratio, p99_ratio = warm_cpu(other) / warm_cpu(floor), warm_lat(other, 99) / warm_lat(floor, 99)
    lines = [f"  {'figure':46} {other.kind:>10} {'english':>10} {'floor':>10}   comparison"]
    rows = [
        ("cpu per command, ms (median of rounds)", warm_cpu, ms, cpu_ratio),
        ("latency p99, ms (all warm answers)", lambda f: warm_lat(f, 99), ms, p99_ratio),
        ("latency p50, ms (all warm answers)", lambda f: warm_lat(f, 50), ms, None),
        ("commands per second (median of rounds)", warm_rate, 1.0, None),
    ]
    for name, figure, scale, floor_ratio in rows:
        values = [figure(f) * scale for f in (other, english, floor)]
        note = f"vs english {values[0] / values[1]:5.2f}x"
        if floor_ratio is not None:
            ok = floor_ratio <= TARGET_RATIO
            note += f"  vs floor {floor_ratio:5.2f}x  target <= {TARGET_RATIO}x  {verdict(ok)}"
        lines.append(f"  {name:46} {values[0]:10.2f} {values[1]:10.2f} {values[2]:10.2f}   {note}")
    errors = sum(sum(r.errors.values()) for r in other.rounds)
    lines.append(f"  failed or wrong answers over all {other.kind} rounds: {errors}")
    return lines


def summarize(figures: dict[str, BotFigures], args: argparse.Namespace) -> list[str]:
    real, floor = figures["real"], figures["floor"]
    ms = 1000.0

    def upstream(r: list[Round]) -> float:
        return sum(sum(x.ra_requests.values()) for x in r) / sum(x.commands for x in r)

    rows: list[tuple[str, float, float, str]] = []
    cpu_ratio = warm_cpu(real) / warm_cpu(floor)
    p50_ratio = warm_lat(real, 50) / warm_lat(floor, 50)
    p99_ratio = warm_lat(real, 99) / warm_lat(floor, 99)
    rows.append(
        (
            "cpu per command, ms (median of rounds)",
            warm_cpu(real) * ms,
            warm_cpu(floor) * ms,
            f"ratio {cpu_ratio:5.2f}x  target <= {TARGET_RATIO}x  {verdict(cpu_ratio <= TARGET_RATIO)}",
        )
    )
    rows.append(
        (
            "latency p50, ms (all warm answers)",
            warm_lat(real, 50) * ms,
            warm_lat(floor, 50) * ms,
            f"ratio {p50_ratio:5.2f}x",
        )
    )
    rows.append(
        (
            "latency p99, ms (all warm answers)",
            warm_lat(real, 99) * ms,
            warm_lat(floor, 99) * ms,
            f"ratio {p99_ratio:5.2f}x  target <= {TARGET_RATIO}x  {verdict(p99_ratio <= TARGET_RATIO)}",
        )
    )
    rows.append(
        (
            "commands per second (median of rounds)",
            warm_rate(real),
            warm_rate(floor),
            f"ratio {warm_rate(real) / warm_rate(floor):5.2f}x",
        )
    )
    rows.append(
        ("upstream requests per command, cold", upstream([real.cold()]), upstream([floor.cold()]), "")
    )
    rows.append(("upstream requests per command, warm", upstream(real.warm()), upstream(floor.warm()), ""))
    rss_ok = real.peak_rss_mb < TARGET_RSS_MB
    rows.append(("peak RSS of the bot process, MB (ru_maxrss)", real.peak_rss_mb, floor.peak_rss_mb,
                 f"target < {TARGET_RSS_MB:.0f} MB  {verdict(rss_ok)}"))  # fmt: skip
    lines = [f"  {'figure':46} {'real':>10} {'floor':>10}   comparison"]
    lines += [f"  {name:46} {a:10.2f} {b:10.2f}   {note}" for name, a, b, note in rows]
    cold = real.cold()
    progress_calls = cold.ra_requests.get("API_GetUserProgress", 0)
    in_flight = min(args.commands, args.concurrency)
    lines.append(
        f"  cold round: {args.commands} identical commands ({in_flight} in flight) made {progress_calls} "
        f"API_GetUserProgress request(s) upstream; target exactly 1  {verdict(progress_calls == 1)}"
    )
    warm_errors = sum(sum(r.errors.values()) for f in figures.values() for r in f.rounds)
    lines.append(f"  failed or wrong answers over all rounds: {warm_errors}")
    lines.append(
        f"  embed size (JSON chars): real {cold.embed_chars}, floor {floor.cold().embed_chars}; "
        f"RA client counters at the end: {real.final_stats.get('ra')}"
    )
    return lines


async def run(args: argparse.Namespace) -> None:
    print(
        f"progress_bench: {args.commands} x /progress user:{args.user} games:{args.games}, "
        f"{args.concurrency} in flight, upstream delay {args.upstream_delay * 1000:.0f} ms, "
        f"1 cold + {args.rounds} warm rounds per bot, alternating real/floor; extra env {args.env or 'none'}"
    )
    children: list[Child] = []
    with tempfile.TemporaryDirectory(prefix="ra-bench-") as data_dir:
        try:
            fakes = await Child.start(
                "fakes", "bench._fake_host", "--discords", "2", "--upstream-delay", str(args.upstream_delay)
            )
            children.append(fakes)
            bots: dict[str, Child] = {}
            for index, kind in enumerate(KINDS):
                env = bot_env(fakes, index, data_dir, args.env)
                profile = ["--profile", f"{args.profile_dir}/{kind}.pstats"] if args.profile_dir else []
                bots[kind] = await Child.start(kind, "bench._bot_host", kind, *profile, env=env)
                children.append(bots[kind])
                await fakes.request({"op": "wait_ready", "target": index, "timeout": 30.0})
                await bots[kind].request({"op": "settle", "timeout": 60.0}, wait_seconds=70.0)
            print(
                f"  processes: fakes pid {fakes.pid}, real bot pid {bots['real'].pid}, "
                f"floor pid {bots['floor'].pid}"
            )
            figures = {kind: BotFigures(kind) for kind in KINDS}
            other = f"real {args.locale}" if args.locale else None
            if other is not None:
                figures[other] = BotFigures(other)
            for number in range(args.rounds + 1):
                for index, kind in enumerate(KINDS):
                    r = await run_round(fakes, bots[kind], kind, index, number, args)
                    figures[kind].rounds.append(r)
                    print(describe_round(r), flush=True)
                    if kind == "real" and other is not None:
                        r = await run_round(fakes, bots[kind], other, index, number, args, args.locale)
                        figures[other].rounds.append(r)
                        print(describe_round(r), flush=True)
            for kind in KINDS:
                stats = await bots[kind].request({"op": "stats"})
                figures[kind].final_stats = stats
                figures[kind].peak_rss_mb = int(stats["maxrss_kb"]) / 1024
            print("\nSummary (warm = every round after the first; ratios are real / floor, same run):")
            for line in summarize(figures, args):
                print(line)
            if other is not None:
                print(f"\nThe real bot answering in {args.locale} (same bot, same session):")
                for line in compare_languages(figures["real"], figures[other], figures["floor"]):
                    print(line)
        finally:
            for child in reversed(children):
                await child.stop()


def main(argv: list[str] | None = None) -> int:
    asyncio.run(run(parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
