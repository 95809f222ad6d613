"""The background worker: drains the transactional outbox into webhook deliveries, sends them,
and runs periodic jobs. `labelcrew worker` runs it as a process (any number of them); an
embedded `labelcrew serve` on SQLite runs the same loop in a thread (`embedded_worker`).

One pass (`drain`):
1. fan out: claim a batch of unprocessed outbox rows (PostgreSQL `FOR UPDATE SKIP LOCKED`,
   SQLite `BEGIN IMMEDIATE`), write one delivery row per matching webhook (unique per webhook
   and event), mark the rows processed, commit;
2. send: claim due deliveries by setting a short `claimed_until` lease (same locking), commit,
   POST each signed body outside any transaction, then record the outcome: delivered on 2xx,
   else retry after `backoff_base * 2**(attempts-1)` seconds (capped, with jitter), and dead
   (a dead letter, never sent again unless requeued) after `max_attempts`;
3. periodic jobs (`services.platform.periodic`): each `PeriodicJob(name, every_seconds, fn)`
   the caller passes (the list is `services.platform.jobs.PERIODIC_JOBS`) runs when its shared
   `worker_jobs` row says it is due, so one worker in the fleet runs it.

Delivery is at least once (a worker that dies after sending but before recording lets the
lease lapse and the delivery is retried); receivers dedupe on the event id in the body.
A stop request (`stop`, set on SIGTERM by `labelcrew worker`) is honoured between steps: the
deliveries already sent are recorded, the claimed ones not yet sent are released at once (no
waiting out their lease), a running periodic job finishes and no other starts.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any, NamedTuple

import httpx
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import or_, select, update
from sqlalchemy.engine import make_url

from labelcrew.db.models.core import OutboxEvent
from labelcrew.db.models.platform import Webhook, WebhookDelivery
from labelcrew.services.platform import worker_metrics as metrics
from labelcrew.services.platform.periodic import PeriodicJob, run_periodic
from labelcrew.services.platform.retry import WorkerConfig
from labelcrew.services.platform.webhooks import SIGNATURE_HEADER, event_body, matches, sign
from labelcrew.services.uow import Database

# PeriodicJob, run_periodic and WorkerConfig have their own modules; callers import them here.
__all__ = ["PeriodicJob", "WorkerConfig", "drain", "fan_out", "run", "run_periodic", "send_due"]

log = logging.getLogger("labelcrew.worker")


def fan_out(db: Database, config: WorkerConfig = WorkerConfig()) -> int:
    """Turn one batch of outbox events into deliveries; returns the number of events taken.

    Most events match no webhook (one per label submitted): those are only marked processed,
    in one UPDATE, without loading their payloads."""
    with db.uow() as uow:
        query = (
            select(OutboxEvent.id, OutboxEvent.project_id, OutboxEvent.event_type)
            .where(OutboxEvent.processed_at.is_(None))
            .order_by(OutboxEvent.id)
            .limit(config.batch_size)
        )
        if not db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        taken = uow.session.execute(query).all()
        if not taken:
            return 0
        project_ids = sorted({e.project_id for e in taken if e.project_id is not None})
        hooks: dict[int, list[Webhook]] = {}
        for hook in uow.session.scalars(
            select(Webhook).where(Webhook.project_id.in_(project_ids), Webhook.active)
        ):
            hooks.setdefault(hook.project_id, []).append(hook)
        targets = {
            e.id: [h for h in hooks.get(e.project_id or 0, []) if matches(h, e.event_type)]
            for e in taken
        }
        wanted = [event_id for event_id, found in targets.items() if found]
        if wanted:
            events = uow.session.scalars(
                select(OutboxEvent).where(OutboxEvent.id.in_(wanted)).order_by(OutboxEvent.id)
            )
            for event in events:
                for hook in targets[event.id]:
                    uow.session.add(
                        WebhookDelivery(
                            webhook_id=hook.id,
                            event_id=event.id,
                            event_type=event.event_type,
                            body=event_body(event),
                            state="pending",
                            attempts=0,
                            next_attempt_at=uow.now,
                            created_at=uow.now,
                        )
                    )
        uow.session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.id.in_([e.id for e in taken]))
            .values(processed_at=uow.now)
            .execution_options(synchronize_session=False)
        )
        uow.commit()
        metrics.OUTBOX_TAKEN.inc(len(taken))
        return len(taken)


class _Claimed(NamedTuple):
    id: int
    url: str
    secret: str
    body: str
    event_type: str
    event_id: int
    timestamp: int


def _claim_due(db: Database, config: WorkerConfig) -> list[_Claimed]:
    with db.uow() as uow:
        query = (
            select(WebhookDelivery, Webhook.url, Webhook.secret)
            .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
            .where(
                WebhookDelivery.state == "pending",
                WebhookDelivery.next_attempt_at <= uow.now,
                or_(
                    WebhookDelivery.claimed_until.is_(None),
                    WebhookDelivery.claimed_until <= uow.now,
                ),
                Webhook.active,
            )
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(config.batch_size)
        )
        if not db.is_sqlite:
            query = query.with_for_update(skip_locked=True, of=WebhookDelivery)
        claimed = []
        stamp = int(uow.now.timestamp())
        for delivery, url, secret in uow.session.execute(query).all():
            delivery.claimed_until = uow.now + timedelta(seconds=config.claim_seconds)
            claimed.append(
                _Claimed(
                    delivery.id,
                    url,
                    secret,
                    delivery.body,
                    delivery.event_type,
                    delivery.event_id,
                    stamp,
                )
            )
        uow.commit()
        return claimed


def _post(client: httpx.Client, job: _Claimed) -> tuple[int | None, str | None]:
    raw = job.body.encode()
    try:
        response = client.post(
            job.url,
            content=raw,
            headers={
                "Content-Type": "application/json",
                "User-Agent": "labelcrew-webhooks",
                "X-Labelcrew-Event": job.event_type,
                "X-Labelcrew-Event-Id": str(job.event_id),
                "X-Labelcrew-Delivery": str(job.id),
                SIGNATURE_HEADER: sign(job.secret, job.timestamp, raw),
            },
        )
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500]
    if 200 <= response.status_code < 300:
        return response.status_code, None
    return response.status_code, f"HTTP {response.status_code}: {response.text[:200]}"


def _record(
    db: Database, config: WorkerConfig, outcomes: list[tuple[int, int | None, str | None]]
) -> None:
    with db.uow() as uow:
        for delivery_id, status, error in outcomes:
            delivery = uow.session.get(WebhookDelivery, delivery_id)
            if delivery is None:  # its webhook was deleted meanwhile
                continue
            delivery.attempts += 1
            delivery.last_status, delivery.last_error = status, error
            delivery.claimed_until = None
            if error is None:
                delivery.state, delivery.delivered_at = "delivered", uow.now
                outcome = "delivered"
            elif delivery.attempts >= config.max_attempts:
                delivery.state, outcome = "dead", "dead"
                log.warning(
                    "webhook delivery %s dead-lettered after %d attempts: %s",
                    delivery.id,
                    delivery.attempts,
                    error,
                )
            else:
                wait = config.delivery_wait(delivery.attempts, db.rng)
                delivery.next_attempt_at = uow.now + timedelta(seconds=wait)
                outcome = "retry"
            metrics.WEBHOOK_ATTEMPTS.labels(outcome).inc()
        uow.commit()


def _release(db: Database, ids: list[int]) -> None:
    """Give claimed deliveries back at once (a worker stopping before it sent them)."""
    with db.uow() as uow:
        uow.session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(ids), WebhookDelivery.state == "pending")
            .values(claimed_until=None)
            .execution_options(synchronize_session=False)
        )
        uow.commit()


def send_due(
    db: Database,
    config: WorkerConfig,
    client: httpx.Client,
    stop: threading.Event | None = None,
) -> dict[str, int]:
    """Send one batch of due deliveries; returns how many were sent and how many failed."""
    jobs = _claim_due(db, config)
    outcomes = []
    for i, job in enumerate(jobs):
        if stop is not None and stop.is_set():
            _release(db, [j.id for j in jobs[i:]])
            break
        outcomes.append((job.id, *_post(client, job)))
    if outcomes:
        _record(db, config, outcomes)
    return {
        "sent": sum(1 for _, _, error in outcomes if error is None),
        "errors": sum(1 for _, _, error in outcomes if error is not None),
    }


def drain(
    db: Database,
    config: WorkerConfig = WorkerConfig(),
    *,
    client: httpx.Client | None = None,
    jobs: Sequence[PeriodicJob] = (),
    max_rounds: int = 100,
    stop: threading.Event | None = None,
) -> dict[str, Any]:
    """One full pass: fan out every pending event, send every due delivery, run due jobs."""
    stopping = stop.is_set if stop is not None else lambda: False
    own = client is None
    http = client or httpx.Client(timeout=config.timeout)
    totals: dict[str, Any] = {"events": 0, "sent": 0, "errors": 0}
    try:
        for _ in range(max_rounds):
            taken = fan_out(db, config)
            totals["events"] += taken
            if taken < config.batch_size or stopping():
                break
        for _ in range(max_rounds):
            if stopping():
                break
            sent = send_due(db, config, http, stop)
            totals["sent"] += sent["sent"]
            totals["errors"] += sent["errors"]
            if sent["sent"] + sent["errors"] < config.batch_size:
                break
    finally:
        if own:
            http.close()
    totals["jobs"] = run_periodic(db, jobs, config, stop)
    metrics.LAST_PASS.set_to_current_time()
    return totals


def run(
    db: Database,
    *,
    interval: float = 2.0,
    once: bool = False,
    stop: threading.Event | None = None,
    config: WorkerConfig = WorkerConfig(),
    jobs: Sequence[PeriodicJob] = (),
) -> dict[str, Any]:
    """The worker loop: `drain`, then wait `interval` seconds (or until `stop` is set).

    `jobs` are the periodic jobs to run (`services.platform.jobs.PERIODIC_JOBS` in production);
    the worker knows none by itself, so the caller's list is the only wiring."""
    stop = stop or threading.Event()
    last: dict[str, Any] = {}
    with httpx.Client(timeout=config.timeout) as client:
        while not stop.is_set():
            try:
                last = drain(db, config, client=client, jobs=jobs, stop=stop)
            except Exception:  # a database hiccup must not kill the loop
                if once:
                    raise
                log.exception("worker pass failed; retrying in %.1f s", interval)
            if once or stop.wait(interval):
                return last
    return last


