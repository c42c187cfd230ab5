"""A fake RetroAchievements web API on 127.0.0.1, for tests, the offline demo and benchmarks.

It answers like the real server (see shared/reference/retroachievements-api.md): the same keys,
the same `[]` for unknown users and games, the same 401/422/404 bodies, and it can be told to fail
in the ways the real one does under load, or to answer like a hostile one (`fail_next`).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import re
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.sandbox import fake_player_games
from bot.sandbox.fake_awards import FakeAwards
from bot.sandbox.fake_catalogue import FakeCatalogueControl, catalogue_endpoints

UNAUTHENTICATED_BODY: dict[str, Any] = {
    "message": "Unauthenticated.",
    "errors": [{"status": "401", "code": "unauthorized", "title": "Unauthenticated."}],
}
# Hostile answers: the real answer with its content made hostile (see `_HOSTILE_ANSWERS`), or a body
# too big to hold (see `_stream_body`).
HOSTILE_KINDS = frozenset(
    {"masked_link_name", "long_name", "bidi_name", "hostile_strings", "huge_points", "over_full"}
)
BODY_KINDS = frozenset({"huge_body", "huge_body_chunked", "endless_body", "huge_declared_stall", "gzip_bomb"})
FAILURE_KINDS = (
    frozenset(
        {"401", "422", "429", "500", "html", "html200", "truncated", "wrong_types", "slow", "drop", "json"}
    )
    | HOSTILE_KINDS
    | BODY_KINDS
)
SLOW_SECONDS = 30.0
HUGE_BODY_BYTES = 50 * 1024 * 1024
HUGE_NUMBER = 10**300
_BODY_CHUNK = 64 * 1024
_USERNAME = re.compile(r"[A-Za-z0-9]{2,20}")
_ULID = re.compile(r"[0-9A-Z]{26}")
_HTML_PAGE = (
    "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    "<body><h1>502 Bad Gateway</h1><p>cloudflare</p></body></html>"
)


@dataclass
class FakeGame:
    game_id: int
    title: str
    console_name: str
    image_icon: str
    achievements: int
    points: int
    console_id: int = 0
    publisher: str = ""
    developer: str = ""
    genre: str = ""
    released: str = ""


@dataclass
class FakeProgress:
    achieved: int
    score: int
    achieved_hardcore: int
    score_hardcore: int


@dataclass
class FakeUser:
    """A user; the profile's point totals are derived from `progress` when left at 0."""

    name: str
    ulid: str
    user_pic: str
    progress: dict[int, FakeProgress]
    total_points: int = 0
    total_softcore_points: int = 0
    total_true_points: int = 0
    member_since: str = "2020-01-01 00:00:00"
    motto: str = ""
    # Beaten awards by game ("beaten-hardcore" or "beaten-softcore"), and when each game was last
    # played ("YYYY-MM-DD HH:MM:SS"): see bot.sandbox.fake_player_games.
    awards: dict[int, str] = field(default_factory=dict)
    last_played: dict[int, str] = field(default_factory=dict)


@dataclass
class Dataset:
    games: dict[int, FakeGame] = field(default_factory=dict)
    users: dict[str, FakeUser] = field(default_factory=dict)

    def add_game(
        self, game_id: int, title: str, console_name: str, achievements: int, points: int, **extra: Any
    ) -> FakeGame:
        icon = extra.pop("image_icon", f"/Images/{game_id:06d}.png")
        game = FakeGame(game_id, title, console_name, icon, achievements, points, **extra)
        self.games[game_id] = game
        return game

    def add_user(
        self,
        name: str,
        progress: Mapping[int, FakeProgress | tuple[int, int, int, int]] | None = None,
        *,
        ulid: str | None = None,
        **extra: Any,
    ) -> FakeUser:
        """Add a user; progress tuples are (achieved, score, achieved_hardcore, score_hardcore)."""
        entries = {
            game_id: p if isinstance(p, FakeProgress) else FakeProgress(*p)
            for game_id, p in (progress or {}).items()
        }
        user = FakeUser(name, ulid or fake_ulid(name), f"/UserPic/{name}.png", entries, **extra)
        self.users[name.lower()] = user
        return user

    def find_user(self, name_or_ulid: str) -> FakeUser | None:
        """Case-insensitive lookup by name, or by ULID."""
        user = self.users.get(name_or_ulid.lower())
        if user is not None:
            return user
        wanted = name_or_ulid.upper()
        return next((u for u in self.users.values() if u.ulid == wanted), None)


