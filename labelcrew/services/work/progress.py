"""The annotator's own progress, shown in the workspace's status bar: labels submitted today and
in all, items skipped, and the batches they hold a claim on (the work they are in the middle of).

Only the caller's own assignments are read, through the (project, annotator, state) index, so
the count costs the same at 1M items. Nothing here tells items apart: no per-batch item
counts (a batch that never finishes marks gold items, issue 14) and nothing about the item on
screen.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import func, select

from labelcrew.db.models.core import Assignment, Batch, BatchClaim
from labelcrew.services.uow import Database


def my_progress(db: Database, project_id: int, user_id: int) -> dict[str, Any]:
    with db.uow(read_only=True) as uow:
        midnight = datetime.combine(uow.now.date(), time(), tzinfo=uow.now.tzinfo)
        mine = (Assignment.project_id == project_id) & (Assignment.annotator_id == user_id)
        counts = dict(
            uow.session.execute(
                select(Assignment.state, func.count())
                .where(mine, Assignment.state.in_(("submitted", "skipped")))
                .group_by(Assignment.state)
            ).all()
        )
        today = uow.session.scalar(
            select(func.count()).where(
                mine, Assignment.state == "submitted", Assignment.finished_at >= midnight
            )
        )
        batches = uow.session.scalars(
            select(Batch.name)
            .join(BatchClaim, BatchClaim.batch_id == Batch.id)
            .where(Batch.project_id == project_id, BatchClaim.user_id == user_id)
            .order_by(Batch.name)
        ).all()
        return {
            "submitted": int(counts.get("submitted", 0)),
            "today": int(today or 0),
            "skipped": int(counts.get("skipped", 0)),
            "batches": list(batches),
        }
