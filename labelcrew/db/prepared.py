"""Prebuilt Core statements run straight on the driver's cursor: the hot path's executor.

`conn.execute(statement, params)` costs about 100-150 us of CPU per statement in SQLAlchemy
itself (execution context, cache-key lookup, parameter and result set-up, events) against
20-40 us in the driver; next and submit run about fifteen statements each. A `Prepared`
statement is compiled by SQLAlchemy once per dialect and parameter set, keeping everything
SQLAlchemy would do with the values (literal binds, the types' bind and result processors,
Python-side column defaults), and then runs on the connection's DBAPI cursor. It joins the
SQLAlchemy connection's transaction (beginning it first, so the engine's "begin" hooks run),
and driver errors come back as SQLAlchemy's own exception classes.

Statements with IN lists (`column.in_(...)`, rendered per call by SQLAlchemy) go through
`conn.execute` unchanged; hot statements spell short lists out (`a = :x OR a = :y`).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, exc
from sqlalchemy.sql import ClauseElement, Executable

Processor = Callable[[Any], Any] | None
Statement = ClauseElement | Executable  # a select, insert or update built with Core
_REQUIRED = object()


class _Plan:
    """One statement compiled for one dialect and one set of parameter names."""

    __slots__ = ("binds", "columns", "defaults", "fallback", "positional", "results", "sql")

    def __init__(self, statement: Any, conn: Connection, keys: Sequence[str]) -> None:
        compiled: Any = statement.compile(dialect=conn.dialect, column_keys=list(keys))
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
        self.results: tuple[Processor, ...] | None = None  # set at the first fetch

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

    def result_processors(self, conn: Connection, description: Sequence[Any]) -> None:
        """The types' result processors, given the driver's column types (as SQLAlchemy does)."""
        self.results = tuple(
            type_._cached_result_processor(conn.dialect, column[1])
            for type_, column in zip(self.columns, description, strict=False)
        )


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
        self.plans: dict[tuple[str, tuple[str, ...]], tuple[Statement, _Plan]] = {}
        self.record: Any = None
        if named:
            first = next(iter(self.statements.values()))
            keys = [c.key for c in first.exported_columns]
            self.record = namedtuple("Row", keys, rename=True)  # type: ignore[misc]

    def _statement(self, conn: Connection) -> Any:
        found = self.statements.get(conn.dialect.name)
        return self.statements[""] if found is None else found

    def _plan(self, conn: Connection, params: Mapping[str, Any]) -> tuple[Statement, _Plan]:
        key = (conn.dialect.name, tuple(params))
        found = self.plans.get(key)
        if found is None:
            statement = self._statement(conn)
            found = self.plans.setdefault(key, (statement, _Plan(statement, conn, key[1])))
        return found

    def _cursor(self, conn: Connection, params: Mapping[str, Any]) -> tuple[Any, _Plan] | None:
        _, plan = self._plan(conn, params)
        if plan.fallback:
            return None
        if not conn.in_transaction():
            conn.begin()  # the engine's begin hooks (BEGIN IMMEDIATE on SQLite) run here
        raw = conn.connection.dbapi_connection
        assert raw is not None
        values = plan.parameters(params)
        cursor = raw.cursor()
        try:
            cursor.execute(plan.sql, values)
        except conn.dialect.loaded_dbapi.Error as error:
            cursor.close()
            raise exc.DBAPIError.instance(
                plan.sql, values, error, conn.dialect.loaded_dbapi.Error, dialect=conn.dialect
            ) from error
        if plan.results is None and cursor.description is not None:
            plan.result_processors(conn, cursor.description)
        return cursor, plan

    def _shape(self, rows: list[Any], plan: _Plan) -> list[Any]:
        processors = plan.results
        if processors and any(p is not None for p in processors):
            rows = [
                tuple(v if p is None else p(v) for p, v in zip(processors, row, strict=False))
                for row in rows
            ]
        if self.record is not None:
            return [self.record(*row) for row in rows]
        return rows

    def all(self, conn: Connection, params: Mapping[str, Any]) -> list[Any]:
        ran = self._cursor(conn, params)
        if ran is None:
            statement = self._statement(conn)
            rows = [tuple(r) for r in conn.execute(statement, dict(params))]
            return [self.record(*r) for r in rows] if self.record is not None else rows
        cursor, plan = ran
        try:
            return self._shape(cursor.fetchall(), plan)
        finally:
            cursor.close()

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

    def run(self, conn: Connection, params: Mapping[str, Any]) -> int:
        """Execute a statement that returns no rows; the driver's row count."""
        ran = self._cursor(conn, params)
        if ran is None:
            statement = self._statement(conn)
            return int(conn.execute(statement, dict(params)).rowcount)
        cursor, _ = ran
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()
