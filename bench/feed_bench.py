"""The award feed over a simulated day: its upstream cost, its posts, duplicates, misses, lag, CPU and memory.

    .venv/bin/python -m bench.feed_bench [--members 10000] [--servers 200] [--feeds 50] \
        [--site-awards 8000] [--linked-awards 300] [--day-minutes 6] [--poll-seconds 1] [--seed 1]

The real bot runs in its own process (`bench._bot_host real`), so its CPU time and peak memory are its
own; the fake Discord and the fake RetroAchievements run in this one, which also replays the day. Before
the bot starts, its SQLite database gets `--members` linked members spread over `--servers` servers (one
in ten is on two), `--feeds` of which have a feed on (every kind). The replay then grants a day of
`--site-awards` awards across the site, `--linked-awards` of them by linked members, squeezed into
`--day-minutes` real minutes along a daily curve (quiet nights, busy evenings). Award dates are the real
moments they were granted. The bot polls every `--poll-seconds` real seconds, so each poll covers
`day / (day-minutes * 60 / poll-seconds)` of the simulated day.

Printed: polls and `API_GetRecentGameAwards` requests (per poll: mean and most; per simulated day), the
most awards that arrived between two polls (and the most pages a poll read, among polls that had fewer
than 100 new awards to find and among the others), other upstream requests (game icons), posts and awards
posted, duplicates, misses and extras (per server and award; targets 0, 0, 0), lag from an award's grant to
Discord's acknowledgement of its post (p50 and p99), and the bot's CPU seconds and peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import math
import random
import sqlite3
import tempfile
import time
from collections import Counter
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bench._ipc import Child
from bench.stats import percentile
from bot.sandbox.fake_awards import AWARD_KINDS, FakeAward
from bot.sandbox.fake_discord import FakeDiscord
from bot.sandbox.fake_ra import Dataset, FakeRA, fake_ulid
from bot.sandbox.harness import SANDBOX_API_KEY, sandbox_env
from bot.storage import SQLiteStorage

GUILD_BASE = 300_000_000_000_000_000
CHANNEL_BASE = 500_000_000_000_000_000
MEMBER_BASE = 700_000_000_000_000_000
GAMES = 2000
# How often each kind is granted across the site (beaten awards are the most common).
KIND_WEIGHTS = {"beaten-softcore": 35, "beaten-hardcore": 30, "mastered": 25, "completed": 10}
READY_SECONDS = 60.0
DRAIN_SECONDS = 60.0


@dataclass(frozen=True)
class Grant:
    at: float  # seconds after the replay starts
    user: str
    ulid: str
    kind: str
    game_id: int
    linked: bool


def daily_curve(fraction: float) -> float:
    """Relative rate of awards at this point of the day: low at night, highest in the evening."""
    return 1.0 + 0.8 * math.sin(2 * math.pi * (fraction - 0.375))


def schedule(
    args: argparse.Namespace, members: dict[int, tuple[str, str]], rng: random.Random
) -> list[Grant]:
    """The day's awards, in order: site-wide ones by strangers, and `linked_awards` by linked members."""
    seconds = args.day_minutes * 60.0
    times: list[float] = []
    peak = 1.8
    while len(times) < args.site_awards:  # rejection sampling along the daily curve
        moment = rng.random()
        if rng.random() * peak < daily_curve(moment):
            times.append(moment * seconds)
    times.sort()
    linked_slots = set(rng.sample(range(len(times)), args.linked_awards))
    linked_members = list(members.values())
    kinds, weights = list(KIND_WEIGHTS), list(KIND_WEIGHTS.values())
    grants = []
    for index, moment in enumerate(times):
        kind = rng.choices(kinds, weights)[0]
        game = rng.randrange(1, GAMES + 1)
        if index in linked_slots:
            name, ulid = rng.choice(linked_members)
            grants.append(Grant(moment, name, ulid, kind, game, True))
        else:
            name = f"Site{rng.randrange(200_000)}"
            grants.append(Grant(moment, name, fake_ulid(name), kind, game, False))
    return grants


