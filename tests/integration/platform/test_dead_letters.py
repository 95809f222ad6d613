"""The worker as a production component: failing periodic jobs retry with jitter and are
dead-lettered, dead webhook deliveries can be requeued, several workers never run one job
twice, and a stop request releases what a worker claimed but did not send."""

from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from labelcrew.db.models.platform import WebhookDelivery, WorkerJob
from labelcrew.errors import NotFound
from labelcrew.services.platform import periodic, webhooks, worker
from labelcrew.services.platform import worker_metrics as metrics
from tests.integration.platform.test_webhooks import SECRET, Receiver
from tests.integration.platform.test_worker import _events
from tests.integration.team import build


def _sample(counter, *labels: str) -> float:
    return float(counter.labels(*labels)._value.get())


def test_waits_are_jittered_within_the_backoff() -> None:
    config = worker.WorkerConfig(backoff_base=10, jitter=0.5)
    rng = random.Random(7)
    waits = [config.delivery_wait(3, rng) for _ in range(200)]
    assert all(20.0 <= w <= 40.0 for w in waits)
    assert len({round(w, 3) for w in waits}) > 150  # spread out, not one instant
    assert worker.WorkerConfig(jitter=0).delivery_wait(3, rng) == 40.0
    # A failing job retries sooner than its period, never later.
    assert config.job_retry_wait(1, 3600, rng) <= 30.0
    assert config.job_retry_wait(12, 3600, rng) <= 3600.0


def test_a_job_that_keeps_failing_is_dead_lettered_until_requeued(db, clock) -> None:
    calls: list[int] = []

    def broken(_db) -> None:
        calls.append(1)
        raise RuntimeError("still broken")

    job = worker.PeriodicJob("flaky", 3600, broken)
    config = worker.WorkerConfig(job_max_failures=3, job_retry_base=10, jitter=0)
    dead_before = _sample(metrics.JOB_RUNS, "flaky", "dead")
    assert worker.run_periodic(db, [job], config) == ["flaky"]
    clock.advance(9)
    assert worker.run_periodic(db, [job], config) == []  # the first retry waits 10 s
    clock.advance(1)
    assert worker.run_periodic(db, [job], config) == ["flaky"]
    clock.advance(20)  # then 20 s: well before the hour
    assert worker.run_periodic(db, [job], config) == ["flaky"]
    clock.advance(7200)
    assert worker.run_periodic(db, [job], config) == []  # dead: no worker runs it
    assert len(calls) == 3
    assert _sample(metrics.JOB_RUNS, "flaky", "dead") == dead_before + 1
    [state] = [j for j in periodic.job_states(db) if j["name"] == "flaky"]
    assert state["state"] == "dead" and state["failures"] == 3
    assert "still broken" in state["last_error"]

    periodic.requeue_job(db, "flaky")
    assert worker.run_periodic(db, [job], config) == ["flaky"]
    with db.uow(read_only=True) as uow:
        row = uow.session.get(WorkerJob, "flaky")
        assert row is not None and row.state == "active" and row.failures == 1
    try:
        periodic.requeue_job(db, "never-ran")
    except NotFound as exc:
        assert exc.code == "job_not_found"
    else:
        raise AssertionError("requeueing an unknown job must say so")


def test_a_success_clears_the_failure_count(db, clock) -> None:
    outcomes = iter([RuntimeError("once"), None])

    def sometimes(_db) -> None:
        failure = next(outcomes)
        if failure is not None:
            raise failure

    job = worker.PeriodicJob("sometimes", 600, sometimes)
    config = worker.WorkerConfig(job_retry_base=5, jitter=0)
    worker.run_periodic(db, [job], config)
    clock.advance(5)
    assert worker.run_periodic(db, [job], config) == ["sometimes"]
    with db.uow(read_only=True) as uow:
        row = uow.session.get(WorkerJob, "sometimes")
        assert row is not None and row.failures == 0 and row.last_error is None
        assert row.next_run_at == clock() + timedelta(seconds=600)


