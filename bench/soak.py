"""Soak run: thousands of realistic interactions with faults injected throughout, and the figures that gate
a release.

What runs where
    * This process hosts the fakes (`FakeDiscord`, `FakeRA` with many users) and plays the members: a
      fixed number of workers (`--concurrency`) send a seeded mix of `/progress` (1-12 games, some
      paged), `/compare`, `/link`, `/unlink`, `/leaderboard`, autocomplete, page-button clicks and
      invalid input, and wait for each answer. A fault task keeps telling the fake RetroAchievements to
      fail (429 with Retry-After, 500, "slow" past `RA_TIMEOUT_SECONDS`, HTML pages, truncated JSON,
      wrong types, odd JSON, dropped connections); the fake Discord answers every Nth reply with 429
      (`reply_429_every`); some interactions expire before any answer can arrive (`deadline=0`); and
      the gateway is disconnected once in the middle (the bot RESUMEs, missed events are replayed).
    * The real bot runs alone in a child process (`python -m bench.soak --bot-child`, started through
      `bot.app.create_bot` + `run_bot` as in `bench._bot_host`), so its memory is its own: the figures
      are that process's resident set (`VmRSS` from /proc, after `gc.collect()`) and its peak
      (`ru_maxrss`). The fakes' memory stays in this process and is kept flat with
      `forget_finished()`. The child watches itself: a logging handler sees every record at DEBUG and
      above (before the bot's redacting filter), a loop exception handler, `sys.unraisablehook` and
      `threading.excepthook`; it reports over `bench._ipc`. Traffic and faults start once the bot has
      filled its game catalogue, as a running bot has.

Figures and gates (exit status 1 if any gate fails, else 0)
    failed          interactions with no answer at all that did not expire        must be 0
    unhandled       ERROR records of discord.py's "Ignoring exception" handlers, the loop exception
                    handler, our "Unexpected error" and "Page button failed" logs, unraisable and
                    thread exceptions                                               must be 0
    other errors    any other ERROR record in the bot                               must be 0
    upstream rate   most HTTP attempts the bot started in any 1 s (timed in the bot, after its rate
                    limiter)                                                   <= rate + burst
                    (also printed: as the fake received them; the fakes' process is busy, so its
                    timestamps bunch and can exceed the limit by a few without the bot sending more)
    secrets         the API key or the Discord token in any REST request the bot sent to the fake
                    Discord (path, query, body) or in any log record              must be 0
    memory          bot RSS growth after warm-up                          <= --max-growth-mb

Run:  .venv/bin/python -m bench.soak [--interactions 10000] [--minutes-cap 10] [--seed 1]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import os
import random
import re
import resource
import secrets
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from bench._ipc import JSON, Child, send, serve
from bot.sandbox.fake_discord import FakeDiscord, FakeInteraction
from bot.sandbox.fake_ra import Dataset, FakeRA, demo_dataset, peak_per_second
from bot.sandbox.harness import SANDBOX_API_KEY, button_id, final_answer, sandbox_env, string_options

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MEMBER_BASE = 210_000_000_000_000_000
GUILD_BASE = 300_000_000_000_000_001
EPHEMERAL = 1 << 6
# Fault kinds injected into the fake RetroAchievements, and how often each is picked.
RA_FAULTS: dict[str, int] = {
    "429": 4,
    "500": 4,
    "slow": 2,
    "html": 2,
    "html200": 1,
    "truncated": 1,
    "wrong_types": 1,
    "json": 1,
    "drop": 3,
}
ODD_JSON: tuple[Any, ...] = ({"unexpected": True}, [], [1, 2], "text", None, 0, {"1": {}})

# Member-facing messages, by kind (checked in order; first match wins).
ANSWER_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("unexpected", r"Something went wrong on the bot's side"),
        ("invalid_input", r"is not a RetroAchievements user name|is not a game ID|Give at least one game|"
         r"one command can show at most|needs 2 to 10|only works in a server|Type a RetroAchievements|"
         r"No RetroAchievements game is titled|matches \d+ games|Unknown game #"),
        ("not_found", r"There is no RetroAchievements user named|None of those names exist|"
         r"did not say which"),
        ("ra_unavailable", r"is not answering right now"),
        ("ra_rate_limited", r"asking the bot to slow down"),
        ("ra_rejected", r"did not accept that request"),
        ("misconfigured", r"misconfigured"),
        ("cooldown", r"going a little fast"),
        ("no_links", r"Nobody on this server has linked"),
        ("not_yours", r"Only the member who asked"),
        ("draining", r"restarting"),
        ("command_changed", r"This command has changed"),
        ("catalogue_loading", r"still fetching the list of RetroAchievements games"),
    )
)  # fmt: skip


# ---------------------------------------------------------------------------------------------- settings


@dataclass
class SoakConfig:
    """Everything a soak run is told; the defaults are the full release soak."""

    interactions: int = 10_000
    minutes_cap: float = 10.0
    seed: int = 1
    concurrency: int = 100
    users: int = 400
    members: int = 4000
    guilds: int = 8
    ra_rate: float = 50.0
    ra_burst: int = 10
    ra_timeout: float = 1.0
    fault_interval: float = 0.25  # seconds between two RetroAchievements faults
    reply_429_every: int = 25
    expire_fraction: float = 0.03
    warmup_fraction: float = 0.3
    answer_timeout: float = 120.0
    max_growth_mb: float = 20.0
    forget_after: float = 30.0  # the fake Discord drops answered interactions this old
    bot_env: dict[str, str] = field(default_factory=dict)  # extra settings for the bot

    def env(self) -> dict[str, str]:
        return {
            "RA_REQUESTS_PER_SECOND": f"{self.ra_rate:g}",
            "RA_BURST": str(self.ra_burst),
            "RA_TIMEOUT_SECONDS": f"{self.ra_timeout:g}",
            "PROGRESS_COOLDOWN_SECONDS": "5",
            "PAGINATOR_TIMEOUT_SECONDS": "20",
            "CACHE_PROFILE_SECONDS": "30",
            "CACHE_PROGRESS_SECONDS": "30",
            "LOG_LEVEL": "DEBUG",
            **self.bot_env,
        }


# ---------------------------------------------------------------------------------------------- results


@dataclass
class MemoryPoint:
    label: str
    sent: int
    rss_mb: float
    peak_mb: float
    tasks: int


@dataclass
class SoakResult:
    config: SoakConfig
    sent: int = 0
    answered: int = 0
    expired_deliberate: int = 0
    expired_late: int = 0
    failed: int = 0
    failed_samples: list[str] = field(default_factory=list)
    answers: Counter[str] = field(default_factory=Counter)  # by kind: results and error answers
    sent_by_command: Counter[str] = field(default_factory=Counter)
    unhandled: Counter[str] = field(default_factory=Counter)
    other_errors: Counter[str] = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    log_records: int = 0
    secret_leaks: Counter[str] = field(default_factory=Counter)  # where: "REST ..." or "log ..."
    rest_scanned: int = 0
    memory: list[MemoryPoint] = field(default_factory=list)
    upstream_requests: int = 0
    upstream_max_per_second: int = 0  # as the bot sent them (the gate)
    upstream_max_arrival: int = 0  # as the fake received them (network and scheduling jitter included)
    upstream_by_endpoint: Counter[str] = field(default_factory=Counter)
    faults_injected: Counter[str] = field(default_factory=Counter)
    discord_429s: int = 0
    resumes: int = 0
    identifies: int = 0
    resume_seconds: float | None = None
    fake_counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    capped: bool = False

    @property
    def expired(self) -> int:
        return self.expired_deliberate + self.expired_late

    @property
    def rate_limit(self) -> float:
        return self.config.ra_rate + self.config.ra_burst

    def memory_growth_mb(self) -> float | None:
        """RSS at the end minus after warm-up (None if either is missing)."""
        points = {p.label: p for p in self.memory}
        if "warm" not in points or "end" not in points:
            return None
        return points["end"].rss_mb - points["warm"].rss_mb

    def problems(self) -> list[str]:
        """Every gate that failed; empty when the soak passes."""
        out: list[str] = []
        if self.failed:
            out.append(f"{self.failed} interaction(s) got no answer and did not expire")
        if sum(self.unhandled.values()):
            out.append(f"{sum(self.unhandled.values())} unhandled exception(s): {dict(self.unhandled)}")
        if sum(self.other_errors.values()):
            out.append(f"{sum(self.other_errors.values())} other ERROR record(s): {dict(self.other_errors)}")
        if self.answers.get("unexpected"):
            out.append(f"{self.answers['unexpected']} 'Something went wrong' answer(s)")
        if self.upstream_max_per_second > self.rate_limit:
            out.append(
                f"upstream peaked at {self.upstream_max_per_second} requests in 1 s, "
                f"over rate + burst = {self.rate_limit:g}"
            )
        if sum(self.secret_leaks.values()):
            out.append(f"a secret appeared where the bot wrote: {dict(self.secret_leaks)}")
        if self.sent < self.config.interactions and not self.capped:
            out.append(f"only {self.sent} of {self.config.interactions} interactions were sent")
        growth = self.memory_growth_mb()
        if growth is None:
            out.append("memory was not measured after warm-up and at the end")
        elif growth > self.config.max_growth_mb:
            out.append(f"bot RSS grew {growth:.1f} MB after warm-up (limit {self.config.max_growth_mb:g} MB)")
        return out

    def report(self) -> str:
        """The printed summary."""
        c = self.config
        lines = [
            f"soak: seed {c.seed}, {c.concurrency} in flight, RA limit {c.ra_rate:g}/s burst {c.ra_burst}, "
            f"RA timeout {c.ra_timeout:g} s, Discord 429 every {c.reply_429_every} replies, "
            f"{self.seconds:.1f} s" + (" (stopped at --minutes-cap)" if self.capped else ""),
            f"interactions sent      {self.sent}   by command: {_fmt(self.sent_by_command)}",
            f"  answered             {self.answered}",
            f"  expired              {self.expired}   (deadline=0 on purpose: {self.expired_deliberate}, "
            f"bot too late: {self.expired_late})",
            f"  failed               {self.failed}   (no answer, not expired; must be 0)",
        ]
        lines += [f"    {sample}" for sample in self.failed_samples[:5]]
        results = {k: v for k, v in self.answers.items() if k.startswith("ok:")}
        errors = {k: v for k, v in self.answers.items() if not k.startswith("ok:")}
        lines += [
            f"answers                results: {_fmt(Counter(results))}",
            f"                       errors by kind: {_fmt(Counter(errors)) or 'none'}",
            f"unhandled exceptions   {sum(self.unhandled.values())}   {_fmt(self.unhandled)}  (must be 0)",
            f"other ERROR records    {sum(self.other_errors.values())}   {_fmt(self.other_errors)}"
            "  (must be 0)",
        ]
        lines += [f"    {sample}" for sample in self.error_samples[:5]]
        lines.append(
            "memory (bot process; RSS = VmRSS after gc.collect(), peak = ru_maxrss; fakes excluded):"
        )
        for p in self.memory:
            lines.append(
                f"  {p.label:6} after {p.sent:6} sent: RSS {p.rss_mb:6.1f} MB  peak {p.peak_mb:6.1f} MB  "
                f"tasks {p.tasks}"
            )
        growth = self.memory_growth_mb()
        if growth is not None:
            lines.append(f"  growth after warm-up: {growth:+.1f} MB (limit {c.max_growth_mb:g} MB)")
        lines += [
            f"upstream requests      {self.upstream_requests}   {_fmt(self.upstream_by_endpoint)}",
            f"  max in any 1 s       {self.upstream_max_per_second} sent by the bot (limit: rate + burst = "
            f"{self.rate_limit:g}); {self.upstream_max_arrival} received by the fake (jitter included)",
            f"faults injected        RA: {_fmt(self.faults_injected)}; Discord 429s: {self.discord_429s}",
            f"gateway                disconnected once; RESUMEs {self.resumes}, IDENTIFYs {self.identifies}"
            + (f", resumed after {self.resume_seconds:.2f} s" if self.resume_seconds is not None else ""),
            f"fake Discord counts    {self.fake_counts}",
            f"secrets                {sum(self.secret_leaks.values())} leak(s) in {self.rest_scanned} REST "
            f"requests and {self.log_records} log records  {_fmt(self.secret_leaks)}  (must be 0)",
        ]
        problems = self.problems()
        lines.append("RESULT: " + ("PASS" if not problems else "FAIL"))
        lines += [f"  - {p}" for p in problems]
        return "\n".join(lines)


def _fmt(counter: Counter[str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(counter.items()))


# ---------------------------------------------------------------------------------------------- scanning


def find_secrets(text: str, named: dict[str, str]) -> list[str]:
    """Names of the secrets whose value occurs in `text`."""
    return [name for name, value in named.items() if value and value in text]


def classify_answer(interaction: FakeInteraction, message: JSON) -> str:
    """What the member saw: `ok:<kind>` for a result, else the kind of the private error."""
    if interaction.type == 4:
        return "ok:autocomplete"
    content = str(message.get("content") or "")
    private = bool(int(message.get("flags") or 0) & EPHEMERAL)
    if message.get("embeds") and not (private and content):
        return "ok:page_turn" if interaction.type == 3 else "ok:embed"
    for kind, pattern in ANSWER_KINDS:
        if pattern.search(content):
            return kind
    if "unlink" in content or "stores nothing about you" in content:
        return "ok:unlink"
    return "other_error" if private else "ok:message"


# ---------------------------------------------------------------------------------------------- dataset


def soak_dataset(users: int, seed: int) -> tuple[Dataset, list[str]]:
    """The demo data plus games 13-40 and `users` players with seeded progress."""
    rng = random.Random(seed)
    data = demo_dataset()
    for game_id in range(13, 41):
        data.add_game(game_id, f"Soak Game {game_id}", "SNES/Super Famicom", 20 + game_id, 10 * game_id)
    names = list(data.users.keys())
    for n in range(users):
        progress: dict[int, tuple[int, int, int, int]] = {}
        for game_id in rng.sample(range(1, 41), rng.randint(0, 12)):
            game = data.games[game_id]
            soft = rng.randint(0, game.achievements)
            hard = rng.randint(0, soft)
            progress[game_id] = (soft, soft * 5, hard, hard * 5)
        name = f"Soaker{n:04d}"
        data.add_user(name, progress)
        names.append(name)
    return data, [data.users[n.lower()].name for n in names]


# ---------------------------------------------------------------------------------------------- the run


@dataclass
class Plan:
    """One interaction to send."""

    command: str  # progress, compare, link, unlink, leaderboard, autocomplete, invalid
    options: dict[str, str]
    member: int
    guild_id: int | None
    expire: bool = False
    focused: str | None = None  # autocomplete: the focused option
    click: bool = False  # press the page buttons of the answer


class Soak:
    """The members, the faults and the bookkeeping of one run (the fakes live in this process)."""

    def __init__(self, config: SoakConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.dataset, self.names = soak_dataset(config.users, config.seed)
        self.token = "soak-token-" + secrets.token_urlsafe(24)
        self.ra = FakeRA(self.dataset, api_key=SANDBOX_API_KEY)
        self.discord = FakeDiscord(
            bot_token=self.token, reply_429_every=config.reply_429_every, reply_429_retry_after=0.05
        )
        self.secrets = {"RA_API_KEY": SANDBOX_API_KEY, "DISCORD_TOKEN": self.token}
        self.result = SoakResult(config)
        self.deliberate: set[str] = set()
        self.stop = asyncio.Event()
        self.bot: Child | None = None
        self._halfway = asyncio.Event()
        self._warm = asyncio.Event()
        self._scanned = 0

    # -- plans --------------------------------------------------------------------------------

    def guild_of(self, member: int) -> int | None:
        if member % 20 == 0:
            return None  # a direct message
        return GUILD_BASE + member % self.config.guilds

    def games(self, low: int, high: int, pool: int = 40) -> str:
        ids = self.rng.sample(range(1, pool + 1), self.rng.randint(low, high))
        separator = self.rng.choice((",", ", ", " ", ";"))
        return separator.join(str(i) for i in ids)

    def plan(self) -> Plan:
        rng = self.rng
        member = MEMBER_BASE + rng.randrange(self.config.members)
        guild_id = self.guild_of(member)
        user = rng.choice(self.names)
        roll = rng.random()
        plan: Plan
        if roll < 0.28:
            plan = Plan("progress", {"user": user, "games": self.games(1, 10)}, member, guild_id)
        elif roll < 0.36:
            games = self.games(11, 12, pool=12)
            plan = Plan("progress", {"user": user, "games": games}, member, guild_id, click=True)
        elif roll < 0.44:
            users = ", ".join(rng.sample(self.names, rng.randint(2, 4)))
            plan = Plan("compare", {"games": self.games(1, 5), "users": users}, member, guild_id)
        elif roll < 0.53:
            plan = Plan("link", {"username": user}, member, guild_id)
        elif roll < 0.56:
            plan = Plan("unlink", {}, member, guild_id)
        elif roll < 0.62:
            game = str(rng.choice((1, 2, 3)))
            plan = Plan("leaderboard", {"game": game}, member, guild_id or GUILD_BASE)
        elif roll < 0.70:
            typed = user[: rng.randint(0, 3)]
            plan = Plan("progress", {"user": typed, "games": ""}, member, guild_id, focused="user")
        elif roll < 0.76:
            typed = f"{rng.choice(self.names)}, {user[: rng.randint(0, 3)]}"
            plan = Plan("compare", {"games": "1", "users": typed}, member, guild_id, focused="users")
        else:
            plan = self.invalid(member, guild_id, user)
        plan.expire = rng.random() < self.config.expire_fraction
        return plan

    def invalid(self, member: int, guild_id: int | None, user: str) -> Plan:
        """Input a member can get wrong (or odd but valid input, such as links)."""
        choices: list[tuple[str, dict[str, str], int | None]] = [
            ("progress", {"user": "not a name!", "games": "1"}, guild_id),
            ("progress", {"user": user, "games": "abc, 2"}, guild_id),
            ("progress", {"user": user, "games": "0"}, guild_id),
            ("progress", {"user": user, "games": ",".join(str(i) for i in range(1, 53))}, guild_id),
            ("progress", {"user": "Nobody0000", "games": "1,2"}, guild_id),
            ("progress", {"user": user, "games": "99999, 1"}, guild_id),
            ("progress", {"user": f"https://retroachievements.org/user/{user}", "games": "3"}, guild_id),
            ("progress", {"user": user, "games": "https://retroachievements.org/game/2"}, guild_id),
            ("progress", {"user": "Ünïcødé名前", "games": "\uff11\uff12"}, guild_id),  # fullwidth 12
            ("compare", {"games": "1", "users": user}, guild_id),
            ("compare", {"games": "1,2", "users": "Ghost0001, Ghost0002"}, guild_id),
            ("compare", {"games": "1,2,3,4,5,6,7,8,9,10,11", "users": f"{user}, Scott"}, guild_id),
            ("leaderboard", {"game": "1"}, None),
            ("leaderboard", {"game": "x"}, guild_id or GUILD_BASE),
            ("link", {"username": "Ghost9999"}, guild_id),
            ("link", {"username": "bad name"}, guild_id),
            ("progress", {"user": "   ", "games": "   "}, guild_id),
        ]
        command, options, guild = self.rng.choice(choices)
        return Plan(command, options, member, guild)

    # -- sending ------------------------------------------------------------------------------

    def payload(self, plan: Plan) -> JSON:
        options = string_options(plan.options)
        name = f"member{plan.member % 10_000}"
        if plan.focused is not None:
            return self.discord.autocomplete_payload(
                plan.command, options, focused=plan.focused, user_id=plan.member, guild_id=plan.guild_id
            )
        return self.discord.slash_payload(
            plan.command, options, user_id=plan.member, username=name, guild_id=plan.guild_id
        )

    async def send(self, payload: JSON, label: str, expire: bool) -> FakeInteraction:
        interaction = await self.discord.send_interaction(payload, deadline=0.0 if expire else None)
        self.result.sent += 1
        self.result.sent_by_command[label] += 1
        if expire:
            self.deliberate.add(interaction.id)
        if self.result.sent >= self.config.interactions // 2:
            self._halfway.set()
        if self.result.sent >= self.config.interactions * self.config.warmup_fraction:
            self._warm.set()
        return interaction

    async def settle(self, interaction: FakeInteraction, label: str) -> JSON | None:
        """Waits for the final answer; None if the interaction expired or got none (counted here)."""
        loop = asyncio.get_running_loop()
        give_up = loop.time() + self.config.answer_timeout
        while True:
            try:
                message = await final_answer(interaction, wait_seconds=1.0)
            except TimeoutError:
                if interaction.expired:
                    if interaction.id in self.deliberate:
                        self.result.expired_deliberate += 1
                    else:
                        self.result.expired_late += 1
                    return None
                if loop.time() < give_up and not self.stop.is_set():
                    continue
                self.result.failed += 1
                kinds = [e.kind for e in interaction.events]
                self.result.failed_samples.append(f"{label} {interaction.id}: events {kinds}")
                return None
            if interaction.id in self.deliberate:
                self.result.failed_samples.append(f"{label} {interaction.id}: answered despite deadline=0")
            self.result.answered += 1
            self.result.answers[classify_answer(interaction, message)] += 1
            return message

    def budget_left(self) -> bool:
        return self.result.sent < self.config.interactions and not self.stop.is_set()

    async def worker(self) -> None:
        while self.budget_left():
            plan = self.plan()
            label = f"autocomplete:{plan.command}" if plan.focused else plan.command
            interaction = await self.send(self.payload(plan), label, plan.expire)
            message = await self.settle(interaction, label)
            if not (plan.click and message and message.get("components")):
                continue
            for _ in range(self.rng.randint(1, 2)):
                # A member reads the page before pressing a button. (Without this pause a click can
                # reach the bot before it has registered the buttons: discord.py does that once the
                # edit's HTTP answer is in, and ignores clicks on messages it has no view for.)
                await asyncio.sleep(self.rng.uniform(0.2, 0.8))
                if not self.budget_left():
                    return
                clicker = plan.member if self.rng.random() < 0.8 else plan.member + 1
                current = self.discord.messages.get(str(message["id"]))
                if current is None:
                    break
                label_text = "Next" if self.rng.random() < 0.7 else "Previous"
                click = self.discord.component_payload(
                    current, button_id(current, label_text), user_id=clicker, guild_id=plan.guild_id
                )
                expire = self.rng.random() < self.config.expire_fraction
                await self.settle(await self.send(click, "click", expire), "click")

    # -- background tasks ---------------------------------------------------------------------

    async def inject_faults(self) -> None:
        kinds = list(RA_FAULTS)
        weights = list(RA_FAULTS.values())
        first_round = iter(kinds)  # every kind once, then at random
        while not self.stop.is_set():
            kind = next(first_round, None) or self.rng.choices(kinds, weights)[0]
            times = self.rng.randint(1, 3)
            if kind == "429":
                self.ra.fail_next(None, kind, times=times, retry_after=self.rng.choice((0.1, 0.3, 0.5)))
            elif kind == "json":
                self.ra.fail_next(None, kind, times=times, body=self.rng.choice(ODD_JSON))
            else:
                self.ra.fail_next(None, kind, times=times)
            self.result.faults_injected[kind] += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), self.config.fault_interval)

    async def disconnect_halfway(self) -> None:
        await self._halfway.wait()
        if self.stop.is_set():
            return
        started = time.perf_counter()
        await self.discord.disconnect_gateway()
        await self.discord.wait_until_resumed(timeout=30.0)
        self.result.resume_seconds = time.perf_counter() - started

    def scan_rest(self) -> None:
        """Looks for secrets in every request the bot sent the fake Discord since the last scan, then
        lets the fake forget what is finished (both synchronous: no request slips in between)."""
        for record in self.discord.requests[self._scanned :]:
            text = f"{record.path} {json.dumps(record.query)} {json.dumps(record.json)}"
            for name in find_secrets(text, self.secrets):
                self.result.secret_leaks[f"REST {record.method} {name}"] += 1
        self.result.rest_scanned += len(self.discord.requests) - self._scanned
        self.discord.forget_finished(self.config.forget_after)
        self._scanned = len(self.discord.requests)

    async def housekeeping(self) -> None:
        while not self.stop.is_set():
            self.scan_rest()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), 1.0)
        self.scan_rest()

    async def measure(self, label: str) -> None:
        assert self.bot is not None
        stats = await self.bot.request({"op": "stats"}, wait_seconds=60.0)
        rss, peak = stats["rss_kb"] / 1024, stats["maxrss_kb"] / 1024
        self.result.memory.append(MemoryPoint(label, self.result.sent, rss, peak, stats["tasks"]))

    async def measure_when_warm(self) -> None:
        await self._warm.wait()
        if not self.stop.is_set():
            await self.measure("warm")

    # -- the whole run ------------------------------------------------------------------------

    def bot_env(self, data_dir: str) -> dict[str, str]:
        return {
            **sandbox_env(self.discord, self.ra, data_dir),
            "DISCORD_TOKEN": self.token,
            # The child runs `-m bench.soak` from wherever this process was started.
            "PYTHONPATH": os.pathsep.join(filter(None, (REPO_ROOT, os.environ.get("PYTHONPATH")))),
            **self.config.env(),
        }

    async def run(self) -> SoakResult:
        started = time.perf_counter()
        await self.ra.start()
        await self.discord.start()
        try:
            with tempfile.TemporaryDirectory(prefix="ra-soak-") as data_dir:
                self.bot = await Child.start(
                    "bot", "bench.soak", "--bot-child", env=self.bot_env(data_dir), wait_seconds=60.0
                )
                try:
                    await self.discord.wait_until_ready(timeout=60.0)
                    await self.bot.request({"op": "settle", "timeout": 60.0}, wait_seconds=70.0)
                    await self.measure("start")
                    await self._traffic()
                    await self.measure("end")
                    self._collect(await self.bot.request({"op": "shutdown"}, wait_seconds=60.0))
                finally:
                    await self.bot.stop()
        finally:
            await self.discord.stop()
            await self.ra.stop()
        self.result.seconds = time.perf_counter() - started
        return self.result

    async def _traffic(self) -> None:
        loop = asyncio.get_running_loop()
        cap = loop.call_later(self.config.minutes_cap * 60, self._cap)
        background = [
            asyncio.create_task(self.inject_faults()),
            asyncio.create_task(self.housekeeping()),
            asyncio.create_task(self.disconnect_halfway()),
            asyncio.create_task(self.measure_when_warm()),
        ]
        try:
            await asyncio.gather(*(self.worker() for _ in range(self.config.concurrency)))
        finally:
            cap.cancel()
            self.stop.set()
            self._halfway.set()
            self._warm.set()
            await asyncio.gather(*background)
        self._tally_fakes()

    def _cap(self) -> None:
        self.result.capped = True
        self.stop.set()

    def _tally_fakes(self) -> None:
        counts = self.discord.counts
        self.result.fake_counts = {
            "sent": counts.sent,
            "answered": counts.answered,
            "expired": counts.expired,
            "rate_limited": counts.rate_limited,
        }
        self.result.discord_429s = counts.rate_limited
        self.result.resumes = self.discord.resumes
        self.result.identifies = len(self.discord.identifies)
        self.result.upstream_requests = len(self.ra.requests)
        self.result.upstream_by_endpoint = Counter(r.endpoint for r in self.ra.requests)
        self.result.upstream_max_arrival = self.ra.max_requests_in_any_second()

    def _collect(self, stats: JSON) -> None:
        self.result.unhandled.update(stats["unhandled"])
        self.result.other_errors.update(stats["other_errors"])
        self.result.error_samples.extend(stats["error_samples"])
        self.result.log_records = int(stats["records"])
        self.result.upstream_max_per_second = int(stats["upstream_max_per_second"])
        self.result.secret_leaks.update({f"log {k}": v for k, v in stats["leaks"].items()})


async def run_soak(config: SoakConfig) -> SoakResult:
    """Runs one soak (fakes here, the bot in a child process) and returns its figures."""
    return await Soak(config).run()


# ---------------------------------------------------------------------------------------------- the bot child


class Watch(logging.Handler):
    """Sees every log record the bot's process makes: counts errors by kind and looks for secrets."""

    def __init__(self, named_secrets: dict[str, str]) -> None:
        super().__init__(logging.DEBUG)
        self.named_secrets = named_secrets
        self.records = 0
        self.unhandled: Counter[str] = Counter()
        self.other_errors: Counter[str] = Counter()
        self.leaks: Counter[str] = Counter()
        self.samples: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records += 1
        try:
            text = record.getMessage()
        except Exception:  # a bad format string is a bug worth a count, not a crash
            text = str(record.msg)
            self.other_errors["unformattable log record"] += 1
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        for name in find_secrets(text, self.named_secrets):
            self.leaks[f"{name} ({record.name})"] += 1
        if record.levelno < logging.ERROR:
            return
        kind = unhandled_kind(record)
        if kind is None:
            self.other_errors[f"{record.name}: {str(record.msg)[:60]}"] += 1
        else:
            self.unhandled[kind] += 1
        if len(self.samples) < 10:
            self.samples.append(f"{record.name}: {text[:1500]}")


