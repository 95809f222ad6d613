"""Every periodic job the worker runs, listed in one place.

This list is the whole wiring: `labelcrew worker` and the embedded worker of `labelcrew serve`
both pass `PERIODIC_JOBS` to `worker.run`. Nothing registers itself by being imported (a
standalone worker once skipped the weekly report because the module that registered it had
not been imported in that process), so a new job is a new line here or it does not run.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from labelcrew.db.models.core import Project
from labelcrew.errors import LabelcrewError
from labelcrew.services.accounts import login_guard, sessions
from labelcrew.services.escalations import tickets as escalations
from labelcrew.services.metrics.weekly import snapshot as weekly
from labelcrew.services.platform.worker import PeriodicJob
from labelcrew.services.quality import field_agreement, gold_disputes, honeypots
from labelcrew.services.quality import measures as quality
from labelcrew.services.teamops import priorities, redistribution
from labelcrew.services.uow import Database

log = logging.getLogger("labelcrew.worker")


def scan_quality(db: Database) -> None:
    """Agreement snapshot and drift scan of every project with a schema."""
    with db.uow(read_only=True) as uow:
        ids = list(
            uow.session.scalars(select(Project.id).where(Project.schema_version.is_not(None)))
        )
    for project_id in ids:
        try:
            # every field first: a project without a single-choice field has only these
            field_agreement.alert_low_fields(db, project_id)
            gold_disputes.flag(db, project_id)  # before the drift scan, which leaves them out
            honeypots.scan_honeypots(db, project_id)
            quality.measure_agreement(db, project_id, record=True)
            quality.scan_drift(db, project_id)
        except LabelcrewError as exc:  # e.g. no single-choice field to measure
            log.info("quality scan skipped project %s: %s", project_id, exc.message)


def prune_accounts(db: Database) -> None:
    """Ended sessions and quiet sign-in counters go, so neither table grows without end."""
    gone = sessions.prune(db), login_guard.prune(db)
    log.info("pruned %s ended sessions and %s quiet sign-in counters", *gone)


def check_escalations(db: Database) -> None:
    """Raise an alert for each escalation past its SLA (idempotent per ticket and level)."""
    with db.uow(read_only=True) as uow:
        ids = list(uow.session.scalars(select(Project.id)))
    for project_id in ids:
        try:
            escalations.check_overdue(db, project_id)
        except LabelcrewError as exc:
            log.info("escalation check skipped project %s: %s", project_id, exc.message)


PERIODIC_JOBS: tuple[PeriodicJob, ...] = (
    PeriodicJob("quality.scan", 3600.0, scan_quality),
    PeriodicJob("report.weekly", 3600.0, weekly.weekly_job),
    PeriodicJob("metrics.rollup", 900.0, weekly.refresh_rollups),
    PeriodicJob("escalations.overdue", 300.0, check_escalations),
    PeriodicJob(
        "teamops.redistribute",
        redistribution.AUTO_EVERY_SECONDS,
        redistribution.run_auto_redistribution,
    ),
    PeriodicJob("accounts.prune", 3600.0, prune_accounts),
    PeriodicJob("teamops.cadence", priorities.CADENCE_EVERY_SECONDS, priorities.run_due_cadences),
)
