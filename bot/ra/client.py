"""The RetroAchievements web API client: cache -> single flight -> rate limiter -> HTTP.

The cache with its single flight (a `ResponseStore`) and the rate limiter (a `RateLimiter`) are
in memory by default; `bot.ra.redis_backend` provides versions shared by several processes.

Every HTTP attempt (retries included) waits for the rate limiter. Failures map onto `bot.errors`:
401 -> RAConfigurationError and 422/414 -> RAInvalidRequest (never retried); 429 -> wait for
`Retry-After` (seconds or an HTTP date; else backoff) and retry, then RARateLimited; 5xx, 408,
timeouts, dropped connections and a 2xx body that is not JSON (an HTML page from a proxy, a
truncated answer) or is longer than the endpoint's limit (`BODY_LIMITS`; read a chunk at a time and
given up at the limit, so a huge or endless body never sits in memory) -> retry with exponential
backoff and full jitter, then RAUnavailable. JSON of the wrong shape is not retried (the same
server would send the same shape): RAUnavailable at once.

The API key travels as the query parameter `y`. Nothing here logs a URL or lets an aiohttp
exception (whose text holds the URL) escape or become the cause or context of an error we raise.
"""

from __future__ import annotations

import asyncio
import contextvars
import email.utils
import json
import logging
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiohttp

from bot.catalogue.model import CatalogueGame, Console
from bot.errors import RAConfigurationError, RAInvalidRequest, RARateLimited, RAUnavailable, UserNotFound
from bot.patterns import is_username_or_ulid
from bot.ra.awards import MAX_PAGE, RECENT_GAME_AWARDS, AwardsPage, parse_recent_game_awards
from bot.ra.backends import (
    GAME_CODEC,
    PROFILE_CODEC,
    PROGRESS_CODEC,
    Codec,
    MemoryRateLimiter,
    MemoryResponseStore,
    RAObserver,
    RateLimiter,
    ResponseStore,
    game_key,
    profile_key,
    progress_key,
)
from bot.ra.cache import Missing
from bot.ra.catalogue import CONSOLE_IDS, GAME_LIST, parse_console_ids, parse_game_list
from bot.ra.models import (
    GameInfo,
    GameProgress,
    ResponseShapeError,
    UserProfile,
    parse_game,
    parse_user_profile,
    parse_user_progress,
)
from bot.ra.player_games import (
    COMPLETION_CODEC,
    COMPLETION_PAGE_SIZE,
    MAX_RECENT_GAMES,
    RECENTLY_PLAYED_CODEC,
    CompletionPage,
    RecentGame,
    completion_key,
    parse_completion_page,
    parse_recently_played,
    recently_played_key,
)
from bot.secret import Secret
from bot.settings_spec import default_of

log = logging.getLogger(__name__)
T = TypeVar("T")
# Set while a background request runs: its failed attempts are logged at DEBUG, since the background
# job that made it reports the outcome once.
_BACKGROUND: contextvars.ContextVar[bool] = contextvars.ContextVar("ra_background_request", default=False)

USER_PROGRESS = "API_GetUserProgress"
GAME = "API_GetGame"
USER_PROFILE = "API_GetUserProfile"
RECENTLY_PLAYED = "API_GetUserRecentlyPlayedGames"
COMPLETION_PROGRESS = "API_GetUserCompletionProgress"
_RETRY_STATUSES = frozenset({408, 425})

KIB = 1024
MIB = 1024 * KIB
# The most bytes of answer read per endpoint; a longer one is a bad answer, retried like an HTML
# page, and never held whole. Each cap is many times the largest real answer:
BODY_LIMITS: Mapping[str, int] = {
    # ~160 bytes per game, numbers as strings included: RA_IDS_PER_REQUEST's most (500) is ~80 KiB.
    USER_PROGRESS: 256 * KIB,
    # ~700 bytes: twenty short fields.
    GAME: 64 * KIB,
    # ~600 bytes; the motto and rich presence are the only free texts, each a few hundred at most.
    USER_PROFILE: 64 * KIB,
    # The catalogue (not called yet), the largest legitimate answer: every game of one console,
    # ~250 bytes each and more with `h=1` hashes (32 hex digits each, often several per game); the
    # biggest consoles list thousands of games: several MiB.
    "API_GetGameList": 32 * MIB,
    "API_GetConsoleIDs": 256 * KIB,  # ~80 systems, ~150 bytes each
    "API_GetUserCompletionProgress": 1 * MIB,  # at most 500 rows of ~350 bytes
    "API_GetUserRecentlyPlayedGames": 256 * KIB,  # at most 50 rows of ~700 bytes
    "API_GetRecentGameAwards": 256 * KIB,  # at most 100 rows of ~250 bytes
}
DEFAULT_BODY_LIMIT = 1 * MIB
_READ_CHUNK = 64 * KIB


