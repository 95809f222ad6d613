"""Feedback-loop commands: worker, webhook add/list, calibration create/show, relabel."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from labelcrew.cli.common import fail, get_db, system_actor
from labelcrew.errors import LabelcrewError
from labelcrew.services.calibration import results as calibration_review
from labelcrew.services.calibration import sessions as calibration
from labelcrew.services.guidelines import relabel
from labelcrew.services.platform import webhooks
from labelcrew.services.platform import worker as worker_service
from labelcrew.services.platform.jobs import PERIODIC_JOBS
from labelcrew.services.projects import projects

console = Console()
webhook_app = typer.Typer(help="Project webhooks (signed, retried, logged).", no_args_is_help=True)
calibration_app = typer.Typer(help="Calibration sessions on hard items.", no_args_is_help=True)


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


def calibration_create(
    project: str,
    size: int = typer.Option(30, help="How many hard items (20 to 50)."),
    pick: str = typer.Option("auto", help="auto, disagreed, escalated or corrected."),
    item: list[int] = typer.Option([], help="Pick this item by hand (repeatable)."),
    invite: list[str] = typer.Option([], help="Invite this member (repeatable)."),
    title: str = typer.Option("", help="A name for the session."),
) -> None:
    """Create a calibration session and invite members."""
    db = get_db()
    try:
        pid = projects.get_project(db, project)["id"]
        made = calibration.create_session(
            db,
            system_actor(db),
            pid,
            title=title,
            item_ids=item or None,
            size=size,
            pick=pick,
            invite=invite,
        )
    except LabelcrewError as exc:
        fail(exc)
    console.print(
        f"session {made['id']}: {len(made['items'])} items ({made['pick']}), "
        f"invited {', '.join(made['invited']) or 'nobody yet'}"
    )


def calibration_show(project: str, session_id: int) -> None:
    """Progress, agreement and the split per item of a session."""
    db = get_db()
    try:
        pid = projects.get_project(db, project)["id"]
        shown = calibration_review.show_session(db, system_actor(db), pid, session_id)
    except LabelcrewError as exc:
        fail(exc)
    results = shown.get("results", {})
    alpha = results.get("alpha")
    console.print(
        f"session {shown['id']} {shown['title']!r}: {shown['state']}, {shown['items']} items, "
        f"alpha {'-' if alpha is None else f'{alpha:.3f}'}"
    )
    for invitee in shown["invitees"]:
        console.print(f"  {invitee['username']}: {invitee['answered']} answered")
    table = Table("item", "answers", "split", "agreement")
    for row in results.get("items", []):
        share = row["agreement"]
        table.add_row(
            str(row["item_id"]),
            str(row["answers"]),
            ", ".join(f"{k}: {v}" for k, v in row["split"].items()),
            "-" if share is None else f"{share:.0%}",
        )
    console.print(table)


def relabel_cmd(
    project: str,
    version: int,
    changelog: str = typer.Option(..., help="What changed and why."),
    rule: list[str] = typer.Option([], help="Relabel items whose reviews cite this rule."),
    label: list[str] = typer.Option([], help="Relabel items labelled with this value."),
    item: list[int] = typer.Option([], help="Relabel this item (repeatable)."),
    from_rulings: bool = typer.Option(False, help="Relabel the items of the linked escalations."),
    escalation: list[int] = typer.Option([], help="Link this escalation (repeatable)."),
    link_item: list[int] = typer.Option([], help="Link this item (repeatable)."),
) -> None:
    """Publish a guideline draft and queue the labels it touches for relabel (one transaction)."""
    db = get_db()
    try:
        out = relabel.publish_revision(
            db,
            system_actor(db),
            project,
            version,
            changelog,
            links={"escalations": escalation, "items": link_item},
            relabel={"rules": rule, "labels": label, "items": item, "from_rulings": from_rulings},
        )
    except LabelcrewError as exc:
        fail(exc)
    summary = out["relabel"]
    console.print(
        f"guideline v{out['version']} published; {summary['items']} items back in the queue "
        f"({summary['superseded']} labels superseded, {summary['skipped_gold']} gold skipped)"
    )
    for warning in out["warnings"]:
        console.print(f"[yellow]note[/yellow] {warning}")


def register(app: typer.Typer, bench: typer.Typer) -> None:
    app.command("worker")(worker)
    app.command("relabel")(relabel_cmd)
    webhook_app.command("add")(webhook_add)
    webhook_app.command("list")(webhook_list)
    calibration_app.command("create")(calibration_create)
    calibration_app.command("show")(calibration_show)
    app.add_typer(webhook_app, name="webhook")
    app.add_typer(calibration_app, name="calibration")