def seed_database(
    path: Path, args: argparse.Namespace, rng: random.Random
) -> tuple[dict[int, tuple[str, str]], dict[int, list[int]]]:
    """Linked members and their servers, and the feeds, written straight into the bot's (migrated)
    database. Returns members (Discord id -> RA name and ULID) and each member's servers."""
    now = time.time() - 60  # linked and switched on a minute before the day starts
    members = {MEMBER_BASE + n: (f"Linked{n}", fake_ulid(f"Linked{n}")) for n in range(args.members)}
    servers: dict[int, list[int]] = {}
    for n, member in enumerate(members):
        home = GUILD_BASE + n % args.servers
        servers[member] = [home]
        if rng.random() < 0.1:
            servers[member].append(GUILD_BASE + rng.randrange(args.servers))
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.executemany(
            "INSERT INTO links (discord_user_id, ra_ulid, ra_name, linked_at) VALUES (?, ?, ?, ?)",
            [(member, ulid, name, now) for member, (name, ulid) in members.items()],
        )
        conn.executemany(
            "INSERT OR IGNORE INTO guild_members (guild_id, discord_user_id) VALUES (?, ?)",
            [(guild, member) for member, guilds in servers.items() for guild in guilds],
        )
        conn.executemany(
            "INSERT INTO feed_settings (guild_id, channel_id, kinds, enabled_at) VALUES (?, ?, ?, ?)",
            [
                (GUILD_BASE + n, CHANNEL_BASE + n, ",".join(sorted(AWARD_KINDS)), now)
                for n in range(args.feeds)
            ],
        )
    return members, servers


def game_dataset() -> Dataset:
    data = Dataset()
    consoles = ["Genesis/Mega Drive", "SNES/Super Famicom", "PlayStation", "Game Boy Advance", "NES/Famicom"]
    for game in range(1, GAMES + 1):
        data.add_game(
            game, f"Game number {game}", consoles[game % len(consoles)], 20, 200, console_id=game % 5
        )
    return data


def shown(fake: FakeDiscord, channel: int, ulids: dict[str, str]) -> list[tuple[str, float]]:
    """(award key, when Discord acknowledged its post) for every award posted in the channel."""
    kinds = {"👑 Mastered": "mastered", "✅ Completed": "completed"}
    kinds |= {"🏁 Beaten in hardcore": "beaten-hardcore", "🏁 Beaten in softcore": "beaten-softcore"}
    found = []
    for message in fake.channel(channel).messages:
        posted_at = datetime.fromisoformat(message["timestamp"]).timestamp()
        for embed in message["embeds"]:
            kind = kinds[embed["title"].split(":")[0]]
            game = int(embed["url"].rsplit("/", 1)[1])
            moment = int(datetime.fromisoformat(embed["timestamp"]).timestamp())
            found.append((f"{ulids[embed['author']['name']]}:{game}:{kind}:{moment}", posted_at))
    return found


def key_of(award: FakeAward) -> str:
    return f"{award.ulid}:{award.game_id}:{award.kind}:{int(award.awarded_at.timestamp())}"


