"""Queries the assignment engine shares: free slots, candidate scans, row locks.

Concurrency: on PostgreSQL the candidate scan takes no locks; each candidate is then locked
alone (FOR UPDATE SKIP LOCKED, in a savepoint) and re-checked in a fresh statement (READ
COMMITTED takes a new snapshot per statement, so leases committed by others after our scan
started are seen; while we hold the item row nobody else can lease it). On SQLite the whole
unit of work runs under BEGIN IMMEDIATE, so it is serialised anyway.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from labelcrew.db.models import Assignment, BatchClaim, Item, Member

SCAN = 16


def live_leases(item_id: Any, now: datetime, *, except_user: int | None = None) -> Any:
    """Scalar subquery: unexpired leases on an item (optionally not counting one annotator's)."""
    cond = [
        Assignment.item_id == item_id,
        Assignment.state == "leased",
        Assignment.expires_at > now,
    ]
    if except_user is not None:
        cond.append(Assignment.annotator_id != except_user)
    return select(func.count()).select_from(Assignment).where(*cond).scalar_subquery()


def lock_member(session: Session, project_id: int, user_id: int) -> Member | None:
    """Serialises one annotator's requests (WIP limit, idempotency) without blocking others."""
    return session.scalar(
        select(Member)
        .where(Member.project_id == project_id, Member.user_id == user_id)
        .with_for_update()
    )


def has_free_slot(session: Session, item_id: int, user_id: int, now: datetime) -> bool:
    """Re-check after locking the item row: still open, a slot left, not done by this user."""
    row = session.execute(
        select(
            Item.state,
            Item.annotation_count + live_leases(Item.id, now, except_user=user_id),
            Item.overlap_target,
            exists().where(
                Assignment.item_id == Item.id,
                Assignment.annotator_id == user_id,
                Assignment.state.notin_(("released", "leased")),
            ),
        ).where(Item.id == item_id)
    ).one()
    state, taken, target, done_by_user = row
    return bool(state == "open" and taken < target and not done_by_user)


def candidate_ids(
    session: Session,
    *,
    project_id: int,
    user_id: int,
    now: datetime,
    overlap: int,
    gold: bool,
    batch_ids: list[int] | None,
    offset: int = 0,
    difficulty: tuple[str, ...] | None = None,
) -> list[tuple[int, list[Any], int | None]]:
    """Best open items for this annotator, by priority then age: (id, required_skills, batch)."""
    mine = exists().where(
        Assignment.item_id == Item.id,
        Assignment.annotator_id == user_id,
        Assignment.state != "released",
    )
    query = select(Item.id, Item.required_skills, Item.batch_id).where(
        Item.project_id == project_id,
        Item.state == "open",
        Item.is_gold == gold,
        ~mine,
    )
    if not gold:
        query = query.where(Item.annotation_count + live_leases(Item.id, now) < Item.overlap_target)
    if difficulty is not None:  # a filter on the same index scan, never a sort expression
        query = query.where(Item.difficulty.in_(difficulty))
    if batch_ids is not None:
        query = query.where(Item.batch_id.in_(batch_ids))
    elif not gold:
        claims = (
            select(func.count())
            .select_from(BatchClaim)
            .where(BatchClaim.batch_id == Item.batch_id)
            .scalar_subquery()
        )
        query = query.where(and_(Item.batch_id.is_(None) | (claims < overlap)))
    query = query.order_by(Item.priority.desc(), Item.id).limit(SCAN).offset(offset)
    return [(r[0], r[1], r[2]) for r in session.execute(query)]


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
