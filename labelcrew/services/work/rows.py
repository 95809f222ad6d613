"""The hot path's reads and writes: Core statements built once, rows read into small records.

Next and submit run for every label. Building an ORM statement and loading ORM objects cost
about half a millisecond per statement, most of a request; so here every statement is built at
import with bound parameters, compiled once and run on the driver's cursor inside the unit of
work's transaction (`labelcrew.db.prepared`), and rows come back as slotted records named like
the models they mirror.
Rare branches (an expired lease, a gold answer moving a member) still use these records, never
the ORM, so one request never mixes stale ORM state with Core writes. This module holds the
tables, the records and the reads; `work_writes` holds the writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, and_, bindparam, exists, select

from labelcrew.db.models.core import (
    Annotation,
    Assignment,
    Batch,
    BatchClaim,
    GoldAnswer,
    Item,
    LabelSchemaVersion,
    Member,
    Project,
)
from labelcrew.db.prepared import Prepared

PROJECTS = cast(Table, Project.__table__)
MEMBERS = cast(Table, Member.__table__)
ITEMS = cast(Table, Item.__table__)
ASSIGNMENTS = cast(Table, Assignment.__table__)
ANNOTATIONS = cast(Table, Annotation.__table__)
CLAIMS = cast(Table, BatchClaim.__table__)
BATCHES = cast(Table, Batch.__table__)
SCHEMAS = cast(Table, LabelSchemaVersion.__table__)
GOLD = cast(Table, GoldAnswer.__table__)


@dataclass(slots=True)
class ProjectRow:
    """The project settings the hot path reads (same names as `Project`)."""

    id: int
    overlap: int
    max_overlap: int
    overlap_policy: str
    target_confidence: float
    lease_seconds: int
    wip_limit: int
    gold_rate: float
    probation_gold_rate: float
    honeypot_rate: float
    schema_version: int | None
    guideline_version: int | None
    settings: dict[str, Any]


@dataclass(slots=True)
class MemberRow:
    """One annotator's membership (same names as `Member`)."""

    id: int
    user_id: int
    roles: list[Any]
    status: str
    status_since: datetime | None
    skills: dict[str, Any]
    level: str
    wip_limit: int | None
    gold_rate: float | None
    served_since_gold: int
    gold_owed: bool
    acknowledged_guideline_version: int | None
    has_claims: bool


@dataclass(slots=True)
class ItemRow:
    """An item as the hot path needs it (same names as `Item`)."""

    id: int
    payload: dict[str, Any]
    is_gold: bool
    batch_id: int | None
    annotation_count: int
    overlap_target: int
    state: str
    difficulty: str


@dataclass(slots=True)
class LeaseRow:
    """One assignment of an item to an annotator (same names as `Assignment`)."""

    id: int
    item_id: int
    queue: str
    state: str
    leased_at: datetime
    expires_at: datetime


@dataclass(slots=True)
class AnnotationRow:
    """The facts of one stored label that the submit hooks read."""

    id: int
    item_id: int
    annotator_id: int
    gold_correct: bool | None


PROJECT_COLUMNS = (
    PROJECTS.c.id,
    PROJECTS.c.overlap,
    PROJECTS.c.max_overlap,
    PROJECTS.c.overlap_policy,
    PROJECTS.c.target_confidence,
    PROJECTS.c.lease_seconds,
    PROJECTS.c.wip_limit,
    PROJECTS.c.gold_rate,
    PROJECTS.c.probation_gold_rate,
    PROJECTS.c.honeypot_rate,
    PROJECTS.c.schema_version,
    PROJECTS.c.guideline_version,
    PROJECTS.c.settings,
)
_has_claims = (
    exists()
    .where(
        CLAIMS.c.user_id == MEMBERS.c.user_id,
        CLAIMS.c.batch_id == BATCHES.c.id,
        BATCHES.c.project_id == MEMBERS.c.project_id,
    )
    .label("has_claims")
)
MEMBER_COLUMNS = (
    MEMBERS.c.id,
    MEMBERS.c.user_id,
    MEMBERS.c.roles,
    MEMBERS.c.status,
    MEMBERS.c.status_since,
    MEMBERS.c.skills,
    MEMBERS.c.level,
    MEMBERS.c.wip_limit,
    MEMBERS.c.gold_rate,
    MEMBERS.c.served_since_gold,
    MEMBERS.c.gold_owed,
    MEMBERS.c.acknowledged_guideline_version,
    _has_claims,
)
_NP, _NM = len(PROJECT_COLUMNS), len(MEMBER_COLUMNS)

