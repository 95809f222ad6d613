"""The unit of work: one transaction per use case; it commits, repositories never do."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from labelcrew.db.engine import NOT_DURABLE, READ_ONLY, is_sqlite, write_lock
from labelcrew.errors import Unavailable


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

    def uow(self, *, read_only: bool = False, durable: bool = True) -> UnitOfWork:
        return UnitOfWork(self, read_only=read_only, durable=durable)


class UnitOfWork:
    """`with db.uow() as uow: ...; uow.commit()` — anything not committed is rolled back.

    On SQLite a writing unit of work starts with BEGIN IMMEDIATE (see `labelcrew.db.engine`);
    read-only ones start a deferred transaction so they never block writers.
    """

    LOCK_TIMEOUT = 30.0

    def __init__(self, db: Database, *, read_only: bool = False, durable: bool = True) -> None:
        self.db = db
        options = {READ_ONLY: read_only, NOT_DURABLE: not durable}
        bind = db.engine.execution_options(**options) if read_only or not durable else db.engine
        self.session = Session(bind=bind, expire_on_commit=False, autoflush=True)
        self.now = db.clock()
        self._lock = None if read_only else write_lock(db.engine)

    def __enter__(self) -> UnitOfWork:
        if self._lock is not None and not self._lock.acquire(timeout=self.LOCK_TIMEOUT):
            self.session.close()
            raise Unavailable("the database is busy; retry shortly", code="database_busy")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() rolls back whatever was not committed, and (unlike rollback()) leaves the
        # loaded objects readable for the caller.
        try:
            self.session.close()
        finally:
            if self._lock is not None:
                self._lock.release()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
