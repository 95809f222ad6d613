"""`labelcrew init`, `labelcrew serve` and `labelcrew db upgrade`: the install and the server."""

from __future__ import annotations

import os
from pathlib import Path

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
    workers: int = typer.Option(
        1, "--workers", min=1, help="Server processes behind the one port (PostgreSQL only)."
    ),
) -> None:
    """Upgrade the database and serve the API and web UI.

    With `--workers N` the processes share the port (uvicorn's supervisor restarts any that
    dies) and `/metrics` adds their figures up: their samples go to PROMETHEUS_MULTIPROC_DIR
    (default `<data_dir>/metrics`, emptied at start)."""
    import uvicorn

    from labelcrew.config import get_settings
    from labelcrew.http.request_log import configure_logging

    settings = get_settings()
    configure_logging()
    db = get_db()  # migrations run once here, under a lock other replicas wait on
    if workers > 1 and db.is_sqlite:
        raise typer.BadParameter(
            "several server processes need PostgreSQL: set LABELCREW_DATABASE_URL "
            "(on SQLite one process with its threads is the fastest setup)",
            param_hint="--workers",
        )
    if demo:
        from labelcrew.demo import sentiment as demo_service

        summary = demo_service.seed(db)
        console.print(
            f"demo project [bold]{summary['project']}[/bold]: sign in as "
            f"{summary['admin']} / {summary['password']} (every demo user has this "
            "password)"
        )
    bind_host, bind_port = host or settings.host, port or settings.port
    if workers > 1:
        _share_metrics(settings.data_dir)
        db.engine.dispose()  # each process opens its own pool
        uvicorn.run(
            "labelcrew.app:create_server_app",
            factory=True,
            workers=workers,
            host=bind_host,
            port=bind_port,
            log_level="warning",
            access_log=False,
        )
        return
    from labelcrew.app import create_app, freeze_startup_objects

    # The app opens its own pool, of LABELCREW_DB_POOL_SIZE: the migration engine's default
    # 10 connections once served 32 annotators here (they queued for connections).
    db.engine.dispose()
    app = create_app(settings=settings)
    freeze_startup_objects()
    uvicorn.run(app, host=bind_host, port=bind_port, log_level="warning", access_log=False)


def _share_metrics(data_dir: Path) -> None:
    """Point every server process at one sample directory (set before they start: it
    decides how prometheus_client stores values when first imported)."""
    from labelcrew.http.metrics import MULTIPROC_ENV, prepare_multiprocess_dir

    path = Path(os.environ.get(MULTIPROC_ENV) or data_dir / "metrics")
    prepare_multiprocess_dir(path)
    os.environ[MULTIPROC_ENV] = str(path.resolve())


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Run every pending migration."""
    from labelcrew.db.migrate import current_revisions

    db = get_db()
    console.print(f"database at revision {', '.join(current_revisions(db.engine))}")


@db_app.command("backup")
def db_backup(
    target: Path = typer.Argument(..., help="File to write (must not exist)."),
) -> None:
    """Copy a SQLite database while the server runs (SQLite's online backup: a consistent
    snapshot, writers wait only for each page batch). PostgreSQL: use pg_dump."""
    import sqlite3

    from sqlalchemy.engine import make_url

    from labelcrew.config import get_settings

    url = make_url(get_settings().resolved_database_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        raise typer.BadParameter(
            "the database is PostgreSQL: back it up with `pg_dump --format=custom "
            '--file=labelcrew.dump "$LABELCREW_DATABASE_URL"`',
            param_hint="LABELCREW_DATABASE_URL",
        )
    if target.exists():
        raise typer.BadParameter(f"{target} exists; give a new file", param_hint="TARGET")
    source = sqlite3.connect(f"file:{url.database}?mode=ro", uri=True)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy, pages=1024)
    finally:
        copy.close()
        source.close()
    console.print(f"backed up {url.database} to {target}")


def register(app: typer.Typer, bench: typer.Typer) -> None:
    app.command("init")(init)
    app.command("serve")(serve)
    app.add_typer(db_app, name="db")
