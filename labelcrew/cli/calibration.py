"""`labelcrew calibration create|show`: calibration sessions on hard items."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from labelcrew.cli.common import fail, get_db, system_actor
from labelcrew.errors import LabelcrewError
from labelcrew.services.calibration import results as calibration_review
from labelcrew.services.calibration import sessions as calibration
from labelcrew.services.projects import projects

console = Console()


calibration_app = typer.Typer(help="Calibration sessions on hard items.", no_args_is_help=True)


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


def register(app: typer.Typer, bench: typer.Typer) -> None:
    calibration_app.command("create")(calibration_create)
    calibration_app.command("show")(calibration_show)
    app.add_typer(calibration_app, name="calibration")
