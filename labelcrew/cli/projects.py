"""`labelcrew project create|list`, `labelcrew member add` and `labelcrew export`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from labelcrew.cli.common import fail, get_db, system_actor
from labelcrew.errors import LabelcrewError
from labelcrew.services.projects import projects
from labelcrew.services.releases import live_export as export

console = Console()


project_app = typer.Typer(help="Create and inspect projects.", no_args_is_help=True)


member_app = typer.Typer(help="Project members and their roles.", no_args_is_help=True)


@project_app.command("create")
def project_create(
    slug: str,
    name: str = typer.Option(..., help="Human name of the project."),
    schema: Path = typer.Option(None, exists=True, help="Label schema JSON file."),
    overlap: int = typer.Option(1, help="Labels wanted per item."),
) -> None:
    """Create a project, optionally with its label schema."""
    db = get_db()
    definition = json.loads(schema.read_text()) if schema else None
    try:
        p = projects.create_project(
            db, system_actor(db), slug=slug, name=name, schema=definition, overlap=overlap
        )
    except LabelcrewError as exc:
        fail(exc)
    console.print(f"project {p['slug']} created (id {p['id']})")


@project_app.command("list")
def project_list() -> None:
    """List projects."""
    db = get_db()
    table = Table("id", "slug", "name", "overlap", "schema", "guideline")
    for p in projects.list_projects(db, system_actor(db)):
        table.add_row(
            str(p["id"]),
            p["slug"],
            p["name"],
            str(p["overlap"]),
            str(p["schema_version"]),
            str(p["guideline_version"]),
        )
    console.print(table)


@member_app.command("add")
def member_add(
    project: str,
    username: str,
    role: list[str] = typer.Option(
        ..., help="Role: annotator, reviewer, qa, lead, guideline_owner (repeat for several)."
    ),
    skill: list[str] = typer.Option([], help="Skill as name or name:level (repeatable)."),
    status: str = typer.Option(None, help="onboarding, probation, active or paused."),
) -> None:
    """Add a user to a project with roles (or change their roles)."""
    db = get_db()
    skills = {s.partition(":")[0]: int(s.partition(":")[2] or 1) for s in skill} or None
    try:
        m = projects.set_member(
            db,
            system_actor(db),
            project,
            username=username,
            roles=role,
            skills=skills,
            status=status,
        )
    except LabelcrewError as exc:
        fail(exc)
    console.print(f"{m['username']} in {project}: {', '.join(m['roles'])} ({m['status']})")


def export_cmd(
    project: str,
    format: str = typer.Option("jsonl", "--format", help="jsonl or csv."),
    out: Path = typer.Option(None, help="Output file (default: standard output)."),
) -> None:
    """Export items with their annotations (schema and guideline version on each)."""
    db = get_db()
    try:
        chunks = export.export_rows(db, system_actor(db), project, format)
        sink = out.open("wb") if out else sys.stdout.buffer
        try:
            for chunk in chunks:
                sink.write(chunk)
        finally:
            if out:
                sink.close()
    except LabelcrewError as exc:
        fail(exc)


def register(app: typer.Typer, bench: typer.Typer) -> None:
    app.command("export")(export_cmd)
    app.add_typer(project_app, name="project")
    app.add_typer(member_app, name="member")
