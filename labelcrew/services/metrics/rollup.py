"""Keeps the metrics rollups current, so the dashboard reads a few thousand rows, not every
annotation.

- Closed days (UTC days that ended more than `MARGIN` ago) are aggregated once into
  `metrics_daily` and `metrics_daily_durations`: the columns they read (time, member, queue,
  duration, gold correctness) never change after a submit. Days still open are read live.
- `metrics_item_state` holds, per overlap item, how many live labels it has and how many
  distinct values on the primary field. Each refresh recomputes the items whose labels were
  added or superseded since the previous refresh (minus `MARGIN`, so a transaction that
  committed late is not missed; recomputing an item twice is harmless).

`refresh` runs before each dashboard read and from the worker; a first refresh over a large
history does the bulk of the work once.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, text

from labelcrew.db.models.core import Annotation, Project
from labelcrew.db.models.metrics import (
    MetricsDaily,
    MetricsDailyDuration,
    MetricsItemState,
    MetricsRollupState,
)
from labelcrew.services.metrics import sql
from labelcrew.services.uow import Database, UnitOfWork

MARGIN = timedelta(minutes=10)
LOCK_KEY = 0x4C43_4D00  # pg_advisory_xact_lock namespace for metrics refreshes


def closed_until(uow: UnitOfWork) -> date:
    """Days before this one are closed: they ended more than MARGIN ago."""
    return (uow.now - MARGIN).date()


def refresh(db: Database, project_id: int) -> dict[str, Any]:
    """Bring the rollups of one project up to date; returns what it did."""
    with db.uow() as uow:
        if not db.is_sqlite:  # SQLite writers are serialised by BEGIN IMMEDIATE already
            uow.session.execute(
                text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY + project_id}
            )
        project = uow.session.get(Project, project_id)
        if project is None:
            return {"days": 0, "items": 0}
        state = uow.session.get(MetricsRollupState, project_id)
        if state is None:
            state = MetricsRollupState(project_id=project_id)
            uow.session.add(state)
        days = _roll_days(uow, project_id, state, sqlite=db.is_sqlite)
        items = _refresh_items(uow, project, state)
        uow.commit()
        return {"days": days, "items": items}


def _roll_days(uow: UnitOfWork, project_id: int, state: MetricsRollupState, *, sqlite: bool) -> int:
    until = closed_until(uow)
    start = state.rolled_until
    if start is None:
        first = uow.session.scalar(
            select(func.min(Annotation.created_at)).where(Annotation.project_id == project_id)
        )
        start = until if first is None else min(first.date(), until)
    if start >= until:
        state.rolled_until = start
        return 0
    lo, hi = sql.day_start(start), sql.day_start(until)
    for table in (MetricsDaily, MetricsDailyDuration):  # idempotent if a run was cut short
        uow.session.execute(delete(table).where(table.project_id == project_id, table.day >= start))
    activity = sql.activity_query(project_id, lo, hi, sqlite=sqlite).subquery()
    uow.session.execute(
        insert(MetricsDaily).from_select(
            [
                "project_id",
                "day",
                "annotator_id",
                "queue",
                "labels",
                "duration_ms_sum",
                "timed",
                "gold_answers",
                "gold_correct",
            ],
            select(
                sql.literal_project(project_id),
                activity.c.day,
                activity.c.annotator_id,
                activity.c.queue,
                activity.c.labels,
                activity.c.duration_ms_sum,
                activity.c.timed,
                activity.c.gold_answers,
                activity.c.gold_correct,
            ),
        )
    )
    durations = sql.durations_query(project_id, lo, hi, sqlite=sqlite).subquery()
    uow.session.execute(
        insert(MetricsDailyDuration).from_select(
            ["project_id", "day", "queue", "seconds", "n"],
            select(
                sql.literal_project(project_id),
                durations.c.day,
                durations.c.queue,
                durations.c.seconds,
                durations.c.n,
            ),
        )
    )
    state.rolled_until = until
    return (until - start).days


def _refresh_items(uow: UnitOfWork, project: Project, state: MetricsRollupState) -> int:
    field = sql.primary_field(uow, project)
    if field is None:
        return 0
    since = state.items_refreshed_at
    if state.primary_field != field:
        since = None  # the schema's primary field changed: every summary is stale
    if since is None:
        uow.session.execute(
            delete(MetricsItemState).where(MetricsItemState.project_id == project.id)
        )
        touched = None
    else:
        cutoff = since - MARGIN
        touched = (
            select(Annotation.item_id)
            .where(
                Annotation.project_id == project.id,
                or_(Annotation.created_at >= cutoff, Annotation.superseded_at >= cutoff),
            )
            .distinct()
        )
        uow.session.execute(delete(MetricsItemState).where(MetricsItemState.item_id.in_(touched)))
    per_item = sql.item_labels(project.id, field, touched).subquery()
    done = uow.session.execute(
        insert(MetricsItemState).from_select(
            ["item_id", "project_id", "batch_id", "labels", "distinct_values", "last_label_at"],
            select(
                per_item.c.item_id,
                sql.literal_project(project.id),
                per_item.c.batch_id,
                per_item.c.labels,
                per_item.c.distinct_values,
                per_item.c.last_label_at,
            ),
        )
    )
    state.items_refreshed_at, state.primary_field = uow.now, field
    return max(int(getattr(done, "rowcount", 0) or 0), 0)
