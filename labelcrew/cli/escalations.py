"""`labelcrew escalations overdue|list`: escalation tickets and their SLA."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from labelcrew.cli.common import fail, get_db, system_actor
from labelcrew.errors import LabelcrewError
from labelcrew.services.escalations import tickets as escalations
from labelcrew.services.projects import projects

console = Console()


escalation_app = typer.Typer(help="Escalation tickets and their SLA.", no_args_is_help=True)


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
    app.add_typer(escalation_app, name="escalations")
