"""`labelcrew init`, `labelcrew serve` and `labelcrew db upgrade`: the install and the server."""

from __future__ import annotations

import typer
from rich.console import Console

from labelcrew.cli.accounts import password_of
from labelcrew.cli.common import fail, get_db
from labelcrew.errors import LabelcrewError
from labelcrew.services.accounts import users as accounts

console = Console()


db_app = typer.Typer(help="Database schema: upgrade and inspect migrations.", no_args_is_help=True)


def init(
    admin: str = typer.Option("admin", help="Username of the first administrator."),
    password: str = typer.Option(None, help="Password (or LABELCREW_PASSWORD, or a prompt)."),
) -> None:
    """Create the database (running migrations) and the first administrator; print a token."""
    db = get_db()
    try:
        user = accounts.create_user(
            db, None, username=admin, password=password_of(password), is_admin=True
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


def register(app: typer.Typer, bench: typer.Typer) -> None:
    app.command("init")(init)
    app.command("serve")(serve)
    app.add_typer(db_app, name="db")
