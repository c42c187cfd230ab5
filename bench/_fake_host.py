"""Child process of the benchmarks: hosts the fakes and plays the members.

It runs one FakeRA (the demo dataset, plus with `--games N` a generated catalogue of N games,
`bot.sandbox.fake_catalogue`) and `--discords` FakeDiscord instances (one per bot under test: a
FakeDiscord serves one gateway client at a time), and on request sends to one of them bursts of
`/progress` interactions, timing each from `send_interaction` to the final answer, or of
autocompletes, timing each from `send_interaction` to the choices. Keeping the fakes here keeps
their CPU out of the bot process that the benchmark measures.

Started by `bench.progress_bench`, `bench.scale_bench` and `bench.catalogue_bench`; speaks
`bench._ipc` on stdin/stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from bench._gc import CollectorPauses
from bench._ipc import JSON, send, serve
from bot.sandbox.fake_catalogue import add_generated_catalogue, consoles_of
from bot.sandbox.fake_discord import FakeDiscord, FakeInteraction
from bot.sandbox.fake_ra import FakeRA, demo_dataset, peak_per_second
from bot.sandbox.harness import SANDBOX_API_KEY, final_answer, string_options

PAUSES = CollectorPauses()


class FakeHost:
    def __init__(self, discords: int, delay: float, games: int = 0, seed: int = 1) -> None:
        data = demo_dataset()
        if games > 0:
            add_generated_catalogue(data, games=games, seed=seed)
        self.consoles = len(consoles_of(data))
        self.ra = FakeRA(data, api_key=SANDBOX_API_KEY, delay=delay)
        self.discords = [FakeDiscord() for _ in range(discords)]

    async def start(self) -> JSON:
        await self.ra.start()
        for fake in self.discords:
            await fake.start()
        return {
            "ra_url": self.ra.base_url,
            "discords": [
                {"api_url": d.api_url, "gateway_url": d.gateway_url, "token": d.bot_token}
                for d in self.discords
            ],
        }

    async def stop(self) -> None:
        for fake in self.discords:
            await fake.stop()
        await self.ra.stop()

    async def handle(self, request: JSON) -> JSON | None:
        op = request.get("op")
        if op == "quit":
            await self.stop()
            return None
        if op == "wait_ready":
            await self.discords[int(request["target"])].wait_until_ready(timeout=float(request["timeout"]))
            return {"ok": True}
        if op == "set_delay":
            self.ra.delay = float(request["delay"])
            return {"ok": True}
        if op == "burst":
            return await self.burst(request)
        if op == "autocomplete":
            return await self.autocomplete(request)
        if op == "upstream":
            return {
                "requests": dict(Counter(r.endpoint for r in self.ra.requests)),
                "consoles": self.consoles,
            }
        raise ValueError(f"unknown op {op!r}")

    async def burst(self, request: JSON) -> JSON:
        fake = self.discords[int(request["target"])]
        commands = int(request["commands"])
        concurrency = max(1, int(request["concurrency"]))
        member_base = int(request["member_base"])
        options = string_options({"user": str(request["user"]), "games": str(request["games"])})
        timeout = float(request["timeout"])
        expect = str(request["expect"])
        locale = str(request.get("locale", "en-US"))
        # Payloads are built before the clock starts: building them is the members' work, not the bot's.
        payloads = [
            fake.slash_payload(
                "progress", options, user_id=member_base + i, username=f"member{i}", locale=locale
            )
            for i in range(commands)
        ]
        ra_start, rest_start = len(self.ra.requests), len(fake.requests)
        latencies: list[float] = []
        errors: Counter[str] = Counter()
        sample: dict[str, Any] = {}
        queue = list(reversed(payloads))

        async def worker() -> None:
            while queue:
                answer = await timed_answer(fake, queue.pop(), timeout, expect)
                if answer.problem is not None:
                    errors[answer.problem] += 1
                    continue
                latencies.append(answer.seconds)
                if not sample:
                    sample.update(answer.message)

        cpu_start, wall_start = time.process_time(), time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(min(concurrency, commands))))
        wall = time.perf_counter() - wall_start
        fake_cpu = time.process_time() - cpu_start
        ra_requests = Counter(r.endpoint for r in self.ra.requests[ra_start:])
        rest = fake.requests[rest_start:]
        return {
            "latencies": latencies,
            "errors": dict(errors),
            "wall": wall,
            "fake_cpu": fake_cpu,
            "ra_requests": dict(ra_requests),
            "ra_peak_per_second": peak_per_second([r.time for r in self.ra.requests[ra_start:]]),
            "rest_requests": len(rest),
            "rest_failures": sum(1 for r in rest if r.status >= 400),
            "embed_chars": len(json.dumps(sample.get("embeds", []))),
        }

    async def autocomplete(self, request: JSON) -> JSON:
        """Autocompletes of `/progress games`, one per text of `typed`, `in_flight` at a time (in the
        order given: the first `in_flight` leave at once, each later one when an earlier one is
        answered). Latencies come back in the order sent, from `send_interaction` to the choices."""
        fake = self.discords[int(request["target"])]
        typed = [str(text) for text in request["typed"]]
        in_flight = max(1, int(request["in_flight"]))
        member_base, members = int(request["member_base"]), int(request.get("members", 500))
        timeout = float(request.get("timeout", 10.0))
        payloads = [
            fake.autocomplete_payload(
                "progress",
                string_options({"games": text}),
                focused="games",
                user_id=member_base + n % members,
            )
            for n, text in enumerate(typed)
        ]
        latencies: list[float] = [0.0] * len(payloads)
        errors: Counter[str] = Counter()
        empty = 0
        limit = asyncio.Semaphore(in_flight)

        async def one(n: int, payload: JSON) -> None:
            nonlocal empty
            async with limit:
                start = time.perf_counter()
                try:
                    interaction = await fake.send_interaction(payload)
                    event = await interaction.wait_for(lambda e: e.kind == "callback", timeout=timeout)
                except Exception as exc:
                    errors[f"{type(exc).__name__}: {str(exc)[:120]}"] += 1
                    return
                latencies[n] = time.perf_counter() - start
                if event.body.get("type") != 8:
                    errors[f"callback type {event.body.get('type')}, not 8 (choices)"] += 1
                empty += not (event.body.get("data") or {}).get("choices")

        cpu_start, wall_start = time.process_time(), time.perf_counter()
        PAUSES.snapshot()
        await asyncio.gather(*(one(n, payload) for n, payload in enumerate(payloads)))
        fake.forget_finished(0.0)  # the next round's collections do not walk this one's interactions
        return {
            "gc": PAUSES.snapshot(),
            "latencies": latencies,
            "empty": empty,
            "errors": dict(errors),
            "wall": time.perf_counter() - wall_start,
            "fake_cpu": time.process_time() - cpu_start,
        }


@dataclass(frozen=True)
class TimedAnswer:
    interaction: FakeInteraction | None
    message: JSON
    seconds: float
    problem: str | None  # None when the answer is the expected progress embed


async def timed_answer(fake: FakeDiscord, payload: JSON, wait_seconds: float, expect: str) -> TimedAnswer:
    """Sends one /progress and times it until its answer; a failure is described, never raised."""
    started = time.perf_counter()
    try:
        interaction = await fake.send_interaction(payload)
        message = await final_answer(interaction, wait_seconds=wait_seconds)
    except Exception as exc:
        return TimedAnswer(None, {}, 0.0, f"{type(exc).__name__}: {str(exc)[:120]}")
    seconds = time.perf_counter() - started
    return TimedAnswer(interaction, message, seconds, _problem(interaction, message, expect))


def _problem(interaction: FakeInteraction, message: JSON, expect: str) -> str | None:
    """Why this answer is not the expected progress embed, or None when it is."""
    embeds = message.get("embeds") or []
    if interaction.followups or not embeds:
        return f"not a progress embed: {str(message.get('content'))[:80]!r}"
    if expect not in json.dumps(embeds):
        return f"embed without {expect!r}"
    if interaction.callback_type != 5:
        return f"first answer was callback type {interaction.callback_type}, not a defer"
    return None


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--discords", type=int, default=2)
    parser.add_argument("--upstream-delay", type=float, default=0.0)
    parser.add_argument("--games", type=int, default=0, help="generated catalogue games (none)")
    parser.add_argument("--seed", type=int, default=1, help="of the generated catalogue")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="fakes %(levelname)s %(name)s: %(message)s")
    host = FakeHost(args.discords, args.upstream_delay, args.games, args.seed)
    ready = await host.start()
    # The fakes' data (a generated catalogue: tens of thousands of objects) lives until the end: out of
    # the collector's sight, its full collections do not stall the members' traffic.
    gc.collect()
    gc.freeze()
    send(ready)
    try:
        await serve(host.handle)
    finally:
        await host.stop()


if __name__ == "__main__":
    asyncio.run(main())