@dataclass(frozen=True)
class RAClientOptions:
    """The bot sets each field named by a setting's `client_option` in `bot.settings_spec`, and the
    defaults are those settings' defaults; the retry timings and the user agent are the client's own."""

    base_url: str
    api_key: Secret
    username: str | None = None
    timeout_seconds: float = default_of("RA_TIMEOUT_SECONDS", float)
    max_retries: int = default_of("RA_MAX_RETRIES", int)
    retry_base_seconds: float = 0.5
    retry_cap_seconds: float = 8.0
    max_retry_after_seconds: float = 30.0
    requests_per_second: float = default_of("RA_REQUESTS_PER_SECOND", float)
    burst: int = default_of("RA_BURST", int)
    ids_per_request: int = default_of("RA_IDS_PER_REQUEST", int)
    cache_game_seconds: float = default_of("CACHE_GAME_SECONDS", float)
    cache_profile_seconds: float = default_of("CACHE_PROFILE_SECONDS", float)
    cache_progress_seconds: float = default_of("CACHE_PROGRESS_SECONDS", float)
    user_agent: str = "RAProgressBot/0.1 (+Discord bot)"


@dataclass
class _Failure:
    """Why one HTTP attempt failed in a way worth retrying."""

    reason: str
    rate_limited: bool = False
    retry_after: float | None = None


@dataclass
class RAClientStats:
    """Counters for tests and benchmarks; cache and rate-limit figures are read live."""

    requests: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    _stores: tuple[ResponseStore, ...] = field(default=(), repr=False)
    _limiter: RateLimiter | None = field(default=None, repr=False)

    @property
    def upstream_requests(self) -> int:
        return sum(self.requests.values())

    @property
    def cache_hits(self) -> int:
        return sum(s.hits + s.coalesced for s in self._stores)

    @property
    def cache_misses(self) -> int:
        return sum(s.misses for s in self._stores)

    @property
    def rate_limit_waits(self) -> int:
        return self._limiter.waits if self._limiter else 0

    @property
    def rate_limit_wait_seconds(self) -> float:
        return self._limiter.total_wait_seconds if self._limiter else 0.0

    def snapshot(self) -> dict[str, Any]:
        return {
            "requests": dict(self.requests),
            "upstream_requests": self.upstream_requests,
            "retries": self.retries,
            "cache_hits": self.cache_hits,
            "cache_misses": self.cache_misses,
            "rate_limit_waits": self.rate_limit_waits,
            "rate_limit_wait_seconds": self.rate_limit_wait_seconds,
        }


