"""`labelcrew worker` (outbox delivery and every periodic job) and `labelcrew webhook add|list`."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from labelcrew.cli.common import fail, get_db, system_actor
from labelcrew.errors import LabelcrewError
from labelcrew.services.platform import webhooks
from labelcrew.services.platform import worker as worker_service
from labelcrew.services.platform.jobs import PERIODIC_JOBS
from labelcrew.services.projects import projects

console = Console()


webhook_app = typer.Typer(help="Project webhooks (signed, retried, logged).", no_args_is_help=True)


def worker(
    once: bool = typer.Option(False, "--once", help="One full pass, then exit."),
    interval: float = typer.Option(2.0, "--interval", help="Seconds between passes."),
) -> None:
    """Deliver outbox events to webhooks and run periodic jobs (run as many as you like)."""
    db = get_db()
    if once:
        totals = worker_service.run(db, once=True, jobs=PERIODIC_JOBS)
        console.print(json.dumps(totals))
        return
    console.print(f"worker running every {interval:g} s (Ctrl-C to stop)")
    try:
        worker_service.run(db, interval=interval, jobs=PERIODIC_JOBS)
    except KeyboardInterrupt:
        console.print("worker stopped")


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
        table = Table("id", "project", "url", "events", "active", "delivered", "pending", "failed")
        for h in hooks:
            log = webhooks.list_deliveries(db, h["project_id"], h["id"], limit=1000)
            states = [d["state"] for d in log]
            table.add_row(
                str(h["id"]),
                str(h["project_id"]),
                h["url"],
                ",".join(h["events"]),
                str(h["active"]),
                *(str(states.count(s)) for s in ("delivered", "pending", "failed")),
            )
    except LabelcrewError as exc:
        fail(exc)
    console.print(table)


def register(app: typer.Typer, bench: typer.Typer) -> None:
    app.command("worker")(worker)
    webhook_app.command("add")(webhook_add)
    webhook_app.command("list")(webhook_list)
    app.add_typer(webhook_app, name="webhook")
