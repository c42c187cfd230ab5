"""The REST side's plumbing: reading bodies, recording requests, injected faults and 429s, routing.

The routes themselves live by concern: `application.py` (login, gateway info, commands),
`interactions.py` (callbacks and webhooks), `channels.py` (channel messages).
"""

from __future__ import annotations

import copy
import json
import math
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from aiohttp import BodyPartReader, web

from bot.sandbox.fake_discord.errors import JSON, Reject, error, not_found
from bot.sandbox.fake_discord.messages import Upload
from bot.sandbox.fake_discord.recording import RecordedRequest

if TYPE_CHECKING:
    from bot.sandbox.fake_discord.server import FakeDiscord

API_PREFIX = "/api/v10"


class Reply(NamedTuple):
    """A route's answer (status 204 or body None: no body)."""

    status: int
    body: Any = None
    headers: dict[str, str] | None = None


Handler = Callable[[re.Match[str], RecordedRequest, list[Upload]], Reply]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    auth: bool = True  # needs the bot token (interaction callbacks and webhooks use their own token)
    # False: Discord serves other methods on this path that the fake does not; those answer 404 like any
    # route the fake does not serve, not 405.
    every_method: bool = True


def route(method: str, path: str, handler: Handler, *, auth: bool = True, every_method: bool = True) -> Route:
    return Route(method, re.compile(path), handler, auth, every_method)


@dataclass
class _Fault:
    method: str
    pattern: re.Pattern[str]
    status: int
    body: JSON
    remaining: int
    headers: dict[str, str]


def respond(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    # Via marks the answer as coming through Discord's proxy: discord.py only retries a 429 that has it.
    out = {"Via": "1.1 google", **(headers or {})}
    if status == 204 or body is None:
        return web.Response(status=status, headers=out)
    # body=bytes keeps the content type exactly application/json (text= would add a charset).
    return web.Response(
        status=status, body=json.dumps(body).encode(), content_type="application/json", headers=out
    )


def rate_limit_headers(*, limit: int, remaining: int, reset_after: float, bucket: str) -> dict[str, str]:
    """The headers of a per-route bucket, as Discord sends them with every answer on that route."""
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
        "X-RateLimit-Reset-After": f"{reset_after:.3f}",
        "X-RateLimit-Bucket": bucket,
    }


def rate_limited(*, limit: int, retry_after: float, bucket: str) -> Reject:
    """A per-route 429 as Discord sends it (discord.py waits `retry_after`, then retries)."""
    headers = {
        "Retry-After": str(max(1, math.ceil(retry_after))),
        **rate_limit_headers(limit=limit, remaining=0, reset_after=retry_after, bucket=bucket),
        "X-RateLimit-Scope": "user",
    }
    body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": False}
    return Reject(429, body, headers)


class RestApi:
    """Answers every request under `API_PREFIX`: records it, then a fault, an injected 429 or a route."""

    def __init__(self, fake: FakeDiscord, routes: list[Route]) -> None:
        self._fake = fake
        self._routes = routes
        self._faults: list[_Fault] = []
        self._reply_requests = 0
        self._limited: set[tuple[str, str]] = set()
        self._bucket = secrets.token_hex(16)

    def fail_next(
        self, method: str, path_pattern: str, status: int, body: JSON, times: int, headers: dict[str, str]
    ) -> None:
        self._faults.append(_Fault(method.upper(), re.compile(path_pattern), status, body, times, headers))

    async def handle(self, request: web.Request) -> web.Response:
        fake = self._fake
        path = request.path[len(API_PREFIX) :] or "/"
        try:
            body, uploads = await _read_body(request)
        except (ValueError, UnicodeDecodeError):
            body, uploads = Reject(400, error(50109, "The request body contains invalid JSON.")), []
        record = RecordedRequest(
            request.method,
            path,
            dict(request.query),
            None if isinstance(body, Reject) else body,
            dict(request.headers),
            at=fake._now(),
        )
        fake.requests.append(record)
        if fake.keep_requests is not None and len(fake.requests) > fake.keep_requests:
            del fake.requests[: len(fake.requests) - fake.keep_requests]
        if isinstance(body, Reject):
            reply = Reply(body.status, body.body, body.headers)
        else:
            try:
                reply = self._answer(record, uploads, request.headers.get("Authorization"))
            except Reject as reject:
                reply = Reply(reject.status, reject.body, reject.headers)
        record.status = reply.status
        return respond(reply.status, reply.body, reply.headers)

    def _answer(self, record: RecordedRequest, uploads: list[Upload], auth: str | None) -> Reply:
        fault = self._take_fault(record)
        if fault is not None:
            return Reply(fault.status, copy.deepcopy(fault.body), fault.headers)
        self._inject_429(record)
        path_matched = False
        for candidate in self._routes:
            match = candidate.pattern.fullmatch(record.path)
            if match is None:
                continue
            if candidate.method != record.method:
                path_matched = path_matched or candidate.every_method
                continue
            if candidate.auth and auth != f"Bot {self._fake.bot_token}":
                return Reply(401, error(0, "401: Unauthorized"))
            return candidate.handler(match, record, uploads)
        if path_matched:
            return Reply(405, error(0, "405: Method Not Allowed"))
        return Reply(404, not_found())

    def _take_fault(self, record: RecordedRequest) -> _Fault | None:
        for fault in self._faults:
            if fault.method in ("*", record.method) and fault.pattern.search(record.path):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _inject_429(self, record: RecordedRequest) -> None:
        """Every `reply_429_every`th callback or webhook request is refused once with a 429."""
        fake = self._fake
        if fake.reply_429_every <= 0 or not self._limits(record):
            return
        key = (record.method, record.path)
        if key in self._limited:
            self._limited.discard(key)  # discord.py's retry of a request we limited: let it through
            return
        self._reply_requests += 1
        if self._reply_requests % fake.reply_429_every == 0:
            if len(self._limited) >= 10_000:
                self._limited.clear()  # retries that never came
            self._limited.add(key)
            fake.counts.rate_limited += 1
            raise rate_limited(limit=5, retry_after=fake.reply_429_retry_after, bucket=self._bucket)

    def _limits(self, record: RecordedRequest) -> bool:
        if record.path.startswith("/webhooks/"):
            return True
        return self._fake.reply_429_callbacks and record.path.startswith("/interactions/")


async def _read_body(request: web.Request) -> tuple[Any, list[Upload]]:
    if not request.can_read_body:
        return None, []
    if request.content_type == "multipart/form-data":
        payload: Any = None
        uploads: list[Upload] = []
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                continue
            if part.name == "payload_json":
                payload = json.loads(await part.text())
            elif part.filename is not None:
                raw = await part.read()
                ctype = part.headers.get("Content-Type", "application/octet-stream")
                uploads.append(Upload(part.filename, len(raw), ctype))
        return payload, uploads
    raw = await request.read()
    return (json.loads(raw) if raw else None), []