def unhandled_kind(record: logging.LogRecord) -> str | None:
    """Which unhandled-exception source an ERROR record comes from, or None for another error."""
    message = str(record.msg)
    if record.name.startswith("discord") and message.startswith("Ignoring exception"):
        return "discord.py Ignoring exception"
    if record.name in ("asyncio", "bench.soak.loop"):
        return "asyncio loop exception handler"
    if record.name == "bench.soak.unraisable":
        return "sys.unraisablehook"
    if record.name == "bench.soak.thread":
        return "threading.excepthook"
    if message.startswith("Unexpected error"):
        return "Unexpected error"
    if message.startswith("Page button failed"):
        return "Page button failed"
    return None


@contextlib.contextmanager
def watching(named_secrets: dict[str, str], stderr_level: int = logging.ERROR) -> Iterator[Watch]:
    """Installs the watch on the root logger (DEBUG), with the bot's own redacting stderr handler
    (`bot.logs.configure_logging`) showing `stderr_level` and above, plus hooks that turn
    unraisable and thread exceptions into ERROR records. Restores everything afterwards."""
    from bot.logs import configure_logging
    from bot.secret import Secret

    root = logging.getLogger()
    saved = (root.handlers[:], root.level, sys.unraisablehook, threading.excepthook)
    configure_logging("DEBUG", [Secret(v) for v in named_secrets.values()])
    root.handlers[0].setLevel(stderr_level)
    watch = Watch(named_secrets)
    root.handlers.insert(0, watch)

    def unraisable(info: Any) -> None:
        exc = (type(info.exc_value), info.exc_value, info.exc_traceback) if info.exc_value else None
        logging.getLogger("bench.soak.unraisable").error("%s: %r", info.err_msg, info.object, exc_info=exc)

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        exc = (args.exc_type, args.exc_value, args.exc_traceback) if args.exc_value else None
        logging.getLogger("bench.soak.thread").error("in thread %s", args.thread, exc_info=exc)

    sys.unraisablehook = unraisable
    threading.excepthook = thread_hook
    try:
        yield watch
    finally:
        root.handlers[:], level, sys.unraisablehook, threading.excepthook = saved
        root.setLevel(level)


