"""Alembic environment: runs against the connection handed over by `labelcrew.db.migrate`."""

from __future__ import annotations

from alembic import context

from labelcrew.db import all_models  # noqa: F401  (registers every table on Base)
from labelcrew.db.models.core import Base

target_metadata = Base.metadata
config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through labelcrew.db.migrate (labelcrew db upgrade)")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