def fake_ulid(name: str) -> str:
    """A stable 26-character ULID-looking string derived from a name."""
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    digest = hashlib.sha256(name.lower().encode()).digest()
    return "01" + "".join(alphabet[b % 32] for b in digest[:24])


def demo_dataset() -> Dataset:
    """MaxMilyin and friends on a handful of games; game 1 is the reference's documented example."""
    data = Dataset()
    genesis = {"console_id": 1}
    data.add_game(
        1,
        "Sonic the Hedgehog",
        "Genesis/Mega Drive",
        23,
        251,
        image_icon="/Images/085573.png",
        publisher="Sega",
        developer="Sonic Team",
        genre="Platforming",
        released="1991-06-23",
        **genesis,
    )
    data.add_game(
        2,
        "Sonic the Hedgehog 2",
        "Genesis/Mega Drive",
        35,
        400,
        publisher="Sega",
        developer="Sonic Team",
        genre="Platforming",
        released="1992-11-21",
        **genesis,
    )
    data.add_game(
        3,
        "Streets of Rage 2",
        "Genesis/Mega Drive",
        30,
        350,
        publisher="Sega",
        developer="Ancient",
        genre="Beat 'em Up",
        released="1992-12-20",
        **genesis,
    )
    data.add_game(4, "Homebrew Test Cart", "Genesis/Mega Drive", 0, 0, genre="Homebrew", **genesis)
    data.add_game(5, "Pixel Quest", "SNES/Super Famicom", 40, 500, console_id=3, genre="Action RPG")
    data.add_game(6, "Turbo Racer 64", "Nintendo 64", 25, 300, console_id=2, genre="Racing")
    data.add_game(7, "Castle of Shadows", "NES/Famicom", 18, 220, console_id=7, genre="Platforming")
    data.add_game(8, "Star Blaster", "Game Boy", 12, 150, console_id=4, genre="Shoot 'em Up")
    data.add_game(9, "Dungeon Delve Advance", "Game Boy Advance", 60, 750, console_id=5, genre="RPG")
    data.add_game(10, "Puzzle Drop", "Master System", 10, 100, console_id=11, genre="Puzzle")
    data.add_game(11, "Neon Fighter", "PlayStation", 45, 600, console_id=12, genre="Fighting")
    data.add_game(12, "Ocean Odyssey", "SNES/Super Famicom", 50, 640, console_id=3, genre="Adventure")
    data.add_user(
        "MaxMilyin",
        {
            1: (23, 251, 23, 251),
            2: (20, 210, 12, 130),
            3: (30, 350, 25, 290),
            5: (10, 120, 10, 120),
            6: (25, 300, 0, 0),
            7: (3, 30, 1, 10),
            9: (60, 750, 60, 750),
            11: (1, 5, 0, 0),
        },
        ulid="00003EMFWR7XB8SDPEHB3K56ZQ",
        member_since="2012-11-02 12:00:00",
        motto="Gotta go fast",
        awards={2: "beaten-hardcore"},
    )
    data.add_user(
        "Scott",
        {1: (23, 251, 0, 0), 2: (35, 400, 35, 400), 3: (5, 50, 5, 50), 12: (12, 140, 6, 70)},
        member_since="2012-01-01 00:00:00",
        awards={12: "beaten-softcore"},
    )
    data.add_user(
        "Jamiras",
        {1: (10, 100, 10, 100), 4: (0, 0, 0, 0), 8: (12, 150, 12, 150)},
        member_since="2013-05-05 00:00:00",
    )
    data.add_user("luchaos", {3: (30, 350, 30, 350), 10: (4, 40, 0, 0)}, member_since="2014-02-02 00:00:00")
    return data


