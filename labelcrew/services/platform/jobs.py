"""Every periodic job the worker runs, registered in one place.

Capabilities register their own jobs when imported (`weekly`, `redistribution`); importing this
module imports them all, so a `labelcrew worker` process and the embedded worker run the same
set. Jobs that belong to no such module are registered here.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from labelcrew.db.models.core import Project
from labelcrew.errors import LabelcrewError
from labelcrew.services.escalations import tickets as escalations
from labelcrew.services.metrics.weekly import snapshot as weekly  # noqa: F401
from labelcrew.services.platform import worker
from labelcrew.services.teamops import redistribution  # noqa: F401
from labelcrew.services.uow import Database

log = logging.getLogger("labelcrew.worker")


def check_escalations(db: Database) -> None:
    """Raise an alert for each escalation past its SLA (idempotent per ticket and level)."""
    with db.uow(read_only=True) as uow:
        ids = list(uow.session.scalars(select(Project.id)))
    for project_id in ids:
        try:
            escalations.check_overdue(db, project_id)
        except LabelcrewError as exc:
            log.info("escalation check skipped project %s: %s", project_id, exc.message)


worker.register_periodic("escalations.overdue", 300.0, check_escalations)
