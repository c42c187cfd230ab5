"""A strict fake Discord (REST + gateway, one aiohttp app on 127.0.0.1) for tests, demo and benchmarks."""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import copy
import json
import math
import re
import secrets
import socket
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import BodyPartReader, WSMsgType, web

__all__ = [
    "DEFAULT_CHANNEL_ID",
    "DEFAULT_GUILD_ID",
    "DEFAULT_USER_ID",
    "FakeDiscord",
    "FakeInteraction",
    "InteractionCounts",
    "InteractionEvent",
    "RecordedRequest",
    "guild_for_shard",
]

JSON = dict[str, Any]

API_PREFIX = "/api/v10"
DEFAULT_GUILD_ID = 200000000000000001
DEFAULT_CHANNEL_ID = 300000000000000001
DEFAULT_USER_ID = 400000000000000001
HEARTBEAT_INTERVAL_MS = 41250
_DISCORD_EPOCH_MS = 1420070400000

EPHEMERAL = 1 << 6
LOADING = 1 << 7
SUPPRESS_EMBEDS = 1 << 2
SUPPRESS_NOTIFICATIONS = 1 << 12
IS_COMPONENTS_V2 = 1 << 15
_SENDABLE_FLAGS = EPHEMERAL | SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS | IS_COMPONENTS_V2
_EDITABLE_FLAGS = SUPPRESS_EMBEDS | IS_COMPONENTS_V2
_PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)  # members, presences, message content

# Callback types Discord accepts per interaction type (ping, command, component, autocomplete, modal).
_ALLOWED_CALLBACKS: dict[int, frozenset[int]] = {
    1: frozenset({1}),
    2: frozenset({4, 5, 9}),
    3: frozenset({4, 5, 6, 7, 9}),
    4: frozenset({8}),
    5: frozenset({4, 5, 6, 7}),
}
_SELECT_TYPES = frozenset({3, 5, 6, 7, 8})
_COMMAND_NAME_RE = re.compile(r"[-_'\w]{1,32}")


def _error(code: int, message: str) -> JSON:
    return {"message": message, "code": code}


def _unknown_interaction() -> JSON:
    return _error(10062, "Unknown interaction")


def _unknown_webhook() -> JSON:
    return _error(10015, "Unknown Webhook")


def _unknown_message() -> JSON:
    return _error(10008, "Unknown Message")


def _invalid_webhook_token() -> JSON:
    return _error(50027, "Invalid Webhook Token")


def _empty_message() -> JSON:
    return _error(50006, "Cannot send an empty message")


def _form_error(errors: JSON) -> JSON:
    return {"code": 50035, "message": "Invalid Form Body", "errors": errors}


def _field_error(code: str, message: str) -> JSON:
    return {"_errors": [{"code": code, "message": message}]}


