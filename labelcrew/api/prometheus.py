"""Prometheus `GET /metrics`: request latency, queue depth, backlogs, alerts, processes.

Exposed with prometheus_client. The request and process metrics are the server process's own
(`labelcrew.http.metrics`; added up over every process under `labelcrew serve --workers N`,
prometheus_client's multiprocess mode), the worker's counters come from an embedded worker
when there is one (a standalone worker serves its own on `--metrics-port`), and everything
else is read from the database at scrape time, so it is the same whichever process answers:

- per project: open items and labels they still need (queue depth), labels submitted,
  open alerts, lapsed leases, webhook deliveries pending and dead;
- the outbox backlog (events no worker has taken yet) and periodic jobs by state.

Access: the page names every project, so it is not public. With `LABELCREW_METRICS_TOKEN`
set, a scrape needs `Authorization: Bearer <token>` from any address. Without a token, only a
scraper on the same host may read it: a loopback client address (127.0.0.0/8, ::1) and no
`Forwarded`/`X-Forwarded-For` header (a reverse proxy on the same host would otherwise make
every outside request look local). Anything else gets 403 `metrics_forbidden`.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import func, or_, select

from labelcrew.api import errors
from labelcrew.db.models.core import Annotation, Assignment, Item, OutboxEvent, Project
from labelcrew.db.models.metrics import MetricsDaily, MetricsRollupState
from labelcrew.db.models.platform import Webhook, WebhookDelivery, WorkerJob
from labelcrew.db.models.quality import Alert
from labelcrew.errors import Forbidden, Unauthenticated
from labelcrew.http import metrics as http_metrics
from labelcrew.http.auth import db_of
from labelcrew.services.metrics import sql as metrics_sql
from labelcrew.services.uow import Database

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class MetricsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LABELCREW_", extra="ignore")
    metrics_token: str = ""


def _labelled(uow: Any, slugs: dict[int, str]) -> dict[int, int]:
    """Labels per project: the daily rollups up to their horizon plus the labels since then."""
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
    return labelled


def _per_project(uow: Any, query: Any) -> dict[int, int]:
    return {pid: int(n or 0) for pid, n in uow.session.execute(query).all()}


def database_families(db: Database) -> list[Metric]:
    """The figures every process reads alike from the database, as metric families."""
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
        labelled = _labelled(uow, slugs)
        alerts = _per_project(
            uow,
            select(Alert.project_id, func.count())
            .where(Alert.state == "open")
            .group_by(Alert.project_id),
        )
        # A lease lapses when its holder neither submits nor renews it in time: marked
        # 'expired' when next seen, or still 'leased' past its end.
        lapsed = _per_project(
            uow,
            select(Assignment.project_id, func.count())
            .where(
                or_(
                    Assignment.state == "expired",
                    (Assignment.state == "leased") & (Assignment.expires_at <= uow.now),
                )
            )
            .group_by(Assignment.project_id),
        )
        deliveries: dict[str, dict[int, int]] = {"pending": {}, "dead": {}}
        for pid, state, n in uow.session.execute(
            select(Webhook.project_id, WebhookDelivery.state, func.count())
            .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
            .where(WebhookDelivery.state.in_(tuple(deliveries)))
            .group_by(Webhook.project_id, WebhookDelivery.state)
        ):
            deliveries[state][pid] = int(n)
        backlog = int(
            uow.session.scalar(
                select(func.count())
                .select_from(OutboxEvent)
                .where(OutboxEvent.processed_at.is_(None))
            )
            or 0
        )
        job_rows = uow.session.execute(select(WorkerJob.name, WorkerJob.state)).all()

    def family(
        kind: type[GaugeMetricFamily] | type[CounterMetricFamily],
        name: str,
        help_text: str,
        values: dict[int, Any],
    ) -> Metric:
        metric = kind(name, help_text, labels=["project"])
        for pid, slug in sorted(slugs.items()):
            metric.add_metric([slug], int(values.get(pid, 0) or 0))
        return metric

    jobs = GaugeMetricFamily(
        "labelcrew_worker_jobs", "Periodic jobs by state (dead: parked after failing).",
        labels=["job", "state"],
    )  # fmt: skip
    for name, state in sorted(job_rows):
        jobs.add_metric([name, state], 1)
    return [
        family(
            GaugeMetricFamily,
            "labelcrew_queue_open_items",
            "Open non-gold items.",
            {p: v[0] for p, v in depth.items()},
        ),
        family(
            GaugeMetricFamily,
            "labelcrew_queue_labels_needed",
            "Labels the open items still need under the overlap policy.",
            {p: v[1] for p, v in depth.items()},
        ),
        family(CounterMetricFamily, "labelcrew_annotations", "Labels submitted.", labelled),
        family(GaugeMetricFamily, "labelcrew_alerts_open", "Open alerts.", alerts),
        family(
            GaugeMetricFamily,
            "labelcrew_leases_lapsed",
            "Leases that ran out before a submit (expired, or past their end).",
            lapsed,
        ),
        family(
            GaugeMetricFamily,
            "labelcrew_webhook_deliveries_pending",
            "Webhook deliveries waiting to be sent or retried.",
            deliveries["pending"],
        ),
        family(
            GaugeMetricFamily,
            "labelcrew_webhook_deliveries_dead",
            "Webhook deliveries that failed every attempt (dead letters).",
            deliveries["dead"],
        ),
        GaugeMetricFamily(
            "labelcrew_outbox_backlog", "Outbox events no worker has taken yet.", value=backlog
        ),
        jobs,
    ]


class _Scrape:
    """One scrape's collectors: the process metrics, the worker's, the database's."""

    def __init__(self, parts: list[Any], database: list[Metric]) -> None:
        self.parts, self.database = parts, database

    def collect(self) -> Iterator[Metric]:
        for part in self.parts:
            yield from part.collect()
        yield from self.database


def install(app: FastAPI) -> None:
    registry = CollectorRegistry(auto_describe=True)
    measured = http_metrics.HttpMetrics(registry)
    app.state.http_metrics = measured
    app.add_middleware(http_metrics.MetricsMiddleware, metrics=measured)

    @app.get(
        "/metrics",
        tags=["ops"],
        response_class=Response,
        # Refusals are JSON like every error, though the scrape itself is text.
        responses={status: errors.json_response(status) for status in (401, 403)},
    )
    def prometheus_metrics(request: Request) -> Response:
        check_access(request, MetricsSettings().metrics_token)
        database = database_families(db_of(request))
        shared = http_metrics.registry_for_scrape(registry)
        # One process: its registry plus the default one (an embedded worker's counters).
        # Several: the shared files hold every process's samples, the worker's included.
        parts = [shared] if shared is not registry else [registry, REGISTRY]
        body = generate_latest(_Scrape(parts, database))
        return Response(body, media_type=CONTENT_TYPE)


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
