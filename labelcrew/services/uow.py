"""The unit of work: one transaction per use case; it commits, repositories never do."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from labelcrew.db.engine import READ_ONLY, is_sqlite


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Database:
    """What every service receives: the engine, a clock and a random source (both injectable)."""

    engine: Engine
    clock: Callable[[], datetime] = utc_now
    rng: random.Random = field(default_factory=random.Random)

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.engine)

    def uow(self, *, read_only: bool = False) -> UnitOfWork:
        return UnitOfWork(self, read_only=read_only)


class UnitOfWork:
    """`with db.uow() as uow: ...; uow.commit()` — anything not committed is rolled back.

    On SQLite a writing unit of work starts with BEGIN IMMEDIATE (see `labelcrew.db.engine`);
    read-only ones start a deferred transaction so they never block writers.
    """

    def __init__(self, db: Database, *, read_only: bool = False) -> None:
        self.db = db
        bind = db.engine.execution_options(**{READ_ONLY: True}) if read_only else db.engine
        self.session = Session(bind=bind, expire_on_commit=False, autoflush=True)
        self.now = db.clock()

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() rolls back whatever was not committed, and (unlike rollback()) leaves the
        # loaded objects readable for the caller.
        self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
