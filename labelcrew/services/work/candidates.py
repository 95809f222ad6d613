"""Queries the assignment engine shares: free slots, candidate scans, row locks.

Concurrency: on PostgreSQL the candidate scan takes no locks; each candidate is then locked
alone (FOR UPDATE SKIP LOCKED, in a savepoint) and re-checked in a fresh statement (READ
COMMITTED takes a new snapshot per statement, so leases committed by others after our scan
started are seen; while we hold the item row nobody else can lease it). On SQLite the whole
unit of work runs under BEGIN IMMEDIATE, so it is serialised anyway.

Every statement is built once (see `work_rows`) and runs on the unit of work's connection.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    Select,
    bindparam,
    case,
    exists,
    false,
    func,
    select,
    true,
)
from sqlalchemy.orm import Session

from labelcrew.db.models.core import Member
from labelcrew.db.prepared import Prepared
from labelcrew.domain.teamops.seniority import DIFFICULTIES
from labelcrew.services.work.rows import ASSIGNMENTS, CLAIMS, GOLD, ITEMS

SCAN = 16
TIER_SLOTS = len(DIFFICULTIES)


def lock_member(session: Session, project_id: int, user_id: int) -> Member | None:
    """Serialises one member's requests without blocking others (the review queue's ORM path)."""
    return session.scalar(
        select(Member)
        .where(Member.project_id == project_id, Member.user_id == user_id)
        .with_for_update()
    )


def live_leases(item_id: Any, now: Any, *, except_user: Any = None) -> Any:
    """Scalar subquery: unexpired leases on an item (optionally not counting one annotator's)."""
    cond = [
        ASSIGNMENTS.c.item_id == item_id,
        ASSIGNMENTS.c.state == "leased",
        ASSIGNMENTS.c.expires_at > now,
    ]
    if except_user is not None:
        cond.append(ASSIGNMENTS.c.annotator_id != except_user)
    return select(func.count()).select_from(ASSIGNMENTS).where(*cond).scalar_subquery()


# Re-checked after the item row is locked: still open, a slot left, not done by this user.
FREE_SLOT = Prepared(
    select(
        ITEMS.c.state,
        ITEMS.c.annotation_count
        + live_leases(ITEMS.c.id, bindparam("now"), except_user=bindparam("user_id")),
        ITEMS.c.overlap_target,
        exists().where(
            ASSIGNMENTS.c.item_id == ITEMS.c.id,
            ASSIGNMENTS.c.annotator_id == bindparam("user_id"),
            ASSIGNMENTS.c.state != "released",  # not `notin_`: IN lists are rendered per call
            ASSIGNMENTS.c.state != "leased",
        ),
    ).where(ITEMS.c.id == bindparam("item_id"))
)


def has_free_slot(conn: Connection, item_id: int, user_id: int, now: datetime) -> bool:
    state, taken, target, done_by_user = FREE_SLOT.one(
        conn, {"item_id": item_id, "user_id": user_id, "now": now}
    )
    return bool(state == "open" and taken < target and not done_by_user)


LOCK_ITEM = {
    wait: Prepared(
        select(ITEMS.c.id)
        .where(ITEMS.c.id == bindparam("item_id"))
        .with_for_update(skip_locked=not wait)
    )
    for wait in (False, True)
}


def lock_item(conn: Connection, item_id: int, *, wait: bool) -> bool:
    """Lock one item row on PostgreSQL (skipping it if someone else holds it, unless `wait`)."""
    return LOCK_ITEM[wait].first(conn, {"item_id": item_id}) is not None


def _scan(gold: bool, batches: bool, tiered: bool) -> Select[Any]:
    """Best open items for one annotator, by priority then age: (id, required_skills, priority)."""
    mine = exists().where(
        ASSIGNMENTS.c.item_id == ITEMS.c.id,
        ASSIGNMENTS.c.annotator_id == bindparam("user_id"),
        ASSIGNMENTS.c.state != "released",
    )
    query = select(ITEMS.c.id, ITEMS.c.required_skills, ITEMS.c.priority).where(
        ITEMS.c.project_id == bindparam("project_id"),
        ITEMS.c.state == "open",
        ITEMS.c.is_gold == gold,
        ~mine,
    )
    if not gold:
        taken = ITEMS.c.annotation_count + live_leases(ITEMS.c.id, bindparam("now"))
        query = query.where(taken < ITEMS.c.overlap_target)
    if tiered:  # a filter on the same index scan, never a sort expression
        slots: list[Any] = [bindparam(f"tier_{i}") for i in range(TIER_SLOTS)]
        query = query.where(ITEMS.c.difficulty.in_(slots))
    if batches:
        query = query.where(ITEMS.c.batch_id.in_(bindparam("batch_ids", expanding=True)))
    elif not gold:
        claims = (
            select(func.count())
            .select_from(CLAIMS)
            .where(CLAIMS.c.batch_id == ITEMS.c.batch_id)
            .scalar_subquery()
        )
        query = query.where(ITEMS.c.batch_id.is_(None) | (claims < bindparam("overlap")))
    return (
        query.order_by(ITEMS.c.priority.desc(), ITEMS.c.id)
        .limit(SCAN)
        .offset(bindparam("offset", type_=Integer))
    )


# One prebuilt scan per shape: (gold, restricted to claimed batches, restricted to a tier).
SCANS = {
    (g, b, t): Prepared(_scan(g, b, t))
    for g in (False, True)
    for b in (False, True)
    for t in (False, True)
}


def candidate_rows(
    conn: Connection,
    *,
    project_id: int,
    user_id: int,
    now: datetime,
    overlap: int,
    gold: bool,
    batch_ids: list[int] | None,
    tier: tuple[str, ...] | None,
    offset: int,
) -> list[tuple[int, list[Any], int]]:
    """Up to SCAN candidates (id, required_skills, priority), best first, skipping `offset`."""
    params: dict[str, Any] = {
        "project_id": project_id,
        "user_id": user_id,
        "now": now,
        "overlap": overlap,
        "offset": offset,
    }
    if batch_ids is not None:
        params["batch_ids"] = batch_ids
    if tier is not None:  # fixed slots (the last value repeated) keep one compiled statement
        for i in range(TIER_SLOTS):
            params[f"tier_{i}"] = tier[min(i, len(tier) - 1)]
    statement = SCANS[(gold, batch_ids is not None, tier is not None)]
    return [(row[0], row[1], row[2]) for row in statement.all(conn, params)]


def _gold_in_step(batches: bool) -> Select[Any]:
    """Open gold items lying between an ordinary candidate and the ordinary item just before it
    in the same scan (same priority, same batches), or the member's own previous item if that
    lies further back, with whether each is still under the overlap
    target: gold served from here keeps the order the annotator's ordinary items come in
    (issue 14). Both lookups are range
    reads on the queue index (the predecessor: a backward read that stops at its first row)."""
    before = ITEMS.alias("before")
    predecessor = select(before.c.id).where(
        before.c.project_id == bindparam("project_id"),
        before.c.is_gold == false(),
        before.c.priority == bindparam("priority"),
        before.c.id < bindparam("item_id"),
    )
    if batches:
        predecessor = predecessor.where(
            before.c.batch_id.in_(bindparam("batch_ids", expanding=True))
        )
    # Not max(): ORDER BY id DESC LIMIT 1 reads the primary key backwards on both databases.
    previous = predecessor.order_by(before.c.id.desc()).limit(1).scalar_subquery()
    # The step runs back to the member's own previous item when that lies further back: their
    # ordinary ids jump over the items others took, and gold lying in that jump keeps their
    # own served ids in one order just the same (with only the ordinary predecessor, an owed
    # gold offer found gold on about one step in twenty at a 5 % gold share).
    own = (
        select(func.max(ASSIGNMENTS.c.item_id))
        .where(
            ASSIGNMENTS.c.project_id == bindparam("project_id"),
            ASSIGNMENTS.c.annotator_id == bindparam("user_id"),
            ASSIGNMENTS.c.item_id < bindparam("item_id"),
        )
        .scalar_subquery()
    )
    lower = case((own < previous, own), else_=func.coalesce(previous, 0))
    mine = exists().where(
        ASSIGNMENTS.c.item_id == ITEMS.c.id,
        ASSIGNMENTS.c.annotator_id == bindparam("user_id"),
        ASSIGNMENTS.c.state != "released",
    )
    honeypot = (
        select(GOLD.c.kind == "honeypot").where(GOLD.c.item_id == ITEMS.c.id).scalar_subquery()
    )
    query = select(
        ITEMS.c.id,
        ITEMS.c.required_skills,
        ITEMS.c.annotation_count < ITEMS.c.overlap_target,
        honeypot,
    ).where(
        ITEMS.c.project_id == bindparam("project_id"),
        ITEMS.c.state == "open",
        ITEMS.c.is_gold == true(),
        ITEMS.c.priority == bindparam("priority"),
        ITEMS.c.id < bindparam("item_id"),
        ITEMS.c.id > lower,
        ~mine,
    )
    if batches:
        query = query.where(ITEMS.c.batch_id.in_(bindparam("batch_ids", expanding=True)))
    else:
        claims = (
            select(func.count())
            .select_from(CLAIMS)
            .where(CLAIMS.c.batch_id == ITEMS.c.batch_id)
            .scalar_subquery()
        )
        query = query.where(ITEMS.c.batch_id.is_(None) | (claims < bindparam("overlap")))
    return query.order_by(ITEMS.c.id).limit(SCAN)


GOLD_IN_STEP = {b: Prepared(_gold_in_step(b)) for b in (False, True)}


def gold_in_step(
    conn: Connection,
    *,
    project_id: int,
    user_id: int,
    overlap: int,
    item_id: int,
    priority: int,
    batch_ids: list[int] | None,
) -> list[tuple[int, list[Any], bool, bool]]:
    """Gold candidates (id, required_skills, under_overlap, honeypot) in the step before
    ordinary `item_id`."""
    params: dict[str, Any] = {
        "project_id": project_id,
        "user_id": user_id,
        "overlap": overlap,
        "item_id": item_id,
        "priority": priority,
    }
    if batch_ids is not None:
        params["batch_ids"] = batch_ids
    rows = GOLD_IN_STEP[batch_ids is not None].all(conn, params)
    return [(row[0], row[1], bool(row[2]), bool(row[3])) for row in rows]


def skills_match(required: list[Any], skills: dict[str, Any]) -> bool:
    """Required skills are names, optionally 'name:level'; a member's skills map names to levels."""
    for need in required:
        name, _, level = str(need).partition(":")
        have = skills.get(name)
        if have is None:
            return False
        if level and int(have) < int(level):
            return False
    return True
