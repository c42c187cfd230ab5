"""Start-up that tells the operator what is wrong in one line.

Before logging in, the bot waits for the services it needs: PostgreSQL and Redis when configured
(a TCP connection), then Discord's API (one unauthenticated HTTPS request); after logging in, for
Discord's gateway (a TCP connection and the TLS handshake). Each failed attempt is one log line naming
the service, its address and the cause; attempts back off exponentially with jitter, and after
STARTUP_RETRY_SECONDS the bot gives up with a `StartupFailure`: one line and exit status 3.

Should the gateway fail later anyway, discord.py retries every 5 s with a traceback each time;
`GatewayRetryFilter` turns each into one line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import socket
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp

from bot.config import Settings
from bot.secret import reveal

log = logging.getLogger(__name__)

EXIT_CONFIG = 2  # a setting or the data needs fixing; starting again will not help
EXIT_UNREACHABLE = 3  # a service stayed unreachable for STARTUP_RETRY_SECONDS; starting later may help

DISCORD_API = "https://discord.com/api/v10"
ATTEMPT_SECONDS = 10.0
FIRST_DELAY_SECONDS = 1.0
MAX_DELAY_SECONDS = 30.0
_POLL_SECONDS = 0.2


class StartupFailure(Exception):
    """The bot cannot start; the message is one line naming the cause and the fix."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class Service:
    """Something the bot needs at start, and how to tell whether it answers."""

    name: str
    address: str
    advice: str
    probe: Callable[[float], Awaitable[str | None]]  # None when it answers, else the cause

    def __str__(self) -> str:
        return f"{self.name} ({self.address})"


def describe_failure(error: BaseException) -> str:
    """Why a connection failed, in an operator's words: DNS, refused, TLS, timeout..."""
    if isinstance(error, aiohttp.ClientConnectorCertificateError):
        return f"TLS certificate not trusted ({error.certificate_error})"
    if isinstance(error, aiohttp.ClientSSLError | ssl.SSLError):
        return "TLS handshake failed"
    if isinstance(error, aiohttp.ClientConnectorDNSError | socket.gaierror):
        return "DNS lookup failed (no such host)"
    if isinstance(error, aiohttp.ClientConnectorError):
        return describe_failure(error.os_error)
    if isinstance(error, TimeoutError | aiohttp.ServerTimeoutError):
        return "timed out"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, ConnectionResetError | aiohttp.ServerDisconnectedError):
        return "the connection was closed by the other side"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror[:1].lower() + error.strerror[1:]
    return type(error).__name__


def host_port(url: str, default_port: int) -> tuple[str, int] | None:
    """The host and port a URL names; None for sockets, several hosts or anything unparsable."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not host or "," in parts.netloc:
        return None
    return host, port or default_port


def tcp_service(name: str, url: str, default_port: int, advice: str, *, tls: bool = False) -> Service | None:
    """A service that answers when a TCP connection (and, with `tls`, the TLS handshake) succeeds."""
    target = host_port(url, default_port)
    if target is None:
        return None
    host, port = target
    context = ssl.create_default_context() if tls else None

    async def probe(seconds: float) -> str | None:
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, port, ssl=context), seconds)
        except (OSError, TimeoutError) as error:
            return describe_failure(error)
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return None

    return Service(name, f"{host}:{port}", advice, probe)


def discord_service(api_url: str | None) -> Service:
    base = (api_url or DISCORD_API).rstrip("/")
    parts = urlsplit(base)
    address = f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
    advice = (
        "Check DISCORD_API_URL."
        if api_url
        else "Check this machine's internet access, DNS and firewall (outgoing HTTPS to discord.com)."
    )

    async def probe(seconds: float) -> str | None:
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=seconds)) as session,
                session.get(f"{base}/gateway") as response,
            ):
                status = response.status
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            return describe_failure(error)
        return f"answered HTTP {status}" if status >= 500 else None

    return Service("Discord", address, advice, probe)


def gateway_service(url: str) -> Service | None:
    """Discord's gateway (wss://gateway.discord.gg, or the fake's ws:// address)."""
    secure = url.startswith("wss://")
    return tcp_service(
        "Discord's gateway",
        url,
        443 if secure else 80,
        "Check this machine's DNS and firewall (outgoing connections to gateway.discord.gg:443).",
        tls=secure,
    )