def _max_length(limit: int) -> JSON:
    return _field_error("BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def _bad_length(low: int, high: int) -> JSON:
    return _field_error("BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")


def _required() -> JSON:
    return _field_error("BASE_TYPE_REQUIRED", "This field is required")


def _put(errors: JSON, path: tuple[str | int, ...], error: JSON) -> None:
    """Set a Discord-style nested error at `path` (keeps an existing error there)."""
    node = errors
    for key in path[:-1]:
        node = node.setdefault(str(key), {})
    node.setdefault(str(path[-1]), error)


def guild_for_shard(shard_id: int, shard_count: int, nth: int = 0) -> int:
    """A guild id that Discord routes to `shard_id` of `shard_count` (`nth` picks another such id)."""
    if not 0 <= shard_id < shard_count:
        raise ValueError(f"shard {shard_id} is not in 0..{shard_count - 1}")
    stamp = DEFAULT_GUILD_ID >> 22
    stamp += shard_id - stamp % shard_count + nth * shard_count
    return (stamp << 22) | (DEFAULT_GUILD_ID & ((1 << 22) - 1))


def _copy(value: JSON) -> JSON:
    """Deep copy of JSON data, several times faster than copy.deepcopy."""
    copied: JSON = json.loads(json.dumps(value))
    return copied


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


def _truthy(value: str | None) -> bool:
    return value is not None and value.lower() in ("1", "true")


class _Reject(Exception):
    """Raised by a route handler to answer with an error status and body."""

    def __init__(self, status: int, body: JSON) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body


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


@dataclass
class _Upload:
    filename: str
    size: int
    content_type: str


@dataclass
class _Fault:
    method: str
    pattern: re.Pattern[str]
    status: int
    body: JSON
    remaining: int
    headers: dict[str, str]


@dataclass
class _GatewaySession:
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
        return self.shard_id == (0 if guild_id is None else (guild_id >> 22) % self.shard_count)


_Handler = Callable[[re.Match[str], RecordedRequest, list[_Upload]], tuple[int, Any]]


# ---------------------------------------------------------------------------------------------- validation


def _validate_embeds(embeds: Any, errors: JSON, base: tuple[str | int, ...]) -> None:
    if not isinstance(embeds, list):
        _put(
            errors,
            (*base, "embeds"),
            _field_error("LIST_TYPE_CONVERT", "Only iterables may be used in a ListType"),
        )
        return
    if len(embeds) > 10:
        _put(errors, (*base, "embeds"), _max_length(10))
    total = 0
    for i, embed in enumerate(embeds):
        path = (*base, "embeds", i)
        if not isinstance(embed, dict):
            _put(
                errors,
                path,
                _field_error("MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType"),
            )
            continue
        for key, limit in (("title", 256), ("description", 4096)):
            value = embed.get(key)
            if isinstance(value, str):
                total += len(value)
                if len(value) > limit:
                    _put(errors, (*path, key), _max_length(limit))
        fields = embed.get("fields") or []
        if len(fields) > 25:
            _put(errors, (*path, "fields"), _max_length(25))
        for j, fld in enumerate(fields):
            for key, limit in (("name", 256), ("value", 1024)):
                value = fld.get(key) if isinstance(fld, dict) else None
                if not isinstance(value, str) or not value:
                    _put(errors, (*path, "fields", j, key), _required())
                    continue
                total += len(value)
                if len(value) > limit:
                    _put(errors, (*path, "fields", j, key), _max_length(limit))
        for key, sub, limit in (("footer", "text", 2048), ("author", "name", 256)):
            part = embed.get(key)
            value = part.get(sub) if isinstance(part, dict) else None
            if isinstance(value, str):
                total += len(value)
                if len(value) > limit:
                    _put(errors, (*path, key, sub), _max_length(limit))
    if total > 6000:
        _put(
            errors,
            (*base, "embeds"),
            _field_error("MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000"),
        )


def _validate_component(comp: Any, path: tuple[str | int, ...], errors: JSON, seen: set[str]) -> int:
    """Validate one component (recursively); return how many components it counts for."""
    if not isinstance(comp, dict) or not isinstance(comp.get("type"), int):
        _put(errors, (*path, "type"), _required())
        return 1
    count = 1
    ctype: int = comp["type"]
    custom_id = comp.get("custom_id")
    if isinstance(custom_id, str):
        if len(custom_id) > 100:
            _put(errors, (*path, "custom_id"), _max_length(100))
        elif custom_id in seen:
            _put(
                errors,
                (*path, "custom_id"),
                _field_error("COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated"),
            )
        seen.add(custom_id)
    if ctype == 2:
        label = comp.get("label")
        if isinstance(label, str) and len(label) > 80:
            _put(errors, (*path, "label"), _max_length(80))
        style = comp.get("style")
        if style == 5 and not comp.get("url"):
            _put(errors, (*path, "url"), _required())
        elif style not in (5, 6) and not custom_id:
            _put(errors, (*path, "custom_id"), _required())
    elif ctype in _SELECT_TYPES:
        if not custom_id:
            _put(errors, (*path, "custom_id"), _required())
        if ctype == 3 and len(comp.get("options") or []) > 25:
            _put(errors, (*path, "options"), _max_length(25))
    children = comp.get("components")
    if ctype == 1:
        if not isinstance(children, list) or not children:
            _put(
                errors,
                (*path, "components"),
                _field_error("BASE_TYPE_MIN_LENGTH", "Must be 1 or more in length."),
            )
            children = []
        elif len(children) > 5:
            _put(errors, (*path, "components"), _max_length(5))
        elif len(children) > 1 and any(
            isinstance(c, dict) and c.get("type") in _SELECT_TYPES for c in children
        ):
            _put(
                errors,
                (*path, "components"),
                _field_error(
                    "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "The specified component exceeds the maximum width"
                ),
            )
    if isinstance(children, list):
        for i, child in enumerate(children):
            count += _validate_component(child, (*path, "components", i), errors, seen)
    accessory = comp.get("accessory")
    if isinstance(accessory, dict):
        count += _validate_component(accessory, (*path, "accessory"), errors, seen)
    return count


def _validate_components(components: Any, flags: int, errors: JSON, base: tuple[str | int, ...]) -> None:
    if not isinstance(components, list):
        _put(errors, (*base, "components"), _field_error("LIST_TYPE_CONVERT", "Only iterables may be used"))
        return
    v2 = bool(flags & IS_COMPONENTS_V2)
    if not v2 and len(components) > 5:
        _put(errors, (*base, "components"), _max_length(5))
    seen: set[str] = set()
    total = 0
    for i, comp in enumerate(components):
        path = (*base, "components", i)
        if not v2 and isinstance(comp, dict) and comp.get("type") != 1:
            _put(errors, (*path, "type"), _field_error("BASE_TYPE_CHOICES", "Value must be one of {1}."))
        total += _validate_component(comp, path, errors, seen)
    if v2 and total > 40:
        _put(errors, (*base, "components"), _max_length(40))


def validate_message(data: JSON, base: tuple[str | int, ...] = ()) -> JSON:
    """Return Discord-style nested errors for a message create/edit body ({} when valid)."""
    errors: JSON = {}
    content = data.get("content")
    if content is not None and (not isinstance(content, str) or len(content) > 2000):
        _put(errors, (*base, "content"), _max_length(2000))
    if data.get("embeds") is not None:
        _validate_embeds(data["embeds"], errors, base)
    if data.get("components") is not None:
        _validate_components(data["components"], int(data.get("flags") or 0), errors, base)
    return errors


def _is_empty(message: JSON) -> bool:
    return not (
        message.get("content")
        or message.get("embeds")
        or message.get("components")
        or message.get("attachments")
        or message.get("poll")
        or message.get("sticker_ids")
    )


def _validate_choices(data: JSON) -> JSON:
    errors: JSON = {}
    choices = data.get("choices")
    if not isinstance(choices, list):
        _put(errors, ("data", "choices"), _required())
        return errors
    if len(choices) > 25:
        _put(errors, ("data", "choices"), _max_length(25))
    for i, choice in enumerate(choices):
        name = choice.get("name") if isinstance(choice, dict) else None
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            _put(errors, ("data", "choices", i, "name"), _bad_length(1, 100))
        value = choice.get("value") if isinstance(choice, dict) else None
        if value is None:
            _put(errors, ("data", "choices", i, "value"), _required())
        elif isinstance(value, str) and len(value) > 100:
            _put(errors, ("data", "choices", i, "value"), _max_length(100))
    return errors


def _validate_modal(data: JSON) -> JSON:
    errors: JSON = {}
    custom_id = data.get("custom_id")
    if not isinstance(custom_id, str) or not custom_id:
        _put(errors, ("data", "custom_id"), _required())
    elif len(custom_id) > 100:
        _put(errors, ("data", "custom_id"), _max_length(100))
    title = data.get("title")
    if not isinstance(title, str) or not 1 <= len(title) <= 45:
        _put(errors, ("data", "title"), _bad_length(1, 45))
    components = data.get("components")
    if not isinstance(components, list) or not 1 <= len(components) <= 5:
        _put(errors, ("data", "components"), _bad_length(1, 5))
    return errors


def _check_name(name: Any, chat_input: bool, path: tuple[str | int, ...], errors: JSON) -> None:
    if not isinstance(name, str) or not name:
        _put(errors, (*path, "name"), _required())
    elif len(name) > 32:
        _put(errors, (*path, "name"), _bad_length(1, 32))
    elif chat_input and (not _COMMAND_NAME_RE.fullmatch(name) or name != name.lower()):
        _put(
            errors,
            (*path, "name"),
            _field_error("APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"),
        )


def _check_description(desc: Any, path: tuple[str | int, ...], errors: JSON) -> None:
    if not isinstance(desc, str) or not 1 <= len(desc) <= 100:
        _put(errors, (*path, "description"), _bad_length(1, 100))


def _validate_options(options: Any, path: tuple[str | int, ...], errors: JSON) -> None:
    if not isinstance(options, list):
        return
    if len(options) > 25:
        _put(errors, path, _max_length(25))
    names: set[str] = set()
    seen_optional = False
    for i, opt in enumerate(options):
        opath = (*path, i)
        if not isinstance(opt, dict):
            _put(errors, opath, _required())
            continue
        _check_name(opt.get("name"), True, opath, errors)
        _check_description(opt.get("description"), opath, errors)
        name = opt.get("name")
        if isinstance(name, str):
            if name in names:
                _put(
                    errors,
                    (*opath, "name"),
                    _field_error(
                        "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS", "Option names must be unique"
                    ),
                )
            names.add(name)
        if opt.get("type") in (1, 2):
            _validate_options(opt.get("options") or [], (*opath, "options"), errors)
            continue
        if opt.get("required"):
            if seen_optional:
                _put(
                    errors,
                    (*opath, "required"),
                    _field_error(
                        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                        "Required options must be placed before non-required options",
                    ),
                )
        else:
            seen_optional = True
        choices = opt.get("choices") or []
        if len(choices) > 25:
            _put(errors, (*opath, "choices"), _max_length(25))
        for j, choice in enumerate(choices):
            cname = choice.get("name") if isinstance(choice, dict) else None
            if not isinstance(cname, str) or not 1 <= len(cname) <= 100:
                _put(errors, (*opath, "choices", j, "name"), _bad_length(1, 100))
            value = choice.get("value") if isinstance(choice, dict) else None
            if isinstance(value, str) and len(value) > 100:
                _put(errors, (*opath, "choices", j, "value"), _max_length(100))


def _validate_command(cmd: Any, index: int, errors: JSON) -> None:
    if not isinstance(cmd, dict):
        _put(
            errors,
            (index,),
            _field_error("MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType"),
        )
        return
    chat_input = cmd.get("type", 1) == 1
    _check_name(cmd.get("name"), chat_input, (index,), errors)
    if chat_input:
        _check_description(cmd.get("description"), (index,), errors)
        _validate_options(cmd.get("options") or [], (index, "options"), errors)


# ---------------------------------------------------------------------------------------------- interaction


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
        self.callback_type: int | None = None
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
        event = InteractionEvent(kind, body, _copy(message) if message is not None else None)
        self.events.append(event)
        if self.answered_at is None and _is_answer(event):
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
        event = await self.wait_for(_is_answer, timeout)
        if event.message is not None:
            return _copy(event.message)
        data = dict(event.body.get("data") or {})
        data.setdefault("flags", 0)
        return data


def _is_answer(event: InteractionEvent) -> bool:
    if event.kind == "callback":
        return event.body.get("type") in (4, 7, 8, 9)
    if event.kind in ("edit_original", "followup"):
        return event.message is not None and not _is_empty(event.message)
    return False


# ---------------------------------------------------------------------------------------------- server


class FakeDiscord:
    """Fake Discord REST API and gateway, strict about limits and interaction rules.

    Any number of gateway connections may be open at once (one per shard, from one or several
    processes); interactions are routed to the shard that owns their guild.

    `reply_429_every=N` answers every Nth interaction callback and webhook request (followups,
    edits, deletes) with a 429 that discord.py retries after `reply_429_retry_after` seconds; the
    retry of a limited request is never limited again. Real Discord exempts interaction callbacks
    from the global rate limit and rarely 429s them; pass `reply_429_callbacks=False` to limit
    webhook requests only. `keep_requests` bounds `requests` to the newest N entries.
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
        allowed_privileged_intents: int = _PRIVILEGED_INTENTS,
        recommended_shards: int = 1,
        max_concurrency: int = 1,
        reply_429_every: int = 0,
        reply_429_callbacks: bool = True,
        reply_429_retry_after: float = 0.05,
        keep_requests: int | None = None,
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
        self.counts = InteractionCounts()
        self.requests: list[RecordedRequest] = []
        self.identifies: list[dict[str, Any]] = []
        self.gateway_queries: list[dict[str, str]] = []
        self.commands: dict[int | None, list[dict[str, Any]]] = {}
        self.command_syncs = 0
        self.messages: dict[str, dict[str, Any]] = {}
        self.interactions: dict[str, FakeInteraction] = {}
        self.resumes = 0
        self._by_token: dict[str, FakeInteraction] = {}
        self._command_ids: dict[tuple[int | None, int, str], str] = {}
        self._faults: list[_Fault] = []
        self._sessions: dict[str, _GatewaySession] = {}
        self._sockets: set[web.WebSocketResponse] = set()
        self._gateway_changed = asyncio.Event()
        self._awaiting_resume: set[str] = set()
        self._reply_requests = 0
        self._limited: set[tuple[str, str]] = set()
        self._bucket = secrets.token_hex(16)
        self._last_id = 0
        self._port: int | None = None
        self._runner: web.AppRunner | None = None
        commands = r"/applications/(?P<app>\d+)(?:/guilds/(?P<guild>\d+))?/commands"
        webhook = r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)"
        message = webhook + r"/messages/(?P<mid>@original|\d+)"
        routes: list[tuple[str, str, _Handler, bool]] = [
            ("GET", r"/users/@me", self._get_me, True),
            ("GET", r"/oauth2/applications/@me", self._get_application, True),
            ("GET", r"/gateway", self._get_gateway, False),
            ("GET", r"/gateway/bot", self._get_gateway_bot, True),
            ("GET", commands, self._get_commands, True),
            ("PUT", commands, self._put_commands, True),
            ("POST", r"/interactions/(?P<iid>\d+)/(?P<token>[^/]+)/callback", self._callback, False),
            ("POST", webhook, self._followup, False),
            ("GET", message, self._get_message, False),
            ("PATCH", message, self._edit_message, False),
            ("DELETE", message, self._delete_message, False),
        ]
        self._routes = [(method, re.compile(rx), handler, auth) for method, rx, handler, auth in routes]

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Serve on 127.0.0.1 on a free port."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest)
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
        for ws in list(self._sockets):
            await ws.close(code=1001, message=b"Fake Discord stopping")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeDiscord is not started")
        return self._port

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # ------------------------------------------------------------------ public helpers

    @property
    def connected_shards(self) -> list[int]:
        """Ids of the shards that have an open gateway connection (an unsharded client is shard 0)."""
        return sorted({s.shard_id for s in self._sessions.values() if s.connected})

    def _ready_shards(self) -> set[tuple[int, int]]:
        return {(s.shard_id, s.shard_count) for s in self._sessions.values()}

    async def wait_until_ready(self, timeout: float = 5.0, shards: int = 1) -> None:  # noqa: ASYNC109
        """Wait until `shards` distinct shards have identified and got READY (unsharded: shard 0)."""
        try:
            await self._wait_gateway(lambda: len(self._ready_shards()) >= shards, timeout)
        except TimeoutError:
            ready = sorted(self._ready_shards())
            raise TimeoutError(f"{len(ready)} of {shards} shards READY in {timeout}s: {ready}") from None

    async def wait_until_resumed(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until every session closed by `disconnect_gateway()` has RESUMEd (or any RESUME)."""
        await self._wait_gateway(lambda: self.resumes > 0 and not self._awaiting_resume, timeout)

    async def _wait_gateway(self, predicate: Callable[[], bool], timeout: float) -> None:  # noqa: ASYNC109
        async def until() -> None:
            while not predicate():
                await self._gateway_changed.wait()

        await asyncio.wait_for(until(), timeout)

    def _gateway_change(self) -> None:
        self._gateway_changed.set()
        self._gateway_changed = asyncio.Event()

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
        self._faults.append(
            _Fault(method.upper(), re.compile(path_pattern), status, body, times, dict(headers or {}))
        )

    async def send_interaction(
        self, payload: dict[str, Any], *, shard: int | None = None, deadline: float | None = None
    ) -> FakeInteraction:
        """Dispatch INTERACTION_CREATE and start the interaction's deadline clock.

        It goes to the shard that owns the payload's guild (DMs: shard 0), or to `shard`; a shard
        that is disconnected gets it on RESUME. `deadline` overrides `interaction_deadline` for this
        interaction (0: every callback is refused with 10062 Unknown interaction).
        """
        session = self._route(payload, shard)
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
        await self._dispatch(session, "INTERACTION_CREATE", payload)
        return interaction

    async def disconnect_gateway(self, shard: int | None = None) -> None:
        """Close the websocket of `shard` (None: every shard) with 4000, so that discord.py RESUMEs."""
        sessions = [s for s in self._sessions.values() if s.connected and shard in (None, s.shard_id)]
        if not sessions:
            where = "" if shard is None else f" for shard {shard}"
            raise RuntimeError(f"no connected gateway client{where}")
        self._awaiting_resume.update(s.session_id for s in sessions)
        for session in sessions:
            if session.ws is not None:
                await session.ws.close(code=4000, message=b"Unknown error.")

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

    def slash_payload(
        self,
        name: str,
        options: list[dict[str, Any]] | None = None,
        *,
        user_id: int = DEFAULT_USER_ID,
        username: str = "member",
        guild_id: int | None = DEFAULT_GUILD_ID,
        subcommand: str | None = None,
        channel_id: int = DEFAULT_CHANNEL_ID,
    ) -> dict[str, Any]:
        """A valid INTERACTION_CREATE (type 2, chat input); guild_id=None builds a DM interaction."""
        opts = copy.deepcopy(options or [])
        if subcommand is not None:
            opts = [{"name": subcommand, "type": 1, "options": opts}]
        data: JSON = {"id": self._command_id_for(name, guild_id), "name": name, "type": 1, "options": opts}
        if guild_id is not None:
            data["guild_id"] = str(guild_id)
        resolved = self._resolve_users(opts, guild_id is not None)
        if resolved:
            data["resolved"] = resolved
        return self._base_payload(2, data, user_id, username, guild_id, channel_id)

    def autocomplete_payload(
        self,
        name: str,
        options: list[dict[str, Any]],
        *,
        focused: str,
        user_id: int = DEFAULT_USER_ID,
        username: str = "member",
        guild_id: int | None = DEFAULT_GUILD_ID,
        subcommand: str | None = None,
        channel_id: int = DEFAULT_CHANNEL_ID,
    ) -> dict[str, Any]:
        """A valid autocomplete interaction (type 4) with `focused: true` on option `focused`."""
        payload = self.slash_payload(
            name, options, user_id=user_id, username=username, guild_id=guild_id,
            subcommand=subcommand, channel_id=channel_id,
        )  # fmt: skip
        payload["type"] = 4
        if not _mark_focused(payload["data"]["options"], focused):
            raise ValueError(f"no option named {focused!r} to focus")
        return payload

    def component_payload(
        self,
        message: dict[str, Any],
        custom_id: str,
        *,
        user_id: int = DEFAULT_USER_ID,
        username: str = "member",
        guild_id: int | None = DEFAULT_GUILD_ID,
        values: list[str] | None = None,
    ) -> dict[str, Any]:
        """A valid component interaction (type 3) for a click on `custom_id` in `message`."""
        current = copy.deepcopy(self.messages.get(str(message["id"]), message))
        component = _find_component(current.get("components") or [], custom_id)
        if component is None:
            raise ValueError(f"message {message['id']} has no component with custom_id {custom_id!r}")
        ctype = int(component["type"])
        data: JSON = {"custom_id": custom_id, "component_type": ctype}
        if ctype in _SELECT_TYPES:
            data["values"] = list(values or [])
        channel_id = int(current.get("channel_id") or DEFAULT_CHANNEL_ID)
        payload = self._base_payload(3, data, user_id, username, guild_id, channel_id)
        payload["message"] = current
        return payload

    # ------------------------------------------------------------------ payload building

    def _snowflake(self) -> str:
        value = (int(time.time() * 1000) - _DISCORD_EPOCH_MS) << 22
        self._last_id = max(value, self._last_id + 1)
        return str(self._last_id)

    def _now(self) -> float:
        return time.monotonic()

    def _command_id_for(self, name: str, guild_id: int | None) -> str:
        for scope in (guild_id, None):
            for cmd in self.commands.get(scope, []):
                if cmd.get("name") == name and cmd.get("type", 1) == 1:
                    return str(cmd["id"])
        return self._stable_command_id(guild_id, 1, name)

    def _stable_command_id(self, guild_id: int | None, ctype: int, name: str) -> str:
        key = (guild_id, ctype, name)
        if key not in self._command_ids:
            self._command_ids[key] = self._snowflake()
        return self._command_ids[key]

    def _resolve_users(self, options: list[JSON], in_guild: bool) -> JSON:
        """`resolved` data for user options (type 6), which discord.py needs to build User/Member."""
        users: JSON = {}
        members: JSON = {}
        stack = list(options)
        while stack:
            option = stack.pop()
            stack.extend(option.get("options") or [])
            if option.get("type") == 6 and "value" in option:
                uid = str(option["value"])
                users[uid] = self._user(int(uid), f"user{uid[-4:]}")
                if in_guild:
                    members[uid] = {
                        "roles": [],
                        "flags": 0,
                        "joined_at": "2024-01-01T00:00:00+00:00",
                        "nick": None,
                        "avatar": None,
                        "permissions": "0",
                        "pending": False,
                    }
        if not users:
            return {}
        return {"users": users, "members": members} if in_guild else {"users": users}

    def _user(self, user_id: int, username: str) -> JSON:
        return {
            "id": str(user_id),
            "username": username,
            "discriminator": "0",
            "global_name": username,
            "avatar": None,
            "public_flags": 0,
        }

    def _bot_user(self) -> JSON:
        return {
            "id": str(self.bot_user_id),
            "username": self.bot_username,
            "discriminator": "0",
            "global_name": None,
            "avatar": None,
            "bot": True,
            "public_flags": 0,
        }

    def _base_payload(
        self, itype: int, data: JSON, user_id: int, username: str, guild_id: int | None, channel_id: int
    ) -> JSON:
        iid = self._snowflake()
        user = self._user(user_id, username)
        payload: JSON = {
            "id": iid,
            "application_id": str(self.application_id),
            "type": itype,
            "token": f"fake-interaction-{iid}-{secrets.token_urlsafe(24)}",
            "version": 1,
            "attachment_size_limit": 10 * 1024 * 1024,
            "app_permissions": "2248473465835073",
            "entitlements": [],
            "authorizing_integration_owners": {},
            "locale": "en-US",
            "channel_id": str(channel_id),
            "data": data,
        }
        if guild_id is not None:
            payload["authorizing_integration_owners"] = {"0": str(guild_id)}
            payload["context"] = 0
            payload["guild_id"] = str(guild_id)
            payload["guild_locale"] = "en-US"
            payload["guild"] = {"id": str(guild_id), "locale": "en-US", "features": []}
            payload["channel"] = {
                "id": str(channel_id),
                "type": 0,
                "guild_id": str(guild_id),
                "name": "general",
                "position": 0,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
                "topic": None,
                "rate_limit_per_user": 0,
                "last_message_id": None,
                "flags": 0,
            }
            payload["member"] = {
                "user": user,
                "roles": [],
                "flags": 0,
                "joined_at": "2024-01-01T00:00:00+00:00",
                "premium_since": None,
                "nick": None,
                "avatar": None,
                "permissions": "0",
                "deaf": False,
                "mute": False,
                "pending": False,
                "communication_disabled_until": None,
            }
        else:
            payload["context"] = 1
            payload["user"] = user
            payload["channel"] = {"id": str(channel_id), "type": 1, "recipients": [user], "flags": 0}
        return payload

    # ------------------------------------------------------------------ REST plumbing

    def _respond(self, status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
        # Via marks the answer as coming through Discord's proxy: discord.py only retries a 429 that has it.
        out = {"Via": "1.1 google", **(headers or {})}
        if status == 204 or body is None:
            return web.Response(status=status, headers=out)
        # body=bytes keeps the content type exactly application/json (text= would add a charset).
        return web.Response(
            status=status, body=json.dumps(body).encode(), content_type="application/json", headers=out
        )

    async def _not_found(self, request: web.Request) -> web.Response:
        return self._respond(404, _error(0, "404: Not Found"))

    async def _read_body(self, request: web.Request) -> tuple[Any, list[_Upload]]:
        if not request.can_read_body:
            return None, []
        if request.content_type == "multipart/form-data":
            payload: Any = None
            uploads: list[_Upload] = []
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader):
                    continue
                if part.name == "payload_json":
                    payload = json.loads(await part.text())
                elif part.filename is not None:
                    raw = await part.read()
                    ctype = part.headers.get("Content-Type", "application/octet-stream")
                    uploads.append(_Upload(part.filename, len(raw), ctype))
            return payload, uploads
        raw = await request.read()
        return (json.loads(raw) if raw else None), []

    async def _rest(self, request: web.Request) -> web.Response:
        path = request.path[len(API_PREFIX) :] or "/"
        try:
            body, uploads = await self._read_body(request)
        except (ValueError, UnicodeDecodeError):
            body, uploads = _Reject(400, _error(50109, "The request body contains invalid JSON.")), []
        record = RecordedRequest(
            request.method,
            path,
            dict(request.query),
            None if isinstance(body, _Reject) else body,
            dict(request.headers),
            at=self._now(),
        )
        self.requests.append(record)
        if self.keep_requests is not None and len(self.requests) > self.keep_requests:
            del self.requests[: len(self.requests) - self.keep_requests]
        if isinstance(body, _Reject):
            status, answer, headers = body.status, body.body, dict[str, str]()
        else:
            status, answer, headers = self._handle(record, uploads, request.headers.get("Authorization"))
        record.status = status
        return self._respond(status, answer, headers)

    def _handle(
        self, record: RecordedRequest, uploads: list[_Upload], auth: str | None
    ) -> tuple[int, Any, dict[str, str]]:
        for fault in self._faults:
            if fault.method in ("*", record.method) and fault.pattern.search(record.path):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault.status, copy.deepcopy(fault.body), fault.headers
        if self.reply_429_every > 0 and self._rate_limits(record):
            key = (record.method, record.path)
            if key in self._limited:
                self._limited.discard(key)  # discord.py's retry of a request we limited: let it through
            else:
                self._reply_requests += 1
                if self._reply_requests % self.reply_429_every == 0:
                    if len(self._limited) >= 10_000:
                        self._limited.clear()  # retries that never came
                    self._limited.add(key)
                    self.counts.rate_limited += 1
                    return self._rate_limited()
        path_matched = False
        for method, pattern, handler, needs_auth in self._routes:
            match = pattern.fullmatch(record.path)
            if match is None:
                continue
            path_matched = True
            if method != record.method:
                continue
            if needs_auth and auth != f"Bot {self.bot_token}":
                return 401, _error(0, "401: Unauthorized"), {}
            try:
                status, answer = handler(match, record, uploads)
            except _Reject as reject:
                return reject.status, reject.body, {}
            return status, answer, {}
        if path_matched:
            return 405, _error(0, "405: Method Not Allowed"), {}
        return 404, _error(0, "404: Not Found"), {}

    def _rate_limits(self, record: RecordedRequest) -> bool:
        if record.path.startswith("/webhooks/"):
            return True
        return self.reply_429_callbacks and record.path.startswith("/interactions/")

    def _rate_limited(self) -> tuple[int, Any, dict[str, str]]:
        """A per-route 429 as Discord sends it (discord.py retries it because `_respond` adds Via)."""
        wait = self.reply_429_retry_after
        headers = {
            "Retry-After": str(max(1, math.ceil(wait))),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": f"{time.time() + wait:.3f}",
            "X-RateLimit-Reset-After": f"{wait:.3f}",
            "X-RateLimit-Bucket": self._bucket,
            "X-RateLimit-Scope": "user",
        }
        return 429, {"message": "You are being rate limited.", "retry_after": wait, "global": False}, headers

    # ------------------------------------------------------------------ bot routes

    def _get_me(
        self, match: re.Match[str], record: RecordedRequest, uploads: list[_Upload]
    ) -> tuple[int, Any]:
        return 200, {
            **self._bot_user(),
            "flags": 0,
            "banner": None,
            "accent_color": None,
            "verified": True,
            "mfa_enabled": False,
            "locale": "en-US",
            "email": None,
        }

    def _get_application(
        self, match: re.Match[str], record: RecordedRequest, uploads: list[_Upload]
    ) -> tuple[int, Any]:
        return 200, {
            "id": str(self.application_id),
            "name": self.bot_username,
            "description": "",
            "icon": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": 0,
            "team": None,
            "summary": "",
            "rpc_origins": [],
            "interactions_endpoint_url": None,
            "bot": self._bot_user(),
            "owner": self._user(DEFAULT_USER_ID - 1, "owner"),
        }

    def _get_gateway(
        self, match: re.Match[str], record: RecordedRequest, uploads: list[_Upload]
    ) -> tuple[int, Any]:
        return 200, {"url": self.gateway_url}

    def _get_gateway_bot(
        self, match: re.Match[str], record: RecordedRequest, uploads: list[_Upload]
    ) -> tuple[int, Any]:
        limit = {
            "total": 1000,
            "remaining": 999,
            "reset_after": 86_400_000,
            "max_concurrency": self.max_concurrency,
        }
        return 200, {"url": self.gateway_url, "shards": self.recommended_shards, "session_start_limit": limit}

    def _check_app(self, match: re.Match[str]) -> int | None:
        if match["app"] != str(self.application_id):
            raise _Reject(403, _error(50001, "Missing Access"))
        return int(match["guild"]) if match["guild"] else None

    def _get_commands(
        self, match: re.Match[str], record: RecordedRequest, uploads: list[_Upload]
    ) -> tuple[int, Any]:
        return 200, self.commands.get(self._check_app(match), [])

    def _put_commands(
        self, match: re.Match[str], record: RecordedRequest, uploads: list[_Upload]
    ) -> tuple[int, Any]:
        guild_id = self._check_app(match)
        body = record.json
        if not isinstance(body, list):
            raise _Reject(400, _form_error(_field_error("LIST_TYPE_CONVERT", "Only iterables may be used")))
        errors: JSON = {}
        seen: set[tuple[int, str]] = set()
        for i, cmd in enumerate(body):
            _validate_command(cmd, i, errors)
            if isinstance(cmd, dict):
                key = (int(cmd.get("type", 1)), str(cmd.get("name")))
                if key in seen:
                    _put(
                        errors,
                        (i, "name"),
                        _field_error(
                            "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique"
                        ),
                    )
                seen.add(key)
        if len(body) > 100:
            errors.update(_max_length(100))
        if errors:
            raise _Reject(400, _form_error(errors))
        result: list[JSON] = []
        for cmd in body:
            out = copy.deepcopy(cmd)
            ctype = int(out.setdefault("type", 1))
            out["id"] = self._stable_command_id(guild_id, ctype, out["name"])
            out["application_id"] = str(self.application_id)
            out["version"] = self._snowflake()
            out.setdefault("description", "")
            out.setdefault("default_member_permissions", None)
            out.setdefault("nsfw", False)
            out.setdefault("contexts", None)
            out.setdefault("integration_types", [0])
            if guild_id is None:
                out.setdefault("dm_permission", True)
            else:
                out["guild_id"] = str(guild_id)
            result.append(out)
        self.commands[guild_id] = result
        self.command_syncs += 1
        return 200, result

    # ------------------------------------------------------------------ interactions

    def _message_object(self, interaction: FakeInteraction, flags: int) -> JSON:
        user = interaction.payload.get("member", {}).get("user") or interaction.payload.get("user")
        metadata: JSON = {
            "id": interaction.id,
            "type": interaction.type,
            "user": user,
            "authorizing_integration_owners": interaction.payload.get("authorizing_integration_owners", {}),
        }
        if interaction._component_message_id is not None:
            metadata["interacted_message_id"] = interaction._component_message_id
        message_id = self._snowflake()
        message: JSON = {
            "id": message_id,
            "type": 20 if interaction.type == 2 else 0,
            "channel_id": str(interaction.payload.get("channel_id") or DEFAULT_CHANNEL_ID),
            "content": "",
            "embeds": [],
            "components": [],
            "attachments": [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "flags": flags,
            "author": self._bot_user(),
            "webhook_id": str(self.application_id),
            "application_id": str(self.application_id),
            "interaction_metadata": metadata,
        }
        self.messages[message_id] = message
        interaction._message_ids.add(message_id)
        return message

    def _attachments(self, message: JSON, uploads: list[_Upload]) -> list[JSON]:
        out = []
        for upload in uploads:
            aid = self._snowflake()
            url = f"http://127.0.0.1:{self.port}/attachments/{message['channel_id']}/{aid}/{upload.filename}"
            out.append({
                "id": aid,
                "filename": upload.filename,
                "size": upload.size,
                "url": url,
                "proxy_url": url,
                "content_type": upload.content_type,
            })  # fmt: skip
        return out

    def _apply(self, message: JSON, data: JSON, uploads: list[_Upload]) -> JSON:
        """Return `message` with the fields of a create/edit body applied (does not store it)."""
        out = _copy(message)
        if "content" in data:
            out["content"] = data["content"] or ""
        if "embeds" in data:
            out["embeds"] = [{"type": "rich", **e} for e in data["embeds"] or []]
        if "components" in data:
            out["components"] = copy.deepcopy(data["components"] or [])
        if "poll" in data and data["poll"] is not None:
            out["poll"] = copy.deepcopy(data["poll"])
        if "tts" in data:
            out["tts"] = bool(data["tts"])
        if data.get("attachments") is not None:
            keep = {str(a.get("id")) for a in data["attachments"] if isinstance(a, dict)}
            out["attachments"] = [a for a in out["attachments"] if a["id"] in keep]
        out["attachments"] = out["attachments"] + self._attachments(out, uploads)
        if data.get("flags") is not None:
            out["flags"] = (out["flags"] & ~_EDITABLE_FLAGS) | (int(data["flags"]) & _EDITABLE_FLAGS)
        return out

    def _store(self, interaction: FakeInteraction, message: JSON) -> JSON:
        self.messages[message["id"]] = message
        interaction._message_ids.add(message["id"])
        return message

    def _create(self, interaction: FakeInteraction, data: JSON, flags: int, uploads: list[_Upload]) -> JSON:
        base = self._message_object(interaction, flags)
        return self._store(interaction, self._apply(base, data, uploads))

    def _component_message(self, interaction: FakeInteraction) -> JSON:
        mid = interaction._component_message_id
        message = self.messages.get(mid) if mid is not None else None
        if message is None:
            raise _Reject(404, _unknown_message())
        return message

    def _callback(
        self, match: re.Match[str], record: RecordedRequest, uploads: list[_Upload]
    ) -> tuple[int, Any]:
        interaction = self.interactions.get(match["iid"])
        if interaction is None or interaction.token != match["token"]:
            raise _Reject(404, _unknown_interaction())
        body = record.json
        if not isinstance(body, dict) or not isinstance(body.get("type"), int):
            raise _Reject(400, _form_error({"type": _required()}))
        cb_type: int = body["type"]
        allowed = set(_ALLOWED_CALLBACKS.get(interaction.type, frozenset()))
        if interaction._component_message_id is None:
            allowed -= {6, 7}
        if cb_type not in allowed:
            choices = "{" + ", ".join(str(t) for t in sorted(allowed)) + "}"
            raise _Reject(
                400,
                _form_error({"type": _field_error("BASE_TYPE_CHOICES", f"Value must be one of {choices}.")}),
            )
        if interaction.acknowledged:
            raise _Reject(400, _error(40060, "Interaction has already been acknowledged."))
        deadline = self.interaction_deadline if interaction.deadline is None else interaction.deadline
        if deadline <= 0 or self._now() - interaction.created_at > deadline:
            if not interaction.expired:
                interaction.expired = True
                self.counts.expired += 1
            raise _Reject(404, _unknown_interaction())
        data = body.get("data") or {}
        if not isinstance(data, dict):
            raise _Reject(400, _form_error({"data": _field_error("MODEL_TYPE_CONVERT", "Must be an object")}))

        message: JSON | None = None
        if cb_type == 4:
            errors = validate_message(data, ("data",))
            if errors:
                raise _Reject(400, _form_error(errors))
            if _is_empty(data) and not uploads:
                raise _Reject(400, _empty_message())
            message = self._create(interaction, data, int(data.get("flags") or 0) & _SENDABLE_FLAGS, uploads)
            interaction._original_id = message["id"]
            interaction.ephemeral = bool(message["flags"] & EPHEMERAL)
        elif cb_type == 5:
            ephemeral = int(data.get("flags") or 0) & EPHEMERAL
            message = self._message_object(interaction, LOADING | ephemeral)
            interaction._original_id = message["id"]
            interaction._loading = True
            interaction.deferred = True
            interaction.ephemeral = bool(ephemeral)
        elif cb_type in (6, 7):
            message = self._component_message(interaction)
            if cb_type == 7:
                errors = validate_message(data, ("data",))
                if errors:
                    raise _Reject(400, _form_error(errors))
                updated = self._apply(message, data, uploads)
                if _is_empty(updated):
                    raise _Reject(400, _empty_message())
                updated["edited_timestamp"] = _now_iso()
                message = self._store(interaction, updated)
            interaction.deferred = cb_type == 6
            interaction._original_id = message["id"]
            interaction.ephemeral = bool(message["flags"] & EPHEMERAL)
        elif cb_type == 8:
            errors = _validate_choices(data)
            if errors:
                raise _Reject(400, _form_error(errors))
        elif cb_type == 9:
            errors = _validate_modal(data)
            if errors:
                raise _Reject(400, _form_error(errors))

        interaction.callback_type = cb_type
        interaction._record("callback", body, message)
        if not _truthy(record.query.get("with_response")):
            return 204, None
        info: JSON = {"id": interaction.id, "type": interaction.type}
        answer: JSON = {"interaction": info}
        if message is not None:
            info["response_message_id"] = message["id"]
            info["response_message_loading"] = bool(message["flags"] & LOADING)
            info["response_message_ephemeral"] = bool(message["flags"] & EPHEMERAL)
            answer["resource"] = {"type": cb_type, "message": message}
        elif cb_type != 1:
            answer["resource"] = {"type": cb_type}
        return 200, answer

    def _webhook_interaction(self, match: re.Match[str]) -> FakeInteraction:
        interaction = self._by_token.get(match["token"])
        if interaction is None or self._now() - interaction.created_at > self.token_lifetime:
            raise _Reject(401, _invalid_webhook_token())
        if match["app"] != str(self.application_id) or not interaction.acknowledged:
            raise _Reject(404, _unknown_webhook())
        return interaction

    def _target(self, interaction: FakeInteraction, mid: str) -> JSON:
        if mid == "@original":
            message = self.messages.get(interaction._original_id) if interaction._original_id else None
        else:
            message = self.messages.get(mid) if mid in interaction._message_ids else None
        if message is None:
            raise _Reject(404, _unknown_message())
        return message

    def _followup(
        self, match: re.Match[str], record: RecordedRequest, uploads: list[_Upload]
    ) -> tuple[int, Any]:
        interaction = self._webhook_interaction(match)
        data = record.json
        if not isinstance(data, dict):
            raise _Reject(400, _empty_message())
        errors = validate_message(data)
        if errors:
            raise _Reject(400, _form_error(errors))
        if _is_empty(data) and not uploads:
            raise _Reject(400, _empty_message())
        flags = int(data.get("flags") or 0)
        original = interaction.original
        if interaction._loading and original is not None:
            message = self._apply(original, data, uploads)
            keep = original["flags"] & EPHEMERAL
            message["flags"] = keep | (flags & (_SENDABLE_FLAGS & ~EPHEMERAL))
            self._store(interaction, message)
            interaction._loading = False
        else:
            message = self._create(interaction, data, flags & _SENDABLE_FLAGS, uploads)
        interaction._followup_ids.append(message["id"])
        interaction._record("followup", data, message)
        return (200, message) if _truthy(record.query.get("wait")) else (204, None)

    def _get_message(
        self, match: re.Match[str], record: RecordedRequest, uploads: list[_Upload]
    ) -> tuple[int, Any]:
        return 200, self._target(self._webhook_interaction(match), match["mid"])

    def _edit_message(
        self, match: re.Match[str], record: RecordedRequest, uploads: list[_Upload]
    ) -> tuple[int, Any]:
        interaction = self._webhook_interaction(match)
        current = self._target(interaction, match["mid"])
        data = record.json if isinstance(record.json, dict) else {}
        errors = validate_message(data)
        if errors:
            raise _Reject(400, _form_error(errors))
        message = self._apply(current, data, uploads)
        if _is_empty(message):
            raise _Reject(400, _empty_message())
        if message["flags"] & LOADING:
            message["flags"] &= ~LOADING
            interaction._loading = False
        else:
            message["edited_timestamp"] = _now_iso()
        self._store(interaction, message)
        kind = "edit_original" if match["mid"] == "@original" else "edit_message"
        interaction._record(kind, data, message)
        return 200, message

    def _delete_message(
        self, match: re.Match[str], record: RecordedRequest, uploads: list[_Upload]
    ) -> tuple[int, Any]:
        interaction = self._webhook_interaction(match)
        message = self._target(interaction, match["mid"])
        del self.messages[message["id"]]
        if message["id"] == interaction._original_id:
            interaction._loading = False
        kind = "delete_original" if match["mid"] == "@original" else "delete_message"
        interaction._record(kind, {})
        return 204, None

    # ------------------------------------------------------------------ gateway

    def _route(self, payload: JSON, shard: int | None) -> _GatewaySession:
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
            held = sorted(self._ready_shards())
            raise RuntimeError(f"no gateway connection holds {target}; [shard, count] held: {held}")
        return next((s for s in matching if s.connected), matching[0])

    async def _dispatch(self, session: _GatewaySession, event: str, data: JSON) -> None:
        session.seq += 1
        frame = json.dumps({"op": 0, "t": event, "s": session.seq, "d": data})
        session.backlog.append((session.seq, frame))
        ws = session.ws
        if ws is not None and not ws.closed:
            # A frame lost here is replayed from the backlog when the client RESUMEs.
            with contextlib.suppress(ConnectionResetError):
                await ws.send_str(frame)

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.gateway_queries.append(dict(request.query))
        self._sockets.add(ws)
        session: _GatewaySession | None = None
        try:
            hello = {"op": 10, "s": None, "t": None, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}}
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
                if op == 1:
                    await ws.send_str('{"op": 11, "s": null, "t": null, "d": null}')
                    if session is not None and isinstance(data, int):
                        # The client has every event up to `data`: a RESUME never replays them.
                        while session.backlog and session.backlog[0][0] <= data:
                            session.backlog.popleft()
                elif op == 2:
                    session = await self._identify(ws, session, data)
                elif op == 6:
                    session = await self._resume(ws, session, data)
                elif session is None:
                    await ws.close(code=4003, message=b"Not authenticated.")
                elif op not in (3, 4, 8):
                    await ws.close(code=4001, message=b"Unknown opcode.")
        finally:
            self._sockets.discard(ws)
            if session is not None and session.ws is ws:
                session.ws = None
        return ws

    def _token_ok(self, data: Any) -> bool:
        token = data.get("token") if isinstance(data, dict) else None
        return token in (self.bot_token, f"Bot {self.bot_token}")

    async def _identify(
        self, ws: web.WebSocketResponse, session: _GatewaySession | None, data: Any
    ) -> _GatewaySession | None:
        if session is not None:
            await ws.close(code=4005, message=b"Already authenticated.")
            return session
        if not self._token_ok(data):
            await ws.close(code=4004, message=b"Authentication failed.")
            return None
        self.identifies.append(data)
        intents = int(data.get("intents") or 0)
        if intents & _PRIVILEGED_INTENTS & ~self.allowed_privileged_intents:
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
        session = _GatewaySession(secrets.token_hex(16), ws, shard_id=shard[0], shard_count=shard[1])
        self._sessions[session.session_id] = session
        ready: JSON = {
            "v": 10,
            "user": {**self._bot_user(), "verified": True, "mfa_enabled": False, "flags": 0},
            "guilds": [],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "user_settings": {},
            "guild_join_requests": [],
            "_trace": ["fake-discord"],
        }
        if "shard" in data:
            ready["shard"] = data["shard"]
        await self._dispatch(session, "READY", ready)
        self._gateway_change()
        return session

    async def _resume(
        self, ws: web.WebSocketResponse, session: _GatewaySession | None, data: Any
    ) -> _GatewaySession | None:
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
        await self._dispatch(resumed, "RESUMED", {"_trace": ["fake-discord"]})
        self.resumes += 1
        self._awaiting_resume.discard(resumed.session_id)
        self._gateway_change()
        return resumed


def _mark_focused(options: list[JSON], name: str) -> bool:
    for option in options:
        if option.get("type") in (1, 2) and _mark_focused(option.get("options") or [], name):
            return True
        if option.get("name") == name and option.get("type") not in (1, 2):
            option["focused"] = True
            return True
    return False


def _find_component(components: list[Any], custom_id: str) -> JSON | None:
    for comp in components:
        if not isinstance(comp, dict):
            continue
        if comp.get("custom_id") == custom_id:
            return comp
        found = _find_component([*(comp.get("components") or []), comp.get("accessory")], custom_id)
        if found is not None:
            return found
    return None
