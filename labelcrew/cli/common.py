"""What every CLI command needs: the database (migrated) and the local administrator."""

from __future__ import annotations

import typer
from sqlalchemy import select

from labelcrew.config import get_settings
from labelcrew.db.engine import make_engine
from labelcrew.db.migrate import upgrade
from labelcrew.db.models.core import User
from labelcrew.services.accounts.users import Actor
from labelcrew.services.uow import Database


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
