"""Periodic jobs shared by every worker: each runs once per period in the whole fleet.

A job's `worker_jobs` row is the only coordination. A worker claims a due job by updating
that row under `FOR UPDATE SKIP LOCKED` (PostgreSQL) or `BEGIN IMMEDIATE` (SQLite), which sets
`next_run_at` a period ahead and marks it running, and commits before running it: any other
worker then finds it not due, or locked and skips it. A job still marked running is not due
either, unless it has run past `job_lease_seconds` (its worker died mid-run).

A failing job retries sooner than its period, with backoff and jitter; after
`job_max_failures` failures in a row it is dead-lettered (state 'dead') and no worker runs it
until `requeue_job` (`labelcrew jobs requeue NAME`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from labelcrew.db.models.platform import WorkerJob
from labelcrew.errors import NotFound
from labelcrew.services.platform import worker_metrics as metrics
from labelcrew.services.platform.retry import WorkerConfig
from labelcrew.services.uow import Database

log = logging.getLogger("labelcrew.worker")


class PeriodicJob(NamedTuple):
    name: str
    every_seconds: float
    fn: Callable[[Database], object]  # what it returns is ignored


def _claim_job(db: Database, job: PeriodicJob, config: WorkerConfig) -> bool:
    with db.uow() as uow:
        query = select(WorkerJob).where(WorkerJob.name == job.name)
        if not db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        row = uow.session.scalar(query)
        if row is None:
            # Either nobody ran it yet, or another worker holds its row (SKIP LOCKED): the
            # insert below then fails on the primary key and this worker leaves it.
            row = WorkerJob(name=job.name, runs=0, failures=0, state="active")
            uow.session.add(row)
        elif not _due(row, job, config, uow.now):
            return False
        row.last_started_at, row.runs = uow.now, row.runs + 1
        row.next_run_at = uow.now + timedelta(seconds=job.every_seconds)
        try:
            uow.commit()
        except IntegrityError:
            return False
        return True


def _due(row: WorkerJob, job: PeriodicJob, config: WorkerConfig, now: datetime) -> bool:
    if row.state == "dead" or _next_run(row, job) > now:
        return False
    if row.last_started_at is not None and _running(row):
        return row.last_started_at + timedelta(seconds=config.job_lease_seconds) <= now
    return True


def _next_run(row: WorkerJob, job: PeriodicJob) -> datetime:
    if row.next_run_at is not None:
        return row.next_run_at
    if row.last_started_at is None:
        return datetime.min.replace(tzinfo=UTC)
    # A row from before `next_run_at` existed: due a period after its last start, as then.
    return row.last_started_at + timedelta(seconds=job.every_seconds)


def _running(row: WorkerJob) -> bool:
    return row.last_started_at is not None and (
        row.last_finished_at is None or row.last_finished_at < row.last_started_at
    )


def _finish_job(db: Database, job: PeriodicJob, config: WorkerConfig, error: str | None) -> str:
    """Record the run; returns its outcome: ok, error (retried) or dead."""
    with db.uow() as uow:
        row = uow.session.get(WorkerJob, job.name)
        if row is None:
            return "ok" if error is None else "error"
        row.last_finished_at, row.last_error = uow.now, error
        outcome = "ok"
        if error is None:
            row.failures = 0
        else:
            row.failures += 1
            outcome = "error"
            if row.failures >= config.job_max_failures:
                row.state, outcome = "dead", "dead"
            else:
                wait = config.job_retry_wait(row.failures, job.every_seconds, db.rng)
                row.next_run_at = uow.now + timedelta(seconds=wait)
        uow.commit()
        return outcome


def run_periodic(
    db: Database,
    jobs: Sequence[PeriodicJob],
    config: WorkerConfig = WorkerConfig(),
    stop: threading.Event | None = None,
) -> list[str]:
    """Run the jobs that are due; a failing job is logged and recorded, the others still run.
    A stop request (SIGTERM) lets the running job finish and starts no other."""
    ran = []
    for job in jobs:
        if stop is not None and stop.is_set():
            break
        if not _claim_job(db, job, config):
            continue
        error = None
        started = time.perf_counter()
        try:
            job.fn(db)
        except Exception as exc:
            log.exception("periodic job %s failed", job.name)
            error = f"{type(exc).__name__}: {exc}"[:1000]
        metrics.JOB_SECONDS.labels(job.name).observe(time.perf_counter() - started)
        outcome = _finish_job(db, job, config, error)
        metrics.JOB_RUNS.labels(job.name, outcome).inc()
        if outcome == "dead":
            log.error(
                "periodic job %s dead-lettered after %d failures in a row; fix it, then "
                "`labelcrew jobs requeue %s`",
                job.name,
                config.job_max_failures,
                job.name,
            )
        ran.append(job.name)
    return ran


def job_states(db: Database) -> list[dict[str, Any]]:
    with db.uow(read_only=True) as uow:
        rows = uow.session.scalars(select(WorkerJob).order_by(WorkerJob.name))
        return [
            {
                "name": r.name,
                "state": r.state,
                "runs": r.runs,
                "failures": r.failures,
                "last_started_at": r.last_started_at.isoformat() if r.last_started_at else None,
                "next_run_at": r.next_run_at.isoformat() if r.next_run_at else None,
                "last_error": r.last_error,
            }
            for r in rows
        ]


def requeue_job(db: Database, name: str) -> None:
    """Bring a dead-lettered job back: due at once, its failure count cleared."""
    with db.uow() as uow:
        row = uow.session.get(WorkerJob, name)
        if row is None:
            raise NotFound(f"no periodic job {name!r} has run yet", code="job_not_found")
        row.state, row.failures, row.next_run_at = "active", 0, uow.now
        uow.commit()
