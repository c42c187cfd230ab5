"""Prometheus metrics: commands, their latency, upstream requests, cache use and rate-limit waits,
the gateway, the process; and the health checks beside them.

Each bot has its own registry (so tests can run several bots in one process); `serve` exposes it in
the Prometheus text format on METRICS_PORT, with `/healthz` and `/readyz` for probes.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot import __version__
from bot.startup import EXIT_CONFIG, StartupFailure

log = logging.getLogger(__name__)

Readiness = Callable[[], Awaitable[list[str]]]

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


class Metrics:
    """Counters the bot updates as it works; also the RetroAchievements client's observer."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.commands = Counter(
            "rabot_commands",
            "Slash commands handled, by command and outcome "
            "(ok, refused, not_found, upstream_error, misconfigured, error, expired, draining).",
            ["command", "outcome"],
            registry=self.registry,
        )
        self.command_seconds = Histogram(
            "rabot_command_duration_seconds",
            "Seconds from an interaction's arrival to its final answer, by command.",
            ["command"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "rabot_commands_in_flight", "Slash commands being handled right now.", registry=self.registry
        )
        self.upstream = Counter(
            "rabot_upstream_requests",
            "HTTP attempts to RetroAchievements, by endpoint and status (HTTP code, timeout, ...).",
            ["endpoint", "status"],
            registry=self.registry,
        )
        self.cache_lookups = Counter(
            "rabot_cache_lookups",
            "RetroAchievements answers looked up in the cache, by kind and result (hit, miss).",
            ["kind", "result"],
            registry=self.registry,
        )
        self.rate_limit_waits = Counter(
            "rabot_rate_limit_waits", "Requests that had to wait for the rate limit.", registry=self.registry
        )
        self.rate_limit_wait_seconds = Counter(
            "rabot_rate_limit_wait_seconds",
            "Seconds spent waiting for the rate limit.",
            registry=self.registry,
        )
        self.shards_connected = Gauge(
            "rabot_shards_connected",
            "Shards of this process connected to the Discord gateway.",
            registry=self.registry,
        )
        self.gateway_latency = Gauge(
            "rabot_gateway_latency_seconds",
            "Time between a gateway heartbeat and Discord's acknowledgement, by shard.",
            ["shard"],
            registry=self.registry,
        )
        self.guilds = Gauge("rabot_guilds", "Servers this process sees.", registry=self.registry)
        self.linked_members = Gauge(
            "rabot_linked_members",
            "Discord members linked to a RetroAchievements account.",
            registry=self.registry,
        )
        self.storage_healthy = Gauge(
            "rabot_storage_healthy",
            "1 while the database answers, 0 during an outage.",
            registry=self.registry,
        )
        self.storage_failures = Counter(
            "rabot_storage_failures", "Database calls that failed or ran out of time.", registry=self.registry
        )
        self._storage_failures_seen = 0
        Gauge("rabot_build_info", "The bot's version.", ["version"], registry=self.registry).labels(
            __version__
        ).set(1)
        ProcessCollector(registry=self.registry)
        self.feed = FeedMetrics(self.registry)

        self._children: dict[tuple[object, ...], Any] = {}

    def storage_state(self, healthy: bool, failures: int) -> None:
        """Brings the storage metrics up to the guarded storage's own count (`failures` only grows)."""
        self.storage_healthy.set(1 if healthy else 0)
        self.storage_failures.inc(max(0, failures - self._storage_failures_seen))
        self._storage_failures_seen = max(failures, self._storage_failures_seen)

    def _child(self, metric: Counter | Histogram, *labels: str) -> Any:
        """The labelled child, looked up once: `labels()` takes a lock and builds a key on every call."""
        key = (id(metric), *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    # RAObserver
    def request(self, endpoint: str, status: str) -> None:
        self._child(self.upstream, endpoint, status).inc()

    def cache(self, kind: str, hit: bool) -> None:
        self._child(self.cache_lookups, kind, "hit" if hit else "miss").inc()

    def rate_limit_wait(self, seconds: float) -> None:
        self.rate_limit_waits.inc()
        self.rate_limit_wait_seconds.inc(seconds)

    def command_finished(self, command: str, outcome: str, seconds: float) -> None:
        self._child(self.commands, command, outcome).inc()
        self._child(self.command_seconds, command).observe(seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


async def _nothing_to_refresh() -> None:
    return None


async def _always_ready() -> list[str]:
    return []


async def serve(
    metrics: Metrics,
    host: str,
    port: int,
    *,
    readiness: Readiness = _always_ready,
    refresh: Callable[[], Awaitable[None]] = _nothing_to_refresh,
) -> web.AppRunner:
    """Serves GET /metrics, /healthz and /readyz; the caller cleans the runner up on shutdown.

    `/healthz` answers 200 while the process serves HTTP at all. `/readyz` answers 200 when
    `readiness()` finds nothing missing, else 503 with one line per missing thing. `refresh()` runs
    before each scrape to bring the gauges up to date. A port already in use is a StartupFailure.
    """

    async def scrape(_: web.Request) -> web.Response:
        await refresh()
        response = web.Response(body=metrics.exposition())
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def readyz(_: web.Request) -> web.Response:
        problems = await readiness()
        if problems:
            return web.Response(status=503, text="".join(f"{problem}\n" for problem in problems))
        return web.Response(text="ready\n")

    app = web.Application()
    app.router.add_get("/metrics", scrape)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as error:
        await runner.cleanup()
        if error.errno == errno.EADDRINUSE:
            raise StartupFailure(
                f"METRICS_PORT {port} on {host} is already in use by another program: "
                "choose a free port for METRICS_PORT, or stop that program.",
                EXIT_CONFIG,
            ) from None
        raise StartupFailure(
            f"Cannot serve metrics on {host}:{port} (METRICS_HOST, METRICS_PORT): "
            f"{error.strerror or type(error).__name__}.",
            EXIT_CONFIG,
        ) from None
    log.info("Metrics on http://%s:%d/metrics (health: /healthz, /readyz)", host, port)
    return runner


FEED_LAG_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0, 6 * 3600.0, 24 * 3600.0)


class FeedMetrics:
    """The award feed: polls, their upstream requests, awards seen and matched, posts, and lag."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.polls = Counter(
            "rabot_feed_polls",
            "Feed polls by outcome (ok, idle: no feed is on, upstream_error, storage_error, superseded: "
            "another process polled meanwhile).",
            ["outcome"],
            registry=registry,
        )
        self.upstream_requests = Counter(
            "rabot_feed_upstream_requests",
            "Pages of API_GetRecentGameAwards the feed asked for.",
            registry=registry,
        )
        self.awards_seen = Counter(
            "rabot_feed_awards_seen", "Site-wide awards the feed read (each once).", registry=registry
        )
        self.awards_matched = Counter(
            "rabot_feed_awards_matched",
            "Awards planned for a server's feed (an award for two servers counts twice).",
            registry=registry,
        )
        self.posts = Counter(
            "rabot_feed_posts",
            "Feed messages by outcome (posted, paused: the channel refused and the feed paused, "
            "dropped: Discord refused the message itself, failed: will be retried).",
            ["outcome"],
            registry=registry,
        )
        self.lag_seconds = Histogram(
            "rabot_feed_lag_seconds",
            "Seconds from an award's date to Discord's acknowledgement of its post.",
            buckets=FEED_LAG_BUCKETS,
            registry=registry,
        )
        self.leader = Gauge(
            "rabot_feed_leader", "1 while this process is the one that polls.", registry=registry
        )
