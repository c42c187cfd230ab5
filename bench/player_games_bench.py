"""Benchmark of a player's own games: `/progress` with no games, beaten marks, recently played suggestions.

What is measured
    A fresh sandbox (`bot.sandbox.harness.running_sandbox`: the real bot and both fakes in this
    process, so this measures request counts and time to answer, not CPU) whose fake RetroAchievements
    answers after `--upstream-delay` seconds (default 0.1). The dataset is the demo's plus `Bencher`,
    who played `--games` games (default 60) of 20 achievements each, some beaten, and `Finisher`, whose
    10 most recent games are all mastered (so no beaten mark is possible). Each scenario is a fresh
    member, one command, timed from `send_interaction` to the final answer; requests are those that
    reached the fake RetroAchievements during it, by endpoint:
      * no games, cold / warm: `/progress user:Bencher` (warm: the same again right after);
      * no games, nothing beatable: `/progress user:Finisher`;
      * the same 10 games by ID, cold: `/progress user:Bencher games:<the 10 IDs>` in a fresh sandbox
        (game titles then come from API_GetGame, one request per game);
      * compare, cold: `/compare games:<2 of them> users:Bencher,Finisher`.
    Suggestions (`bot.recently_played.recently_played_choices`): seconds for the first keystroke (the
    list is not cached: it must not wait on the upstream delay), then p50/p99 over `--keystrokes`
    (default 500) keystrokes once cached.

Run:  .venv/bin/python -m bench.player_games_bench [--upstream-delay 0.1] [--games 60] [--keystrokes 500]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections import Counter

from bot.recently_played import recently_played_choices
from bot.sandbox.fake_ra import Dataset, demo_dataset, fake_ulid
from bot.sandbox.harness import DEFAULT_GUILD_ID, Sandbox, final_answer, running_sandbox

ENV = {"PROGRESS_COOLDOWN_SECONDS": "0"}
FIRST_GAME = 1000
FIRST_MEMBER = 700_000_000_000_000_000


def bench_dataset(games: int) -> Dataset:
    data = demo_dataset()
    for n in range(games):
        data.add_game(FIRST_GAME + n, f"Bench Game {n}", "NES/Famicom", 20, 200, console_id=7)
    progress = {FIRST_GAME + n: (5 + n % 16, 50 + 10 * (n % 16), n % 6, 10 * (n % 6)) for n in range(games)}
    beaten = {FIRST_GAME + n: "beaten-hardcore" if n % 2 else "beaten-softcore" for n in range(0, games, 3)}
    data.add_user("Bencher", progress, awards=beaten)
    data.add_user("Finisher", {FIRST_GAME + n: (20, 200, 20, 200) for n in range(10)})
    return data


async def timed(sandbox: Sandbox, member: int, name: str, **options: str) -> tuple[float, Counter[str], str]:
    before = len(sandbox.ra.requests)
    start = time.perf_counter()
    answer = await final_answer(await sandbox.command(name, options, user_id=member))
    seconds = time.perf_counter() - start
    requests = Counter(r.endpoint.removeprefix("API_") for r in sandbox.ra.requests[before:])
    title = answer["embeds"][0]["title"] if answer.get("embeds") else str(answer.get("content"))[:60]
    return seconds, requests, title


def row(label: str, seconds: float, requests: Counter[str], title: str) -> None:
    spelled = ", ".join(f"{endpoint} {count}" for endpoint, count in sorted(requests.items()))
    total = sum(requests.values())
    print(f"{label:<38} {seconds * 1000:7.0f} ms  {total:3d} requests ({spelled})  [{title}]")


async def run(delay: float, games: int, keystrokes: int) -> None:
    print(f"upstream delay {delay * 1000:.0f} ms; Bencher played {games} games")
    recent_ids = ",".join(str(FIRST_GAME + n) for n in range(games - 1, games - 11, -1))
    two_games = f"{FIRST_GAME},{FIRST_GAME + 1}"
    async with running_sandbox(bench_dataset(games), env=ENV, ra_delay=delay) as sandbox:
        row("/progress, no games, cold", *await timed(sandbox, FIRST_MEMBER, "progress", user="Bencher"))
        row("/progress, no games, warm", *await timed(sandbox, FIRST_MEMBER + 1, "progress", user="Bencher"))
    async with running_sandbox(bench_dataset(games), env=ENV, ra_delay=delay) as sandbox:
        row(
            "/progress, no games, nothing beatable",
            *await timed(sandbox, FIRST_MEMBER, "progress", user="Finisher"),
        )
    async with running_sandbox(bench_dataset(games), env=ENV, ra_delay=delay) as sandbox:
        row(
            "/progress, the same 10 games by ID",
            *await timed(sandbox, FIRST_MEMBER, "progress", user="Bencher", games=recent_ids),
        )
    async with running_sandbox(bench_dataset(games), env=ENV, ra_delay=delay) as sandbox:
        row(
            "/compare 2 games, 2 players, cold",
            *await timed(sandbox, FIRST_MEMBER, "compare", games=two_games, users="Finisher Bencher"),
        )
        await suggestions(sandbox, keystrokes)


async def suggestions(sandbox: Sandbox, keystrokes: int) -> None:
    bot, member = sandbox.bot, FIRST_MEMBER + 9
    await bot.storage.link(member, fake_ulid("Bencher"), "Bencher", DEFAULT_GUILD_ID)

    async def keystroke(typed: str) -> tuple[float, int]:
        start = time.perf_counter()
        choices = recently_played_choices(
            bot.ra, bot.storage, member, None, typed, spawn=bot.suggestion_fetches.spawn
        )
        return time.perf_counter() - start, len(choices)

    first, shown = await keystroke("")
    print(f"suggestions, first keystroke (not cached): {first * 1000:.1f} ms, {shown} choices")
    await bot.suggestion_fetches.settle_all()
    typed = ["", "b", "be", "bench", "bench game 5", "10"]
    times = sorted([(await keystroke(typed[n % len(typed)]))[0] for n in range(keystrokes)])
    p99 = times[min(len(times) - 1, round(0.99 * len(times)) - 1)]
    print(
        f"suggestions, cached: p50 {statistics.median(times) * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms "
        f"over {keystrokes} keystrokes; upstream {sandbox.ra.count('API_GetUserRecentlyPlayedGames')} "
        "API_GetUserRecentlyPlayedGames request(s) in all"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--upstream-delay", type=float, default=0.1)
    parser.add_argument("--games", type=int, default=60)
    parser.add_argument("--keystrokes", type=int, default=500)
    args = parser.parse_args()
    asyncio.run(run(args.upstream_delay, args.games, args.keystrokes))


if __name__ == "__main__":
    main()
