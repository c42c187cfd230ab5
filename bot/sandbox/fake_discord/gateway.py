"""The gateway websocket: HELLO, IDENTIFY, READY, heartbeats, RESUME with replay, shards, disconnects.

Any number of connections may be open at once (one per shard, from one or several processes);
events go to the shard that owns their guild. Frames are plain JSON text, which discord.py accepts
whatever compression it asked for.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from bot.sandbox.fake_discord.errors import JSON
from bot.sandbox.fake_discord.ids import shard_of

if TYPE_CHECKING:
    from bot.sandbox.fake_discord.server import FakeDiscord

HEARTBEAT_INTERVAL_MS = 41250
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)  # members, presences, message content


class Op:
    """Gateway opcodes."""

    DISPATCH = 0
    HEARTBEAT = 1
    IDENTIFY = 2
    PRESENCE_UPDATE = 3
    VOICE_STATE_UPDATE = 4
    RESUME = 6
    REQUEST_GUILD_MEMBERS = 8
    INVALID_SESSION = 9
    HELLO = 10
    HEARTBEAT_ACK = 11


@dataclass
class GatewaySession:
    session_id: str
    ws: web.WebSocketResponse | None
    shard_id: int = 0
    shard_count: int = 1
    seq: int = 0
    backlog: deque[tuple[int, str]] = field(default_factory=lambda: deque(maxlen=10_000))

    @property
    def connected(self) -> bool:
        return self.ws is not None and not self.ws.closed

    def owns(self, guild_id: int | None) -> bool:
        """Whether Discord routes events of this guild (None: a DM) to this session's shard."""
        return self.shard_id == shard_of(guild_id, self.shard_count)


