"""What `labelcrew.db.prepared` takes from SQLAlchemy's private API, checked on both dialects.

The hot path compiles each statement once and runs it on the driver cursor, which needs the
compiled form's bind processors, result columns and prefetch lists. These are not public API:
when an upgrade renames or reshapes one, this test names it (pyproject pins the tested minor).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pytest
from sqlalchemy import Integer, String, bindparam, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from labelcrew.db.models.core import Item, Project
from labelcrew.db.prepared import _Plan


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.psycopg.dialect()])
def test_the_private_attributes_prepared_reads_exist(dialect: Dialect) -> None:
    query = select(Item.id, Item.payload).where(Item.project_id == bindparam("pid"))
    compiled = query.compile(dialect=dialect)
    assert isinstance(compiled.string, str)
    assert isinstance(compiled._bind_processors, Mapping)  # type: ignore[attr-defined]
    columns = compiled._result_columns  # type: ignore[attr-defined]
    assert len(columns) == 2 and all(len(entry) >= 4 for entry in columns)
    assert type(columns[0][3]).__name__.lower() == "integer"
    for name in ("literal_execute_params", "post_compile_params", "binds", "positional"):
        assert hasattr(compiled, name), name
    assert compiled.escaped_bind_names is None or isinstance(compiled.escaped_bind_names, dict)
    names = compiled.positiontup if compiled.positional else list(compiled.binds)
    assert "pid" in (names or [])
    written = insert(Project).compile(dialect=dialect)
    for name in ("insert_prefetch", "update_prefetch"):
        assert isinstance(getattr(written, name), list), name
    for type_ in (Integer(), String()):
        processor: Callable[..., object] = type_._cached_result_processor  # type: ignore[attr-defined]
        assert callable(processor)


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.psycopg.dialect()])
def test_a_plan_compiles_binds_and_result_types(dialect: Dialect) -> None:
    statement = select(Item.id, Item.external_id).where(Item.project_id == bindparam("pid"))
    plan = _Plan(statement, dialect, ["pid"])
    assert not plan.fallback and "items" in plan.sql
    assert [b[0] for b in plan.binds] == ["pid"]
    assert [type(t).__name__.lower() for t in plan.columns] == ["integer", "string"]
