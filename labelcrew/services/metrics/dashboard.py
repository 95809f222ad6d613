"""Project metrics for the dashboard, the API and `labelcrew report metrics`.

Over a period of UTC days (`date_from`..`date_to`, both inclusive) and optionally one batch or
one member: disagreement rate on overlap items, gold accuracy, agreement over time, time per
item by queue (median and p90, lease to submit), throughput per member and per day, WIP and
queue depth, and, from the review capability when it is installed, correction rate, recurring
error tags and escalations.

Definitions:
- an *overlap item* is a non-gold item with >= 2 live (not superseded) labels; it *disagrees*
  when they hold more than one value of the schema's primary field. It counts in the period of
  its latest live label (for a member: on every member who labelled it);
- throughput, time per item and gold accuracy count every submitted annotation (superseded
  ones too: the work was done), on the day it was submitted;
- WIP and queue depth are now, not over the period.

Whole days before the rollup horizon come from the daily rollups (see `metrics_rollup`) when
there is no member or batch filter; everything else is computed live from `annotations`. Both
paths produce the same partial aggregates, so the numbers do not depend on which one answered.

This module holds the use case (`project_metrics`), the period it covers and the figures that
are now (WIP, queue depth) or recorded elsewhere (agreement snapshots); `metrics_partials`
gathers the partial aggregates and `metrics_figures` turns them into totals and series.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import case, func, select

from labelcrew.db.models.core import Assignment, Batch, Item, Project, User
from labelcrew.db.models.quality import QualitySnapshot
from labelcrew.domain.metrics.calc import GROUPS
from labelcrew.errors import NotFound, ValidationFailed
from labelcrew.services.metrics import review_figures as metrics_review
from labelcrew.services.metrics import rollup as metrics_rollup
from labelcrew.services.metrics import sql
from labelcrew.services.metrics.figures import assemble
from labelcrew.services.metrics.partials import from_annotations, from_rollups
from labelcrew.services.uow import Database, UnitOfWork

DEFAULT_DAYS = 28
MAX_DAYS = 400


def parse_period(
    date_from: date | str | None, date_to: date | str | None, today: date
) -> tuple[date, date]:
    def parse(value: date | str | None, name: str) -> date | None:
        if isinstance(value, date):
            return value
        if value is None or value == "":
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValidationFailed(
                f"{name} must be a date like 2026-11-23, got {value!r}",
                field=name,
                code="bad_date",
            ) from None

    end = parse(date_to, "to") or today
    start = parse(date_from, "from") or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise ValidationFailed(
            f"from ({start}) is after to ({end})", field="from", code="bad_period"
        )
    if (end - start).days >= MAX_DAYS:
        raise ValidationFailed(
            f"a period spans at most {MAX_DAYS} days", field="from", code="period_too_long"
        )
    return start, end


def project_metrics(
    db: Database,
    project_id: int,
    *,
    date_from: date | str | None = None,
    date_to: date | str | None = None,
    group_by: str | None = "day",
    member_id: int | None = None,
    batch_id: int | None = None,
    live: bool = False,
    refresh: bool = True,
) -> dict[str, Any]:
    """Every metric over the period, totals plus one series entry per `group_by` key
    (day, week, member, batch, queue or None). `live` skips the rollups (the reference the
    benchmark compares against); `refresh` brings the rollups up to date first."""
    if group_by is not None and group_by not in GROUPS:
        raise ValidationFailed(
            f"group_by must be one of {', '.join(GROUPS)}, got {group_by!r}",
            field="group_by",
            code="bad_group_by",
        )
    use_rollups = (
        not live and member_id is None and batch_id is None and group_by not in ("member", "batch")
    )
    if use_rollups and refresh:
        metrics_rollup.refresh(db, project_id)
    with db.uow(read_only=True) as uow:
        project = uow.session.get(Project, project_id)
        if project is None:
            raise NotFound(f"no project {project_id}", code="project_not_found")
        start, end = parse_period(date_from, date_to, uow.now.date())
        field = sql.primary_field(uow, project)
        if use_rollups:
            activity, durations, overlap = from_rollups(uow, project_id, field, start, end)
        else:
            activity, durations, overlap = from_annotations(
                uow, project_id, field, start, end, member_id, batch_id, group_by
            )
        names = dict(uow.session.execute(select(User.id, User.username)).all())
        result = assemble(activity, durations, *overlap, group_by, names, start, end)
        result.update(
            project_id=project_id,
            period={"from": start.isoformat(), "to": end.isoformat()},
            group_by=group_by,
            filters={"member_id": member_id, "batch_id": batch_id},
            primary_field=field,
            source="rollups+live" if use_rollups else "live",
        )
        result["wip"] = _wip(uow, project_id, member_id, names)
        result["queue_depth"] = _queue_depth(uow, project_id, batch_id)
        result["agreement"] = _agreement(uow, project_id, start, end)
        result["escalations"] = metrics_review.escalations(uow, project_id)
    lo, hi = sql.period_bounds(start, end)
    result["review"] = metrics_review.review_figures(db, project_id, lo, hi, result["labels"])
    return result


def _wip(
    uow: UnitOfWork, project_id: int, member_id: int | None, names: dict[int, str]
) -> dict[str, Any]:
    """Live leases now: items someone holds and has not submitted yet."""
    query = (
        select(Assignment.annotator_id, Assignment.queue, func.count())
        .where(
            Assignment.project_id == project_id,
            Assignment.state == "leased",
            Assignment.expires_at > uow.now,
        )
        .group_by(Assignment.annotator_id, Assignment.queue)
    )
    if member_id is not None:
        query = query.where(Assignment.annotator_id == member_id)
    by_member: dict[str, int] = defaultdict(int)
    by_queue: dict[str, int] = defaultdict(int)
    for annotator_id, queue, n in uow.session.execute(query):
        by_member[names.get(annotator_id, str(annotator_id))] += n
        by_queue[queue] += n
    return {
        "live_leases": sum(by_queue.values()),
        "by_queue": dict(sorted(by_queue.items())),
        "by_member": dict(sorted(by_member.items())),
    }


def _queue_depth(uow: UnitOfWork, project_id: int, batch_id: int | None) -> dict[str, Any]:
    """Open non-gold items now, and how many more labels they need under the overlap policy."""
    missing = Item.overlap_target - Item.annotation_count
    query = select(
        func.count(), func.coalesce(func.sum(case((missing > 0, missing), else_=0)), 0)
    ).where(Item.project_id == project_id, Item.state == "open", Item.is_gold.is_(False))
    if batch_id is not None:
        if uow.session.get(Batch, batch_id) is None:
            raise NotFound(f"no batch {batch_id}", code="batch_not_found", field="batch_id")
        query = query.where(Item.batch_id == batch_id)
    items, labels = uow.session.execute(query).one()
    return {"open_items": int(items), "labels_needed": int(labels)}


def _agreement(uow: UnitOfWork, project_id: int, start: date, end: date) -> list[dict[str, Any]]:
    """Krippendorff's alpha as the quality engine recorded it during the period."""
    lo, hi = sql.period_bounds(start, end)
    rows = uow.session.execute(
        select(QualitySnapshot.at, QualitySnapshot.value, QualitySnapshot.n)
        .where(
            QualitySnapshot.project_id == project_id,
            QualitySnapshot.metric == "alpha",
            QualitySnapshot.subject == "project",
            QualitySnapshot.at >= lo,
            QualitySnapshot.at < hi,
        )
        .order_by(QualitySnapshot.at, QualitySnapshot.id)
    )
    return [{"at": at.isoformat(), "alpha": value, "ratings": n} for at, value, n in rows]
