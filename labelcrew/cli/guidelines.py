"""`labelcrew relabel`: publish a guideline revision and queue the labels it touches."""

from __future__ import annotations

import typer
from rich.console import Console

from labelcrew.cli.common import fail, get_db, system_actor
from labelcrew.errors import LabelcrewError
from labelcrew.services.guidelines import relabel

console = Console()


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
    app.command("relabel")(relabel_cmd)
