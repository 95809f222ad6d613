"""Team operations on the command line: `labelcrew report plan|cost|load PROJECT`,
`labelcrew redistribute PROJECT`, `labelcrew priorities show|publish PROJECT`,
`labelcrew handoff PROJECT BATCH`."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from labelcrew.cli.common import fail, get_db, system_actor
from labelcrew.cli.metrics import report_app
from labelcrew.db.models.core import Batch, User
from labelcrew.errors import LabelcrewError, NotFound, ValidationFailed
from labelcrew.services.projects.projects import load_project
from labelcrew.services.teamops import cost, handoffs, priorities, redistribution
from labelcrew.services.teamops import forecast as capacity_forecast
from labelcrew.services.uow import Database

console = Console()
priorities_app = typer.Typer(help="Publish and read the team's priorities.", no_args_is_help=True)


def _project_id(db: Database, ref: str) -> int:
    with db.uow(read_only=True) as uow:
        return int(load_project(uow, ref).id)


def _user_id(db: Database, name: str) -> int:
    with db.uow(read_only=True) as uow:
        found = uow.session.scalar(select(User.id).where(User.username == name))
    if found is None:
        raise NotFound(f"no user {name!r}", field="user")
    return int(found)


def _batch_id(db: Database, project_id: int, ref: str) -> int:
    with db.uow(read_only=True) as uow:
        query = select(Batch.id).where(Batch.project_id == project_id)
        query = (
            query.where(Batch.id == int(ref)) if ref.isdigit() else query.where(Batch.name == ref)
        )
        found = uow.session.scalar(query)
    if found is None:
        raise NotFound(f"no batch {ref!r}", field="batch")
    return int(found)


def _day(value: Any) -> str:
    return "-" if value is None else str(value)[:16].replace("T", " ")


def plan_command(
    project: str = typer.Argument(..., help="Project slug or id."),
    as_json: bool = typer.Option(False, "--json", help="Print the full JSON."),
) -> None:
    """Forecast: remaining labels x measured time per label / team capacity, against deadlines."""
    db = get_db()
    try:
        result = capacity_forecast.plan(db, _project_id(db, project))
    except LabelcrewError as exc:
        fail(exc)
    if as_json:
        typer.echo(json.dumps(result))
        return
    team = Table(title=f"team capacity ({result['team_labels_per_day']} labels/day)")
    for col in ("member", "level", "h/week", "s/label", "measured", "labels/day"):
        team.add_column(col)
    for m in result["team"]:
        team.add_row(
            m["username"],
            m["level"],
            str(m["weekly_hours"]),
            str(m["seconds_per_label"]),
            str(m["measured_labels"]),
            str(m["labels_per_day"]),
        )
    console.print(team)
    table = Table(title="forecast (queue order)")
    for col in ("work", "owner", "state", "labels left", "days", "expected", "deadline", ""):
        table.add_column(col)
    for u in [*result["batches"], result["project"]]:
        table.add_row(
            u.get("name", u["key"]),
            u.get("owner") or "-",
            u.get("state", "-"),
            str(u["remaining_labels"]),
            "-" if u["days_needed"] is None else f"{u['days_needed']:.1f}",
            _day(u["expected_completion"]),
            _day(u["deadline"]),
            "[red]LATE[/red]" if u["late"] else "",
        )
    console.print(table)


def cost_command(
    project: str = typer.Argument(..., help="Project slug or id."),
    as_json: bool = typer.Option(False, "--json", help="Print the full JSON."),
) -> None:
    """Each member's speed, gold accuracy and cost per accepted label."""
    db = get_db()
    try:
        result = cost.cost_report(db, _project_id(db, project))
    except LabelcrewError as exc:
        fail(exc)
    if as_json:
        typer.echo(json.dumps(result))
        return
    table = Table(
        title=f"cost (total {result['total_cost']}, per accepted label "
        f"{result['cost_per_accepted_label']})"
    )
    for col in ("member", "labels", "accepted", "gold acc.", "median s", "cost", "per accepted"):
        table.add_column(col)
    for m in result["members"]:
        table.add_row(
            str(m["username"]),
            str(m["labels"]),
            str(m["accepted"]),
            "-" if m["gold_accuracy"] is None else f"{m['gold_accuracy'] * 100:.0f}%",
            str(m["median_seconds"]),
            str(m["cost"]),
            str(m["cost_per_accepted_label"]),
        )
    console.print(table)