async def run(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    folder = Path(tempfile.mkdtemp(prefix="feed-bench-"))
    data_dir = folder / "data"
    storage = SQLiteStorage(data_dir / "bot.sqlite3")
    await storage.open()
    await storage.close()
    members, servers = seed_database(data_dir / "bot.sqlite3", args, rng)
    grants = schedule(args, members, rng)
    feeds = {GUILD_BASE + n: CHANNEL_BASE + n for n in range(args.feeds)}
    by_linked = sum(grant.linked for grant in grants)
    covered = 86400 * args.poll_seconds / (args.day_minutes * 60)
    print(
        f"{args.members:,} linked members over {args.servers} servers, {args.feeds} feeds; {len(grants):,} "
        f"awards in {args.day_minutes:g} min ({by_linked} by linked members); a poll every "
        f"{args.poll_seconds:g} s = {covered:.0f} s of the day"
    )
    async with FakeRA(game_dataset(), api_key=SANDBOX_API_KEY) as ra, FakeDiscord() as fake:
        env = {
            **sandbox_env(fake, ra, data_dir),
            "FEED_POLL_SECONDS": str(args.poll_seconds),
            "LOG_LEVEL": "WARNING",
        }
        bot = await Child.start("bot", "bench._bot_host", "real", env=env)
        try:
            await fake.wait_until_ready(timeout=READY_SECONDS)
            await asyncio.sleep(2 * args.poll_seconds)  # the first polls: the feed starts from now
            before = await bot.request({"op": "stats"})
            requests_before = len(ra.requests)
            grant_times: list[float] = []
            granted: list[tuple[FakeAward, float, Grant]] = []
            loop = asyncio.get_running_loop()
            started = loop.time()
            for grant in grants:
                delay = started + grant.at - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                award = ra.awards.add(grant.user, grant.kind, grant.game_id, ulid=grant.ulid)
                granted.append((award, time.time(), grant))
                grant_times.append(loop.time())
            expected: set[tuple[int, str]] = set()
            granted_at: dict[str, float] = {}
            member_of = {ulid: member for member, (_, ulid) in members.items()}
            for award, moment, grant in granted:
                granted_at[key_of(award)] = moment
                if grant.linked:
                    for guild in servers[member_of[grant.ulid]]:
                        if guild in feeds:
                            expected.add((guild, key_of(award)))
            ulids = {name: ulid for name, ulid in members.values()}
            deadline = time.monotonic() + DRAIN_SECONDS
            while time.monotonic() < deadline:
                seen = {(g, k) for g, ch in feeds.items() for k, _ in shown(fake, ch, ulids)}
                if expected <= seen:
                    break
                await asyncio.sleep(0.2)
            await asyncio.sleep(3 * args.poll_seconds)  # anything late or doubled shows up now
            after = await bot.request({"op": "stats"})
        finally:
            await bot.stop()
    report(args, ra, fake, feeds, members, expected, granted_at, before, after, requests_before, grant_times)


def report(
    args: argparse.Namespace,
    ra: FakeRA,
    fake: FakeDiscord,
    feeds: dict[int, int],
    members: dict[int, tuple[str, str]],
    expected: set[tuple[int, str]],
    granted_at: dict[str, float],
    before: dict[str, object],
    after: dict[str, object],
    requests_before: int,
    grant_times: list[float],
) -> None:
    ulids = {name: ulid for name, ulid in members.values()}
    requests = ra.requests[requests_before:]
    pages = [r for r in requests if r.endpoint == "API_GetRecentGameAwards"]
    polls: list[int] = []
    for page in pages:
        if page.params.get("o") == "0":
            polls.append(0)
        if polls:
            polls[-1] += 1
    poll_times = [r.time for r in pages if r.params.get("o") == "0"]
    # Awards granted between one poll's first request and the next one's: what each poll had to find.
    per_interval = Counter(bisect.bisect_left(poll_times, moment) for moment in grant_times)
    others = Counter(r.endpoint for r in requests if r.endpoint != "API_GetRecentGameAwards")
    posts = shown_all = 0
    counted: Counter[tuple[int, str]] = Counter()
    lags = []
    for guild, channel in feeds.items():
        messages = fake.channel(channel).messages
        posts += len(messages)
        for key, posted_at in shown(fake, channel, ulids):
            shown_all += 1
            counted[(guild, key)] += 1
            if (guild, key) in expected:
                lags.append(posted_at - granted_at[key])
    duplicates = sum(n - 1 for n in counted.values() if n > 1)
    misses = len(expected - set(counted))
    extras = len(set(counted) - expected)
    simulated_days = len(poll_times) * args.poll_seconds / (args.day_minutes * 60)
    cpu = float(after["cpu"]) - float(before["cpu"])  # type: ignore[arg-type]
    print(f"polls: {len(polls)} ({simulated_days:.2f} simulated days)")
    mean = len(pages) / max(1, len(polls))
    print(
        f"API_GetRecentGameAwards: {len(pages)} requests; per poll mean {mean:.3f}, most "
        f"{max(polls, default=0)}; per simulated day {len(pages) / max(simulated_days, 1e-9):.0f}"
    )
    print(
        f"awards arriving per poll interval: most {max(per_interval.values(), default=0)}, "
        f"mean {len(grant_times) / max(1, len(poll_times)):.1f}"
    )
    print(f"other upstream requests: {dict(others) or 'none'}")
    print(
        f"posts: {posts} messages holding {shown_all} awards; expected {len(expected)}; "
        f"duplicates {duplicates}, misses {misses}, extras {extras}"
    )
    print(f"lag from grant to post: p50 {percentile(lags, 50):.2f} s, p99 {percentile(lags, 99):.2f} s")
    print(
        f"bot: {cpu:.2f} CPU s over the replay ({cpu / max(simulated_days, 1e-9):.2f} per simulated day), "
        f"peak RSS {int(after['maxrss_kb']) / 1024:.0f} MB"  # type: ignore[call-overload]
    )
    # Poll i had to find the awards granted since poll i-1 began (per_interval[i]) and read polls[i] pages.
    quiet = [pages_read for i, pages_read in enumerate(polls) if per_interval.get(i, 0) < 100]
    busy = [pages_read for i, pages_read in enumerate(polls) if per_interval.get(i, 0) >= 100]
    print(
        f"polls with fewer than 100 new awards: {len(quiet)}, most pages {max(quiet, default=0)}; "
        f"with 100 or more: {len(busy)}, most pages {max(busy, default=0)}"
    )
    verdicts = {
        "at most 1 request per poll while fewer than 100 awards arrive per interval": max(quiet, default=0)
        <= 1,
        "no duplicates": duplicates == 0,
        "no misses": misses == 0,
    }
    for what, ok in verdicts.items():
        print(f"{'PASS' if ok else 'FAIL'}: {what}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--servers", type=int, default=200)
    parser.add_argument("--feeds", type=int, default=50)
    parser.add_argument("--site-awards", type=int, default=8000)
    parser.add_argument("--linked-awards", type=int, default=300)
    parser.add_argument("--day-minutes", type=float, default=6.0)
    parser.add_argument("--poll-seconds", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
