"""Servers that fail the way a hung database or cache does, on 127.0.0.1, for tests and benchmarks.

`HungServer` accepts connections and never answers. `FreezableProxy` forwards to a real server until
`freeze()`: from then on nothing passes in either direction and new connections are accepted but never
answered, exactly what clients see of a server that is stopped (SIGSTOP) or cut off by a firewall that
drops packets. `thaw()` lets everything through again, as SIGCONT would.
"""

from __future__ import annotations

import asyncio
import contextlib


class HungServer:
    """Accepts TCP connections on 127.0.0.1 and never sends a byte; `accepted` counts them."""

    def __init__(self) -> None:
        self.accepted = 0
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[object]] = set()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() first"
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        handler = asyncio.current_task()
        assert handler is not None
        self._handlers.add(handler)
        try:
            while await reader.read(65536):
                pass  # swallow whatever the client sends
        except (ConnectionError, asyncio.CancelledError):
            pass  # stop(): asyncio's server callback of Python 3.11 cannot take a cancelled handler
        finally:
            writer.close()
            self._handlers.discard(handler)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        handlers = list(self._handlers)
        for handler in handlers:
            handler.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def __aenter__(self) -> HungServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


class FreezableProxy:
    """Forwards TCP connections from 127.0.0.1:`port` to 127.0.0.1:`target_port`, until frozen."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self._server: asyncio.Server | None = None
        self._running = asyncio.Event()
        self._running.set()
        self._tasks: set[asyncio.Task[object]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() first"
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def frozen(self) -> bool:
        return not self._running.is_set()

    def freeze(self) -> None:
        """From now on nothing passes, and new connections are accepted but never answered."""
        self._running.clear()

    def thaw(self) -> None:
        """Everything held passes again, and new connections reach the server."""
        self._running.set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        handler = asyncio.current_task()
        assert handler is not None
        self._tasks.add(handler)
        writers = {client_writer}
        self._writers.add(client_writer)
        try:
            await self._relay(client_reader, client_writer, writers)
        except asyncio.CancelledError:
            pass  # stop(): asyncio's server callback of Python 3.11 cannot take a cancelled handler
        finally:
            for writer in writers:
                writer.close()
                self._writers.discard(writer)
            self._tasks.discard(handler)

    async def _relay(
        self,
        client_reader: asyncio.StreamReader,
        client_writer: asyncio.StreamWriter,
        writers: set[asyncio.StreamWriter],
    ) -> None:
        await self._running.wait()  # frozen: accepted, never answered
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            return
        writers.add(server_writer)
        self._writers.add(server_writer)
        pumps = [
            asyncio.create_task(self._pump(client_reader, server_writer)),
            asyncio.create_task(self._pump(server_reader, client_writer)),
        ]
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pump in pumps:
                pump.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                await self._running.wait()  # frozen: hold the bytes
                writer.write(data)
                await writer.drain()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for writer in list(self._writers):
            writer.close()
        if self._server is not None:
            await self._server.wait_closed()

    async def __aenter__(self) -> FreezableProxy:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
