"""FakeDiscord: one aiohttp app on 127.0.0.1 serving the REST API and the gateway, and what it holds."""

from __future__ import annotations

import bisect
import copy
import socket
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.sandbox.fake_discord.application import ApplicationRoutes
from bot.sandbox.fake_discord.channels import ChannelRoutes, FakeChannel
from bot.sandbox.fake_discord.errors import JSON, not_found
from bot.sandbox.fake_discord.gateway import PRIVILEGED_INTENTS, Gateway
from bot.sandbox.fake_discord.ids import Snowflakes
from bot.sandbox.fake_discord.interactions import InteractionRoutes
from bot.sandbox.fake_discord.messages import bot_user_json
from bot.sandbox.fake_discord.payloads import InteractionPayloads
from bot.sandbox.fake_discord.recording import FakeInteraction, InteractionCounts, RecordedRequest
from bot.sandbox.fake_discord.rest import API_PREFIX, RestApi, respond


class FakeDiscord(InteractionPayloads):
    """Fake Discord REST API and gateway, strict about limits and interaction rules.

    Any number of gateway connections may be open at once (one per shard, from one or several
    processes); interactions are routed to the shard that owns their guild.

    `reply_429_every=N` answers every Nth interaction callback and webhook request (followups,
    edits, deletes) with a 429 that discord.py retries after `reply_429_retry_after` seconds; the
    retry of a limited request is never limited again. Real Discord exempts interaction callbacks
    from the global rate limit and rarely 429s them; pass `reply_429_callbacks=False` to limit
    webhook requests only. `keep_requests` bounds `requests` to the newest N entries.

    Channel posts: `channel(id)` sets how a channel treats the bot and holds what was posted there;
    `channel_rate_limit` posts per `channel_rate_window` seconds per channel; a repeated `nonce` with
    `enforce_nonce` within `nonce_window` seconds answers the earlier message.
    """

    def __init__(
        self,
        *,
        bot_token: str = "fake-bot-token",
        application_id: int = 100000000000000001,
        bot_user_id: int = 100000000000000001,
        interaction_deadline: float = 3.0,
        token_lifetime: float = 900.0,
        bot_username: str = "FakeBot",
        allowed_privileged_intents: int = PRIVILEGED_INTENTS,
        recommended_shards: int = 1,
        max_concurrency: int = 1,
        reply_429_every: int = 0,
        reply_429_callbacks: bool = True,
        reply_429_retry_after: float = 0.05,
        keep_requests: int | None = None,
        channel_rate_limit: int = 5,
        channel_rate_window: float = 5.0,
        nonce_window: float = 300.0,
    ) -> None:
        self.bot_token = bot_token
        self.application_id = application_id
        self.bot_user_id = bot_user_id
        self.bot_username = bot_username
        self.interaction_deadline = interaction_deadline
        self.token_lifetime = token_lifetime
        self.allowed_privileged_intents = allowed_privileged_intents
        self.recommended_shards = recommended_shards
        self.max_concurrency = max_concurrency
        self.reply_429_every = reply_429_every
        self.reply_429_callbacks = reply_429_callbacks
        self.reply_429_retry_after = reply_429_retry_after
        self.keep_requests = keep_requests
        self.channel_rate_limit = channel_rate_limit
        self.channel_rate_window = channel_rate_window
        self.nonce_window = nonce_window
        self.ids = Snowflakes()
        self.counts = InteractionCounts()
        self.requests: list[RecordedRequest] = []
        self.commands: dict[int | None, list[dict[str, Any]]] = {}
        self.command_syncs = 0
        self.messages: dict[str, dict[str, Any]] = {}  # every message the bot made or was clicked on
        self.interactions: dict[str, FakeInteraction] = {}
        self.channels: dict[int, FakeChannel] = {}
        self._by_token: dict[str, FakeInteraction] = {}
        self._gateway = Gateway(self)
        routes = [
            *ApplicationRoutes(self).routes(),
            *InteractionRoutes(self).routes(),
            *ChannelRoutes(self).routes(),
        ]
        self._rest = RestApi(self, routes)
        self._port: int | None = None
        self._runner: web.AppRunner | None = None

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Serve on 127.0.0.1 on a free port."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway.handle)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest.handle)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self._port = int(sock.getsockname()[1])
        await web.SockSite(self._runner, sock).start()

    async def stop(self) -> None:
        """Close gateway sockets and shut the server down."""
        await self._gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _not_found(self, request: web.Request) -> web.Response:
        return respond(404, not_found())

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeDiscord is not started")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def _now(self) -> float:
        return time.monotonic()

    def bot_user(self) -> JSON:
        return bot_user_json(self.bot_user_id, self.bot_username)

    # ------------------------------------------------------------------ gateway

    @property
    def identifies(self) -> list[dict[str, Any]]:
        """Every IDENTIFY's `d`, oldest first."""
        return self._gateway.identifies

    @property
    def gateway_queries(self) -> list[dict[str, str]]:
        """The query string of every gateway connection."""
        return self._gateway.queries

    @property
    def resumes(self) -> int:
        return self._gateway.resumes

    @property
    def connected_shards(self) -> list[int]:
        """Ids of the shards that have an open gateway connection (an unsharded client is shard 0)."""
        return self._gateway.connected_shards

    async def wait_until_ready(self, timeout: float = 5.0, shards: int = 1) -> None:  # noqa: ASYNC109
        """Wait until `shards` distinct shards have identified and got READY (unsharded: shard 0)."""
        await self._gateway.wait_until_ready(timeout, shards)

    async def wait_until_resumed(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until every session closed by `disconnect_gateway()` has RESUMEd (or any RESUME)."""
        await self._gateway.wait_until_resumed(timeout)

    async def disconnect_gateway(self, shard: int | None = None) -> None:
        """Close the websocket of `shard` (None: every shard) with 4000, so that discord.py RESUMEs."""
        await self._gateway.disconnect(shard)

    # ------------------------------------------------------------------ interactions

    async def send_interaction(
        self, payload: dict[str, Any], *, shard: int | None = None, deadline: float | None = None
    ) -> FakeInteraction:
        """Dispatch INTERACTION_CREATE and start the interaction's deadline clock.

        It goes to the shard that owns the payload's guild (DMs: shard 0), or to `shard`; a shard
        that is disconnected gets it on RESUME. `deadline` overrides `interaction_deadline` for this
        interaction (0: every callback is refused with 10062 Unknown interaction).
        """
        session = self._gateway.route(payload, shard)
        iid, token = str(payload["id"]), str(payload["token"])
        if iid in self.interactions or token in self._by_token:
            raise ValueError(f"interaction id or token reused: {iid}")
        interaction = FakeInteraction(self, payload, self._now(), deadline=deadline, shard=session.shard_id)
        self.interactions[iid] = interaction
        self._by_token[token] = interaction
        self.counts.sent += 1
        message = payload.get("message")
        if isinstance(message, dict):
            mid = str(message["id"])
            self.messages.setdefault(mid, copy.deepcopy(message))
            interaction._component_message_id = mid
            interaction._message_ids.add(mid)
        await self._gateway.dispatch(session, "INTERACTION_CREATE", payload)
        return interaction

    def unanswered(self, older_than: float = 0.0) -> list[FakeInteraction]:
        """Interactions sent at least `older_than` seconds ago that got no visible answer (yet)."""
        cutoff = self._now() - older_than
        return [i for i in self.interactions.values() if i.answered_at is None and i.created_at <= cutoff]

    def forget_finished(self, older_than: float) -> int:
        """Drop interactions answered more than `older_than` seconds ago (with their messages), and
        recorded requests that old; return how many interactions were dropped.

        Unanswered interactions stay for `unanswered()`; `counts` keeps the totals. The bot can no
        longer edit or follow up a dropped interaction (401 Invalid Webhook Token).
        """
        cutoff = self._now() - older_than
        done = [
            i for i in self.interactions.values() if i.answered_at is not None and i.answered_at <= cutoff
        ]
        for interaction in done:
            del self.interactions[interaction.id]
            self._by_token.pop(interaction.token, None)
            for mid in interaction._message_ids:
                if mid != interaction._component_message_id:
                    self.messages.pop(mid, None)
        del self.requests[: bisect.bisect_right(self.requests, cutoff, key=lambda r: r.at)]
        return len(done)

    # ------------------------------------------------------------------ REST faults and channels

    def fail_next(
        self,
        method: str,
        path_pattern: str,
        status: int,
        body: dict[str, Any],
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next `times` REST requests matching method ('*': any) and path regex with this."""
        self._rest.fail_next(method, path_pattern, status, body, times, dict(headers or {}))

    def channel(self, channel_id: int) -> FakeChannel:
        """The channel with this id (every id exists and accepts posts until told otherwise)."""
        if channel_id not in self.channels:
            self.channels[channel_id] = FakeChannel(channel_id)
        return self.channels[channel_id]

    async def wait_for_channel_message(
        self,
        channel_id: int,
        predicate: Callable[[JSON], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> JSON:
        """The first message posted in the channel (already or later) that matches `predicate`."""
        return await self.channel(channel_id).wait_for_message(predicate, timeout)
