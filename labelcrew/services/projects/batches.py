"""Batches: named groups of items with an owner (reviewer) and a done state."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select

from labelcrew.db.models.core import Batch, Item, User
from labelcrew.errors import Conflict, NotFound, ValidationFailed
from labelcrew.services.accounts.users import Actor
from labelcrew.services.platform.events import audit, emit
from labelcrew.services.projects.projects import load_project
from labelcrew.services.uow import Database, UnitOfWork

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "open": ("in_progress",),
    "in_progress": ("in_review", "open"),
    "in_review": ("done", "in_progress"),
    "done": ("in_review",),
}


def _progress(uow: UnitOfWork, batch_ids: list[int]) -> dict[int, tuple[int, int]]:
    rows = uow.session.execute(
        select(Item.batch_id, func.count(), func.sum(case((Item.state == "done", 1), else_=0)))
        .where(Item.batch_id.in_(batch_ids))
        .group_by(Item.batch_id)
    )
    return {b: (int(n), int(done or 0)) for b, n, done in rows}


def batch_dict(b: Batch, owner: str | None, progress: tuple[int, int]) -> dict[str, Any]:
    total, done = progress
    return {
        "id": b.id,
        "name": b.name,
        "owner": owner,
        "state": b.state,
        "deadline": b.deadline.isoformat() if b.deadline else None,
        "handoff_note": b.handoff_note,
        "items": total,
        "items_done": done,
        "progress": round(done / total, 4) if total else 0.0,
    }


def _owner_id(uow: UnitOfWork, username: str | None) -> int | None:
    if username is None:
        return None
    user_id = uow.session.scalar(select(User.id).where(User.username == username))
    if user_id is None:
        raise NotFound(f"no user {username!r}", field="owner")
    return user_id


def get_or_create(uow: UnitOfWork, project_id: int, name: str) -> int:
    """Used by import: batches named in a file come into being on first mention."""
    found = uow.session.scalar(
        select(Batch.id).where(Batch.project_id == project_id, Batch.name == name)
    )
    if found is not None:
        return found
    batch = Batch(project_id=project_id, name=name, created_at=uow.now, updated_at=uow.now)
    uow.session.add(batch)
    uow.session.flush()
    return batch.id


def create_batch(
    db: Database, actor: Actor, ref: int | str, *, name: str, owner: str | None = None
) -> dict[str, Any]:
    if not name.strip():
        raise ValidationFailed("a batch needs a name", field="name")
    with db.uow() as uow:
        project = load_project(uow, ref)
        if (
            uow.session.scalar(
                select(Batch.id).where(Batch.project_id == project.id, Batch.name == name)
            )
            is not None
        ):
            raise Conflict(f"batch {name!r} exists", code="batch_exists", field="name")
        batch = Batch(
            project_id=project.id,
            name=name,
            owner_id=_owner_id(uow, owner),
            created_at=uow.now,
            updated_at=uow.now,
        )
        uow.session.add(batch)
        uow.session.flush()
        result = batch_dict(batch, owner, (0, 0))
        audit(
            uow,
            actor_id=actor.user_id,
            action="batch.create",
            entity_type="batch",
            entity_id=batch.id,
            project_id=project.id,
            after=result,
        )
        uow.commit()
        return result


# The live counts of a batch; left out for readers without `batch.detail_read` (annotators):
# watching `items_done` move after one's own submit tells a gold item (never done) apart.
COUNT_KEYS = ("items", "items_done", "progress")


def without_counts(batch: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in batch.items() if k not in COUNT_KEYS}


def list_batches(db: Database, ref: int | str, *, counts: bool = True) -> list[dict[str, Any]]:
    """Every batch of the project; `counts=False` leaves out the live item counts."""
    with db.uow(read_only=True) as uow:
        project = load_project(uow, ref)
        rows = uow.session.execute(
            select(Batch, User.username)
            .outerjoin(User, User.id == Batch.owner_id)
            .where(Batch.project_id == project.id)
            .order_by(Batch.id)
        ).all()
        progress = _progress(uow, [b.id for b, _ in rows])
        out = [batch_dict(b, owner, progress.get(b.id, (0, 0))) for b, owner in rows]
        return out if counts else [without_counts(b) for b in out]


def _load(uow: UnitOfWork, project_id: int, batch_id: int) -> Batch:
    batch = uow.session.get(Batch, batch_id)
    if batch is None or batch.project_id != project_id:
        raise NotFound(f"no batch {batch_id}", code="batch_not_found", field="batch_id")
    return batch


def update_batch(
    db: Database,
    actor: Actor,
    ref: int | str,
    batch_id: int,
    *,
    state: str | None = None,
    owner: str | None = None,
    handoff_note: str | None = None,
) -> dict[str, Any]:
    """Move a batch along open -> in_progress -> in_review -> done, or hand it to a new owner."""
    with db.uow() as uow:
        project = load_project(uow, ref)
        batch = _load(uow, project.id, batch_id)
        owner_name = uow.session.scalar(select(User.username).where(User.id == batch.owner_id))
        before = batch_dict(batch, owner_name, _progress(uow, [batch.id]).get(batch.id, (0, 0)))
        if state is not None and state != batch.state:
            if state not in TRANSITIONS:
                raise ValidationFailed(
                    f"unknown batch state {state!r}; one of {sorted(TRANSITIONS)}", field="state"
                )
            if state not in TRANSITIONS[batch.state]:
                raise Conflict(
                    f"a batch cannot go from {batch.state} to {state}; allowed: "
                    f"{', '.join(TRANSITIONS[batch.state])}",
                    code="bad_transition",
                    field="state",
                )
            batch.state = state
        if owner is not None:
            batch.owner_id, owner_name = _owner_id(uow, owner), owner
        if handoff_note is not None:
            batch.handoff_note = handoff_note
        batch.updated_at = uow.now
        after = batch_dict(batch, owner_name, (before["items"], before["items_done"]))
        audit(
            uow,
            actor_id=actor.user_id,
            action="batch.update",
            entity_type="batch",
            entity_id=batch.id,
            project_id=project.id,
            before=before,
            after=after,
        )
        if before["state"] != after["state"]:
            emit(
                uow,
                project_id=project.id,
                event_type="batch.state_changed",
                payload={"batch_id": batch.id, "from": before["state"], "to": after["state"]},
            )
        uow.commit()
        return after


def batch_items(
    db: Database, ref: int | str, batch_id: int, *, limit: int = 100, offset: int = 0
) -> dict[str, Any]:
    with db.uow(read_only=True) as uow:
        project = load_project(uow, ref)
        batch = _load(uow, project.id, batch_id)
        items = uow.session.execute(
            select(
                Item.id, Item.external_id, Item.state, Item.annotation_count, Item.overlap_target
            )
            .where(Item.batch_id == batch.id)
            .order_by(Item.id)
            .limit(limit)
            .offset(offset)
        )
        return {
            "batch_id": batch.id,
            "items": [
                {"id": i, "external_id": e, "state": s, "annotations": n, "overlap_target": t}
                for i, e, s, n, t in items
            ],
        }
