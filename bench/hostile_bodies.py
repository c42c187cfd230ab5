"""The real RetroAchievements client against huge and endless answers: peak memory and time to give up.

    .venv/bin/python -m bench.hostile_bodies [--kinds KIND ...] [--max-retries 3] [--timeout 15]
        [--compare-uncapped]

This process hosts the fake RetroAchievements (`bot/sandbox/fake_ra.py`). Each scenario runs the
real `RAClient`, with the bot's default options, in a fresh child process, so that the peak RSS
printed is that client's own (`ru_maxrss`: interpreter, imports and aiohttp included). The child
first makes one ordinary request (the baseline), then asks for progress while the fake answers
every attempt with the hostile body, and reports when it gave up (retries and their backoff
included: with the default 3 retries, most of that time is the backoff).

`--compare-uncapped` adds, for the 50 MB bodies only, the same client with its body limit raised
above them: what reading the answer whole costs. Exit status 1 if a capped scenario's peak RSS is
over the target (100 MB) or the client did not give up with RAUnavailable.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import resource
import sys
import time
from typing import Any

from bot.sandbox.fake_ra import HUGE_BODY_BYTES, FakeRA, demo_dataset, gzip_bomb_body

KINDS = ("huge_body", "huge_body_chunked", "endless_body", "gzip_bomb")
FIFTY_MEGABYTE_KINDS = ("huge_body", "huge_body_chunked", "gzip_bomb")
TARGET_MB = 100.0
API_KEY = "BENCHKEY0123456789abcdef"
PROGRESS = "API_GetUserProgress"
UNCAPPED_LIMIT = 4 * HUGE_BODY_BYTES


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# -- the child: one client, one scenario -----------------------------------------------------------


class AttemptClock:
    """The client's observer: when each attempt ended, and with what status."""

    def __init__(self) -> None:
        self.attempts: list[tuple[float, str]] = []

    def request(self, endpoint: str, status: str) -> None:
        if endpoint == PROGRESS:
            self.attempts.append((time.perf_counter(), status))

    def cache(self, kind: str, hit: bool) -> None:
        return None

    def rate_limit_wait(self, seconds: float) -> None:
        return None


async def run_client(base_url: str, max_retries: int, seconds: float, uncapped: bool) -> dict[str, Any]:
    from bot.errors import RAUnavailable
    from bot.ra.client import RAClient, RAClientOptions
    from bot.secret import Secret

    logging.getLogger("bot").setLevel(logging.ERROR)  # one warning per attempt is expected here
    options = RAClientOptions(
        base_url=base_url, api_key=Secret(API_KEY), max_retries=max_retries, timeout_seconds=seconds
    )
    limits = {PROGRESS: UNCAPPED_LIMIT} if uncapped else None
    clock = AttemptClock()
    async with RAClient(options, body_limits=limits, observer=clock) as client:
        await client.get_game(1)  # warm: imports, session, connection (the fake fails only progress)
        baseline = peak_rss_mb()
        start = time.perf_counter()
        try:
            await client.get_user_progress("MaxMilyin", [1])
            outcome = "answered"
        except RAUnavailable as exc:
            outcome = f"RAUnavailable: {exc}"
        except Exception as exc:
            outcome = f"{type(exc).__name__}: {exc}"
        total = time.perf_counter() - start
    first_end, _ = clock.attempts[0] if clock.attempts else (start, "")
    return {
        "baseline_mb": baseline,
        "peak_mb": peak_rss_mb(),
        "first_attempt": first_end - start,
        "seconds": total,
        "statuses": sorted({status for _, status in clock.attempts}),
        "attempts": len(clock.attempts),
        "outcome": outcome,
    }


# -- the parent: the fake, and one child per scenario ---------------------------------------------


async def scenario(fake: FakeRA, kind: str, args: argparse.Namespace, uncapped: bool) -> dict[str, Any]:
    fake.clear_failures()
    fake.fail_next(PROGRESS, kind, times=1000)
    command = [
        sys.executable,
        "-m",
        "bench.hostile_bodies",
        "--child",
        fake.base_url,
        "--max-retries",
        str(args.max_retries),
        "--timeout",
        str(args.timeout),
    ]
    if uncapped:
        command.append("--uncapped")
    child = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)
    out, _ = await child.communicate()
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    result.update(kind=kind, uncapped=uncapped)
    return result


async def run(args: argparse.Namespace) -> int:
    failed = False
    header = ("scenario", "attempts", "1st attempt", "gave up", "baseline", "peak RSS", "status", "outcome")
    print("{:<34} {:>8} {:>11} {:>8} {:>9} {:>9}  {:<10} {}".format(*header))
    gzip_bomb_body()  # compressed once, before any clock starts
    async with FakeRA(demo_dataset(), api_key=API_KEY) as fake:
        plans = [(kind, False) for kind in args.kinds]
        if args.compare_uncapped:
            plans += [(kind, True) for kind in args.kinds if kind in FIFTY_MEGABYTE_KINDS]
        for kind, uncapped in plans:
            r = await scenario(fake, kind, args, uncapped)
            name = kind + (f" (limit {UNCAPPED_LIMIT >> 20} MiB)" if uncapped else "")
            verdict = ""
            if not uncapped:
                ok = r["peak_mb"] < TARGET_MB and r["outcome"].startswith("RAUnavailable")
                verdict = "PASS" if ok else "FAIL"
                failed = failed or not ok
            print(
                f"{name:<34} {r['attempts']:>8} {r['first_attempt'] * 1000:>8.1f} ms {r['seconds']:>7.2f}s "
                f"{r['baseline_mb']:>6.1f} MB {r['peak_mb']:>6.1f} MB  {','.join(r['statuses']):<10} "
                f"{verdict} {r['outcome'][:70]}"
            )
    print(f"target: peak RSS under {TARGET_MB:.0f} MB and RAUnavailable in every capped scenario")
    return 1 if failed else 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS))
    parser.add_argument("--max-retries", type=int, default=3, help="the bot's default: 3")
    parser.add_argument("--timeout", type=float, default=15.0, help="seconds per attempt (the default: 15)")
    parser.add_argument("--compare-uncapped", action="store_true")
    parser.add_argument("--child", metavar="BASE_URL", help=argparse.SUPPRESS)
    parser.add_argument("--uncapped", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = asyncio.run(run_client(args.child, args.max_retries, args.timeout, args.uncapped))
        print(json.dumps(result))
        return
    sys.exit(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