def load_command(
    project: str = typer.Argument(..., help="Project slug or id."),
    as_json: bool = typer.Option(False, "--json", help="Print the full JSON."),
) -> None:
    """Who holds how much work against their capacity; overload and absence flags."""
    db = get_db()
    try:
        result = capacity_forecast.team_load(db, _project_id(db, project))
    except LabelcrewError as exc:
        fail(exc)
    if as_json:
        typer.echo(json.dumps(result))
        return
    table = Table(title="team load")
    for col in ("member", "leases", "claimed", "capacity", "last submit", "tz", "flags"):
        table.add_column(col)
    for m in result["members"]:
        table.add_row(
            m["username"],
            str(m["live_leases"]),
            str(m["claimed_remaining"]),
            str(m["capacity"]),
            _day(m["last_submit"]),
            m["timezone"],
            ", ".join(m["flags"]) or "-",
        )
    console.print(table)


def redistribute_command(
    project: str = typer.Argument(..., help="Project slug or id."),
    from_user: str = typer.Option(None, "--from", help="Move this member's unstarted work."),
    to: list[str] = typer.Option(None, "--to", help="Give it to these members (repeatable)."),
    batch: list[str] = typer.Option(None, "--batch", help="Only these batches (name or id)."),
    max_items: int = typer.Option(None, "--max-items", help="Move at most this many items."),
    auto: bool = typer.Option(False, "--auto", help="Run the automatic policy now instead."),
) -> None:
    """Move an overloaded or absent member's leases and batch claims to others (audited)."""
    db = get_db()
    try:
        pid = _project_id(db, project)
        if auto:
            result = redistribution.auto_redistribute(db, pid, force=True)
        else:
            if from_user is None:
                raise ValidationFailed("give --from USER or --auto", field="from")
            result = redistribution.redistribute(
                db,
                system_actor(db),
                pid,
                from_user=_user_id(db, from_user),
                to_users=[_user_id(db, t) for t in to] if to else None,
                batch_ids=[_batch_id(db, pid, b) for b in batch] if batch else None,
                max_items=max_items,
            )
    except LabelcrewError as exc:
        fail(exc)
    typer.echo(json.dumps(result, indent=2))


def show_priorities(project: str = typer.Argument(..., help="Project slug or id.")) -> None:
    """The current priorities, why, and when they changed."""
    db = get_db()
    try:
        result = priorities.current(db, _project_id(db, project))
    except LabelcrewError as exc:
        fail(exc)
    now = result["current"]
    if now is None:
        console.print("no priorities published yet")
        return
    console.print(
        f"published {_day(now['published_at'])} by {now['published_by']}: {now['reason']}"
    )
    for rank, e in enumerate(now["entries"], 1):
        console.print(f"  {rank}. {e['batch']} (priority {e['priority']}) {e['reason']}")


def publish_priorities(
    project: str = typer.Argument(..., help="Project slug or id."),
    batch: list[str] = typer.Option(..., "--batch", help="NAME=PRIORITY[:reason], repeatable."),
    reason: str = typer.Option(..., "--reason", help="Why the priorities change."),
) -> None:
    """Publish priorities; the queue follows at once."""
    db = get_db()
    try:
        pid = _project_id(db, project)
        entries = []
        for spec in batch:
            name, sep, rest = spec.partition("=")
            value, _, why = rest.partition(":")
            if not sep or not value.lstrip("-").isdigit():
                raise ValidationFailed(f"{spec!r} is not NAME=PRIORITY[:reason]", field="batch")
            entries.append(
                {"batch_id": _batch_id(db, pid, name), "priority": int(value), "reason": why}
            )
        result = priorities.publish(db, system_actor(db), pid, entries=entries, reason=reason)
    except LabelcrewError as exc:
        fail(exc)
    console.print(f"published; {result['items_updated']} open item(s) re-prioritised")


def handoff_command(
    project: str = typer.Argument(..., help="Project slug or id."),
    batch: str = typer.Argument(..., help="Batch name or id."),
    to: str = typer.Option(..., "--to", help="The new review owner."),
    note: str = typer.Option(..., "--note", help="What is done and what is left."),
) -> None:
    """Hand a batch to a new review owner; the note travels with it."""
    db = get_db()
    try:
        pid = _project_id(db, project)
        result = handoffs.handoff(
            db, system_actor(db), pid, _batch_id(db, pid, batch), to_owner=to, note=note
        )
    except LabelcrewError as exc:
        fail(exc)
    console.print(f"batch {result['name']} now owned by {result['owner']} ({result['state']})")


def register(app: typer.Typer, bench: typer.Typer) -> None:
    report_app.command("plan")(plan_command)
    report_app.command("cost")(cost_command)
    report_app.command("load")(load_command)
    app.command("redistribute")(redistribute_command)
    app.command("handoff")(handoff_command)
    priorities_app.command("show")(show_priorities)
    priorities_app.command("publish")(publish_priorities)
    app.add_typer(priorities_app, name="priorities")
