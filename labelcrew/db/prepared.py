"""Prebuilt Core statements run straight on the driver's cursor: the hot path's executor.

`conn.execute(statement, params)` costs about 100-150 us of CPU per statement in SQLAlchemy
itself (execution context, cache-key lookup, parameter and result set-up, events) against
20-40 us in the driver; next and submit run about fifteen statements each. A `Prepared`
statement is compiled by SQLAlchemy once per dialect and parameter set, keeping everything
SQLAlchemy would do with the values (literal binds, the types' bind and result processors,
Python-side column defaults), and then runs on the connection's DBAPI cursor. It joins the
SQLAlchemy connection's transaction (beginning it first, so the engine's "begin" hooks run),
and driver errors come back as SQLAlchemy's own exception classes.

Statements whose IN lists SQLAlchemy renders per call (literal values, `column.in_(("a", "b"))`,
or an expanding parameter) go through `conn.execute` unchanged; hot statements use fixed bind
slots instead (`column.in_([bindparam("t0"), bindparam("t1")])`) or spell the test out
(`state != 'a' AND state != 'b'`).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, exc
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement, Executable

Processor = Callable[[Any], Any] | None
Statement = ClauseElement | Executable  # a select, insert or update built with Core
_REQUIRED = object()


def driver_connection(conn: Connection) -> Any:
    """The DBAPI connection under `conn`, inside its transaction (begun here if need be, so the
    engine's "begin" hooks run: BEGIN IMMEDIATE on SQLite, SET LOCAL on PostgreSQL)."""
    if not conn.in_transaction():
        conn.begin()
    return conn.connection.dbapi_connection


def driver_error(dialect: Dialect, sql: str, params: Any, error: Exception) -> exc.StatementError:
    """A driver's exception as the SQLAlchemy exception class `conn.execute` would raise."""
    return exc.DBAPIError.instance(sql, params, error, dialect.loaded_dbapi.Error, dialect=dialect)


class _Plan:
    """One statement compiled for one dialect and one set of parameter names."""

    __slots__ = ("binds", "columns", "defaults", "fallback", "positional", "results", "sql")

    def __init__(self, statement: Any, dialect: Dialect, keys: Sequence[str]) -> None:
        compiled: Any = statement.compile(dialect=dialect, column_keys=list(keys))
        # IN lists are rendered per call by SQLAlchemy: such statements run through conn.execute.
        self.fallback = bool(compiled.literal_execute_params or compiled.post_compile_params)
        self.sql = compiled.string
        self.positional = bool(compiled.positional)
        self.defaults = _python_defaults(compiled)
        processors = compiled._bind_processors
        escaped = compiled.escaped_bind_names or {}
        names = compiled.positiontup if self.positional else list(compiled.binds)
        binds: list[tuple[str, str, Any, Processor]] = []
        for name in names or ():
            bind = compiled.binds[name]
            literal = _REQUIRED if bind.required else bind.effective_value
            processor = processors.get(name)
            binds.append((bind.key, escaped.get(name, name), literal, processor))
        self.binds = tuple(binds)
        self.columns = tuple(entry[3] for entry in compiled._result_columns)  # their types
        self.results: tuple[tuple[int, Callable[[Any], Any]], ...] | None = None  # first fetch

    def parameters(self, params: Mapping[str, Any]) -> Any:
        if self.defaults:
            params = {**{k: make() for k, make in self.defaults}, **params}
        values = []
        for key, name, literal, processor in self.binds:
            if key in params:
                value = params[key]
            elif name in params:
                value = params[name]
            elif literal is _REQUIRED:
                raise exc.InvalidRequestError(f"A value is required for bind parameter {key!r}")
            else:
                value = literal
            values.append(value if processor is None else processor(value))
        if self.positional:
            return values
        return {name: value for (_, name, _, _), value in zip(self.binds, values, strict=True)}

    def result_processors(self, dialect: Dialect, description: Sequence[Any]) -> None:
        """The types' result processors, given the driver's column types (as SQLAlchemy does):
        (column index, processor) for the columns that have one."""
        found = (
            type_._cached_result_processor(dialect, column[1])
            for type_, column in zip(self.columns, description, strict=False)
        )
        self.results = tuple((i, p) for i, p in enumerate(found) if p is not None)


def _python_defaults(compiled: Any) -> tuple[tuple[str, Callable[[], Any]], ...]:
    """Column defaults SQLAlchemy computes in Python before an INSERT or UPDATE."""
    found = []
    for column in (*compiled.insert_prefetch, *compiled.update_prefetch):
        default = column.default if column in compiled.insert_prefetch else column.onupdate
        if default is None:
            raise ValueError(f"column {column.key!r}: no Python default to compute")
        if default.is_scalar:
            found.append((column.key, lambda v=default.arg: v))
        elif default.is_callable:
            found.append((column.key, lambda f=default.arg: f(None)))
        else:
            raise ValueError(f"column {column.key!r}: only scalar or callable defaults")
    return tuple(found)


class Prepared:
    """A Core statement (or one per dialect name) run on the DBAPI cursor; rows are tuples, or
    named tuples with `named=True`."""

    __slots__ = ("plans", "record", "statements")

    def __init__(
        self, statement: Statement | Mapping[str, Statement], *, named: bool = False
    ) -> None:
        self.statements: Mapping[str, Any] = (
            statement if isinstance(statement, Mapping) else {"": statement}
        )
        # By dialect and driver (their bind processors differ) and the parameters' names.
        self.plans: dict[tuple[str, str, tuple[str, ...]], _Plan] = {}
        self.record: Any = None
        if named:
            first = next(iter(self.statements.values()))
            keys = [c.key for c in first.exported_columns]
            self.record = namedtuple("Row", keys, rename=True)  # type: ignore[misc]

    def _statement(self, dialect: Dialect) -> Any:
        found = self.statements.get(dialect.name)
        return self.statements[""] if found is None else found

    def _plan(self, dialect: Dialect, params: Mapping[str, Any]) -> _Plan:
        key = (dialect.name, dialect.driver, tuple(params))
        plan = self.plans.get(key)
        if plan is None:
            plan = self.plans.setdefault(key, _Plan(self._statement(dialect), dialect, key[2]))
        return plan

    def _execute(self, raw: Any, dialect: Dialect, plan: _Plan, params: Mapping[str, Any]) -> Any:
        values = plan.parameters(params)
        cursor = raw.cursor()
        try:
            cursor.execute(plan.sql, values)
        except dialect.loaded_dbapi.Error as error:
            cursor.close()
            raise driver_error(dialect, plan.sql, values, error) from error
        if plan.results is None and cursor.description is not None:
            plan.result_processors(dialect, cursor.description)
        return cursor

    def _cursor(self, conn: Connection, params: Mapping[str, Any]) -> tuple[Any, _Plan] | None:
        plan = self._plan(conn.dialect, params)
        if plan.fallback:
            return None
        return self._execute(driver_connection(conn), conn.dialect, plan, params), plan

    def _shape(self, rows: list[Any], plan: _Plan) -> list[Any]:
        if plan.results:
            shaped = []
            for row in rows:
                values = list(row)
                for i, processor in plan.results:
                    values[i] = processor(values[i])
                shaped.append(values)
            rows = shaped
        if self.record is not None:
            return [self.record(*row) for row in rows]
        return [tuple(row) for row in rows] if plan.results else rows

    def _fetch(self, cursor: Any, plan: _Plan) -> list[Any]:
        try:
            return self._shape(cursor.fetchall(), plan)
        finally:
            cursor.close()

    def all(self, conn: Connection, params: Mapping[str, Any]) -> list[Any]:
        ran = self._cursor(conn, params)
        if ran is None:
            statement = self._statement(conn.dialect)
            rows = [tuple(r) for r in conn.execute(statement, dict(params))]
            return [self.record(*r) for r in rows] if self.record is not None else rows
        return self._fetch(*ran)

    def read(self, engine: Engine, params: Mapping[str, Any]) -> list[Any]:
        """A lone read on a pooled connection, outside any unit of work: the statement is its
        own transaction (the pool rolls back on return). For lookups made on every request,
        such as the caller's token, where a unit of work's set-up would cost more than the read.
        """
        plan = self._plan(engine.dialect, params)
        if plan.fallback:
            with engine.connect() as conn:
                return self.all(conn, params)
        pooled = engine.raw_connection()
        raw = pooled.dbapi_connection
        # PostgreSQL: in autocommit the read is one round trip, not BEGIN, SELECT and ROLLBACK.
        # (SQLite's connections are in autocommit already: the engine issues BEGIN itself.)
        autocommit = engine.dialect.name == "postgresql"
        try:
            if autocommit:
                raw.autocommit = True  # type: ignore[union-attr]
            return self._fetch(self._execute(raw, engine.dialect, plan, params), plan)
        finally:
            if autocommit:
                raw.autocommit = False  # type: ignore[union-attr]
            pooled.close()

    def first(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        rows = self.all(conn, params)
        return rows[0] if rows else None

    def one(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        rows = self.all(conn, params)
        if len(rows) != 1:
            raise exc.NoResultFound() if not rows else exc.MultipleResultsFound()
        return rows[0]

    def scalar(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        row = self.first(conn, params)
        return None if row is None else row[0]

    def run(self, conn: Connection, params: Mapping[str, Any]) -> None:
        """Execute a statement that returns no rows (a write); nothing waits for its result, so
        it may run inside a pipeline (`work_writes.batched`)."""
        ran = self._cursor(conn, params)
        if ran is None:
            conn.execute(self._statement(conn.dialect), dict(params))
            return
        ran[0].close()
