"""`Prepared` statements give what SQLAlchemy's own execution gives, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

import pytest
from sqlalchemy import Table, bindparam, exc, func, insert, select

from labelcrew.db.models.core import Member, Project, User
from labelcrew.db.prepared import Prepared
from labelcrew.services.uow import Database

USERS = cast(Table, User.__table__)
MEMBERS = cast(Table, Member.__table__)
PROJECTS = cast(Table, Project.__table__)
AT = datetime(2026, 11, 23, 9, 30, 15, 123456, tzinfo=UTC)

# is_admin and is_active are left out: their Python-side defaults must be applied.
ADD_USER = Prepared(
    insert(USERS).returning(USERS.c.id, USERS.c.username, USERS.c.is_admin, USERS.c.created_at),
    named=True,
)
USER_BY_NAME = select(USERS.c.id, USERS.c.is_active, USERS.c.created_at).where(
    USERS.c.username == bindparam("name")
)


def _add(conn, name: str):  # type: ignore[no-untyped-def]
    return ADD_USER.one(conn, {"username": name, "password_hash": "x", "created_at": AT})


def test_insert_applies_python_defaults_and_returns_named_rows(db: Database) -> None:
    with db.engine.connect() as conn:
        row = _add(conn, "ada")
        conn.commit()
        assert row.username == "ada" and row.is_admin is False
        assert row.created_at == AT and row.created_at.tzinfo is not None
        by_core = conn.execute(USER_BY_NAME, {"name": "ada"}).one()
    assert tuple(by_core) == (row.id, True, AT)


def test_rows_match_sqlalchemy_for_json_datetime_and_literal_binds(db: Database) -> None:
    with db.engine.connect() as conn:
        user = _add(conn, "bea")
        project_id = conn.execute(
            insert(PROJECTS).returning(PROJECTS.c.id),
            {"slug": "p", "name": "P", "created_at": AT},
        ).scalar_one()
        conn.execute(
            insert(MEMBERS),
            {
                "project_id": project_id,
                "user_id": user.id,
                "roles": ["annotator", "reviewer"],
                "skills": {"de": 2},
                "status": "active",
                "status_since": AT,
                "created_at": AT,
            },
        )
        statement = select(
            MEMBERS.c.roles, MEMBERS.c.skills, MEMBERS.c.status_since, MEMBERS.c.wip_limit
        ).where(MEMBERS.c.user_id == bindparam("user_id"), MEMBERS.c.status == "active")
        by_core = [tuple(r) for r in conn.execute(statement, {"user_id": user.id})]
        prepared = Prepared(statement)
        assert prepared.all(conn, {"user_id": user.id}) == by_core
        assert by_core == [(["annotator", "reviewer"], {"de": 2}, AT, None)]
        assert prepared.first(conn, {"user_id": user.id + 99}) is None
        assert Prepared(select(func.count()).select_from(MEMBERS)).scalar(conn, {}) == 1


def test_it_joins_the_connections_transaction(db: Database) -> None:
    with db.engine.connect() as conn:
        _add(conn, "cy")
        conn.rollback()
        assert conn.execute(USER_BY_NAME, {"name": "cy"}).first() is None


def test_missing_parameter_and_driver_errors_are_sqlalchemys(db: Database) -> None:
    with db.engine.connect() as conn:
        with pytest.raises(exc.InvalidRequestError, match="'name'"):
            Prepared(USER_BY_NAME).first(conn, {})
        _add(conn, "dee")
        with pytest.raises(exc.IntegrityError):
            _add(conn, "dee")  # usernames are unique
        conn.rollback()
        with pytest.raises(exc.NoResultFound):
            Prepared(USER_BY_NAME).one(conn, {"name": "nobody"})


def test_in_lists_run_through_sqlalchemy(db: Database) -> None:
    statement = select(USERS.c.username).where(
        USERS.c.username.in_(bindparam("names", expanding=True))
    )
    with db.engine.connect() as conn:
        for name in ("eve", "fay", "gus"):
            _add(conn, name)
        found = Prepared(statement).all(conn, {"names": ["eve", "gus"]})
    assert sorted(found) == [("eve",), ("gus",)]


def test_a_lone_read_sees_committed_rows_only(db: Database) -> None:
    lookup = Prepared(USER_BY_NAME, named=True)
    with db.engine.connect() as conn:
        _add(conn, "hal")
        assert lookup.read(db.engine, {"name": "hal"}) == []  # not committed yet
        conn.commit()
    (row,) = lookup.read(db.engine, {"name": "hal"})
    assert row.is_active is True and row.created_at == AT


ADD_PLAIN_USER = Prepared(insert(USERS))


def test_batched_writes_land_and_fail_as_one(db: Database) -> None:
    from labelcrew.services.work.writes import batched

    row = {"password_hash": "x", "created_at": AT}
    with db.engine.connect() as conn:
        with batched(conn):
            ADD_PLAIN_USER.run(conn, {"username": "ida", **row})
            ADD_PLAIN_USER.run(conn, {"username": "jo", **row})
        names = Prepared(select(USERS.c.username).order_by(USERS.c.username)).all(conn, {})
        assert names == [("ida",), ("jo",)]
        conn.commit()
        with pytest.raises(exc.IntegrityError), batched(conn):
            ADD_PLAIN_USER.run(conn, {"username": "kai", **row})
            ADD_PLAIN_USER.run(conn, {"username": "ida", **row})  # taken
        conn.rollback()
        assert Prepared(USER_BY_NAME).first(conn, {"name": "kai"}) is None
