"""What the fake saw: REST requests, and each interaction with everything the bot did to answer it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from discord import InteractionResponseType

from bot.sandbox.fake_discord.errors import JSON
from bot.sandbox.fake_discord.limits import is_empty
from bot.sandbox.fake_discord.messages import copy_json

if TYPE_CHECKING:
    from bot.sandbox.fake_discord.server import FakeDiscord

# Initial responses the member sees at once (a defer only shows "thinking").
ANSWERING_RESPONSES = frozenset(
    t.value
    for t in (
        InteractionResponseType.channel_message,
        InteractionResponseType.message_update,
        InteractionResponseType.autocomplete_result,
        InteractionResponseType.modal,
    )
)


@dataclass
class RecordedRequest:
    """One REST request as the fake received it; `status` is filled in once answered."""

    method: str
    path: str
    query: dict[str, str]
    json: Any | None
    headers: dict[str, str]
    status: int = 0
    at: float = 0.0  # time.monotonic() when received


@dataclass
class InteractionEvent:
    """An accepted interaction response action; `body` is the exact JSON the bot sent."""

    kind: str
    body: dict[str, Any]
    message: dict[str, Any] | None = None  # snapshot of the resulting message, if any


@dataclass
class InteractionCounts:
    """Running totals for a soak report; they survive `forget_finished()`."""

    sent: int = 0
    # Got a visible answer: a reply, update, autocomplete or modal, or an edit/followup after a defer.
    answered: int = 0
    expired: int = 0  # had a callback refused because its deadline had passed
    rate_limited: int = 0  # 429s served by `reply_429_every`


def is_answer(event: InteractionEvent) -> bool:
    """Whether this event showed the member an answer."""
    if event.kind == "callback":
        return event.body.get("type") in ANSWERING_RESPONSES
    if event.kind in ("edit_original", "followup"):
        return event.message is not None and not is_empty(event.message)
    return False


class FakeInteraction:
    """One interaction sent to the bot, and everything the bot did to answer it."""

    def __init__(
        self,
        fake: FakeDiscord,
        payload: dict[str, Any],
        created_at: float,
        *,
        deadline: float | None = None,
        shard: int = 0,
    ) -> None:
        self.id: str = str(payload["id"])
        self.token: str = str(payload["token"])
        self.payload: dict[str, Any] = payload
        self.type: int = int(payload["type"])
        self.events: list[InteractionEvent] = []
        self.deferred: bool = False
        self.ephemeral: bool = False
        self.callback_type: int | None = None  # an `InteractionResponseType` value
        self.created_at: float = created_at
        self.deadline: float | None = deadline  # None: the fake's `interaction_deadline`
        self.shard: int = shard  # the shard it was dispatched to
        self.answered_at: float | None = None  # when the first visible answer was accepted
        self.expired: bool = False  # a callback was refused because the deadline had passed
        self._fake = fake
        self._original_id: str | None = None
        self._loading = False
        self._followup_ids: list[str] = []
        self._message_ids: set[str] = set()
        self._component_message_id: str | None = None
        self._waiters: list[tuple[Callable[[InteractionEvent], bool], asyncio.Future[InteractionEvent]]] = []

    def __repr__(self) -> str:
        return f"<FakeInteraction id={self.id} type={self.type} events={[e.kind for e in self.events]}>"

    @property
    def response_type(self) -> InteractionResponseType | None:
        """The accepted initial response, by discord.py's name (None before one)."""
        return None if self.callback_type is None else InteractionResponseType(self.callback_type)

    @property
    def answered(self) -> bool:
        """Whether the member got a visible answer (see `InteractionCounts.answered`)."""
        return self.answered_at is not None

    @property
    def acknowledged(self) -> bool:
        """Whether an initial callback was accepted."""
        return self.callback_type is not None

    @property
    def original(self) -> dict[str, Any] | None:
        """The current original-response message (None before any reply, or after delete)."""
        if self._original_id is None:
            return None
        return self._fake.messages.get(self._original_id)

    @property
    def followups(self) -> list[dict[str, Any]]:
        """Messages sent through followup POSTs (the first one after a defer is the original)."""
        return [self._fake.messages[i] for i in self._followup_ids if i in self._fake.messages]

    def _record(self, kind: str, body: JSON, message: JSON | None = None) -> None:
        event = InteractionEvent(kind, body, copy_json(message) if message is not None else None)
        self.events.append(event)
        if self.answered_at is None and is_answer(event):
            self.answered_at = self._fake._now()
            self._fake.counts.answered += 1
        for predicate, future in list(self._waiters):
            if future.done():
                continue
            try:
                if predicate(event):
                    future.set_result(event)
            except Exception as exc:
                future.set_exception(exc)

    async def wait_for(
        self,
        predicate: Callable[[InteractionEvent], bool],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> InteractionEvent:
        """Return the first event (already recorded or future) matching `predicate`."""
        for event in self.events:
            if predicate(event):
                return event
        future: asyncio.Future[InteractionEvent] = asyncio.get_running_loop().create_future()
        entry = (predicate, future)
        self._waiters.append(entry)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            kinds = [e.kind for e in self.events]
            raise TimeoutError(
                f"interaction {self.id}: no matching event in {timeout}s (events: {kinds})"
            ) from None
        finally:
            with contextlib.suppress(ValueError):
                self._waiters.remove(entry)

    async def wait_for_answer(self, timeout: float = 5.0) -> dict[str, Any]:  # noqa: ASYNC109
        """Wait for the first visible answer; return the resulting message (or autocomplete data)."""
        event = await self.wait_for(is_answer, timeout)
        if event.message is not None:
            return copy_json(event.message)
        data = dict(event.body.get("data") or {})
        data.setdefault("flags", 0)
        return data
