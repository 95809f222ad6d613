"""Core commands: init, serve, db, user, project, member, export."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from labelcrew.cli.common import fail, get_db, system_actor
from labelcrew.errors import LabelcrewError
from labelcrew.services.accounts import users as accounts
from labelcrew.services.projects import projects
from labelcrew.services.releases import live_export as export

console = Console()
db_app = typer.Typer(help="Database schema: upgrade and inspect migrations.", no_args_is_help=True)
user_app = typer.Typer(help="User accounts and API tokens.", no_args_is_help=True)
project_app = typer.Typer(help="Create and inspect projects.", no_args_is_help=True)
member_app = typer.Typer(help="Project members and their roles.", no_args_is_help=True)


def _password(value: str | None) -> str:
    if value:
        return value
    env = os.environ.get("LABELCREW_PASSWORD")
    if env:
        return env
    if not sys.stdin.isatty():
        raise typer.BadParameter("give --password or set LABELCREW_PASSWORD")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


def init(
    admin: str = typer.Option("admin", help="Username of the first administrator."),
    password: str = typer.Option(None, help="Password (or LABELCREW_PASSWORD, or a prompt)."),
) -> None:
    """Create the database (running migrations) and the first administrator; print a token."""
    db = get_db()
    try:
        user = accounts.create_user(
            db, None, username=admin, password=_password(password), is_admin=True
        )
    except LabelcrewError as exc:
        fail(exc)
    token = accounts.issue_token(db, None, user_id=user.id, name="cli")
    console.print(f"administrator [bold]{admin}[/bold] created; API token (shown once):")
    console.print(token)


def serve(
    demo: bool = typer.Option(False, help="Seed a demo project with a team and history first."),
    host: str = typer.Option(None, help="Bind address (default LABELCREW_HOST or 127.0.0.1)."),
    port: int = typer.Option(None, help="Port (default LABELCREW_PORT or 8000)."),
) -> None:
    """Upgrade the database and serve the API and web UI."""
    import uvicorn

    from labelcrew.app import create_app, freeze_startup_objects
    from labelcrew.config import get_settings

    settings = get_settings()
    db = get_db()
    if demo:
        from labelcrew.demo import sentiment as demo_service

        summary = demo_service.seed(db)
        console.print(
            f"demo project [bold]{summary['project']}[/bold]: sign in as "
            f"{summary['admin']} / {summary['password']} (every demo user has this "
            "password)"
        )
    app = create_app(db=db, settings=settings)
    freeze_startup_objects()
    uvicorn.run(
        app,
        host=host or settings.host,
        port=port or settings.port,
        log_level="warning",
        access_log=False,
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Run every pending migration."""
    from labelcrew.db.migrate import current_revisions

    db = get_db()
    console.print(f"database at revision {', '.join(current_revisions(db.engine))}")


@user_app.command("add")
def user_add(
    username: str,
    password: str = typer.Option(None, help="Password (or LABELCREW_PASSWORD, or a prompt)."),
    admin: bool = typer.Option(False, help="Make the user a global administrator."),
    display_name: str = typer.Option("", help="Name shown in the UI."),
) -> None:
    """Create a user account."""
    db = get_db()
    try:
        user = accounts.create_user(
            db,
            system_actor(db),
            username=username,
            password=_password(password),
            is_admin=admin,
            display_name=display_name,
        )
    except LabelcrewError as exc:
        fail(exc)
    console.print(f"user {user.username} created (id {user.id})")


@user_app.command("list")
def user_list() -> None:
    """List user accounts."""
    table = Table("id", "username", "name", "admin", "active")
    for u in accounts.list_users(get_db()):
        table.add_row(str(u.id), u.username, u.display_name, str(u.is_admin), str(u.is_active))
    console.print(table)


@user_app.command("token")
def user_token(
    username: str,
    name: str = typer.Option("cli", help="A label for the token."),
    expires_in_days: int = typer.Option(None, help="Days until it stops working (default never)."),
) -> None:
    """Issue an API token for a user (printed once)."""
    db = get_db()
    try:
        user = accounts.get_user_by_name(db, username)
        token = accounts.issue_token(
            db, system_actor(db), user_id=user.id, name=name, expires_in_days=expires_in_days
        )
        console.print(token)
    except LabelcrewError as exc:
        fail(exc)


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
    app.command("init")(init)
    app.command("serve")(serve)
    app.command("export")(export_cmd)
    app.add_typer(db_app, name="db")
    app.add_typer(user_app, name="user")
    app.add_typer(project_app, name="project")
    app.add_typer(member_app, name="member")
