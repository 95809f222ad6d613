"""The worker: parallel drains never deliver an event twice, periodic jobs run once per period
across workers, the in-process worker of an embedded server, and `labelcrew worker --once`."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from labelcrew.app import create_app
from labelcrew.config import get_settings
from labelcrew.db.models.platform import WebhookDelivery, WorkerJob
from labelcrew.db.models.quality import QualitySnapshot
from labelcrew.services.platform import jobs, webhooks, worker
from labelcrew.services.platform.events import emit
from labelcrew.services.work import assignment, submission
from tests.integration.platform.test_webhooks import SECRET, Receiver
from tests.integration.team import build


def _events(db, project_id: int, n: int) -> None:
    with db.uow() as uow:
        for i in range(n):
            emit(uow, project_id=project_id, event_type="item.annotated", payload={"n": i})
        uow.commit()


def test_parallel_drains_deliver_each_event_exactly_once(db):
    team = build(db, annotators=1, items=1)
    config = worker.WorkerConfig(batch_size=3)
    with Receiver() as r:
        webhooks.create_webhook(
            db, team.lead, team.project_id, url=r.url, events=["item.annotated"], secret=SECRET
        )
        _events(db, team.project_id, 40)
        start = threading.Barrier(3)
        errors: list[BaseException] = []

        def drain() -> None:
            try:
                start.wait()
                worker.drain(db, config, jobs=())
            except BaseException as exc:  # surfaced below
                errors.append(exc)

        threads = [threading.Thread(target=drain) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert errors == []
        worker.drain(db, config, jobs=())  # whatever a racing drain left behind
        seen = Counter(x["body"]["id"] for x in r.received)
    assert len(seen) == 40 and set(seen.values()) == {1}
    assert all(x["valid"] for x in r.received)
    with db.uow(read_only=True) as uow:
        states = Counter(uow.session.scalars(select(WebhookDelivery.state)))
    assert states == {"delivered": 40}


def test_periodic_jobs_run_once_per_period_and_survive_failures(db, clock):
    calls: list[str] = []

    def broken(_db) -> None:
        raise RuntimeError("boom")

    jobs = (
        worker.PeriodicJob("count", 60, lambda _db: calls.append("count")),
        worker.PeriodicJob("broken", 60, broken),
    )
    # Retries of a failing job wait at least a period here, as they did before jitter.
    config = worker.WorkerConfig(job_retry_base=60, jitter=0)
    assert worker.run_periodic(db, jobs, config) == ["count", "broken"]
    assert worker.run_periodic(db, jobs, config) == []
    clock.advance(59)
    assert worker.run_periodic(db, jobs, config) == []
    clock.advance(1)
    assert worker.run_periodic(db, jobs, config) == ["count", "broken"]
    assert calls == ["count", "count"]
    with db.uow(read_only=True) as uow:
        row = uow.session.get(WorkerJob, "broken")
        assert row is not None and row.runs == 2 and "RuntimeError: boom" in row.last_error
        assert row.failures == 2 and row.state == "active"


def test_the_default_quality_job_snapshots_agreement(db):
    team = build(db, annotators=2, items=3, overlap=2)
    for a in team.annotators:
        for _ in range(3):
            lease = assignment.next_item(db, a, team.project_id)
            submission.submit(
                db,
                a,
                team.project_id,
                lease["item"]["id"],
                {"sentiment": "positive"},
                idempotency_key=None,
            )
    quality_job = [j for j in jobs.PERIODIC_JOBS if j.name == "quality.scan"]
    assert worker.drain(db, jobs=quality_job)["jobs"] == ["quality.scan"]
    with db.uow(read_only=True) as uow:
        alpha = uow.session.scalar(
            select(func.count())
            .select_from(QualitySnapshot)
            .where(QualitySnapshot.metric == "alpha")
        )
    assert alpha == 1


def test_the_embedded_server_delivers_in_process(db, db_url, monkeypatch):
    team = build(db, annotators=1, items=1)
    assert worker.inprocess_enabled(db, get_settings().resolved_database_url) is False
    if not db.is_sqlite:
        pytest.skip("the in-process worker is for the embedded SQLite server")
    assert worker.inprocess_enabled(db, db_url) is True  # serving its own database file
    monkeypatch.setenv("LABELCREW_INPROCESS_WORKER", "true")
    monkeypatch.setenv("LABELCREW_WORKER_INTERVAL", "0.1")
    with Receiver() as r:
        webhooks.create_webhook(
            db, team.lead, team.project_id, url=r.url, events=["item.annotated"], secret=SECRET
        )
        with TestClient(create_app(db=db)) as client:
            assert client.get("/healthz").status_code == 200
            _events(db, team.project_id, 2)
            deadline = time.monotonic() + 20
            while len(r.received) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
        assert sorted(x["body"]["data"]["n"] for x in r.received) == [0, 1]


EVERY_JOB = {
    "quality.scan",
    "report.weekly",
    "metrics.rollup",
    "escalations.overdue",
    "teamops.redistribute",
    "teamops.cadence",
    "accounts.prune",
}


def test_a_standalone_worker_runs_every_periodic_job(db, monkeypatch):
    """`labelcrew worker` builds its worker from the jobs list alone: no job depends on some
    other module having been imported first (the weekly report was once skipped that way)."""
    from labelcrew.cli import app, platform

    build(db, annotators=1, items=1)
    monkeypatch.setattr(platform, "get_db", lambda: db)
    passed: list[str] = []
    real_run = worker.run

    def run(db, **kwargs):
        passed.extend(job.name for job in kwargs["jobs"])
        return real_run(db, **kwargs)

    monkeypatch.setattr(platform.worker_service, "run", run)
    once = CliRunner().invoke(app, ["worker", "--once"])
    assert once.exit_code == 0, once.output
    assert set(passed) == EVERY_JOB and len(passed) == len(EVERY_JOB)
    with db.uow(read_only=True) as uow:
        ran = set(uow.session.scalars(select(WorkerJob.name)))
    assert ran == EVERY_JOB  # each one was claimed and run by that single pass


def test_the_jobs_list_is_the_only_wiring():
    """A fresh interpreter that imports only the jobs module sees every job: the list is
    explicit, not filled in by whichever modules happened to be imported."""
    import subprocess
    import sys

    code = (
        "from labelcrew.services.platform.jobs import PERIODIC_JOBS as J;"
        "print(','.join(sorted(j.name for j in J)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert set(out.strip().split(",")) == EVERY_JOB


def test_cli_worker_once_webhook_and_calibration_commands(db, monkeypatch):
    from labelcrew.cli import app, calibration, guidelines, platform

    team = build(db, annotators=1, items=1)
    for module in (platform, calibration, guidelines):  # the test database and clock
        monkeypatch.setattr(module, "get_db", lambda: db)
    runner = CliRunner()
    with Receiver() as r:
        add = ["webhook", "add", "demo", r.url, "--event", "guideline.published"]
        added = runner.invoke(app, [*add, "--secret", SECRET])
        assert added.exit_code == 0, added.output
        assert "signing secret" in added.output
        bad = runner.invoke(app, ["webhook", "add", "demo", "nope"])
        assert bad.exit_code == 1 and "bad_url (url)" in bad.output
        once = runner.invoke(app, ["worker", "--once"])
        assert once.exit_code == 0, once.output
        assert '"sent": 1' in once.output
        assert [x["event"] for x in r.received] == ["guideline.published"]
        listed = runner.invoke(app, ["webhook", "list", "demo"])
        assert listed.exit_code == 0 and "delivered" in listed.output
    with db.uow(read_only=True) as uow:
        assert list(uow.session.scalars(select(WebhookDelivery.state))) == ["delivered"]
    few = runner.invoke(app, ["calibration", "create", "demo", "--size", "20"])
    assert few.exit_code == 1 and "not_enough_hard_items" in few.output
    nothing = runner.invoke(app, ["relabel", "demo", "9", "--changelog", "x"])
    assert nothing.exit_code == 1 and "guideline_not_found" in nothing.output
    assert team.project_id == 1
