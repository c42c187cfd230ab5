"""The garbage collector's pauses in a benchmark's child process (`gc.callbacks`)."""

from __future__ import annotations

import gc
import time

from bench._ipc import JSON


class CollectorPauses:
    """How often the garbage collector ran in this process, by generation, and how long it held the
    event loop (the total, and the longest since the previous snapshot): read through `gc.callbacks`."""

    def __init__(self) -> None:
        self.collections = [0, 0, 0]
        self.longest = [0.0, 0.0, 0.0]
        self.total = [0.0, 0.0, 0.0]
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        generation, pause = info["generation"], time.perf_counter() - self._started
        self.collections[generation] += 1
        self.total[generation] += pause
        self.longest[generation] = max(self.longest[generation], pause)

    def snapshot(self) -> JSON:
        snapshot = {"collections": list(self.collections), "longest": self.longest, "total": list(self.total)}
        self.longest = [0.0, 0.0, 0.0]
        return snapshot