def test_many_workers_at_once_run_each_due_job_exactly_once(db) -> None:
    runs: Counter[str] = Counter()
    lock = threading.Lock()

    def job_fn(name: str):
        def fn(_db) -> None:
            with lock:
                runs[name] += 1

        return fn

    jobs = [worker.PeriodicJob(f"job{i}", 3600, job_fn(f"job{i}")) for i in range(6)]
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def one_worker() -> None:
        try:
            start.wait()
            for _ in range(3):
                worker.run_periodic(db, jobs)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=one_worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert runs == {f"job{i}": 1 for i in range(6)}


def test_a_running_job_is_not_started_again_until_its_lease_lapses(db, clock) -> None:
    job = worker.PeriodicJob("slow", 60, lambda _db: None)
    config = worker.WorkerConfig(job_lease_seconds=600)
    assert periodic._claim_job(db, job, config)  # started; its worker is still on it
    clock.advance(120)  # past its period, but it has not finished
    assert not periodic._claim_job(db, job, config)
    clock.advance(600)  # the worker died mid-run: another takes it
    assert periodic._claim_job(db, job, config)


def test_dead_deliveries_are_kept_and_requeued_on_request(db, clock) -> None:
    team = build(db, annotators=1, items=1)
    config = worker.WorkerConfig(max_attempts=2, backoff_base=10, jitter=0)
    with Receiver(statuses=[500, 500]) as r:
        hook = webhooks.create_webhook(
            db, team.lead, team.project_id, url=r.url, events=["item.annotated"], secret=SECRET
        )
        _events(db, team.project_id, 1)
        dead_before = _sample(metrics.WEBHOOK_ATTEMPTS, "dead")
        worker.drain(db, config, jobs=())
        clock.advance(10)
        worker.drain(db, config, jobs=())
        dead = webhooks.list_deliveries(db, team.project_id, hook["id"], state="dead")
        assert len(dead) == 1 and dead[0]["attempts"] == 2 and dead[0]["last_status"] == 500
        assert _sample(metrics.WEBHOOK_ATTEMPTS, "dead") == dead_before + 1
        clock.advance(86400)
        assert worker.drain(db, config, jobs=())["sent"] == 0  # a dead letter stays put

        assert webhooks.requeue_dead(db, team.lead, team.project_id, hook["id"]) == 1
        assert worker.drain(db, config, jobs=())["sent"] == 1
    delivered = webhooks.list_deliveries(db, team.project_id, hook["id"], state="delivered")
    assert len(delivered) == 1 and delivered[0]["attempts"] == 1
    assert [x["status"] for x in r.received] == [500, 500, 200]


def test_a_stop_mid_batch_records_what_was_sent_and_releases_the_rest(db) -> None:
    team = build(db, annotators=1, items=1)
    stop = threading.Event()
    with Receiver() as r:
        webhooks.create_webhook(
            db, team.lead, team.project_id, url=r.url, events=["item.annotated"], secret=SECRET
        )
        _events(db, team.project_id, 5)
        worker.fan_out(db)
        real_post = worker._post
        sent = 0

        def post_then_stop(client, job):  # SIGTERM arrives while the second one is out
            nonlocal sent
            sent += 1
            if sent == 2:
                stop.set()
            return real_post(client, job)

        worker._post = post_then_stop  # type: ignore[assignment]
        try:
            totals = worker.drain(db, jobs=(), stop=stop)
        finally:
            worker._post = real_post  # type: ignore[assignment]
        assert totals["sent"] == 2
        with db.uow(read_only=True) as uow:
            rows = list(uow.session.scalars(select(WebhookDelivery)))
        states = Counter(d.state for d in rows)
        assert states == {"delivered": 2, "pending": 3}
        # Released, not left leased for a minute: the next worker sends them at once.
        assert all(d.claimed_until is None for d in rows if d.state == "pending")
        assert worker.drain(db, jobs=())["sent"] == 3
    assert len(r.received) == 5