def edge_case_dataset() -> Dataset:
    """RAWeb's own edge-case fixture: user EdgeCase, games 1-3, and 15934 does not exist."""
    data = Dataset()
    data.add_game(1, "Edge Game One", "Genesis/Mega Drive", 3, 40, console_id=1)
    data.add_game(2, "Edge Game Two", "Genesis/Mega Drive", 5, 50, console_id=1)
    data.add_game(3, "Edge Game Three", "Genesis/Mega Drive", 0, 0, console_id=1)
    data.add_user("EdgeCase", {1: (2, 15, 1, 5)})
    return data


@dataclass
class RecordedRARequest:
    endpoint: str
    params: dict[str, str]
    time: float
    user_agent: str | None
    authorization: str | None = None


@dataclass
class _Failure:
    endpoint: str | None
    kind: str
    times: int
    retry_after: float | None
    body: Any = None  # for "json": the value to answer with
    status: int = 200  # for "json": the HTTP status


def parse_game_ids(raw: str) -> list[int]:
    """The server's `i` rules: bad, empty, zero and negative IDs dropped; duplicates once; order kept."""
    ids: list[int] = []
    for part in raw.split(","):
        part = part.strip()
        if part.isascii() and part.isdigit() and int(part) > 0 and int(part) not in ids:
            ids.append(int(part))
    return ids


