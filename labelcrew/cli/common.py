"""What every CLI command needs: the database (migrated), the local administrator, and the
one way a refused command ends (`fail`)."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console
from sqlalchemy import select

from labelcrew.config import get_settings
from labelcrew.db.engine import make_engine
from labelcrew.db.migrate import upgrade
from labelcrew.db.models.core import User
from labelcrew.errors import LabelcrewError
from labelcrew.services.accounts.users import Actor
from labelcrew.services.uow import Database

_errors = Console(stderr=False)


def get_db(*, migrate: bool = True) -> Database:
    engine = make_engine(get_settings().resolved_database_url)
    if migrate:
        upgrade(engine)
    return Database(engine)


def system_actor(db: Database) -> Actor:
    """The CLI runs with the machine owner's rights, recorded in the audit log as the first
    administrator; `labelcrew init` creates that account."""
    with db.uow(read_only=True) as uow:
        admin = uow.session.scalar(select(User).where(User.is_admin.is_(True)).order_by(User.id))
        if admin is None:
            raise typer.BadParameter("no administrator yet: run `labelcrew init` first")
        return Actor(admin.id, admin.username, True)


def fail(exc: LabelcrewError) -> NoReturn:
    """End a command that the services refused: one red line naming the code and the field,
    exit status 1 (no traceback: the message says what to fix)."""
    where = f" ({exc.field})" if exc.field else ""
    _errors.print(f"[red]error[/red] {exc.code}{where}: {exc.message}")
    raise typer.Exit(1)
