"""`labelcrew review sample|queue|stats`: the review queue and review figures."""

from __future__ import annotations

import json
from datetime import datetime

import typer
from rich.console import Console
from rich.table import Table

from labelcrew.cli.common import fail, get_db, system_actor
from labelcrew.errors import LabelcrewError
from labelcrew.services.projects import projects
from labelcrew.services.review import queue as review_queue
from labelcrew.services.review import reviews as review

console = Console()


review_app = typer.Typer(help="The review queue and review figures.", no_args_is_help=True)


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


def register(app: typer.Typer, bench: typer.Typer) -> None:
    app.add_typer(review_app, name="review")