class Gateway:
    def __init__(self, fake: FakeDiscord) -> None:
        self._fake = fake
        self.identifies: list[dict[str, Any]] = []
        self.queries: list[dict[str, str]] = []
        self.resumes = 0
        self._sessions: dict[str, GatewaySession] = {}
        self._sockets: set[web.WebSocketResponse] = set()
        self._changed = asyncio.Event()
        self._awaiting_resume: set[str] = set()

    # ------------------------------------------------------------------ for the fake's users

    @property
    def connected_shards(self) -> list[int]:
        return sorted({s.shard_id for s in self._sessions.values() if s.connected})

    def ready_shards(self) -> set[tuple[int, int]]:
        return {(s.shard_id, s.shard_count) for s in self._sessions.values()}

    async def wait_until_ready(self, timeout: float, shards: int) -> None:  # noqa: ASYNC109
        try:
            await self._wait(lambda: len(self.ready_shards()) >= shards, timeout)
        except TimeoutError:
            ready = sorted(self.ready_shards())
            raise TimeoutError(f"{len(ready)} of {shards} shards READY in {timeout}s: {ready}") from None

    async def wait_until_resumed(self, timeout: float) -> None:  # noqa: ASYNC109
        await self._wait(lambda: self.resumes > 0 and not self._awaiting_resume, timeout)

    async def disconnect(self, shard: int | None) -> None:
        sessions = [s for s in self._sessions.values() if s.connected and shard in (None, s.shard_id)]
        if not sessions:
            where = "" if shard is None else f" for shard {shard}"
            raise RuntimeError(f"no connected gateway client{where}")
        self._awaiting_resume.update(s.session_id for s in sessions)
        for session in sessions:
            if session.ws is not None:
                await session.ws.close(code=4000, message=b"Unknown error.")

    async def close_all(self) -> None:
        for ws in list(self._sockets):
            await ws.close(code=1001, message=b"Fake Discord stopping")

    def route(self, payload: JSON, shard: int | None) -> GatewaySession:
        """The newest connected session for the target shard, else its newest session (it may RESUME)."""
        if not self._sessions:
            raise RuntimeError("no gateway client has identified")
        raw_guild = payload.get("guild_id")
        guild_id = int(raw_guild) if raw_guild is not None else None
        matching = [
            s
            for s in reversed(self._sessions.values())
            if (s.owns(guild_id) if shard is None else s.shard_id == shard)
        ]
        if not matching:
            target = f"shard {shard}" if shard is not None else f"the shard of guild {guild_id}"
            held = sorted(self.ready_shards())
            raise RuntimeError(f"no gateway connection holds {target}; [shard, count] held: {held}")
        return next((s for s in matching if s.connected), matching[0])

    async def dispatch(self, session: GatewaySession, event: str, data: JSON) -> None:
        session.seq += 1
        frame = json.dumps({"op": Op.DISPATCH, "t": event, "s": session.seq, "d": data})
        session.backlog.append((session.seq, frame))
        ws = session.ws
        if ws is not None and not ws.closed:
            # A frame lost here is replayed from the backlog when the client RESUMEs.
            with contextlib.suppress(ConnectionResetError):
                await ws.send_str(frame)

    async def _wait(self, predicate: Callable[[], bool], timeout: float) -> None:  # noqa: ASYNC109
        async def until() -> None:
            while not predicate():
                await self._changed.wait()

        await asyncio.wait_for(until(), timeout)

    def _change(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    # ------------------------------------------------------------------ the websocket

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.queries.append(dict(request.query))
        self._sockets.add(ws)
        session: GatewaySession | None = None
        try:
            hello = {"op": Op.HELLO, "s": None, "t": None, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}}
            await ws.send_str(json.dumps(hello))
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    await ws.close(code=4002, message=b"Error while decoding payload.")
                    break
                try:
                    frame = json.loads(msg.data)
                    op, data = frame["op"], frame.get("d")
                except (ValueError, KeyError, TypeError):
                    await ws.close(code=4002, message=b"Error while decoding payload.")
                    break
                session = await self._receive(ws, session, op, data)
        finally:
            self._sockets.discard(ws)
            if session is not None and session.ws is ws:
                session.ws = None
        return ws

    async def _receive(
        self, ws: web.WebSocketResponse, session: GatewaySession | None, op: Any, data: Any
    ) -> GatewaySession | None:
        if op == Op.HEARTBEAT:
            await ws.send_str('{"op": 11, "s": null, "t": null, "d": null}')
            if session is not None and isinstance(data, int):
                # The client has every event up to `data`: a RESUME never replays them.
                while session.backlog and session.backlog[0][0] <= data:
                    session.backlog.popleft()
        elif op == Op.IDENTIFY:
            return await self._identify(ws, session, data)
        elif op == Op.RESUME:
            return await self._resume(ws, session, data)
        elif session is None:
            await ws.close(code=4003, message=b"Not authenticated.")
        elif op not in (Op.PRESENCE_UPDATE, Op.VOICE_STATE_UPDATE, Op.REQUEST_GUILD_MEMBERS):
            await ws.close(code=4001, message=b"Unknown opcode.")
        return session

    def _token_ok(self, data: Any) -> bool:
        token = data.get("token") if isinstance(data, dict) else None
        return token in (self._fake.bot_token, f"Bot {self._fake.bot_token}")

    async def _identify(
        self, ws: web.WebSocketResponse, session: GatewaySession | None, data: Any
    ) -> GatewaySession | None:
        if session is not None:
            await ws.close(code=4005, message=b"Already authenticated.")
            return session
        if not self._token_ok(data):
            await ws.close(code=4004, message=b"Authentication failed.")
            return None
        self.identifies.append(data)
        intents = int(data.get("intents") or 0)
        if intents & PRIVILEGED_INTENTS & ~self._fake.allowed_privileged_intents:
            await ws.close(code=4014, message=b"Disallowed intent(s).")
            return None
        shard = data.get("shard", [0, 1])
        if not (
            isinstance(shard, list)
            and len(shard) == 2
            and all(isinstance(n, int) for n in shard)
            and 0 <= shard[0] < shard[1]
        ):
            await ws.close(code=4010, message=b"Invalid shard.")
            return None
        # A new session replaces a dead one of the same shard (say, a restarted process's).
        for old in [s for s in self._sessions.values() if (s.shard_id, s.shard_count) == tuple(shard)]:
            if not old.connected:
                del self._sessions[old.session_id]
                self._awaiting_resume.discard(old.session_id)
        session = GatewaySession(secrets.token_hex(16), ws, shard_id=shard[0], shard_count=shard[1])
        self._sessions[session.session_id] = session
        await self.dispatch(session, "READY", self._ready(session, data))
        self._change()
        return session

    def _ready(self, session: GatewaySession, identify: JSON) -> JSON:
        fake = self._fake
        ready: JSON = {
            "v": 10,
            "user": {**fake.bot_user(), "verified": True, "mfa_enabled": False, "flags": 0},
            "guilds": [],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": fake.gateway_url,
            "application": {"id": str(fake.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "user_settings": {},
            "guild_join_requests": [],
            "_trace": ["fake-discord"],
        }
        if "shard" in identify:
            ready["shard"] = identify["shard"]
        return ready

    async def _resume(
        self, ws: web.WebSocketResponse, session: GatewaySession | None, data: Any
    ) -> GatewaySession | None:
        if not self._token_ok(data):
            await ws.close(code=4004, message=b"Authentication failed.")
            return None
        resumed = self._sessions.get(str(data.get("session_id")))
        if session is not None or resumed is None:
            await ws.send_str('{"op": 9, "s": null, "t": null, "d": false}')
            return session
        old = resumed.ws
        resumed.ws = ws
        if old is not None and old is not ws and not old.closed:
            await old.close(code=4000)
        seq = int(data.get("seq") or 0)
        for s, frame in list(resumed.backlog):
            if s > seq:
                await ws.send_str(frame)
        await self.dispatch(resumed, "RESUMED", {"_trace": ["fake-discord"]})
        self.resumes += 1
        self._awaiting_resume.discard(resumed.session_id)
        self._change()
        return resumed