def loop_exception_handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """Counts (through the watch) what would reach asyncio's default handler."""
    error = context.get("exception")
    exc_info: tuple[type[BaseException], BaseException, TracebackType | None] | None = None
    if isinstance(error, BaseException):
        exc_info = (type(error), error, error.__traceback__)
    logging.getLogger("bench.soak.loop").error("%s", context.get("message"), exc_info=exc_info)


def record_upstream_sends(sends: list[float]) -> None:
    """Appends the loop time of every HTTP attempt the RetroAchievements client starts (after its rate
    limiter) to `sends`: the rate the bot itself sends at, free of the fakes' scheduling jitter."""
    from bot.ra.client import RAClient

    original = RAClient._attempt

    async def timed(self: RAClient, *args: Any, **kwargs: Any) -> Any:
        sends.append(asyncio.get_running_loop().time())
        return await original(self, *args, **kwargs)

    setattr(RAClient, "_attempt", timed)  # noqa: B010 (mypy refuses assigning to a method)


def process_memory() -> tuple[int, int]:
    """(current RSS, peak RSS) of this process in KiB: VmRSS from /proc, ru_maxrss."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]), peak
    except OSError:
        pass
    return peak, peak


async def settled(bot: Any) -> None:
    """Until the bot's game catalogue is filled (its first fill at start, before any fault is injected):
    the soak is about a running bot, and an empty catalogue makes every title a refusal."""
    await bot.catalogue_refresher.first_pass.wait()
    while not bot.catalogue.filled:  # noqa: ASYNC110 (the catalogue has no event for it)
        await asyncio.sleep(0.05)


async def bot_child() -> None:
    """`--bot-child`: the real bot, alone in this process, answering `stats` and `shutdown`."""
    from bot.app import create_bot, run_bot
    from bot.config import settings_from_mapping

    settings = settings_from_mapping(dict(os.environ))
    named = {"RA_API_KEY": settings.ra_api_key.reveal(), "DISCORD_TOKEN": settings.discord_token.reveal()}
    asyncio.get_running_loop().set_exception_handler(loop_exception_handler)
    sends: list[float] = []
    record_upstream_sends(sends)
    with watching(named) as watch:
        bot = create_bot(settings, guild_ready_timeout=0.01)
        task = asyncio.create_task(run_bot(settings, bot))

        def stats() -> JSON:
            gc.collect()
            rss, peak = process_memory()
            return {
                "rss_kb": rss,
                "maxrss_kb": peak,
                "tasks": len(asyncio.all_tasks()),
                "records": watch.records,
                "unhandled": dict(watch.unhandled),
                "other_errors": dict(watch.other_errors),
                "error_samples": watch.samples,
                "leaks": dict(watch.leaks),
                "upstream_max_per_second": peak_per_second(sends),
            }

        async def handle(request: JSON) -> JSON | None:
            op = request.get("op")
            if op == "quit":
                if not task.done():
                    await bot.close()
                    await task
                return None
            if task.done():
                task.result()
                raise RuntimeError("the bot stopped")
            if op == "stats":
                return stats()
            if op == "settle":
                async with asyncio.timeout(float(request.get("timeout", 60.0))):
                    await settled(bot)
                return {}
            if op == "shutdown":
                await bot.close()
                await task
                await asyncio.sleep(0.2)  # late callbacks of closed transports
                return stats()
            raise ValueError(f"unknown op {op!r}")

        send({"pid": os.getpid()})
        try:
            await serve(handle)
        finally:
            if not task.done():
                await bot.close()
                await task


# ---------------------------------------------------------------------------------------------- command line


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    defaults = SoakConfig()
    parser.add_argument("--interactions", type=int, default=defaults.interactions)
    parser.add_argument("--minutes-cap", type=float, default=defaults.minutes_cap)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--concurrency", type=int, default=defaults.concurrency)
    parser.add_argument("--max-growth-mb", type=float, default=defaults.max_growth_mb)
    parser.add_argument("--bot-child", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.bot_child:
        asyncio.run(bot_child())
        return 0
    config = SoakConfig(
        interactions=args.interactions,
        minutes_cap=args.minutes_cap,
        seed=args.seed,
        concurrency=args.concurrency,
        max_growth_mb=args.max_growth_mb,
    )
    logging.basicConfig(level=logging.WARNING, format="soak %(levelname)s %(name)s: %(message)s")
    # The fakes log a line per failed upstream request; the soak counts them instead.
    logging.getLogger("aiohttp").setLevel(logging.CRITICAL)
    result = asyncio.run(run_soak(config))
    print(result.report())
    return 1 if result.problems() else 0


if __name__ == "__main__":
    sys.exit(main())
