"""Prometheus metrics: commands, their latency, upstream requests, cache use and rate-limit waits.

Each bot has its own registry (so tests can run several bots in one process); `serve` exposes it in
the Prometheus text format on METRICS_PORT.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

log = logging.getLogger(__name__)

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
        self.feed = FeedMetrics(self.registry)

        self._children: dict[tuple[object, ...], Any] = {}

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


async def serve(metrics: Metrics, host: str, port: int) -> web.AppRunner:
    """Serves GET /metrics; the caller cleans the runner up on shutdown."""

    async def handle(_: web.Request) -> web.Response:
        response = web.Response(body=metrics.exposition())
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    app = web.Application()
    app.router.add_get("/metrics", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("Metrics on http://%s:%d/metrics", host, port)
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
