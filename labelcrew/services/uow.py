"""The unit of work: one transaction per use case; it commits, repositories never do."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType

from sqlalchemy import Connection, Engine
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
    _binds: dict[tuple[bool, bool], Engine] = field(default_factory=dict, repr=False)

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.engine)

    def bind(self, *, read_only: bool, durable: bool) -> Engine:
        """The engine with this kind of transaction's options (built once, then reused)."""
        if not read_only and durable:
            return self.engine
        key = (read_only, durable)
        engine = self._binds.get(key)
        if engine is None:
            options = {READ_ONLY: read_only, NOT_DURABLE: not durable}
            engine = self._binds.setdefault(key, self.engine.execution_options(**options))
        return engine

    def uow(self, *, read_only: bool = False, durable: bool = True) -> UnitOfWork:
        return UnitOfWork(self, read_only=read_only, durable=durable)


class UnitOfWork:
    """`with db.uow() as uow: ...; uow.commit()` — anything not committed is rolled back.

    On SQLite a writing unit of work starts with BEGIN IMMEDIATE (see `labelcrew.db.engine`);
    read-only ones start a deferred transaction so they never block writers.

    The connection and the ORM session are opened on first use: the hot path runs prebuilt
    Core statements on `conn` and never pays for a session. A session, when used, joins the
    connection's transaction, so ORM and Core work in one unit of work commit together.
    """

    LOCK_TIMEOUT = 30.0

    def __init__(self, db: Database, *, read_only: bool = False, durable: bool = True) -> None:
        self.db = db
        self._bind = db.bind(read_only=read_only, durable=durable)
        self._conn: Connection | None = None
        self._session: Session | None = None
        self.now = db.clock()
        self._lock = None if read_only else write_lock(db.engine)

    @property
    def conn(self) -> Connection:
        """The transaction's connection, for prebuilt Core statements (see `work_rows`)."""
        if self._conn is None:
            self._conn = self._bind.connect()
        return self._conn

    @property
    def session(self) -> Session:
        if self._session is None:
            # rollback_only: the session's commit flushes but leaves the connection's
            # transaction to `commit()` below; its rollback rolls the whole unit back.
            self._session = Session(
                bind=self.conn,
                expire_on_commit=False,
                autoflush=True,
                join_transaction_mode="rollback_only",
            )
        return self._session

    def __enter__(self) -> UnitOfWork:
        if self._lock is not None and not self._lock.acquire(timeout=self.LOCK_TIMEOUT):
            raise Unavailable("the database is busy; retry shortly", code="database_busy")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Closing rolls back whatever was not committed and (unlike rollback()) leaves the
        # loaded objects readable for the caller.
        try:
            if self._session is not None:
                self._session.close()
            if self._conn is not None:
                self._conn.close()
        finally:
            if self._lock is not None:
                self._lock.release()

    def commit(self) -> None:
        if self._session is not None:
            self._session.commit()
        if self._conn is not None:
            self._conn.commit()

    def rollback(self) -> None:
        if self._session is not None:
            self._session.rollback()
        if self._conn is not None:
            self._conn.rollback()
