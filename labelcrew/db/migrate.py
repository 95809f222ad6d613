"""Run the Alembic migrations that ship inside the package."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

MIGRATIONS = Path(__file__).parent / "migrations"
# Key of the PostgreSQL advisory lock that serialises `upgrade` across processes (any fixed
# 64-bit number; this one spells "lcmigr").
MIGRATION_LOCK = 0x6C636D696772


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Upgrade to every head: each capability keeps its tables on its own migration branch off
    the initial schema, so capabilities can be built side by side."""
    config = alembic_config()
    # Migrations run in the driver's own transaction handling; BEGIN IMMEDIATE is for services.
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # Several servers started at once on a fresh database each ran every migration and
            # all but one died on the duplicate `alembic_version` row. The lock is held by the
            # migrations' own transaction (PostgreSQL DDL is transactional) and released by its
            # commit: the next process then finds the schema at its heads and does nothing.
            # SQLite needs none: `upgrade`'s first write takes the database's write lock.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        connection.commit()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revisions() -> tuple[str, ...]:
    return tuple(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(engine: Engine) -> tuple[str, ...]:
    with engine.connect() as connection:
        return tuple(MigrationContext.configure(connection).get_current_heads())