# The member row is locked: it serialises one annotator's requests (WIP limit, idempotency)
# without blocking anyone else. SQLite ignores FOR UPDATE (BEGIN IMMEDIATE serialises writers).
CONTEXT = Prepared(
    select(*PROJECT_COLUMNS, *MEMBER_COLUMNS)
    .select_from(MEMBERS.join(PROJECTS, PROJECTS.c.id == MEMBERS.c.project_id))
    .where(
        MEMBERS.c.project_id == bindparam("project_id"), MEMBERS.c.user_id == bindparam("user_id")
    )
    .with_for_update(of=MEMBERS)
)
CONTEXT_WITH_SCHEMA = Prepared(
    select(*PROJECT_COLUMNS, *MEMBER_COLUMNS, SCHEMAS.c.definition)
    .select_from(
        MEMBERS.join(PROJECTS, PROJECTS.c.id == MEMBERS.c.project_id).outerjoin(
            SCHEMAS,
            and_(
                SCHEMAS.c.project_id == PROJECTS.c.id,
                SCHEMAS.c.version == PROJECTS.c.schema_version,
            ),
        )
    )
    .where(
        MEMBERS.c.project_id == bindparam("project_id"), MEMBERS.c.user_id == bindparam("user_id")
    )
    .with_for_update(of=MEMBERS)
)
PROJECT_EXISTS = Prepared(select(PROJECTS.c.id).where(PROJECTS.c.id == bindparam("project_id")))


def context(
    conn: Connection, project_id: int, user_id: int, *, with_schema: bool = False
) -> tuple[ProjectRow, MemberRow, dict[str, Any] | None] | None:
    """The project, the caller's locked membership (and the current schema definition), or
    None when the caller is not a member."""
    statement = CONTEXT_WITH_SCHEMA if with_schema else CONTEXT
    row = statement.first(conn, {"project_id": project_id, "user_id": user_id})
    if row is None:
        return None
    project = ProjectRow(*row[:_NP])
    member = MemberRow(*row[_NP : _NP + _NM])
    member.has_claims = bool(member.has_claims)
    return project, member, (row[_NP + _NM] if with_schema else None)


def project_exists(conn: Connection, project_id: int) -> bool:
    return PROJECT_EXISTS.first(conn, {"project_id": project_id}) is not None


LEASE_COLUMNS = (
    ASSIGNMENTS.c.id,
    ASSIGNMENTS.c.item_id,
    ASSIGNMENTS.c.queue,
    ASSIGNMENTS.c.state,
    ASSIGNMENTS.c.leased_at,
    ASSIGNMENTS.c.expires_at,
)
OWN_LEASES = Prepared(
    select(*LEASE_COLUMNS)
    .where(
        ASSIGNMENTS.c.project_id == bindparam("project_id"),
        ASSIGNMENTS.c.annotator_id == bindparam("user_id"),
        ASSIGNMENTS.c.state == "leased",
    )
    .order_by(ASSIGNMENTS.c.leased_at, ASSIGNMENTS.c.id)
)


def own_leases(conn: Connection, project_id: int, user_id: int) -> list[LeaseRow]:
    rows = OWN_LEASES.all(conn, {"project_id": project_id, "user_id": user_id})
    return [LeaseRow(*r) for r in rows]


