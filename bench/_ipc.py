"""A tiny JSON-lines control channel between a benchmark and the child processes it starts.

The parent writes one JSON object per line to the child's stdin and reads one JSON object per line
back from its stdout. The child's first line is its "ready" message. stdout is reserved for the
channel: children log to stderr only. Everything stays on this machine (pipes, no sockets).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

JSON = dict[str, Any]
_LINE_LIMIT = 64 * 1024 * 1024


class ChildError(RuntimeError):
    """A child process failed or answered with an error."""


class Child:
    """A running child process that speaks the channel. Use `await Child.start(...)`."""

    def __init__(self, name: str, process: asyncio.subprocess.Process, ready: JSON) -> None:
        self.name = name
        self.process = process
        self.ready = ready
        self._lock = asyncio.Lock()

    @classmethod
    async def start(
        cls,
        name: str,
        module: str,
        *args: str,
        env: Mapping[str, str] | None = None,
        wait_seconds: float = 60.0,
    ) -> Child:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            module,
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env={**os.environ, **(env or {})},
            limit=_LINE_LIMIT,
        )
        child = cls(name, process, {})
        child.ready = await child._read(wait_seconds)
        return child

    @property
    def pid(self) -> int:
        return self.process.pid

    async def _read(self, wait_seconds: float) -> JSON:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), wait_seconds)
        if not line:
            code = await self.process.wait()
            raise ChildError(f"{self.name} exited with status {code} (see its stderr above)")
        message: JSON = json.loads(line)
        if "error" in message:
            raise ChildError(f"{self.name}: {message['error']}")
        return message

    async def request(self, message: JSON, wait_seconds: float = 600.0) -> JSON:
        """Send one request and wait for its answer."""
        assert self.process.stdin is not None
        async with self._lock:
            self.process.stdin.write(json.dumps(message).encode() + b"\n")
            await self.process.stdin.drain()
            return await self._read(wait_seconds)

    async def stop(self, wait_seconds: float = 15.0) -> None:
        """Ask the child to quit; kill this child (by its own process handle) if it does not."""
        if self.process.returncode is not None:
            return
        with contextlib.suppress(ChildError, TimeoutError, ConnectionError, ValueError):
            await self.request({"op": "quit"}, wait_seconds=wait_seconds)
        try:
            await asyncio.wait_for(self.process.wait(), wait_seconds)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


def send(message: JSON) -> None:
    """Child side: write one message to the parent."""
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def serve(handle: Callable[[JSON], Awaitable[JSON | None]]) -> None:
    """Child side: answer the parent's requests until it sends `quit` (answered, then we return)
    or closes the pipe. `handle` returns the answer, or None for `quit`."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=_LINE_LIMIT)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            return
        request: JSON = json.loads(line)
        if request.get("op") == "quit":
            await handle(request)
            send({"ok": True})
            return
        try:
            answer = await handle(request)
        except Exception as exc:  # reported to the parent, which raises ChildError
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        send(answer or {"ok": True})
