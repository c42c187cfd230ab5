"""Posting into a channel (`POST /channels/{id}/messages`), as a feed or an announcement does.

Discord's rules kept here: the limits of a message, `nonce` + `enforce_nonce` (a repeat within
`nonce_window` answers the earlier message and creates none), the channel's permission errors, Embed
Links, and a per-channel rate limit (`channel_rate_limit` posts per `channel_rate_window` seconds).
"""

from __future__ import annotations

import asyncio
import enum
import math
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from discord import MessageType

from bot.sandbox.fake_discord.errors import (
    JSON,
    Reject,
    empty_message,
    error,
    form_error,
    missing_permissions,
)
from bot.sandbox.fake_discord.limits import (
    is_empty,
    validate_allowed_mentions,
    validate_message,
    validate_nonce,
)
from bot.sandbox.fake_discord.messages import (
    EPHEMERAL,
    SENDABLE_FLAGS,
    Upload,
    apply_body,
    apply_mentions,
    new_message,
)
from bot.sandbox.fake_discord.recording import RecordedRequest
from bot.sandbox.fake_discord.rest import Reply, Route, rate_limit_headers, rate_limited, route

if TYPE_CHECKING:
    from bot.sandbox.fake_discord.server import FakeDiscord


class ChannelError(enum.Enum):
    """Why Discord refuses every post in a channel."""

    UNKNOWN_CHANNEL = (404, 10003, "Unknown Channel")  # deleted, or never existed
    MISSING_ACCESS = (403, 50001, "Missing Access")  # the bot cannot see it (no View Channel)
    MISSING_PERMISSIONS = (403, 50013, "Missing Permissions")  # it sees it but may not send there

    def reject(self) -> Reject:
        status, code, message = self.value
        return Reject(status, error(code, message))


@dataclass
class FakeChannel:
    """One channel as the fake knows it: how it treats the bot's posts, and the messages posted."""

    id: int
    error: ChannelError | None = None
    # Without Embed Links, Discord drops the embeds of a message, or refuses one with nothing else.
    embed_links: bool = True
    messages: list[JSON] = field(default_factory=list)  # created here, oldest first, as posted
    rate_limited: int = 0  # posts refused with a 429
    _window_start: float = -math.inf
    _window_used: int = 0
    _posted: asyncio.Event = field(default_factory=asyncio.Event)

    async def wait_for_message(
        self,
        predicate: Callable[[JSON], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> JSON:
        """The first message posted here (already or later) that matches `predicate`."""

        async def until() -> JSON:
            while True:
                found = next((m for m in self.messages if predicate is None or predicate(m)), None)
                if found is not None:
                    return found
                await self._posted.wait()

        try:
            return await asyncio.wait_for(until(), timeout)
        except TimeoutError:
            raise TimeoutError(
                f"channel {self.id}: no matching message in {timeout}s ({len(self.messages)} posted)"
            ) from None

    def _add(self, message: JSON) -> None:
        self.messages.append(message)
        self._posted.set()
        self._posted = asyncio.Event()


class ChannelRoutes:
    def __init__(self, fake: FakeDiscord) -> None:
        self._fake = fake
        self._nonces: dict[str, tuple[float, str]] = {}  # nonce -> (when, message id)
        self._bucket = secrets.token_hex(16)

    def routes(self) -> list[Route]:
        # Discord also lists messages (GET) on this path; the fake does not.
        messages = r"/channels/(?P<channel>\d+)/messages"
        return [route("POST", messages, self.post_message, every_method=False)]

    def post_message(self, match: re.Match[str], record: RecordedRequest, uploads: list[Upload]) -> Reply:
        channel = self._fake.channel(int(match["channel"]))
        headers = self._take_slot(channel)
        try:
            return Reply(200, self._post(channel, record.json, uploads), headers)
        except Reject as reject:
            reject.headers.update(headers)
            raise

    def _take_slot(self, channel: FakeChannel) -> dict[str, str]:
        """Count one post against the channel's window; 429 once the window is used up."""
        fake = self._fake
        limit, window, now = fake.channel_rate_limit, fake.channel_rate_window, fake._now()
        if now - channel._window_start >= window:
            channel._window_start, channel._window_used = now, 0
        reset_after = channel._window_start + window - now
        if channel._window_used >= limit:
            channel.rate_limited += 1
            raise rate_limited(limit=limit, retry_after=round(reset_after, 3), bucket=self._bucket)
        channel._window_used += 1
        remaining = limit - channel._window_used
        return rate_limit_headers(
            limit=limit, remaining=remaining, reset_after=reset_after, bucket=self._bucket
        )

    def _post(self, channel: FakeChannel, data: object, uploads: list[Upload]) -> JSON:
        if channel.error is not None:
            raise channel.error.reject()
        if not isinstance(data, dict):
            raise Reject(400, empty_message())
        errors = {**validate_message(data), **validate_nonce(data), **validate_allowed_mentions(data)}
        if errors:
            raise Reject(400, form_error(errors))
        if is_empty(data) and not uploads:
            raise Reject(400, empty_message())
        if data.get("embeds") and not channel.embed_links:
            if is_empty({**data, "embeds": None}) and not uploads:
                raise Reject(403, missing_permissions())
            data = {**data, "embeds": []}
        nonce = data.get("nonce")
        if nonce is not None and data.get("enforce_nonce"):
            earlier = self._earlier(str(nonce))
            if earlier is not None:
                return earlier
        message = self._create(channel, data, uploads)
        if nonce is not None:
            self._remember(str(nonce), message["id"])
        return message

    def _remember(self, nonce: str, message_id: str) -> None:
        now = self._fake._now()
        if len(self._nonces) >= 10_000:
            expired = [n for n, (at, _) in self._nonces.items() if now - at > self._fake.nonce_window]
            for old in expired:
                del self._nonces[old]
        self._nonces[nonce] = (now, message_id)

    def _earlier(self, nonce: str) -> JSON | None:
        """The message created with this nonce within the window, as it is now."""
        fake = self._fake
        seen = self._nonces.get(nonce)
        if seen is None or fake._now() - seen[0] > fake.nonce_window:
            return None
        return fake.messages.get(seen[1])

    def _create(self, channel: FakeChannel, data: JSON, uploads: list[Upload]) -> JSON:
        fake = self._fake
        flags = int(data.get("flags") or 0) & SENDABLE_FLAGS & ~EPHEMERAL
        base = new_message(
            fake.ids.next(),
            str(channel.id),
            fake.bot_user(),
            message_type=MessageType.default.value,
            flags=flags,
        )
        message = apply_body(base, data, uploads, fake.ids, fake.base_url)
        if data.get("nonce") is not None:
            message["nonce"] = data["nonce"]
        apply_mentions(message, data.get("allowed_mentions"))
        fake.messages[message["id"]] = message
        channel._add(message)
        return message
