"""Giving work back: skip an item (never serve it to me again), release it (back to the pool),
or drop a stable hold on a whole batch."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from labelcrew.db.models.core import Assignment, BatchClaim, Item
from labelcrew.errors import NotFound, ValidationFailed
from labelcrew.services.accounts.users import Actor
from labelcrew.services.platform.events import audit
from labelcrew.services.uow import Database
from labelcrew.services.work import difficulty_hooks as routing
from labelcrew.services.work.candidates import lock_member

MAX_SKIP_REASON = 500


def give_back(
    db: Database,
    actor: Actor,
    project_id: int,
    item_id: int,
    *,
    skip: bool,
    reason: str | None = None,
) -> dict[str, Any]:
    """Skip (never serve it to me again) or release (back to the pool for anyone, me included).
    A skip may say why ("image does not load", "not English"); the reason is kept in the audit
    record of the skip, where a lead reads it."""
    reason = (reason or "").strip() or None
    if reason is not None and len(reason) > MAX_SKIP_REASON:
        raise ValidationFailed(
            f"a skip reason has at most {MAX_SKIP_REASON} characters", field="reason"
        )
    with db.uow(durable=False) as uow:
        lock_member(uow.session, project_id, actor.user_id)
        lease = uow.session.scalar(
            select(Assignment).where(
                Assignment.project_id == project_id,
                Assignment.item_id == item_id,
                Assignment.annotator_id == actor.user_id,
                Assignment.state == "leased",
            )
        )
        if lease is None:
            raise NotFound(f"you hold no lease on item {item_id}", code="no_lease", field="item_id")
        lease.state = "skipped" if skip else "released"
        lease.finished_at = uow.now
        if skip:
            routing.raise_difficulty(uow, item_id)
        audit(
            uow,
            actor_id=actor.user_id,
            action="assignment.skip" if skip else "assignment.release",
            entity_type="assignment",
            entity_id=lease.id,
            project_id=project_id,
            before={"state": "leased"},
            after={"state": lease.state, **({"reason": reason} if reason and skip else {})},
        )
        uow.commit()
        return {"item_id": item_id, "state": lease.state}


def release_batch(db: Database, actor: Actor, project_id: int, batch_id: int) -> dict[str, Any]:
    """Drop an annotator's stable hold on a batch and give back their leases in it."""
    with db.uow() as uow:
        claim = uow.session.get(BatchClaim, (batch_id, actor.user_id))
        if claim is None:
            raise NotFound(
                f"you hold no claim on batch {batch_id}", code="no_claim", field="batch_id"
            )
        uow.session.delete(claim)
        leases = uow.session.scalars(
            select(Assignment)
            .join(Item, Item.id == Assignment.item_id)
            .where(
                Item.batch_id == batch_id,
                Assignment.annotator_id == actor.user_id,
                Assignment.state == "leased",
            )
        ).all()
        for lease in leases:
            lease.state, lease.finished_at = "released", uow.now
        audit(
            uow,
            actor_id=actor.user_id,
            action="batch.release_claim",
            entity_type="batch",
            entity_id=batch_id,
            project_id=project_id,
            before={"claimed": True},
            after={"claimed": False, "released_leases": len(leases)},
        )
        uow.commit()
        return {"batch_id": batch_id, "released_leases": len(leases)}
