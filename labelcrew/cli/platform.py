"""`labelcrew worker` (outbox delivery and every periodic job) and `labelcrew webhook add|list`."""

from __future__ import annotations

import json
import logging
import signal
import threading

import typer
from rich.console import Console
from rich.table import Table

from labelcrew.cli.common import fail, get_db, system_actor
from labelcrew.errors import LabelcrewError
from labelcrew.services.platform import periodic, webhooks
from labelcrew.services.platform import worker as worker_service
from labelcrew.services.platform.jobs import PERIODIC_JOBS
from labelcrew.services.projects import projects

console = Console()
log = logging.getLogger("labelcrew.worker")
jobs_app = typer.Typer(help="Periodic jobs: state and dead letters.", no_args_is_help=True)


webhook_app = typer.Typer(help="Project webhooks (signed, retried, logged).", no_args_is_help=True)


def worker(
    once: bool = typer.Option(False, "--once", help="One full pass, then exit."),
    interval: float = typer.Option(
        2.0, "--interval", envvar="LABELCREW_WORKER_INTERVAL", help="Seconds between passes."
    ),
    metrics_port: int = typer.Option(
        0, "--metrics-port", help="Serve Prometheus metrics on this port (0: none)."
    ),
    metrics_host: str = typer.Option("127.0.0.1", "--metrics-host", help="Metrics bind address."),
) -> None:
    """Deliver outbox events to webhooks and run periodic jobs (run as many as you like).

    SIGTERM (what a container stop sends) and Ctrl-C stop it gracefully: the deliveries it
    sent are recorded, those it claimed but did not send are released for another worker, a
    running periodic job finishes; then it exits 0."""
    from labelcrew.http.request_log import configure_logging

    configure_logging()
    db = get_db()
    if once:
        totals = worker_service.run(db, once=True, jobs=PERIODIC_JOBS)
        console.print(json.dumps(totals))
        return
    if metrics_port:
        from prometheus_client import start_http_server

        start_http_server(metrics_port, addr=metrics_host)
    stop = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        log.info("worker stopping (%s)", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    log.info("worker running every %.1f s", interval)
    console.print(f"worker running every {interval:g} s (Ctrl-C or SIGTERM to stop)")
    worker_service.run(db, interval=interval, jobs=PERIODIC_JOBS, stop=stop)
    console.print("worker stopped")


def jobs_list() -> None:
    """Every periodic job with its state (active or dead), runs and last error."""
    db = get_db()
    table = Table("job", "state", "runs", "failures in a row", "next run", "last error")
    for j in periodic.job_states(db):
        table.add_row(
            j["name"],
            j["state"],
            str(j["runs"]),
            str(j["failures"]),
            j["next_run_at"] or "",
            (j["last_error"] or "")[:80],
        )
    console.print(table)


def jobs_requeue(name: str) -> None:
    """Bring a dead-lettered periodic job back (due at once)."""
    db = get_db()
    try:
        periodic.requeue_job(db, name)
    except LabelcrewError as exc:
        fail(exc)
    console.print(f"job {name} requeued")


def webhook_requeue(project: str, webhook_id: int) -> None:
    """Send a webhook's dead-lettered deliveries again (after fixing the receiver)."""
    db = get_db()
    try:
        pid = projects.get_project(db, project)["id"]
        count = webhooks.requeue_dead(db, system_actor(db), pid, webhook_id)
    except LabelcrewError as exc:
        fail(exc)
    console.print(f"{count} dead deliveries of webhook {webhook_id} requeued")


def webhook_add(
    project: str,
    url: str,
    event: list[str] = typer.Option(["*"], help="Event type to send, or '*' (repeatable)."),
    secret: str = typer.Option(None, help="Shared secret (default: generated, shown once)."),
) -> None:
    """Add a webhook to a project; prints its signing secret once."""
    db = get_db()
    try:
        pid = projects.get_project(db, project)["id"]
        hook = webhooks.create_webhook(
            db, system_actor(db), pid, url=url, events=event, secret=secret
        )
    except LabelcrewError as exc:
        fail(exc)
    console.print(f"webhook {hook['id']} -> {hook['url']} ({', '.join(hook['events'])})")
    console.print(f"signing secret (shown once): {hook['secret']}")


def webhook_list(project: str = typer.Argument(None, help="Only this project.")) -> None:
    """List webhooks with their last delivery states."""
    db = get_db()
    try:
        pid = projects.get_project(db, project)["id"] if project else None
        hooks = webhooks.list_webhooks(db, pid)
        table = Table("id", "project", "url", "events", "active", "delivered", "pending", "dead")
        for h in hooks:
            log = webhooks.list_deliveries(db, h["project_id"], h["id"], limit=1000)
            states = [d["state"] for d in log]
            table.add_row(
                str(h["id"]),
                str(h["project_id"]),
                h["url"],
                ",".join(h["events"]),
                str(h["active"]),
                *(str(states.count(s)) for s in ("delivered", "pending", "dead")),
            )
    except LabelcrewError as exc:
        fail(exc)
    console.print(table)


def register(app: typer.Typer, bench: typer.Typer) -> None:
    app.command("worker")(worker)
    webhook_app.command("add")(webhook_add)
    webhook_app.command("list")(webhook_list)
    webhook_app.command("requeue")(webhook_requeue)
    jobs_app.command("list")(jobs_list)
    jobs_app.command("requeue")(jobs_requeue)
    app.add_typer(jobs_app, name="jobs")
    app.add_typer(webhook_app, name="webhook")
