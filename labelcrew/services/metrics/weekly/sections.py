"""The sections of the weekly snapshot read straight from the database: the priorities with
each batch's state, the alerts of the week, the guideline changes of the week, and the
agreement recorded at a time (`snapshot.weekly_snapshot` puts them together)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select

from labelcrew.db.models.core import (
    Batch,
    GuidelineVersion,
    Item,
    Project,
    User,
)
from labelcrew.db.models.quality import Alert, QualitySnapshot
from labelcrew.services.uow import UnitOfWork


def alpha_at(uow: UnitOfWork, project_id: int, until: datetime) -> float | None:
    value = uow.session.scalar(
        select(QualitySnapshot.value)
        .where(
            QualitySnapshot.project_id == project_id,
            QualitySnapshot.metric == "alpha",
            QualitySnapshot.subject == "project",
            QualitySnapshot.at < until,
        )
        .order_by(QualitySnapshot.at.desc(), QualitySnapshot.id.desc())
        .limit(1)
    )
    return None if value is None else float(value)


def priorities_section(uow: UnitOfWork, project: Project) -> dict[str, Any]:
    open_items = (
        select(Item.batch_id, func.count())
        .where(Item.project_id == project.id, Item.state == "open", Item.is_gold.is_(False))
        .group_by(Item.batch_id)
    )
    left = dict(uow.session.execute(open_items).all())
    rows = uow.session.execute(
        select(Batch, User.username)
        .outerjoin(User, User.id == Batch.owner_id)
        .where(Batch.project_id == project.id, Batch.state != "done")
    ).all()
    batches = [
        {
            "batch": b.name,
            "state": b.state,
            "owner": owner,
            "deadline": b.deadline.date().isoformat() if b.deadline else None,
            "open_items": int(left.get(b.id, 0)),
            "handoff_note": b.handoff_note,
        }
        for b, owner in rows
    ]
    batches.sort(key=lambda b: (b["deadline"] is None, b["deadline"] or "", b["batch"]))
    notes = project.settings.get("priorities", [])
    return {
        "notes": [str(n) for n in notes] if isinstance(notes, list) else [str(notes)],
        "batches": batches[:10],
        "unbatched_open_items": int(left.get(None, 0)),
    }


def alerts_section(
    uow: UnitOfWork, project_id: int, lo: datetime, hi: datetime
) -> list[dict[str, Any]]:
    rows = uow.session.scalars(
        select(Alert)
        .where(
            Alert.project_id == project_id,
            Alert.created_at < hi,
            or_(Alert.state == "open", Alert.updated_at >= lo),
        )
        .order_by(Alert.updated_at.desc())
        .limit(20)
    )
    return [
        {
            "kind": a.kind,
            "subject": a.subject,
            "message": a.message,
            "state": a.state,
            "severity": a.severity,
            "raised": a.created_at.date().isoformat(),
        }
        for a in rows
    ]


def guideline_changes(
    uow: UnitOfWork, project_id: int, lo: datetime, hi: datetime
) -> list[dict[str, Any]]:
    rows = uow.session.execute(
        select(GuidelineVersion, User.username)
        .outerjoin(User, User.id == GuidelineVersion.published_by)
        .where(
            GuidelineVersion.project_id == project_id,
            GuidelineVersion.published_at >= lo,
            GuidelineVersion.published_at < hi,
        )
        .order_by(GuidelineVersion.version)
    ).all()
    return [
        {
            "version": g.version,
            "title": g.title,
            "changelog": g.changelog,
            "published_at": g.published_at.isoformat() if g.published_at else None,
            "published_by": who,
        }
        for g, who in rows
    ]
