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
