"""Prometheus `GET /metrics`: request latency, queue depth, items labelled, open alerts.

Written in the text exposition format (version 0.0.4) without a client library. Request
latency comes from a small ASGI middleware that times each HTTP request into fixed buckets
per method and route template (never the raw path, so ids do not multiply the series); the
other figures are read from the database at scrape time.

Access: the page names every project, so it is not public. With `LABELCREW_METRICS_TOKEN`
set, a scrape needs `Authorization: Bearer <token>` from any address. Without a token, only a
scraper on the same host may read it: a loopback client address (127.0.0.0/8, ::1) and no
`Forwarded`/`X-Forwarded-For` header (a reverse proxy on the same host would otherwise make
every outside request look local). Anything else gets 403 `metrics_forbidden`.
"""

from __future__ import annotations

import hmac
import ipaddress
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import func, select

from labelcrew.api import errors
from labelcrew.db.models.core import Annotation, Item, Project
from labelcrew.db.models.metrics import MetricsDaily, MetricsRollupState
from labelcrew.db.models.quality import Alert
from labelcrew.errors import Forbidden, Unauthenticated
from labelcrew.http.auth import db_of
from labelcrew.services.metrics import sql as metrics_sql
from labelcrew.services.uow import Database

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]
]


class MetricsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LABELCREW_", extra="ignore")
    metrics_token: str = ""


class LatencyHistogram:
    """Cumulative histogram per (method, route); one lock, a few additions per request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._series: dict[tuple[str, str], list[float]] = {}

    def observe(self, method: str, route: str, seconds: float) -> None:
        with self._lock:
            row = self._series.get((method, route))
            if row is None:
                row = self._series[(method, route)] = [0.0] * (len(BUCKETS) + 2)
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    row[i] += 1
            row[-2] += 1  # count
            row[-1] += seconds  # sum

    def lines(self) -> list[str]:
        name = "labelcrew_http_request_duration_seconds"
        out = [
            f"# HELP {name} HTTP request latency by method and route template.",
            f"# TYPE {name} histogram",
        ]
        with self._lock:
            items = sorted((k, list(v)) for k, v in self._series.items())
        for (method, route), row in items:
            labels = f'method="{_escape(method)}",route="{_escape(route)}"'
            for bound, count in zip(BUCKETS, row, strict=False):
                out.append(f'{name}_bucket{{{labels},le="{bound}"}} {count:g}')
            out.append(f'{name}_bucket{{{labels},le="+Inf"}} {row[-2]:g}')
            out.append(f"{name}_count{{{labels}}} {row[-2]:g}")
            out.append(f"{name}_sum{{{labels}}} {row[-1]:.6f}")
        return out


class LatencyMiddleware:
    def __init__(self, app: ASGIApp, histogram: LatencyHistogram) -> None:
        self.app, self.histogram = app, histogram

    async def __call__(
        self,
        scope: Scope,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.histogram.observe(scope["method"], template, time.perf_counter() - start)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def database_lines(db: Database) -> list[str]:
    """Per project: open items and labels they still need, labels submitted, open alerts."""
    with db.uow(read_only=True) as uow:
        slugs = dict(uow.session.execute(select(Project.id, Project.slug)).all())
        missing = Item.overlap_target - Item.annotation_count
        depth = {
            pid: (n, need)
            for pid, n, need in uow.session.execute(
                select(Item.project_id, func.count(), func.sum(missing))
                .where(Item.state == "open", Item.is_gold.is_(False))
                .group_by(Item.project_id)
            )
        }
        # Counted from the daily rollups up to their horizon plus the labels since then.
        horizon = dict(
            uow.session.execute(
                select(MetricsRollupState.project_id, MetricsRollupState.rolled_until)
            ).all()
        )
        rolled = dict(
            uow.session.execute(
                select(MetricsDaily.project_id, func.sum(MetricsDaily.labels)).group_by(
                    MetricsDaily.project_id
                )
            ).all()
        )
        labelled: dict[int, int] = {}
        for pid in slugs:
            since = horizon.get(pid)
            query = select(func.count()).where(Annotation.project_id == pid)
            if since is not None:
                query = query.where(
                    Annotation.created_at >= metrics_sql.day_start(metrics_sql.as_date(since))
                )
            base = int(rolled.get(pid) or 0) if since is not None else 0
            labelled[pid] = base + int(uow.session.scalar(query) or 0)
        alerts = dict(
            uow.session.execute(
                select(Alert.project_id, func.count())
                .where(Alert.state == "open")
                .group_by(Alert.project_id)
            ).all()
        )
    out: list[str] = []

    def family(name: str, kind: str, help_text: str, values: dict[int, Any]) -> None:
        out.extend([f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"])
        for pid, slug in sorted(slugs.items()):
            out.append(f'{name}{{project="{_escape(slug)}"}} {int(values.get(pid, 0) or 0)}')

    family(
        "labelcrew_queue_open_items",
        "gauge",
        "Open non-gold items.",
        {p: v[0] for p, v in depth.items()},
    )
    family(
        "labelcrew_queue_labels_needed",
        "gauge",
        "Labels the open items still need under the overlap policy.",
        {p: v[1] for p, v in depth.items()},
    )
    family("labelcrew_annotations_total", "counter", "Labels submitted.", labelled)
    family("labelcrew_alerts_open", "gauge", "Open alerts.", alerts)
    return out


def install(app: FastAPI) -> None:
    histogram = LatencyHistogram()
    app.state.latency = histogram
    app.add_middleware(LatencyMiddleware, histogram=histogram)

    @app.get(
        "/metrics",
        tags=["ops"],
        response_class=PlainTextResponse,
        # Refusals are JSON like every error, though the scrape itself is text.
        responses={status: errors.json_response(status) for status in (401, 403)},
    )
    def prometheus_metrics(request: Request) -> PlainTextResponse:
        check_access(request, MetricsSettings().metrics_token)
        lines = database_lines(db_of(request)) + histogram.lines()
        return PlainTextResponse("\n".join(lines) + "\n", media_type=CONTENT_TYPE)


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name (or a test client's label), not an address
        return False


def check_access(request: Request, token: str) -> None:
    """The token when one is configured; otherwise a direct request from this host."""
    if token:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode(), token.encode()
        ):
            raise Unauthenticated(
                "send 'Authorization: Bearer <LABELCREW_METRICS_TOKEN>'",
                code="metrics_token_required",
            )
        return
    proxied = "forwarded" in request.headers or "x-forwarded-for" in request.headers
    host = request.client.host if request.client else None
    if proxied or not _is_loopback(host):
        raise Forbidden(
            "/metrics answers loopback clients only; set LABELCREW_METRICS_TOKEN to scrape "
            f"from elsewhere (client {host or 'unknown'}{', proxied' if proxied else ''})",
            code="metrics_forbidden",
        )
