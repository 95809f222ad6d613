"""Feedback-loop commands: `labelcrew review sample|queue|stats`, `labelcrew escalations
overdue|list`."""

from __future__ import annotations

import json
from datetime import datetime

import typer
from rich.console import Console
from rich.table import Table

from labelcrew.cli.common import fail, get_db, system_actor
from labelcrew.errors import LabelcrewError
from labelcrew.services.escalations import tickets as escalations
from labelcrew.services.projects import projects
from labelcrew.services.review import queue as review_queue
from labelcrew.services.review import reviews as review

console = Console()
review_app = typer.Typer(help="The review queue and review figures.", no_args_is_help=True)
escalation_app = typer.Typer(help="Escalation tickets and their SLA.", no_args_is_help=True)


@review_app.command("sample")
def review_sample(
    project: str,
    audit: bool = typer.Option(False, help="Also draw the random audit (each run draws again)."),
) -> None:
    """Queue labels that were never sampled (disagreements, gold misses; --audit for audits)."""
    db = get_db()
    try:
        out = review_queue.sample_backlog(db, system_actor(db), project, audit_sample=audit)
    except LabelcrewError as exc:
        fail(exc)
    queued = ", ".join(f"{k} {n}" for k, n in sorted(out["queued"].items())) or "nothing"
    console.print(
        f"{out['items_considered']} items considered; queued: {queued}; "
        f"{out['open_tasks']} open review tasks"
    )


@review_app.command("queue")
def review_queue_cmd(
    project: str, state: str = typer.Option(None, help="pending, leased or done.")
) -> None:
    """List review tasks, most urgent first, with why each item is there."""
    db = get_db()
    try:
        pid = projects.get_project(db, project)["id"]
        rows = review_queue.list_queue(db, pid, state=state, limit=1000)
    except LabelcrewError as exc:
        fail(exc)
    table = Table("task", "item", "state", "priority", "reasons", "reviewer")
    for t in rows:
        kinds = ", ".join(sorted({r["kind"] for r in t["reasons"]}))
        table.add_row(
            str(t["id"]), str(t["item_id"]), t["state"], str(t["priority"]), kinds,
            str(t["reviewer_id"] or ""),
        )  # fmt: skip
    console.print(table)


@review_app.command("stats")
def review_stats(
    project: str,
    since: datetime = typer.Option(None, help="Reviews from this time (UTC if no zone)."),
    until: datetime = typer.Option(None, help="Reviews before this time."),
) -> None:
    """Correction rate and error tags per annotator, label and rule, as JSON."""
    db = get_db()
    try:
        pid = projects.get_project(db, project)["id"]
        print(json.dumps(review.feedback_stats(db, pid, since=since, until=until), indent=2))
    except LabelcrewError as exc:
        fail(exc)


def _tickets(rows: list[dict[str, object]]) -> Table:
    table = Table("id", "item", "level", "state", "due", "overdue", "assignee", "question")
    for t in rows:
        table.add_row(
            str(t["id"]), str(t["item_id"]), str(t["level"]), str(t["state"]), str(t["due_at"]),
            "yes" if t["overdue"] else "", str(t["assignee_id"] or ""), str(t["question"])[:60],
        )  # fmt: skip
    return table


@escalation_app.command("overdue")
def escalations_overdue(project: str) -> None:
    """List tickets past their SLA and raise an alert for each one not alerted yet."""
    db = get_db()
    try:
        out = escalations.check_overdue(db, projects.get_project(db, project)["id"])
    except LabelcrewError as exc:
        fail(exc)
    console.print(_tickets(out["overdue"]))
    console.print(f"{len(out['overdue'])} overdue; {len(out['alerted'])} new alerts")


@escalation_app.command("list")
def escalations_list(
    project: str, state: str = typer.Option(None, help="open, answered, escalated, resolved.")
) -> None:
    """List escalation tickets, oldest due first."""
    db = get_db()
    try:
        pid = projects.get_project(db, project)["id"]
        rows = escalations.list_escalations(db, system_actor(db), pid, state=state)
    except LabelcrewError as exc:
        fail(exc)
    console.print(_tickets(rows))


def register(app: typer.Typer, bench: typer.Typer) -> None:
    app.add_typer(review_app, name="review")
    app.add_typer(escalation_app, name="escalations")