ITEM_COLUMNS = (
    ITEMS.c.id,
    ITEMS.c.payload,
    ITEMS.c.is_gold,
    ITEMS.c.batch_id,
    ITEMS.c.annotation_count,
    ITEMS.c.overlap_target,
    ITEMS.c.state,
    ITEMS.c.difficulty,
)
ITEM = Prepared(select(*ITEM_COLUMNS).where(ITEMS.c.id == bindparam("item_id")))


def item(conn: Connection, item_id: int) -> ItemRow:
    row = ITEM.one(conn, {"item_id": item_id})
    return ItemRow(*row)


_EARLIER_ID = (
    select(ANNOTATIONS.c.id)
    .where(
        ANNOTATIONS.c.annotator_id == bindparam("user_id"),
        ANNOTATIONS.c.idempotency_key == bindparam("key"),
    )
    .scalar_subquery()
)
# Submit: the item (locked on PostgreSQL), the caller's assignment on it, and whether the
# caller already sent this Idempotency-Key, in one statement.
ITEM_AND_LEASE = Prepared(
    select(*ITEM_COLUMNS, *LEASE_COLUMNS, _EARLIER_ID)
    .select_from(
        ITEMS.outerjoin(
            ASSIGNMENTS,
            and_(
                ASSIGNMENTS.c.item_id == ITEMS.c.id,
                ASSIGNMENTS.c.annotator_id == bindparam("user_id"),
            ),
        )
    )
    .where(ITEMS.c.id == bindparam("item_id"), ITEMS.c.project_id == bindparam("project_id"))
    .with_for_update(of=ITEMS)
)


def item_and_lease(
    conn: Connection, project_id: int, item_id: int, user_id: int, key: str | None
) -> tuple[ItemRow, LeaseRow | None, int | None] | None:
    """The item, the caller's lease on it and the id of their annotation sent with `key`."""
    params = {"project_id": project_id, "item_id": item_id, "user_id": user_id, "key": key}
    row = ITEM_AND_LEASE.first(conn, params)
    if row is None:
        return None
    n, m = len(ITEM_COLUMNS), len(LEASE_COLUMNS)
    lease = None if row[n] is None else LeaseRow(*row[n : n + m])
    return ItemRow(*row[:n]), lease, row[n + m]


CLAIMED_BATCHES = Prepared(
    select(CLAIMS.c.batch_id)
    .join(BATCHES, BATCHES.c.id == CLAIMS.c.batch_id)
    .where(
        CLAIMS.c.user_id == bindparam("user_id"), BATCHES.c.project_id == bindparam("project_id")
    )
)


def claimed_batches(conn: Connection, project_id: int, user_id: int) -> list[int]:
    rows = CLAIMED_BATCHES.all(conn, {"project_id": project_id, "user_id": user_id})
    return [r[0] for r in rows]


# What the API returns of a stored label (`submission.annotation_dict`).
STORED_ANNOTATION_COLUMNS = (
    ANNOTATIONS.c.id,
    ANNOTATIONS.c.project_id,
    ANNOTATIONS.c.item_id,
    ANNOTATIONS.c.value,
    ANNOTATIONS.c.schema_version,
    ANNOTATIONS.c.guideline_version,
    ANNOTATIONS.c.duration_ms,
    ANNOTATIONS.c.created_at,
)
EARLIER_ANNOTATION = Prepared(
    select(*STORED_ANNOTATION_COLUMNS).where(
        ANNOTATIONS.c.annotator_id == bindparam("user_id"),
        ANNOTATIONS.c.idempotency_key == bindparam("key"),
    ),
    named=True,
)
GOLD_VALUE = Prepared(select(GOLD.c.value).where(GOLD.c.item_id == bindparam("item_id")))


def earlier_annotation(conn: Connection, user_id: int, key: str) -> Any:
    """The caller's annotation sent with this Idempotency-Key, if any."""
    return EARLIER_ANNOTATION.first(conn, {"user_id": user_id, "key": key})


def gold_value(conn: Connection, item_id: int) -> dict[str, Any] | None:
    value: dict[str, Any] | None = GOLD_VALUE.scalar(conn, {"item_id": item_id})
    return value