class WorkerSettings(BaseSettings):
    """LABELCREW_INPROCESS_WORKER: run the worker inside `labelcrew serve` (default: yes when
    the app serves its own SQLite database, no otherwise: servers run `labelcrew worker`)."""

    model_config = SettingsConfigDict(env_prefix="LABELCREW_", extra="ignore")
    inprocess_worker: bool | None = None
    worker_interval: float = 2.0


def inprocess_enabled(db: Database, database_url: str) -> bool:
    explicit = WorkerSettings().inprocess_worker
    if explicit is not None:
        return explicit
    # Embedded means: SQLite, and the very file the settings point at (tests build apps over
    # throwaway databases and so never start a worker unless they ask for one).
    return db.is_sqlite and db.engine.url.database == make_url(database_url).database


@asynccontextmanager
async def embedded_worker(app: Any, jobs: Sequence[PeriodicJob]) -> AsyncIterator[None]:
    """FastAPI lifespan: run the worker loop, with these periodic jobs, in a background thread
    while the app serves."""
    db: Database = app.state.db
    thread, stop = None, threading.Event()
    if inprocess_enabled(db, app.state.settings.resolved_database_url):
        interval = WorkerSettings().worker_interval
        thread = threading.Thread(
            target=run,
            kwargs={"db": db, "interval": interval, "stop": stop, "jobs": jobs},
            name="labelcrew-worker",
            daemon=True,
        )
        thread.start()
        log.info("in-process worker started (every %.1f s)", interval)
    try:
        yield
    finally:
        if thread is not None:
            stop.set()
            thread.join(timeout=30)
