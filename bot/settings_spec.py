"""Every setting the bot reads, declared once: its variable, what it accepts, its default and its help.

`bot.config` builds `Settings` from `SETTINGS` (one field per entry, named as the variable in lower
case), the RetroAchievements client takes its options' defaults from it (`default_of`), and the tests
hold `.env.example` and the README's Settings table to it. Pure: no I/O and nothing of Discord.
"""

from __future__ import annotations

import ipaddress
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol, TypeVar
from urllib.parse import urlsplit

from bot.patterns import USERNAME
from bot.secret import Secret

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class Invalid(ValueError):
    """A parser's own account of what is wrong (`problem`, after the variable's name) and, optionally,
    of how to fix it; without one, the setting's help is shown."""

    def __init__(self, problem: str, fix: str | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix


class Parser(Protocol[T_co]):
    """Turns a variable's text into a value or raises ValueError; `rule` says what it accepts."""

    @property
    def rule(self) -> str: ...

    def parse(self, raw: str) -> T_co: ...


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Final = _Required()


@dataclass(frozen=True)
class Setting:
    env: str
    accepts: Parser[Any]
    default: object  # REQUIRED, None (unset) or a value of the parser's type
    meaning: str  # what it does, for the README
    fix: str = ""  # how to fix a bad value; "use <accepts.rule> (<note>)" unless given
    note: str = ""
    secret: bool = False  # never echoed in an error
    client_option: str | None = None  # the RAClientOptions field it sets
    unset_means: str = "unset"  # the README's default column when the default is None

    @property
    def field(self) -> str:
        """The attribute of `Settings` that holds it."""
        return self.env.lower()

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    @property
    def help(self) -> str:
        if self.fix:
            return self.fix
        return f"use {self.accepts.rule}" + (f" ({self.note})" if self.note else "")


# ---------------------------------------------------------------------------------------------- parsers


@dataclass(frozen=True)
class Number:
    """A finite decimal number within the bounds given (at least one lower bound)."""

    above: float | None = None
    at_least: float | None = None
    at_most: float | None = None
    unit: str = ""

    @property
    def rule(self) -> str:
        of = f" of {self.unit}" if self.unit else ""
        if self.at_least is not None and self.at_most is not None:
            return f"a number{of} from {self.at_least:g} to {self.at_most:g}"
        if self.above is not None:
            return f"a number{of} greater than {self.above:g}"
        return f"a number{of}, {self.at_least:g} or more"

    def parse(self, raw: str) -> float:
        value = float(raw)
        too_low = (self.above is not None and value <= self.above) or (
            self.at_least is not None and value < self.at_least
        )
        too_high = self.at_most is not None and value > self.at_most
        if too_low or too_high or not math.isfinite(value):
            raise ValueError
        return value


@dataclass(frozen=True)
class Whole:
    low: int
    high: int
    noun: str = "whole number"

    @property
    def rule(self) -> str:
        return f"a {self.noun} from {self.low} to {self.high}"

    def parse(self, raw: str) -> int:
        value = int(raw)
        if not self.low <= value <= self.high:
            raise ValueError
        return value


@dataclass(frozen=True)
class OneOf:
    """One of `choices`, in any case; the value is the choice as declared."""

    choices: tuple[str, ...]

    @property
    def rule(self) -> str:
        return "one of " + ", ".join(self.choices)

    def parse(self, raw: str) -> str:
        for choice in self.choices:
            if choice.casefold() == raw.casefold():
                return choice
        raise ValueError


@dataclass(frozen=True)
class Matching:
    pattern: re.Pattern[str]
    rule: str

    def parse(self, raw: str) -> str:
        if not self.pattern.fullmatch(raw):
            raise ValueError
        return raw


@dataclass(frozen=True)
class ApiKey:
    shortest: int
    longest: int

    @property
    def rule(self) -> str:
        return f"{self.shortest}-{self.longest} letters and digits"

    def parse(self, raw: str) -> Secret:
        if not (raw.isascii() and raw.isalnum() and self.shortest <= len(raw) <= self.longest):
            raise Invalid(f"does not look like a RetroAchievements web API key ({self.rule})")
        return Secret(raw)


class DiscordToken:
    rule = "the token alone, without spaces"

    def parse(self, raw: str) -> Secret:
        if any(c.isspace() for c in raw):
            raise Invalid("contains spaces", "paste the token alone, without quotes or 'Bot '")
        return Secret(raw)


@dataclass(frozen=True)
class FilePath:
    rule: str

    def parse(self, raw: str) -> Path:
        return Path(raw)


@dataclass(frozen=True)
class Snowflake:
    """A Discord ID: 15 to 21 digits."""

    rule: str

    def parse(self, raw: str) -> int:
        if not (raw.isascii() and raw.isdigit() and 15 <= len(raw) <= 21):
            raise ValueError
        return int(raw)


@dataclass(frozen=True)
class IdList:
    """Whole numbers 0 or more, separated by commas; repeats are dropped."""

    rule: str

    def parse(self, raw: str) -> tuple[int, ...]:
        parts = [part.strip() for part in raw.split(",")]
        if not all(part.isascii() and part.isdigit() for part in parts):
            raise ValueError
        return tuple(dict.fromkeys(int(part) for part in parts))


@dataclass(frozen=True)
class SecretUrl:
    """A URL that may carry a password: kept as a Secret, and never echoed (the setting is `secret`)."""

    schemes: tuple[str, ...]

    @property
    def rule(self) -> str:
        return "a URL starting with " + " or ".join(self.schemes)

    def parse(self, raw: str) -> Secret:
        if not raw.startswith(self.schemes) or any(c.isspace() for c in raw):
            raise ValueError
        return Secret(raw)


@dataclass(frozen=True)
class Url:
    """An absolute URL with one of `schemes`, a valid host and port, and no user, query or fragment.
    A trailing slash is dropped, so that paths can be added to it."""

    schemes: tuple[str, ...]

    @property
    def rule(self) -> str:
        return "a URL starting with " + " or ".join(f"{scheme}://" for scheme in self.schemes)

    def parse(self, raw: str) -> str:
        problem = _url_problem(raw, self.schemes)
        if problem:
            raise Invalid(f"is {raw!r}, {problem}")
        return raw.rstrip("/")


class HostName:
    rule = "a host name or IP address"

    def parse(self, raw: str) -> str:
        if not is_host(raw):
            raise ValueError
        return raw


def _url_problem(raw: str, schemes: tuple[str, ...]) -> str:
    """Why `raw` is not a usable URL, or "" when it is."""
    if any(c.isspace() or not c.isprintable() for c in raw):
        return "which contains spaces"
    try:
        parts = urlsplit(raw)
    except ValueError:
        return "whose host is not a valid IP address"
    if parts.scheme not in schemes or not parts.netloc:
        return "which does not start with " + " or ".join(f"{scheme}://" for scheme in schemes)
    if "@" in parts.netloc:
        return "which holds a user name or password"
    if parts.query or parts.fragment or raw.endswith(("?", "#")):
        return "which has a query or fragment"
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0 or parts.netloc.endswith(":"):
        return "whose port is not a number from 1 to 65535"
    if not is_host(parts.hostname or ""):  # urlsplit has checked an [IPv6] address already
        return "whose host is not a valid host name or IP address"
    return ""


_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


def is_host(text: str) -> bool:
    return is_host_name(text) or _is_ip(text)


def is_host_name(name: str) -> bool:
    """A DNS name (RFC 1123; international names through IDNA): no empty label, no space."""
    try:
        ascii_name = name.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    labels = ascii_name.split(".")
    if len(ascii_name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        return False
    return not labels[-1].isdigit()  # "10.0.0.300" is neither an address nor a name


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


# ---------------------------------------------------------------------------------------------- the table

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MAX_PAGINATOR_SECONDS = 840.0
_POSITIVE = Number(above=0)
_POSITIVE_SECONDS = Number(above=0, unit="seconds")
_SECONDS = Number(at_least=0, unit="seconds")
_HOURS = Number(above=0, unit="hours")
_UPCOMING = "for an upcoming feature: "
_RA_SITE = "https://retroachievements.org"

SETTINGS: Final[tuple[Setting, ...]] = (
    Setting(
        "DISCORD_TOKEN",
        accepts=DiscordToken(),
        default=REQUIRED,
        meaning="the bot's token from the Developer Portal",
        fix="copy your bot's token from the Discord Developer Portal "
        "(Applications -> your app -> Bot -> Reset Token) into .env",
        secret=True,
    ),
    Setting(
        "RA_API_KEY",
        accepts=ApiKey(16, 64),
        default=REQUIRED,
        meaning="your RetroAchievements web API key; it never appears in logs or replies",
        fix="copy your web API key from retroachievements.org (Settings -> Keys -> Web API Key) into .env",
        secret=True,
        client_option="api_key",
    ),
    Setting(
        "RA_USERNAME",
        accepts=Matching(USERNAME, "your RetroAchievements name (2-20 letters and digits)"),
        default=None,
        meaning="your RetroAchievements name, sent with each call (`z`) as the API docs ask",
        client_option="username",
    ),
    Setting(
        "DISCORD_GUILD_ID",
        accepts=Snowflake("the server's numeric ID"),
        default=None,
        meaning="register commands in this one server (instant) instead of globally",
        note="Developer Mode -> Copy Server ID",
    ),
    Setting("LOG_LEVEL", accepts=OneOf(LOG_LEVELS), default="INFO", meaning="how much the log says"),
    Setting(
        "LOG_FORMAT",
        accepts=OneOf(("text", "json")),
        default="text",
        meaning="`text` for people, `json` for log collectors (one object per line)",
    ),
    Setting(
        "DATA_DIR",
        accepts=FilePath("a folder"),
        default=Path("data"),
        meaning="where the SQLite database lives",
    ),
    Setting(
        "DATABASE_PATH",
        accepts=FilePath("a file"),
        default=None,
        meaning="the SQLite file itself",
        unset_means="`DATA_DIR/bot.sqlite3`",
    ),
    Setting(
        "RA_BASE_URL",
        accepts=Url(("http", "https")),
        default=_RA_SITE,
        meaning="the API is under `/API/` of it",
        note=f"such as {_RA_SITE}",
        client_option="base_url",
    ),
    Setting(
        "RA_TIMEOUT_SECONDS",
        accepts=_POSITIVE,
        default=15.0,
        meaning="total time for one HTTP attempt",
        client_option="timeout_seconds",
    ),
    Setting(
        "RA_MAX_RETRIES",
        accepts=Whole(0, 10),
        default=3,
        meaning="retries after a 429, 5xx, timeout or dropped connection",
        client_option="max_retries",
    ),
    Setting(
        "RA_REQUESTS_PER_SECOND",
        accepts=_POSITIVE,
        default=3.0,
        meaning="rate limit towards RetroAchievements for the key",
        client_option="requests_per_second",
    ),
    Setting(
        "RA_BURST",
        accepts=Whole(1, 100),
        default=6,
        meaning="requests the rate limit lets through at once",
        client_option="burst",
    ),
    Setting(
        "RA_IDS_PER_REQUEST",
        accepts=Whole(1, 500),
        default=100,
        meaning="long game lists are split into requests of this many IDs",
        client_option="ids_per_request",
    ),
    Setting(
        "CACHE_GAME_SECONDS",
        accepts=_POSITIVE,
        default=21600.0,
        meaning="how long game titles and consoles are kept (they rarely change)",
        client_option="cache_game_seconds",
    ),
    Setting(
        "CACHE_PROFILE_SECONDS",
        accepts=_POSITIVE,
        default=60.0,
        meaning="how long profiles are kept",
        client_option="cache_profile_seconds",
    ),
    Setting(
        "CACHE_PROGRESS_SECONDS",
        accepts=_POSITIVE,
        default=60.0,
        meaning="how long a player's progress is kept",
        client_option="cache_progress_seconds",
    ),
    Setting(
        "CACHE_LEADERBOARD_SECONDS",
        accepts=_POSITIVE,
        default=900.0,
        meaning="how old a member's progress may be on a `/leaderboard` (big servers take minutes to walk)",
    ),
    Setting(
        "PROGRESS_COOLDOWN_SECONDS",
        accepts=_SECONDS,
        default=5.0,
        meaning="one `/progress`, `/compare` or `/leaderboard` per member per this many seconds (0: off)",
    ),
    Setting("MAX_GAMES", accepts=Whole(1, 50), default=50, meaning="most games one `/progress` accepts"),
    Setting(
        "PAGINATOR_TIMEOUT_SECONDS",
        accepts=Number(at_least=1, at_most=MAX_PAGINATOR_SECONDS, unit="seconds"),
        default=300.0,
        meaning="page buttons disappear after this",
        note="Discord's answer tokens last 15 minutes",
    ),
    Setting(
        "SHARD_COUNT",
        accepts=Whole(1, 10_000),
        default=None,
        meaning="run all shards in this process (unset: Discord's recommended count), "
        "or only `SHARD_IDS` of them",
    ),
    Setting(
        "SHARD_IDS",
        accepts=IdList("shard numbers separated by commas, such as 0,1"),
        default=None,
        meaning="the shards this process runs (needs `SHARD_COUNT`)",
    ),
    Setting(
        "REDIS_URL",
        accepts=SecretUrl(("redis://", "rediss://", "unix://")),
        default=None,
        meaning="share the RetroAchievements cache, request coalescing and rate limit between processes",
        secret=True,
    ),
    Setting(
        "DATABASE_URL",
        accepts=SecretUrl(("postgresql://", "postgres://")),
        default=None,
        meaning="keep linked accounts in PostgreSQL instead of SQLite",
        secret=True,
    ),
    Setting(
        "METRICS_PORT",
        accepts=Whole(1, 65535, noun="port number"),
        default=None,
        meaning=(
            "serve Prometheus metrics at `http://METRICS_HOST:METRICS_PORT/metrics`, "
            "and `/healthz` and `/readyz`"
        ),
    ),
    Setting(
        "METRICS_HOST",
        accepts=HostName(),
        default="127.0.0.1",
        meaning="the address the metrics server listens on",
    ),
    Setting(
        "SHUTDOWN_GRACE_SECONDS",
        accepts=_SECONDS,
        default=20.0,
        meaning="on SIGTERM/SIGINT, how long commands in flight may take to finish",
    ),
    Setting(
        "STARTUP_RETRY_SECONDS",
        accepts=_SECONDS,
        default=300.0,
        meaning="how long start-up keeps retrying an unreachable Discord, database or Redis before giving up",
    ),
    Setting(
        "STORAGE_TIMEOUT_SECONDS",
        accepts=_POSITIVE_SECONDS,
        default=5.0,
        meaning="time limit of one database call",
    ),
    Setting(
        "REDIS_BREAKER_SECONDS",
        accepts=_POSITIVE_SECONDS,
        default=30.0,
        meaning="after a Redis timeout, how long each process uses its own cache and rate limit "
        "before trying Redis again",
    ),
    Setting(
        "CATALOGUE_REFRESH_HOURS",
        accepts=_HOURS,
        default=24.0,
        meaning=_UPCOMING + "how often the game catalogue is fetched again",
    ),
    Setting(
        "FEED_POLL_SECONDS",
        accepts=Number(at_least=1, unit="seconds"),
        default=60.0,
        meaning="how often the award feed asks RetroAchievements for new masteries and beaten games",
    ),
    Setting(
        "FEED_CATCHUP_HOURS",
        accepts=_HOURS,
        default=24.0,
        meaning="how far back the award feed catches up after the bot was away (older awards are skipped)",
    ),
    Setting(
        "DISCORD_API_URL",
        accepts=Url(("http", "https")),
        default=None,
        meaning="only for the offline fake (tests, demo, benchmarks)",
        unset_means="Discord's",
    ),
    Setting(
        "DISCORD_GATEWAY_URL",
        accepts=Url(("ws", "wss")),
        default=None,
        meaning="only for the offline fake (tests, demo, benchmarks)",
        unset_means="Discord's",
    ),
)

BY_ENV: Final = {setting.env: setting for setting in SETTINGS}


def default_of(env: str, kind: type[T]) -> T:
    """The declared default of `env`, checked to be a `kind` (for typed defaults elsewhere)."""
    default = BY_ENV[env].default
    if not isinstance(default, kind):
        raise TypeError(f"{env}'s default {default!r} is not a {kind.__name__}")
    return default
