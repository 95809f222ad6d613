"""What a server process measures about itself: request latency per route and status, and the
process's own CPU, memory and file descriptors, in prometheus_client metrics.

One process (`labelcrew serve`): the metrics live in the app's own registry. Several processes
behind one port (`labelcrew serve --workers N`): prometheus_client's multiprocess mode, where
every process writes its samples to files in `PROMETHEUS_MULTIPROC_DIR` and a scrape, answered
by whichever process gets it, adds them up. Without that, each scrape read one process's
counters and successive scrapes went 21, 19, 21: Prometheus took the drops for counter resets.

Process figures carry a `pid` label in multiprocess mode (one series per live process; the
CPU counter sums over every process that ever served), and `labelcrew_server_processes`
counts the live ones. They are refreshed by the requests themselves, at most every few seconds,
so an idle process costs nothing.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    multiprocess,
)

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
PROCESS_REFRESH_SECONDS = 5.0
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
# `*_created` series (one timestamp per counter and label set) double the page for nothing
# Prometheus uses.
disable_created_metrics()  # type: ignore[no-untyped-call]


def multiprocess_dir() -> str | None:
    """The shared sample directory when this process is one of several, else None."""
    return os.environ.get(MULTIPROC_ENV) or None


def prepare_multiprocess_dir(path: Path) -> None:
    """Empty the directory before the processes start: samples left by an earlier run would be
    added to this run's (counters that never restart at zero)."""
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()


class HttpMetrics:
    """The request metrics of one app, in `registry` (multiprocess mode writes them to the
    shared files whatever the registry)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.latency = Histogram(
            "labelcrew_http_request_duration_seconds",
            "HTTP request latency by method and route template.",
            ("method", "route"),
            buckets=BUCKETS,
            registry=registry,
        )
        self.requests = Counter(
            "labelcrew_http_requests",
            "HTTP requests answered, by method, route template and status class.",
            ("method", "route", "status"),
            registry=registry,
        )
        self.process = ProcessMetrics(registry)

        # The labelled children, looked up once per (method, route, status class): `labels()`
        # costs as much as the observation itself, twice per request on the hot path.
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status // 100)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = (
                self.latency.labels(method, route),
                self.requests.labels(method, route, f"{key[2]}xx"),
            )
        children[0].observe(seconds)
        children[1].inc()
        self.process.refresh_if_due()


class ProcessMetrics:
    """prometheus_client's own process collector does not work in multiprocess mode (it would
    report the scraping process only), so each process publishes its figures as gauges."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.cpu = Gauge(
            "labelcrew_process_cpu_seconds",
            "CPU time (user + system) of the server process.",
            registry=registry,
            multiprocess_mode="liveall",
        )
        self.memory = Gauge(
            "labelcrew_process_resident_memory_bytes",
            "Resident memory of the server process.",
            registry=registry,
            multiprocess_mode="liveall",
        )
        self.fds = Gauge(
            "labelcrew_process_open_fds",
            "Open file descriptors of the server process.",
            registry=registry,
            multiprocess_mode="liveall",
        )
        self.started = Gauge(
            "labelcrew_process_start_time_seconds",
            "When the server process started (Unix time).",
            registry=registry,
            multiprocess_mode="liveall",
        )
        self.alive = Gauge(
            "labelcrew_server_processes",
            "Server processes serving (added up over processes).",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.alive.set(1)
        self.started.set(time.time())
        self._next = 0.0
        self.refresh_if_due()

    def refresh_if_due(self) -> None:
        now = time.monotonic()
        if now < self._next:
            return
        self._next = now + PROCESS_REFRESH_SECONDS
        usage = resource.getrusage(resource.RUSAGE_SELF)
        self.cpu.set(usage.ru_utime + usage.ru_stime)
        try:
            pages = int(Path("/proc/self/statm").read_text().split()[1])
            self.memory.set(pages * resource.getpagesize())
            self.fds.set(len(os.listdir("/proc/self/fd")))
        except OSError:  # not Linux: the figures are left out rather than made up
            pass


def registry_for_scrape(app_registry: CollectorRegistry) -> CollectorRegistry:
    """What `/metrics` exposes: every process's samples in multiprocess mode, else this one's."""
    path = multiprocess_dir()
    if path is None:
        return app_registry
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=path)  # type: ignore[no-untyped-call]
    return registry


def process_exited() -> None:
    """A server process going away: its live gauges leave the sums (counters stay)."""
    if multiprocess_dir() is not None:
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


class MetricsMiddleware:
    """Times each HTTP request into the histogram by its route template (never the raw path,
    so ids do not multiply the series); the status is the one the response started with."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # a handler that raised before answering

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.observe(scope["method"], template, status, time.perf_counter() - start)