async def wait_for_gateway(url: str, settings: Settings, stopped: Callable[[], bool] = lambda: False) -> bool:
    """Like `wait_for_services`, for the gateway, with a budget of its own."""
    service = gateway_service(url)
    if service is None:
        return True
    deadline = asyncio.get_running_loop().time() + settings.startup_retry_seconds
    return await wait_for(service, deadline, settings.startup_retry_seconds, stopped)


class GatewayRetryFilter(logging.Filter):
    """discord.py logs a traceback each time a shard fails to connect, then retries in 5 s forever: one
    WARNING line naming the cause instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is not None and record.getMessage().startswith("Failed to connect for shard_id"):
            shard = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg = "Discord's gateway is unreachable for shard %s: %s; discord.py retries in 5 s"
            record.args = (shard, describe_failure(error))
            record.exc_info, record.exc_text = None, None
        return True


def install_gateway_log_filter() -> None:
    """Idempotent: adds GatewayRetryFilter to discord.py's shard logger once."""
    logger = logging.getLogger("discord.shard")
    if not any(isinstance(f, GatewayRetryFilter) for f in logger.filters):
        logger.addFilter(GatewayRetryFilter())


def services_needed(settings: Settings) -> list[Service]:
    """What the bot needs before it logs in: its databases first, then Discord."""
    services: list[Service | None] = []
    if settings.database_url is not None:
        services.append(
            tcp_service(
                "PostgreSQL",
                settings.database_url.reveal(),
                5432,
                "Start PostgreSQL, or correct the host and port in DATABASE_URL.",
            )
        )
    if settings.redis_url is not None:
        services.append(
            tcp_service(
                "Redis",
                reveal(settings.redis_url) or "",
                6379,
                "Start Redis, or correct REDIS_URL (unset it to run one process without Redis).",
            )
        )
    services.append(discord_service(settings.discord_api_url))
    return [service for service in services if service is not None]


async def wait_for_services(settings: Settings, stopped: Callable[[], bool] = lambda: False) -> bool:
    """Waits until every service answers; False if `stopped()` became true meanwhile.

    Raises StartupFailure once STARTUP_RETRY_SECONDS have passed with a service still unreachable.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settings.startup_retry_seconds
    for service in services_needed(settings):
        if not await wait_for(service, deadline, settings.startup_retry_seconds, stopped):
            return False
    return True


async def wait_for(
    service: Service,
    deadline: float,
    budget: float,
    stopped: Callable[[], bool] = lambda: False,
    rng: random.Random | None = None,
) -> bool:
    """Tries `service` until it answers, backing off (1 s, 2 s, 4 s... at most 30 s, each 50-100 %
    of that at random) until `deadline` (event loop time)."""
    loop = asyncio.get_running_loop()
    rng = rng or random.Random()
    attempt = 0
    while True:
        attempt += 1
        cause = await service.probe(min(ATTEMPT_SECONDS, max(1.0, deadline - loop.time())))
        if cause is None:
            if attempt > 1:
                log.info("%s answers now (attempt %d)", service, attempt)
            return True
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise StartupFailure(
                f"{service} is unreachable: {cause}. Gave up after {budget:g} s "
                f"(STARTUP_RETRY_SECONDS). {service.advice}",
                EXIT_UNREACHABLE,
            )
        ceiling = min(MAX_DELAY_SECONDS, FIRST_DELAY_SECONDS * 2 ** (attempt - 1))
        delay = min(remaining, ceiling * rng.uniform(0.5, 1.0))
        log.warning("%s is unreachable: %s (attempt %d); retrying in %.1f s", service, cause, attempt, delay)
        if not await _sleep_unless(stopped, delay):
            return False


async def _sleep_unless(stopped: Callable[[], bool], seconds: float) -> bool:
    loop = asyncio.get_running_loop()
    until = loop.time() + seconds
    while not stopped():
        left = until - loop.time()
        if left <= 0:
            return True
        await asyncio.sleep(min(_POLL_SECONDS, left))
    return False
