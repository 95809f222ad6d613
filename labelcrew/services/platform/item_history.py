"""One item's history from the audit log: what was done to the item and to everything that
hangs off it (its labels, leases, review tasks, reviews, comments and escalations), newest first.

The audit log names the entity each event is about, not the item, so the ids of the item's
dependants are gathered first (each an indexed lookup by item) and the events matched on
(entity type, entity id).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, or_, select

from labelcrew.db.models.core import Annotation, Assignment, AuditEvent, Item, User
from labelcrew.db.models.feedback import Comment, Escalation, Review, ReviewTask
from labelcrew.errors import NotFound, ValidationFailed
from labelcrew.services.platform.audit_log import event_dict
from labelcrew.services.uow import Database

DEPENDANTS: tuple[tuple[str, Any], ...] = (
    ("annotation", Annotation),
    ("assignment", Assignment),
    ("review_task", ReviewTask),
    ("review", Review),
    ("comment", Comment),
    ("escalation", Escalation),
)


def item_history(
    db: Database, project_id: int, item_id: int, *, limit: int = 200
) -> list[dict[str, Any]]:
    if not 1 <= limit <= 1000:
        raise ValidationFailed("limit must lie between 1 and 1000", field="limit")
    with db.uow(read_only=True) as uow:
        item = uow.session.get(Item, item_id)
        if item is None or item.project_id != project_id:
            raise NotFound(f"no item {item_id}", code="item_not_found", field="item_id")
        about = [and_(AuditEvent.entity_type == "item", AuditEvent.entity_id == str(item_id))]
        for entity_type, model in DEPENDANTS:
            ids = [
                str(i)
                for i in uow.session.scalars(select(model.id).where(model.item_id == item_id))
            ]
            if ids:
                about.append(
                    and_(AuditEvent.entity_type == entity_type, AuditEvent.entity_id.in_(ids))
                )
        rows = uow.session.execute(
            select(AuditEvent, User.username)
            .outerjoin(User, User.id == AuditEvent.actor_id)
            .where(AuditEvent.project_id == project_id, or_(*about))
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        )
        return [event_dict(e, name) for e, name in rows]