class RAClient:
    """One per bot process. Owns its aiohttp session unless given one; `await close()` at shutdown.

    `store` and `limiter` default to in-memory ones built from `options`; `close()` closes them
    too. `observer`, if given, is told about every HTTP attempt, cache lookup and rate-limit wait.
    `body_limits` overrides some of `BODY_LIMITS` (the most bytes of answer read per endpoint).
    """

    def __init__(
        self,
        options: RAClientOptions,
        session: aiohttp.ClientSession | None = None,
        *,
        store: ResponseStore | None = None,
        limiter: RateLimiter | None = None,
        observer: RAObserver | None = None,
        body_limits: Mapping[str, int] | None = None,
    ) -> None:
        self._options = options
        self._body_limits = {**BODY_LIMITS, **(body_limits or {})}
        self._session = session
        self._owns_session = session is None
        self._timeout = aiohttp.ClientTimeout(total=options.timeout_seconds)
        self._limiter: RateLimiter = (
            limiter if limiter is not None else MemoryRateLimiter(options.requests_per_second, options.burst)
        )
        self._store: ResponseStore = store if store is not None else MemoryResponseStore()
        self._observer = observer
        self._random = random.Random()
        self.stats = RAClientStats(_stores=(self._store,), _limiter=self._limiter)

    def __repr__(self) -> str:
        return f"RAClient(base_url={self._options.base_url!r}, username={self._options.username!r})"

    async def __aenter__(self) -> RAClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the session if this client created it, and the store and the limiter."""
        try:
            if self._owns_session and self._session is not None and not self._session.closed:
                await self._session.close()
        finally:
            try:
                await self._store.close()
            finally:
                await self._limiter.close()

    # -- public calls -------------------------------------------------------------------------

    async def wait_for_slot(self) -> None:
        """Wait for a turn in the key's rate limit, in the background lane, for a request made outside
        this client (the key check at start): the limit counts every request, whoever sends it."""
        await self._limiter.acquire(background=True)

    async def get_user_progress(
        self, user: str, game_ids: Sequence[int], *, max_age: float | None = None
    ) -> dict[int, GameProgress]:
        """Progress per game, in the order asked (duplicates once; IDs < 1 dropped, as the server does).

        `max_age` (default: the progress cache lifetime) is how old a cached answer may be.
        Raises UserNotFound when RetroAchievements answers `[]`. No IDs: `{}` without a request.
        """
        _check_user(user)
        ids = list(dict.fromkeys(i for i in game_ids if i > 0))
        if not ids:
            return {}
        size = max(1, self._options.ids_per_request)
        chunks = [tuple(ids[n : n + size]) for n in range(0, len(ids), size)]
        ttl = self._options.cache_progress_seconds if max_age is None else max_age
        if len(chunks) == 1:
            parts = [await self._progress_chunk(user, chunks[0], ttl)]
        else:
            parts = await asyncio.gather(*(self._progress_chunk(user, chunk, ttl) for chunk in chunks))
        merged: dict[int, GameProgress] = {}
        for part in parts:
            if part is None:
                raise UserNotFound(user)
            merged.update(part)
        return {game_id: merged[game_id] for game_id in ids if game_id in merged}

    async def get_game(self, game_id: int, *, background: bool = False) -> GameInfo | None:
        """A game's title, console and icon; None when RetroAchievements has no such game.
        `background`: no member waits for it (the rate limiter's lower-priority lane)."""
        if game_id < 1:
            return None
        return await self._cached(
            "game",
            game_key(game_id),
            self._options.cache_game_seconds,
            GAME_CODEC,
            lambda: self._fetch(
                GAME, {"i": str(game_id)}, lambda data: parse_game(game_id, data), background=background
            ),
        )

    async def get_games(
        self, game_ids: Sequence[int], *, background: bool = False
    ) -> dict[int, GameInfo | None]:
        """Several games at once (concurrently; the rate limiter paces the requests)."""
        ids = list(dict.fromkeys(game_ids))
        known: dict[int, GameInfo | None] = {}
        ttl = self._options.cache_game_seconds
        for game_id in ids:
            cached = self._store.peek(game_key(game_id), ttl, GAME_CODEC)
            if not isinstance(cached, Missing):
                known[game_id] = cached
                if self._observer is not None:
                    self._observer.cache("game", True)
        missing = [game_id for game_id in ids if game_id not in known]
        if missing:
            found = await asyncio.gather(
                *(self.get_game(game_id, background=background) for game_id in missing)
            )
            known.update(zip(missing, found, strict=True))
        return {game_id: known[game_id] for game_id in ids}

    async def get_user_profile(self, user: str) -> UserProfile:
        """A user's canonical name, ULID, avatar and points. Raises UserNotFound (404 or `[]`)."""
        _check_user(user)
        profile = await self._cached(
            "profile",
            profile_key(user),
            self._options.cache_profile_seconds,
            PROFILE_CODEC,
            lambda: self._fetch(USER_PROFILE, {"u": user}, parse_user_profile, not_found_is_answer=True),
        )
        if profile is None:
            raise UserNotFound(user)
        return profile

    def has_fresh_profile_and_progress(self, user: str, game_ids: Sequence[int]) -> bool:
        """Whether both answers are in this process's cache, fresh (no I/O; a remote store says no)."""
        profile = self._store.peek(profile_key(user), self._options.cache_profile_seconds, PROFILE_CODEC)
        if isinstance(profile, Missing):
            return False
        ids = list(dict.fromkeys(i for i in game_ids if i > 0))
        size = max(1, self._options.ids_per_request)
        ttl = self._options.cache_progress_seconds
        for n in range(0, len(ids), size):
            progress = self._store.peek(progress_key(user, tuple(ids[n : n + size])), ttl, PROGRESS_CODEC)
            if isinstance(progress, Missing):
                return False
        return True

    # -- internals ----------------------------------------------------------------------------

    def _progress_chunk(
        self, user: str, chunk: tuple[int, ...], ttl: float
    ) -> Awaitable[dict[int, GameProgress] | None]:
        return self._cached(
            "progress",
            progress_key(user, chunk),
            ttl,
            PROGRESS_CODEC,
            lambda: self._fetch(
                USER_PROGRESS, {"u": user, "i": ",".join(map(str, chunk))}, parse_user_progress
            ),
        )

    async def _cached(
        self, kind: str, key: str, ttl: float, codec: Codec[T], load: Callable[[], Awaitable[T]]
    ) -> T:
        """The store's value for `key` (loaded by `load` on a miss); the observer hears hit or miss.

        A caller that joins a load already running (single flight) counts as a hit."""
        cached = self._store.peek(key, ttl, codec)  # the common case, answered without a coroutine
        if not isinstance(cached, Missing):
            if self._observer is not None:
                self._observer.cache(kind, True)
            return cached
        loaded = False

        async def tracked_load() -> T:
            nonlocal loaded
            loaded = True
            return await load()

        try:
            return await self._store.get_or_load(key, tracked_load, ttl, codec)
        finally:
            if self._observer is not None:
                self._observer.cache(kind, not loaded)

    async def _fetch(
        self,
        endpoint: str,
        params: dict[str, str],
        parse: Callable[[object], T],
        *,
        not_found_is_answer: bool = False,
        background: bool = False,
    ) -> T:
        """One answer from upstream, parsed; a wrong shape becomes RAUnavailable (not retried)."""
        data = await self._get_json(
            endpoint, params, not_found_is_answer=not_found_is_answer, background=background
        )
        try:
            return parse(data)
        except ResponseShapeError as exc:
            reason = str(exc)
        log.log(_failure_level(background), "%s: answer of an unexpected shape: %s", endpoint, reason)
        raise RAUnavailable(f"{endpoint}: answer of an unexpected shape ({reason})")

    def _session_for_requests(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=self._timeout, headers={"User-Agent": self._options.user_agent}
            )
        return self._session

    def _url(self, endpoint: str) -> str:
        return f"{self._options.base_url.rstrip('/')}/API/{endpoint}.php"

    def _params(self, params: dict[str, str]) -> dict[str, str]:
        full = {"y": self._options.api_key.reveal(), **params}
        if self._options.username:
            full["z"] = self._options.username
        return full

    async def _get_json(
        self,
        endpoint: str,
        params: dict[str, str],
        *,
        not_found_is_answer: bool = False,
        background: bool = False,
    ) -> object:
        """GET with rate limiting and bounded retries; returns decoded JSON or raises a bot error.

        `background` requests take the rate limiter's lower-priority lane: they always yield to members'
        commands, and their failed attempts are logged at DEBUG (their caller reports the outcome)."""
        marker = _BACKGROUND.set(background)
        try:
            return await self._get_json_marked(endpoint, params, not_found_is_answer, background)
        finally:
            _BACKGROUND.reset(marker)

    async def _get_json_marked(
        self, endpoint: str, params: dict[str, str], not_found_is_answer: bool, background: bool
    ) -> object:
        attempts = self._options.max_retries + 1
        failure = _Failure("no attempt made")
        for attempt in range(1, attempts + 1):
            if attempt > 1:
                self.stats.retries += 1
                await asyncio.sleep(self._retry_delay(failure, attempt - 1))
            waited = await self._limiter.acquire(background=background)
            if waited > 0 and self._observer is not None and not background:
                self._observer.rate_limit_wait(waited)
            self.stats.requests[endpoint] += 1
            result = await self._attempt(endpoint, params, attempt, not_found_is_answer)
            if not isinstance(result, _Failure):
                return result.value
            failure = result
            limit = self._options.max_retry_after_seconds
            if failure.rate_limited and failure.retry_after is not None and failure.retry_after > limit:
                log.log(
                    _failure_level(background),
                    "%s: asked to wait %.0f s, giving up",
                    endpoint,
                    failure.retry_after,
                )
                raise RARateLimited()
        if failure.rate_limited:
            raise RARateLimited()
        raise RAUnavailable(f"{endpoint}: {failure.reason} after {attempts} attempt(s)")

    def _retry_delay(self, failure: _Failure, retry_number: int) -> float:
        if failure.retry_after is not None:
            return failure.retry_after
        options = self._options
        ceiling = min(options.retry_cap_seconds, options.retry_base_seconds * 2 ** (retry_number - 1))
        return self._random.uniform(0.0, max(0.0, ceiling))

    async def _attempt(
        self, endpoint: str, params: dict[str, str], attempt: int, not_found_is_answer: bool
    ) -> _Answer | _Failure:
        """One HTTP attempt. Transport errors are turned into values here, never re-raised."""
        try:
            async with self._session_for_requests().get(
                self._url(endpoint),
                params=self._params(params),
                timeout=self._timeout,
                headers={"User-Agent": self._options.user_agent},
            ) as response:
                status = response.status
                retry_after = response.headers.get("Retry-After")
                body = await _read_capped(response, self._body_limits.get(endpoint, DEFAULT_BODY_LIMIT))
        except (TimeoutError, aiohttp.ServerTimeoutError):
            self._observe_request(endpoint, "timeout")
            return self._log_failure(endpoint, attempt, _Failure("timed out"))
        except (aiohttp.ClientError, OSError) as exc:
            self._observe_request(endpoint, "connection_error")
            return self._log_failure(endpoint, attempt, _Failure(f"connection failed ({type(exc).__name__})"))
        log.debug("%s: HTTP %d (attempt %d)", endpoint, status, attempt)
        return self._interpret(endpoint, attempt, status, body, retry_after, not_found_is_answer)

    def _interpret(
        self,
        endpoint: str,
        attempt: int,
        status: int,
        body: bytes | None,
        retry_after: str | None,
        not_found_is_answer: bool,
    ) -> _Answer | _Failure:
        """What one answer means; `body` is None when it was longer than the endpoint's limit."""
        if 200 <= status < 300 or (status == 404 and not_found_is_answer):
            if body is None:
                self._observe_request(endpoint, "too_large")
                if status == 404:
                    raise RAUnavailable(f"{endpoint}: HTTP 404 with an answer over the size limit")
                failure = _Failure(f"HTTP {status} with a body over the size limit")
                return self._log_failure(endpoint, attempt, failure)
            decoded = _decode_json(body)
            self._observe_request(endpoint, str(status) if decoded is not None else "bad_body")
            if decoded is not None:
                return decoded
            if status == 404:
                raise RAUnavailable(f"{endpoint}: HTTP 404 without a JSON answer")
            return self._log_failure(endpoint, attempt, _Failure(f"HTTP {status} with a body not JSON"))
        self._observe_request(endpoint, str(status))
        if status == 401:
            log.error("%s: HTTP 401, RetroAchievements refused the API key", endpoint)
            raise RAConfigurationError()
        if status in (414, 422):
            raise RAInvalidRequest(f"{endpoint}: HTTP {status} {self._server_message(body or b'')}".rstrip())
        if status == 429:
            failure = _Failure("HTTP 429", rate_limited=True, retry_after=parse_retry_after(retry_after))
            return self._log_failure(endpoint, attempt, failure)
        if status >= 500 or status in _RETRY_STATUSES:
            return self._log_failure(endpoint, attempt, _Failure(f"HTTP {status}"))
        raise RAUnavailable(f"{endpoint}: unexpected HTTP {status}")

    def _server_message(self, body: bytes) -> str:
        """The `message` of a JSON error body, short and with the key scrubbed, or ''."""
        decoded = _decode_json(body)
        message = decoded.value.get("message") if decoded and isinstance(decoded.value, dict) else None
        if not isinstance(message, str):
            return ""
        return message.replace(self._options.api_key.reveal(), "********")[:200]

    def _observe_request(self, endpoint: str, status: str) -> None:
        if self._observer is not None:
            self._observer.request(endpoint, status)

    @staticmethod
    def _log_failure(endpoint: str, attempt: int, failure: _Failure) -> _Failure:
        log.log(_failure_level(_BACKGROUND.get()), "%s: %s (attempt %d)", endpoint, failure.reason, attempt)
        return failure

    async def get_recent_game_awards(
        self, *, offset: int = 0, count: int = MAX_PAGE, kinds: Collection[str] = ()
    ) -> AwardsPage:
        """One page of the awards granted on the whole site, newest first: `count` (at most 100) from
        `offset`, of `kinds` only (none given: every kind). Never cached; a background request."""
        params = {"o": str(max(0, offset)), "c": str(max(1, min(MAX_PAGE, count)))}
        if kinds:
            params["k"] = ",".join(sorted(kinds))
        return await self._fetch(RECENT_GAME_AWARDS, params, parse_recent_game_awards, background=True)

    # -- the game catalogue (see bot.ra.catalogue) ----------------------------------------------

    async def get_console_ids(self, *, background: bool = False) -> list[Console]:
        """Every game system (hubs and events left out), by ID. Not cached: the catalogue keeps it."""
        return await self._fetch(CONSOLE_IDS, {"g": "1"}, parse_console_ids, background=background)

    async def get_game_list(self, console_id: int, *, background: bool = False) -> list[CatalogueGame]:
        """Every game of one console with published achievements. Not cached: the catalogue keeps it.

        Raises RAUnavailable for an answer that is not such a list (`{"success": false}` among them)."""
        if console_id < 1:
            raise RAInvalidRequest(f"console ID {console_id} is not positive")
        return await self._fetch(
            GAME_LIST,
            {"i": str(console_id), "f": "1", "h": "0"},
            lambda data: parse_game_list(console_id, data),
            background=background,
        )

    # -- a player's games (bot.ra.player_games) -----------------------------------------------

    async def get_user_recently_played(self, user: str, count: int) -> tuple[RecentGame, ...]:
        """The `count` (1-50) games the user played last, most recent first, with their progress.

        An unknown user gets `()` (RetroAchievements answers `[]`, as for a player of nothing)."""
        _check_user(user)
        count = max(1, min(count, MAX_RECENT_GAMES))
        return await self._cached(
            "recent",
            recently_played_key(user, count),
            self._options.cache_progress_seconds,
            RECENTLY_PLAYED_CODEC,
            lambda: self._fetch(RECENTLY_PLAYED, {"u": user, "c": str(count)}, parse_recently_played),
        )

    def peek_user_recently_played(self, user: str, count: int) -> tuple[RecentGame, ...] | None:
        """What `get_user_recently_played` would answer from the cache, without I/O; None if not cached
        here (a Redis cache is never read this way)."""
        count = max(1, min(count, MAX_RECENT_GAMES))
        cached = self._store.peek(
            recently_played_key(user, count), self._options.cache_progress_seconds, RECENTLY_PLAYED_CODEC
        )
        return None if isinstance(cached, Missing) else cached

    async def get_user_completion_page(self, user: str, offset: int = 0) -> CompletionPage:
        """One page (`COMPLETION_PAGE_SIZE` games from `offset`) of the user's games with their highest
        award, most recently unlocked first. An unknown user gets an empty page."""
        _check_user(user)
        offset = max(0, offset)
        return await self._cached(
            "completion",
            completion_key(user, offset),
            self._options.cache_progress_seconds,
            COMPLETION_CODEC,
            lambda: self._fetch(
                COMPLETION_PROGRESS,
                {"u": user, "c": str(COMPLETION_PAGE_SIZE), "o": str(offset)},
                lambda data: parse_completion_page(offset, data),
            ),
        )


@dataclass(frozen=True)
class _Answer:
    value: object


async def _read_capped(response: aiohttp.ClientResponse, limit: int) -> bytes | None:
    """The whole body if it is at most `limit` bytes, else None, having held at most `limit` bytes
    plus one chunk. A declared Content-Length over the limit is refused before reading anything.
    The connection of a refused body is closed, never reused with unread bytes on it."""
    declared = response.content_length
    if declared is not None and declared > limit:
        response.close()
        return None
    body = bytearray()
    async for chunk in response.content.iter_chunked(_READ_CHUNK):
        if len(body) + len(chunk) > limit:
            response.close()
            return None
        body += chunk
    return bytes(body)


def _decode_json(body: bytes) -> _Answer | None:
    try:
        return _Answer(json.loads(body.decode("utf-8")))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


def _failure_level(background: bool) -> int:
    return logging.DEBUG if background else logging.WARNING


def _check_user(user: str) -> None:
    """Refuse names the server would answer with 422, before spending a request."""
    if not is_username_or_ulid(user):
        raise RAInvalidRequest(f"user name {user[:40]!r} is not 2-20 letters and digits nor a ULID")


def parse_retry_after(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a Retry-After header: a number of seconds or an HTTP date; None if neither."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - now()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


__all__ = [
    "RAClient",
    "RAClientOptions",
    "RAClientStats",
    "parse_retry_after",
]
