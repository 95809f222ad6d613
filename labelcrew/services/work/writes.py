"""The hot path's writes: leases, batch claims, counters and the stored label, each one
prebuilt statement run on the unit of work's connection (see `work_rows` for why)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, update
from sqlalchemy.dialects import postgresql, sqlite

from labelcrew.db.prepared import Prepared, driver_connection, driver_error
from labelcrew.services.work.rows import (
    ANNOTATIONS,
    ASSIGNMENTS,
    CLAIMS,
    ITEMS,
    MEMBERS,
    STORED_ANNOTATION_COLUMNS,
    ItemRow,
    LeaseRow,
    MemberRow,
)


def _upsert_lease(dialect: Any) -> Any:
    statement = dialect.insert(ASSIGNMENTS).values(
        project_id=bindparam("project_id"),
        item_id=bindparam("item_id"),
        annotator_id=bindparam("user_id"),
        queue="annotation",
        state="leased",
        leased_at=bindparam("now"),
        expires_at=bindparam("expires_at"),
        finished_at=None,
    )
    # A released item taken up again reuses the annotator's assignment row, and keeps its queue
    # (an item sent back for relabel is leased in the relabel queue).
    return statement.on_conflict_do_update(
        index_elements=[ASSIGNMENTS.c.item_id, ASSIGNMENTS.c.annotator_id],
        set_={
            "state": "leased",
            "leased_at": statement.excluded.leased_at,
            "expires_at": statement.excluded.expires_at,
            "finished_at": None,
        },
    ).returning(ASSIGNMENTS.c.id, ASSIGNMENTS.c.queue)


def _claim_batch(dialect: Any) -> Any:
    return (
        dialect.insert(CLAIMS)
        .values(
            batch_id=bindparam("batch_id"),
            user_id=bindparam("user_id"),
            claimed_at=bindparam("now"),
        )
        .on_conflict_do_nothing(index_elements=[CLAIMS.c.batch_id, CLAIMS.c.user_id])
    )


UPSERT_LEASE = Prepared({"sqlite": _upsert_lease(sqlite), "postgresql": _upsert_lease(postgresql)})
CLAIM_BATCH = Prepared({"sqlite": _claim_batch(sqlite), "postgresql": _claim_batch(postgresql)})


def write_lease(
    conn: Connection,
    *,
    project_id: int,
    item_id: int,
    user_id: int,
    now: datetime,
    expires_at: datetime,
) -> tuple[int, str]:
    params = {
        "project_id": project_id,
        "item_id": item_id,
        "user_id": user_id,
        "now": now,
        "expires_at": expires_at,
    }
    lease_id, queue = UPSERT_LEASE.one(conn, params)
    return int(lease_id), str(queue)


def claim_batch(conn: Connection, batch_id: int, user_id: int, now: datetime) -> None:
    params = {"batch_id": batch_id, "user_id": user_id, "now": now}
    CLAIM_BATCH.run(conn, params)


SET_SERVED_SINCE_GOLD = Prepared(
    update(MEMBERS)
    .where(MEMBERS.c.id == bindparam("member_id"))
    .values(served_since_gold=bindparam("n"), gold_owed=bindparam("owed"))
)
SET_MEMBER_STATUS = Prepared(
    update(MEMBERS)
    .where(MEMBERS.c.id == bindparam("member_id"))
    .values(status=bindparam("status"), status_since=bindparam("since"))
)
SET_LEASE = Prepared(
    update(ASSIGNMENTS)
    .where(ASSIGNMENTS.c.id == bindparam("lease_id"))
    .values(
        state=bindparam("state"),
        expires_at=bindparam("expires_at"),
        finished_at=bindparam("finished_at"),
    )
)
SET_ITEM_COUNTS = Prepared(
    update(ITEMS)
    .where(ITEMS.c.id == bindparam("item_id"))
    .values(
        annotation_count=bindparam("annotation_count"),
        overlap_target=bindparam("overlap_target"),
        state=bindparam("state"),
    )
)
INSERT_ANNOTATION = Prepared(insert(ANNOTATIONS).returning(*STORED_ANNOTATION_COLUMNS), named=True)


def set_lease(
    conn: Connection, lease_id: int, state: str, expires_at: datetime, finished_at: datetime | None
) -> None:
    params = {
        "lease_id": lease_id,
        "state": state,
        "expires_at": expires_at,
        "finished_at": finished_at,
    }
    SET_LEASE.run(conn, params)


def close_lease(conn: Connection, lease: LeaseRow, state: str, at: datetime) -> None:
    set_lease(conn, lease.id, state, lease.expires_at, at)


def set_served_since_gold(conn: Connection, member_id: int, served: int, owed: bool) -> None:
    """Items since the member's last gold, and whether a gold offer waits for a step with gold."""
    SET_SERVED_SINCE_GOLD.run(conn, {"member_id": member_id, "n": served, "owed": owed})


def set_member_status(conn: Connection, member: MemberRow) -> None:
    params = {"member_id": member.id, "status": member.status, "since": member.status_since}
    SET_MEMBER_STATUS.run(conn, params)


def set_item_counts(conn: Connection, item: ItemRow) -> None:
    params = {
        "item_id": item.id,
        "annotation_count": item.annotation_count,
        "overlap_target": item.overlap_target,
        "state": item.state,
    }
    SET_ITEM_COUNTS.run(conn, params)


def insert_annotation(conn: Connection, values: dict[str, Any]) -> Any:
    """Store a label; returns it as stored (the columns `submission.annotation_dict` reads)."""
    return INSERT_ANNOTATION.one(conn, values)


class Savepoint:
    """A savepoint set straight on the driver (one round trip), so that taking a candidate costs
    no RELEASE: a savepoint never rolled back is released by the commit. SQLAlchemy's
    `begin_nested` would release it explicitly, one more round trip per item served."""

    NAME = "lc_take"

    def __init__(self, conn: Connection) -> None:
        self.raw = driver_connection(conn)
        self._run(f"SAVEPOINT {self.NAME}")

    def _run(self, sql: str) -> None:
        cursor = self.raw.cursor()
        try:
            cursor.execute(sql)
        finally:
            cursor.close()

    def rollback(self) -> None:
        """Undo what ran since the savepoint, releasing the row locks it took."""
        self._run(f"ROLLBACK TO SAVEPOINT {self.NAME}")


@contextmanager
def batched(conn: Connection) -> Iterator[None]:
    """Writes whose results nobody reads, sent together: on PostgreSQL in one round trip
    (psycopg's pipeline mode) instead of one each. Only `Prepared.run` may run inside; a failed
    write raises when the block ends, and the unit of work then rolls back as usual."""
    if conn.dialect.name != "postgresql":
        yield
        return
    try:
        with driver_connection(conn).pipeline():
            yield
    except conn.dialect.loaded_dbapi.Error as error:
        raise driver_error(conn.dialect, "(batched writes)", None, error) from error
