"""The worker's own metrics (prometheus_client, default registry): job runs and durations,
webhook attempts by outcome, outbox events taken. `labelcrew worker --metrics-port` serves
them; the embedded worker's land in the server's `/metrics`. Backlogs (outbox, pending and
dead deliveries, dead jobs) are database facts and are read at scrape time by the server
(`labelcrew.api.prometheus`), so they agree whichever process answers."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

JOB_RUNS = Counter(
    "labelcrew_worker_job_runs",
    "Periodic job runs by job and outcome (ok, error, dead: the run that parked it).",
    ("job", "outcome"),
)
JOB_SECONDS = Histogram(
    "labelcrew_worker_job_duration_seconds",
    "Periodic job run time.",
    ("job",),
    buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0),
)
WEBHOOK_ATTEMPTS = Counter(
    "labelcrew_webhook_attempts",
    "Webhook delivery attempts by outcome (delivered, retry, dead).",
    ("outcome",),
)
OUTBOX_TAKEN = Counter("labelcrew_worker_outbox_events", "Outbox events fanned out.")
LAST_PASS = Gauge(
    "labelcrew_worker_last_pass_timestamp_seconds",
    "When a worker last finished a pass (Unix time).",
    multiprocess_mode="max",
)