def _stringify(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict):
        return {k: _stringify(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stringify(v) for v in value]
    return value


def _invalid(field_name: str, message: str) -> web.Response:
    return web.json_response({"message": message, "errors": {field_name: [message]}}, status=422)


def peak_per_second(times: list[float]) -> int:
    """The most of these moments that fall within any window shorter than one second."""
    ordered = sorted(times)
    best = start = 0
    for end, moment in enumerate(ordered):
        while moment - ordered[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


class FakeRA:
    """The fake server. `await start()`, point a client at `base_url`, `await stop()`."""

    def __init__(self, dataset: Dataset, *, api_key: str, delay: float = 0.0) -> None:
        self.dataset = dataset
        self.delay = delay
        self.string_numbers = False
        self.requests: list[RecordedRARequest] = []
        self.awards = FakeAwards(dataset, fake_ulid)  # API_GetRecentGameAwards; add to it at any time
        self._api_key = api_key
        self._failures: list[_Failure] = []
        self.catalogue = FakeCatalogueControl()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    def __repr__(self) -> str:
        return f"FakeRA(port={self._port}, users={len(self.dataset.users)}, games={len(self.dataset.games)})"

    @property
    def base_url(self) -> str:
        if self._port is None:
            raise RuntimeError("FakeRA is not started")
        return f"http://127.0.0.1:{self._port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/API/{name}", self._handle)
        # No access log: it would print every query string, API key included.
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeRA:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def fail_next(
        self,
        endpoint: str | None,
        kind: str,
        *,
        times: int = 1,
        retry_after: float | None = None,
        body: Any = None,
        status: int = 200,
    ) -> None:
        """Make the next `times` requests to `endpoint` (None: any endpoint) fail as `kind`.

        Kind "json" answers with any JSON value: `body`, with HTTP `status` (default 200).
        """
        if kind not in FAILURE_KINDS:
            raise ValueError(f"unknown failure kind {kind!r}; use one of {sorted(FAILURE_KINDS)}")
        self._failures.append(_Failure(endpoint, kind, times, retry_after, body, status))

    def clear_failures(self) -> int:
        """Forget the failures not used yet; return how many were left."""
        left = len(self._failures)
        self._failures.clear()
        return left

    def count(self, endpoint: str | None = None) -> int:
        """How many requests reached the server (for one endpoint, or all)."""
        return sum(1 for r in self.requests if endpoint is None or r.endpoint == endpoint)

    def max_requests_in_any_second(self) -> int:
        """The most requests received within any window shorter than one second."""
        return peak_per_second([r.time for r in self.requests])

    def _take_failure(self, endpoint: str) -> _Failure | None:
        for failure in self._failures:
            if failure.endpoint in (None, endpoint):
                failure.times -= 1
                if failure.times <= 0:
                    self._failures.remove(failure)
                return failure
        return None

    def _authorized(self, request: web.Request) -> bool:
        key = request.query.get("y")
        if key is None:
            header = request.headers.get("Authorization", "")
            key = header[len("Bearer ") :] if header.startswith("Bearer ") else None
        return key == self._api_key

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        endpoint = name.removesuffix(".php")
        self.requests.append(
            RecordedRARequest(
                endpoint=endpoint,
                params=dict(request.query),
                time=asyncio.get_running_loop().time(),
                user_agent=request.headers.get("User-Agent"),
                authorization=request.headers.get("Authorization"),
            )
        )
        if self.delay > 0:
            await asyncio.sleep(self.delay)
        failure = self._take_failure(endpoint)
        if failure is not None and failure.kind not in HOSTILE_KINDS:
            return await self._fail(request, failure)
        handler = self._endpoints().get(endpoint)
        if handler is None or not name.endswith(".php"):
            return web.Response(status=404, text="Not Found")
        if not self._authorized(request):
            return web.json_response(UNAUTHENTICATED_BODY, status=401)
        response = handler(request)
        if failure is None or not isinstance(response.body, bytes):
            return response
        hostile = _HOSTILE_ANSWERS[failure.kind](json.loads(response.body))
        return web.Response(status=response.status, text=json.dumps(hostile), content_type="application/json")

    def _endpoints(self) -> dict[str, Callable[[web.Request], web.Response]]:
        return {
            "API_GetUserProgress": self._user_progress,
            "API_GetGame": self._game,
            "API_GetUserProfile": self._user_profile,
            **fake_player_games.endpoints(self.dataset, self._json),
            **catalogue_endpoints(self),
            "API_GetRecentGameAwards": lambda request: self._json(*self.awards.answer(request.query)),
        }

    def _json(self, body: Any, status: int = 200) -> web.Response:
        return web.json_response(_stringify(body) if self.string_numbers else body, status=status)

    async def _fail(self, request: web.Request, failure: _Failure) -> web.StreamResponse:
        kind = failure.kind
        if kind == "401":
            return web.json_response(UNAUTHENTICATED_BODY, status=401)
        if kind == "422":
            return _invalid("u", "The u field is required.")
        if kind == "429":
            headers = {} if failure.retry_after is None else {"Retry-After": f"{failure.retry_after:g}"}
            return web.json_response({"message": "Too Many Attempts."}, status=429, headers=headers)
        if kind == "500":
            return web.json_response({"message": "Server Error"}, status=500)
        if kind == "html":
            return web.Response(status=502, text=_HTML_PAGE, content_type="text/html")
        if kind == "html200":
            return web.Response(status=200, text=_HTML_PAGE, content_type="text/html")
        if kind == "truncated":
            text = json.dumps({"1": {"NumPossibleAchievements": 23, "PossibleScore": 251}})
            return web.Response(status=200, text=text[: len(text) // 2], content_type="application/json")
        if kind == "json":
            return web.Response(
                status=failure.status, text=json.dumps(failure.body), content_type="application/json"
            )
        if kind == "wrong_types":
            return web.json_response({"1": ["NumPossibleAchievements", None], "Title": 7})
        if kind == "slow":
            await asyncio.sleep(SLOW_SECONDS)
            return web.Response(status=504, text="too slow")
        if kind in BODY_KINDS:
            return await _stream_body(request, kind)
        return self._drop(request)

    @staticmethod
    def _drop(request: web.Request) -> web.StreamResponse:
        """Close the connection without a single byte of answer."""
        if request.transport is not None:
            request.transport.abort()
        raise asyncio.CancelledError

    def _lookup_user(self, request: web.Request) -> FakeUser | web.Response:
        u = request.query.get("u", "").strip()
        if not u:
            return _invalid("u", "The u field is required.")
        if not (_USERNAME.fullmatch(u) or _ULID.fullmatch(u)):
            return _invalid("u", "The u field format is invalid.")
        user = self.dataset.find_user(u)
        return user if user is not None else web.json_response([], status=404)

    def _user_progress(self, request: web.Request) -> web.Response:
        user = self._lookup_user(request)
        if isinstance(user, web.Response):
            return user if user.status == 422 else self._json([])
        ids = parse_game_ids(request.query.get("i", ""))
        if not ids:
            return self._json([])
        return self._json({str(game_id): self._progress_entry(user, game_id) for game_id in ids})

    def _progress_entry(self, user: FakeUser, game_id: int) -> dict[str, int]:
        game = self.dataset.games.get(game_id)
        if game is None:
            return dict.fromkeys(
                (
                    "NumPossibleAchievements",
                    "PossibleScore",
                    "NumAchieved",
                    "ScoreAchieved",
                    "NumAchievedHardcore",
                    "ScoreAchievedHardcore",
                ),
                0,
            )
        progress = user.progress.get(game_id, FakeProgress(0, 0, 0, 0))
        return {
            "NumPossibleAchievements": game.achievements,
            "PossibleScore": game.points,
            "NumAchieved": progress.achieved,
            "ScoreAchieved": progress.score,
            "NumAchievedHardcore": progress.achieved_hardcore,
            "ScoreAchievedHardcore": progress.score_hardcore,
        }

    def _game(self, request: web.Request) -> web.Response:
        raw = request.query.get("i", "").strip()
        if not raw:
            return _invalid("i", "The i field is required.")
        if not (raw.isascii() and raw.isdigit()):
            return _invalid("i", "The i field must be an integer.")
        game = self.dataset.games.get(int(raw))
        if game is None:
            return self._json([])
        return self._json(
            {
                "Title": game.title,
                "ConsoleID": game.console_id,
                "ForumTopicID": 0,
                "Flags": 0,
                "ImageIcon": game.image_icon,
                "ImageTitle": f"/Images/{game.game_id:06d}_title.png",
                "ImageIngame": f"/Images/{game.game_id:06d}_ingame.png",
                "ImageBoxArt": f"/Images/{game.game_id:06d}_box.png",
                "Publisher": game.publisher,
                "Developer": game.developer,
                "Genre": game.genre,
                "Released": game.released,
                "ConsoleName": game.console_name,
            }
        )

    def _user_profile(self, request: web.Request) -> web.Response:
        user = self._lookup_user(request)
        if isinstance(user, web.Response):
            return user
        hardcore = sum(p.score_hardcore for p in user.progress.values())
        softcore = sum(p.score - p.score_hardcore for p in user.progress.values())
        return self._json(
            {
                "User": user.name,
                "ULID": user.ulid,
                "UserPic": user.user_pic,
                "MemberSince": user.member_since,
                "RichPresenceMsg": "",
                "LastGameID": next(iter(user.progress), 0),
                "ContribCount": 0,
                "ContribYield": 0,
                "TotalPoints": user.total_points or hardcore,
                "TotalSoftcorePoints": user.total_softcore_points or softcore,
                "TotalTruePoints": user.total_true_points or hardcore * 2,
                "Permissions": 1,
                "Untracked": 0,
                "ID": 0,
                "UserWallActive": 1,
                "Motto": user.motto,
            }
        )


async def _stream_body(request: web.Request, kind: str) -> web.StreamResponse:
    """A body too big to hold, written a chunk at a time so the fake itself never holds it:

    - "huge_body": JSON padded with spaces to HUGE_BODY_BYTES, with that Content-Length;
    - "huge_body_chunked": the same without a Content-Length (chunked);
    - "endless_body": chunked, never ending;
    - "huge_declared_stall": a Content-Length of HUGE_BODY_BYTES, then no byte for SLOW_SECONDS;
    - "gzip_bomb": the huge body gzipped (about 50 KiB on the wire), with `Content-Encoding: gzip`.

    Writing stops when the client hangs up."""
    response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
    if kind in ("huge_body", "huge_declared_stall"):
        response.content_length = HUGE_BODY_BYTES
    if kind == "gzip_bomb":
        response.headers["Content-Encoding"] = "gzip"
        response.content_length = len(gzip_bomb_body())
    try:
        await response.prepare(request)
        if kind == "huge_declared_stall":
            await asyncio.sleep(SLOW_SECONDS)
        elif kind == "gzip_bomb":
            await response.write(gzip_bomb_body())
        else:
            await _write_padded(response, endless=kind == "endless_body")
        await response.write_eof()
    except (ConnectionError, RuntimeError):
        pass  # the client hung up, as it should
    return response


_HUGE_HEAD = b'{"1": {"NumPossibleAchievements": 1}}'


async def _write_padded(response: web.StreamResponse, *, endless: bool) -> None:
    padding = b" " * _BODY_CHUNK
    await response.write(_HUGE_HEAD)
    written = len(_HUGE_HEAD)
    while endless or written < HUGE_BODY_BYTES:
        chunk = padding if endless else padding[: HUGE_BODY_BYTES - written]
        await response.write(chunk)
        written += len(chunk)


@functools.cache
def gzip_bomb_body() -> bytes:
    """The "huge_body" answer gzipped, compressed a chunk at a time."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [compressor.compress(_HUGE_HEAD)]
    padding = b" " * _BODY_CHUNK
    left = HUGE_BODY_BYTES - len(_HUGE_HEAD)
    while left > 0:
        parts.append(compressor.compress(padding[:left]))
        left -= len(padding[:left])
    parts.append(compressor.flush())
    return b"".join(parts)


def _profile_user(name: str) -> Callable[[Any], Any]:
    return lambda answer: {**answer, "User": name} if isinstance(answer, dict) else answer


def _hostile_strings(answer: Any) -> Any:
    """Bidirectional and zero-width controls in every text but the identifiers (User, ULID), which
    have their own hostile kinds; image paths that are not plain paths."""
    if not isinstance(answer, dict):
        return answer
    hostile: dict[str, Any] = {}
    for key, value in answer.items():
        if key in ("ImageIcon", "UserPic"):
            value = "javascript:alert(1)" if key == "ImageIcon" else "http://evil.example/pic.png"
        elif key not in ("User", "ULID") and isinstance(value, str) and value:
            value = f"\u202e{value[:1]}\u200b{value[1:]}\u2066\ufeff"
        hostile[key] = value
    return hostile


def _numbers(change: Callable[[str, int, dict[str, Any]], int]) -> Callable[[Any], Any]:
    """An answer transform applying `change(name, value, object)` to every whole number of every
    object in the answer (one level of nesting, as progress answers have)."""

    def transform(answer: Any) -> Any:
        if not isinstance(answer, dict):
            return answer
        if all(isinstance(value, dict) for value in answer.values()):
            return {key: transform(value) for key, value in answer.items()}
        return {
            key: change(key, value, answer)
            if isinstance(value, int) and not isinstance(value, bool)
            else value
            for key, value in answer.items()
        }

    return transform


def _huge_points(name: str, value: int, answer: dict[str, Any]) -> int:
    earned = name in ("ScoreAchieved", "ScoreAchievedHardcore") or name.startswith("Total")
    return HUGE_NUMBER if earned else value


def _over_full(name: str, value: int, answer: dict[str, Any]) -> int:
    """More unlocks and points than the game has, and more in hardcore than in all."""
    possible: int = answer.get("NumPossibleAchievements", 0)
    score: int = answer.get("PossibleScore", 0)
    over = {
        "NumAchieved": possible + 3,
        "NumAchievedHardcore": possible + 7,
        "ScoreAchieved": score + 30,
        "ScoreAchievedHardcore": score + 70,
    }
    return over.get(name, value)


_HOSTILE_ANSWERS: dict[str, Callable[[Any], Any]] = {
    "masked_link_name": _profile_user("[x](http://evil.example)"),
    "long_name": _profile_user("A" * 300),
    "bidi_name": _profile_user("Max\u202eMilyin"),
    "hostile_strings": _hostile_strings,
    "huge_points": _numbers(_huge_points),
    "over_full": _numbers(_over_full),
}


def _int_param(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name, "")
    if not (raw.isascii() and raw.isdigit()):
        return default
    return max(low, min(high, int(raw)))
