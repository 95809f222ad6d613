"""Shared fixtures: a fresh, migrated database per test on each backend.

Backends come from LABELCREW_TEST_BACKENDS (default "sqlite,postgres"). PostgreSQL is at
LABELCREW_TEST_PG (default postgresql://postgres@127.0.0.1:5432/test); when it is unreachable
the PostgreSQL cases are skipped locally but fail under CI=true. Each backend is migrated once
per session: SQLite into a template file that each test copies, PostgreSQL into a throwaway
database that is emptied before each test and dropped at the end.
"""

from __future__ import annotations

import os
import random
import secrets
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from labelcrew.db.engine import make_engine
from labelcrew.db.migrate import upgrade
from labelcrew.db.models.core import Base
from labelcrew.services.uow import Database

# Cheap password hashing in tests; production keeps the strong default.
os.environ.setdefault("LABELCREW_ARGON2_TIME_COST", "1")
os.environ.setdefault("LABELCREW_ARGON2_MEMORY_KIB", "1024")
# A secret of the test run's own, so no test writes `labelcrew-data/secret_key` into the checkout
# (tests of the generated secret unset it).
os.environ.setdefault("LABELCREW_SECRET_KEY", secrets.token_urlsafe(48))

BACKENDS = [b for b in os.environ.get("LABELCREW_TEST_BACKENDS", "sqlite,postgres").split(",") if b]
PG_URL = os.environ.get("LABELCREW_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# Real crowd answers with expert truth, beside the checkout: ../shared/datasets.
REPO = Path(__file__).resolve().parents[1]
DATASETS = Path(os.environ.get("LABELCREW_DATASETS", REPO.parent / "shared" / "datasets"))


def _admin_engine():  # type: ignore[no-untyped-def]
    url = make_url(PG_URL).set(drivername="postgresql+psycopg")
    return create_engine(url, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str | None]:
    if "postgres" not in BACKENDS:
        yield None
        return
    try:
        admin = _admin_engine()
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI but unreachable at {PG_URL}: {exc}")
        yield None
        return
    name = f"lc_tmpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(str(make_url(PG_URL).set(database=name)))
    upgrade(engine)
    engine.dispose()
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # closing the last connection checkpoints the WAL into the file
    return path


@pytest.fixture(params=BACKENDS)
def db_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path, pg_template: str | None
) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "labelcrew.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    if pg_template is None:
        pytest.skip("PostgreSQL unreachable (set CI=true to make this a failure)")
    # Creating a database per test costs 1-2 s here; emptying the session's one costs ~0.1 s.
    # TRUNCATE fires no row triggers, so the append-only guard on audit_events stays intact.
    url = make_url(PG_URL).set(drivername="postgresql+psycopg", database=pg_template)
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()
    yield str(make_url(PG_URL).set(database=pg_template).render_as_string(hide_password=False))


class Clock:
    """A clock tests can move."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        from datetime import timedelta

        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def db(db_url: str, clock: Clock) -> Iterator[Database]:
    engine = make_engine(db_url)
    yield Database(engine, clock=clock, rng=random.Random(7))
    engine.dispose()


class _ShadowedKey:
    """What `d.items` gives under test when dict `d` has an "items" key: calling it is the
    method (`d.items()` loops fine); printing, testing or comparing it fails, since the template
    meant the key."""

    def __init__(self, method: Any, attribute: str) -> None:
        self.method, self.attribute = method, attribute

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.method(*args, **kwargs)

    def _fail(self, *args: Any) -> Any:
        from jinja2 import TemplateRuntimeError

        raise TemplateRuntimeError(
            f".{self.attribute} reads the dict's method, not its {self.attribute!r} key: "
            f"write [{self.attribute!r}]"
        )

    __str__ = __html__ = __bool__ = __iter__ = __len__ = __eq__ = __lt__ = __gt__ = _fail
    __hash__ = None  # type: ignore[assignment]


@pytest.fixture(autouse=True, scope="session")
def strict_templates() -> Iterator[None]:
    """Pages render strictly under test (issue 17): StrictUndefined fails a template that reads
    a name or key its context lacks, and `x.items` on a dict that has an "items" key fails when
    printed or tested, since Jinja hands back the dict's method there (the dashboard printed
    `0/<built-in method items of dict object>`); such keys must be read as `x["items"]`."""
    from jinja2 import StrictUndefined

    from labelcrew.web.render import templates

    env = templates.env
    lenient_undefined, lenient_getattr = env.undefined, env.getattr

    def strict_getattr(obj: Any, attribute: str) -> Any:
        found = lenient_getattr(obj, attribute)
        if isinstance(obj, dict) and attribute in obj and hasattr(dict, attribute):
            return _ShadowedKey(found, attribute)
        return found

    env.undefined = StrictUndefined
    env.getattr = strict_getattr  # type: ignore[method-assign]
    yield
    env.undefined, env.getattr = lenient_undefined, lenient_getattr  # type: ignore[method-assign]
