"""Reading the append-only audit log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from labelcrew.db.models.core import AuditEvent, User
from labelcrew.errors import ValidationFailed
from labelcrew.services.uow import Database


def list_events(
    db: Database,
    project_id: int | None,
    *,
    limit: int = 100,
    before_id: int | None = None,
    action: str | None = None,
) -> list[dict[str, Any]]:
    if not 1 <= limit <= 1000:
        raise ValidationFailed("limit must lie between 1 and 1000", field="limit")
    with db.uow(read_only=True) as uow:
        query = select(AuditEvent, User.username).outerjoin(User, User.id == AuditEvent.actor_id)
        if project_id is not None:
            query = query.where(AuditEvent.project_id == project_id)
        if before_id is not None:
            query = query.where(AuditEvent.id < before_id)
        if action is not None:
            query = query.where(AuditEvent.action == action)
        rows = uow.session.execute(query.order_by(AuditEvent.id.desc()).limit(limit))
        return [event_dict(e, name) for e, name in rows]


def event_dict(e: AuditEvent, actor: str | None) -> dict[str, Any]:
    """One audit event as the log and an item's history show it."""
    return {
        "id": e.id,
        "at": e.at.isoformat(),
        "actor": actor,
        "action": e.action,
        "entity_type": e.entity_type,
        "entity_id": e.entity_id,
        "before": e.before,
        "after": e.after,
    }
