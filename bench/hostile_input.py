"""Event-loop stalls from the worst inputs a member can type, through the real command path.

    .venv/bin/python -m bench.hostile_input [--rounds 20]

The real bot runs against the fakes in this process's event loop, beside a ticker that wakes every
millisecond and records the CPU time the loop's thread spent between two wake-ups (`time.thread_time`,
so time the machine gave to other processes does not count): the most is the longest stall any one
step caused. The fakes' own work runs in the same loop, so this is an upper bound. Each hostile kind
is sent `--rounds` times, one at a time, and an ordinary command is measured the same way as a
baseline. Target: every stall under 5 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from bot.sandbox.harness import Sandbox, final_answer, running_sandbox

TICK_SECONDS = 0.001
TARGET_MS = 5.0
LONG = 6000

HOSTILE: dict[str, dict[str, str]] = {
    "ordinary /progress": {"user": "MaxMilyin", "games": "1,2,3"},
    "profile link + 6,000 letters + space": {
        "user": "retroachievements.org/user/" + "a" * LONG + " x",
        "games": "1",
    },
    "6,000 separators": {"user": "MaxMilyin", "games": ", ;" * (LONG // 3) + "x"},
    "6,000 quotes and separators": {"user": "MaxMilyin", "games": '", ;' * (LONG // 4) + "x"},
    "game link + 6,000 digits": {"user": "MaxMilyin", "games": "retroachievements.org/game/" + "1" * LONG},
    "game link + 6,000 slashes": {"user": "MaxMilyin", "games": "retroachievements.org/game/1" + "/" * LONG},
    "6,000 characters of Unicode": {"user": "\u0301" * LONG, "games": "\u0661" * LONG},
}


class StallMeter:
    """Wakes every TICK_SECONDS; the CPU spent between two wake-ups is how long the loop was blocked."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        while True:
            before = time.thread_time()
            await asyncio.sleep(TICK_SECONDS)
            self.worst = max(self.worst, time.thread_time() - before)

    def start(self) -> None:
        self.worst = 0.0
        self._task = asyncio.get_running_loop().create_task(self._tick())

    async def stop(self) -> float:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        return self.worst * 1000


async def worst_stall_ms(sandbox: Sandbox, options: dict[str, str], rounds: int) -> tuple[float, str]:
    meter = StallMeter()
    worst, answer = 0.0, ""
    for _ in range(rounds):
        meter.start()
        reply = await final_answer(await sandbox.command("progress", options))
        worst = max(worst, await meter.stop())
        answer = reply.get("content") or reply["embeds"][0]["title"]
    return worst, answer


async def main(rounds: int) -> None:
    async with running_sandbox(env={"PROGRESS_COOLDOWN_SECONDS": "0"}) as sandbox:
        await worst_stall_ms(sandbox, HOSTILE["ordinary /progress"], 3)  # warm caches and imports
        print(f"{'input':40} {'worst stall':>12}  answer")
        failed = 0
        for what, options in HOSTILE.items():
            stall, answer = await worst_stall_ms(sandbox, options, rounds)
            failed += stall >= TARGET_MS
            print(f"{what:40} {stall:9.2f} ms  {answer[:60]}")
        print(f"RESULT: {'PASS' if not failed else 'FAIL'} (target: every stall under {TARGET_MS:.0f} ms)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=20)
    asyncio.run(main(parser.parse_args().rounds))
