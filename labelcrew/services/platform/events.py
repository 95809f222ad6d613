"""Append-only records written inside the caller's unit of work: audit events and outbox events.

Both are inserted at once with a prebuilt statement (they reference nothing by foreign key,
so they need not wait for the ORM's flush), which keeps them cheap on the hot path.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, insert

from labelcrew.db.models.core import AuditEvent, OutboxEvent
from labelcrew.db.prepared import Prepared
from labelcrew.services.uow import UnitOfWork

INSERT_AUDIT = Prepared(insert(cast(Table, AuditEvent.__table__)))
INSERT_OUTBOX = Prepared(insert(cast(Table, OutboxEvent.__table__)))


def audit(
    uow: UnitOfWork,
    *,
    actor_id: int | None,
    action: str,
    entity_type: str,
    entity_id: object | None = None,
    project_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    INSERT_AUDIT.run(
        uow.conn,
        {
            "at": uow.now,
            "actor_id": actor_id,
            "project_id": project_id,
            "action": action,
            "entity_type": entity_type,
            "entity_id": None if entity_id is None else str(entity_id),
            "before": before,
            "after": after,
        },
    )


def emit(
    uow: UnitOfWork, *, project_id: int | None, event_type: str, payload: dict[str, Any]
) -> None:
    """Queue an event for webhooks and background work, in the same transaction as the change."""
    INSERT_OUTBOX.run(
        uow.conn,
        {
            "project_id": project_id,
            "event_type": event_type,
            "payload": payload,
            "created_at": uow.now,
            "processed_at": None,
        },
    )
