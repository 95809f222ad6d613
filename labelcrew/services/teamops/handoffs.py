"""Handoffs across time zones: every batch has a named review owner and a done state at every
moment; a change of owner writes the handoff note into the batch and keeps it in the batch's
handoff history; "almost done" batches with nobody owning them are listed so they do not sit
unnamed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from labelcrew.db.models.core import Batch, Member, User
from labelcrew.db.models.teamops import BatchHandoff
from labelcrew.errors import NotFound, ValidationFailed
from labelcrew.services.accounts.users import Actor
from labelcrew.services.platform.events import audit, emit
from labelcrew.services.projects.batches import _progress as progress_of
from labelcrew.services.projects.batches import batch_dict, list_batches
from labelcrew.services.projects.projects import load_project
from labelcrew.services.uow import Database

ALMOST_DONE = 0.9
MAX_NOTE = 4000


def board(db: Database, ref: int | str, *, almost: float = ALMOST_DONE) -> dict[str, Any]:
    """Every batch with its owner and state, and the almost-done ones nobody owns."""
    if not 0.0 < almost <= 1.0:
        raise ValidationFailed("almost must lie in (0, 1]", field="almost")
    batches = list_batches(db, ref)
    unowned = [
        b
        for b in batches
        if b["owner"] is None and b["state"] != "done" and b["items"] and b["progress"] >= almost
    ]
    return {"batches": batches, "almost_done_unowned": unowned, "threshold": almost}


def handoff(
    db: Database,
    actor: Actor,
    ref: int | str,
    batch_id: int,
    *,
    to_owner: str,
    note: str,
) -> dict[str, Any]:
    """Give a batch to a new review owner with a note (required: what is done, what is left)."""
    if not note.strip():
        raise ValidationFailed(
            "a handoff needs a note: what is done and what is left", field="note"
        )
    if len(note) > MAX_NOTE:
        raise ValidationFailed(f"the note has more than {MAX_NOTE} characters", field="note")
    with db.uow() as uow:
        project = load_project(uow, ref)
        batch = uow.session.get(Batch, batch_id)
        if batch is None or batch.project_id != project.id:
            raise NotFound(f"no batch {batch_id}", code="batch_not_found", field="batch_id")
        target = uow.session.scalar(
            select(User.id)
            .join(Member, Member.user_id == User.id)
            .where(User.username == to_owner, Member.project_id == project.id)
        )
        if target is None:
            raise NotFound(
                f"{to_owner!r} is not a member of this project",
                code="member_not_found",
                field="to_owner",
            )
        names: dict[int | None, str] = {
            uid: name for uid, name in uow.session.execute(select(User.id, User.username))
        }
        before = batch_dict(
            batch, names.get(batch.owner_id), progress_of(uow, [batch.id]).get(batch.id, (0, 0))
        )
        uow.session.add(
            BatchHandoff(
                project_id=project.id,
                batch_id=batch.id,
                from_owner_id=batch.owner_id,
                to_owner_id=target,
                note=note,
                state=batch.state,
                created_by=actor.user_id,
                created_at=uow.now,
            )
        )
        batch.owner_id, batch.handoff_note, batch.updated_at = target, note, uow.now
        after = batch_dict(batch, to_owner, (before["items"], before["items_done"]))
        audit(
            uow,
            actor_id=actor.user_id,
            action="batch.handoff",
            entity_type="batch",
            entity_id=batch.id,
            project_id=project.id,
            before={"owner": before["owner"], "handoff_note": before["handoff_note"]},
            after={"owner": to_owner, "handoff_note": note},
        )
        emit(
            uow,
            project_id=project.id,
            event_type="batch.handed_off",
            payload={"batch_id": batch.id, "from": before["owner"], "to": to_owner},
        )
        uow.commit()
        return after


def history(db: Database, ref: int | str, batch_id: int) -> dict[str, Any]:
    with db.uow(read_only=True) as uow:
        project = load_project(uow, ref)
        batch = uow.session.get(Batch, batch_id)
        if batch is None or batch.project_id != project.id:
            raise NotFound(f"no batch {batch_id}", code="batch_not_found", field="batch_id")
        names: dict[int | None, str] = {
            uid: name for uid, name in uow.session.execute(select(User.id, User.username))
        }
        rows = uow.session.scalars(
            select(BatchHandoff).where(BatchHandoff.batch_id == batch.id).order_by(BatchHandoff.id)
        )
        return {
            "batch_id": batch.id,
            "owner": names.get(batch.owner_id),
            "state": batch.state,
            "handoff_note": batch.handoff_note,
            "history": [
                {
                    "from": names.get(h.from_owner_id),
                    "to": names.get(h.to_owner_id),
                    "note": h.note,
                    "state": h.state,
                    "by": names.get(h.created_by),
                    "at": h.created_at.isoformat(),
                }
                for h in rows
            ],
        }
