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
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import case, func, select

from labelcrew.db.models import Assignment, Batch, Item, Project, User
from labelcrew.db.models_metrics import (
    MetricsDaily,
    MetricsDailyDuration,
    MetricsItemState,
    MetricsRollupState,
)
from labelcrew.db.models_quality import QualitySnapshot
from labelcrew.errors import NotFound, ValidationFailed
from labelcrew.services import metrics_review, metrics_rollup
from labelcrew.services import metrics_sql as sql
from labelcrew.services.metrics_calc import GROUPS, add, group_key, rate, time_summary
from labelcrew.services.uow import Database, UnitOfWork

DEFAULT_DAYS = 28
MAX_DAYS = 400


@dataclass(frozen=True)
class Activity:
    day: date
    annotator_id: int
    queue: str
    batch_id: int | None
    labels: int
    duration_ms_sum: int
    timed: int
    gold_answers: int
    gold_correct: int


@dataclass(frozen=True)
class Durations:
    day: date
    queue: str
    annotator_id: int | None
    batch_id: int | None
    seconds: int
    n: int


@dataclass(frozen=True)
class Overlap:
    day: date
    annotator_id: int | None
    batch_id: int | None
    queue: None
    overlap_items: int
    disagreed_items: int


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
            activity, durations, overlap = _from_rollups(uow, project_id, field, start, end)
        else:
            activity, durations, overlap = _live(
                uow, project_id, field, start, end, member_id, batch_id, group_by
            )
        names = dict(uow.session.execute(select(User.id, User.username)).all())
        result = _assemble(activity, durations, *overlap, group_by, names, start, end)
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


def _from_rollups(
    uow: UnitOfWork, project_id: int, field: str | None, start: date, end: date
) -> tuple[list[Activity], list[Durations], tuple[list[Overlap], list[Overlap]]]:
    sqlite = uow.db.is_sqlite
    horizon = uow.session.scalar(
        select(MetricsRollupState.rolled_until).where(MetricsRollupState.project_id == project_id)
    )
    horizon = sql.as_date(horizon) if horizon is not None else start
    activity: list[Activity] = []
    durations: list[Durations] = []
    if start < horizon:
        last = min(end, horizon - timedelta(days=1))
        daily = select(
            MetricsDaily.day,
            MetricsDaily.annotator_id,
            MetricsDaily.queue,
            MetricsDaily.labels,
            MetricsDaily.duration_ms_sum,
            MetricsDaily.timed,
            MetricsDaily.gold_answers,
            MetricsDaily.gold_correct,
        ).where(
            MetricsDaily.project_id == project_id,
            MetricsDaily.day >= start,
            MetricsDaily.day <= last,
        )
        activity = [
            Activity(sql.as_date(r[0]), r[1], r[2], None, r[3], r[4], r[5], r[6], r[7])
            for r in uow.session.execute(daily)
        ]
        for d in uow.session.execute(
            select(
                MetricsDailyDuration.day,
                MetricsDailyDuration.queue,
                MetricsDailyDuration.seconds,
                MetricsDailyDuration.n,
            ).where(
                MetricsDailyDuration.project_id == project_id,
                MetricsDailyDuration.day >= start,
                MetricsDailyDuration.day <= last,
            )
        ):
            durations.append(Durations(sql.as_date(d.day), d.queue, None, None, d.seconds, d.n))
    if end >= horizon:
        lo, hi = sql.period_bounds(max(start, horizon), end)
        activity += _activity(
            uow.session.execute(sql.activity_query(project_id, lo, hi, sqlite=sqlite))
        )
        durations += _durations(
            uow.session.execute(sql.durations_query(project_id, lo, hi, sqlite=sqlite))
        )
    overlap: list[Overlap] = []
    if field is not None:
        lo, hi = sql.period_bounds(start, end)
        day = sql.day_of(MetricsItemState.last_label_at, sqlite=sqlite)
        for r in uow.session.execute(
            select(
                day,
                func.count(),
                func.sum(case((MetricsItemState.distinct_values > 1, 1), else_=0)),
            )
            .where(
                MetricsItemState.project_id == project_id,
                MetricsItemState.last_label_at >= lo,
                MetricsItemState.last_label_at < hi,
            )
            .group_by(day)
        ):
            overlap.append(Overlap(sql.as_date(r[0]), None, None, None, r[1], int(r[2] or 0)))
    return activity, durations, (overlap, overlap)


def _live(
    uow: UnitOfWork,
    project_id: int,
    field: str | None,
    start: date,
    end: date,
    member_id: int | None,
    batch_id: int | None,
    group_by: str | None,
) -> tuple[list[Activity], list[Durations], tuple[list[Overlap], list[Overlap]]]:
    sqlite = uow.db.is_sqlite
    lo, hi = sql.period_bounds(start, end)
    by_batch, by_member = group_by == "batch", group_by == "member"
    activity = _activity(
        uow.session.execute(
            sql.activity_query(
                project_id,
                lo,
                hi,
                sqlite=sqlite,
                member_id=member_id,
                batch_id=batch_id,
                by_batch=by_batch,
            )
        )
    )
    durations = _durations(
        uow.session.execute(
            sql.durations_query(
                project_id,
                lo,
                hi,
                sqlite=sqlite,
                member_id=member_id,
                batch_id=batch_id,
                by_member=by_member,
                by_batch=by_batch,
            )
        )
    )
    if field is None:
        return activity, durations, ([], [])

    def overlap(by: bool) -> list[Overlap]:
        query = sql.disagreement_query(
            project_id,
            field,
            lo,
            hi,
            sqlite=sqlite,
            member_id=member_id,
            batch_id=batch_id,
            by_member=by,
            by_batch=by_batch,
        )
        return [
            Overlap(
                sql.as_date(r.day),
                r.annotator_id,
                r.batch_id,
                None,
                r.overlap_items,
                int(r.disagreed_items or 0),
            )
            for r in uow.session.execute(query)
        ]

    # By member an item counts once per labeller, so the totals need their own query.
    total = overlap(False)
    return activity, durations, (total, overlap(True) if by_member else total)


def _activity(rows: Any) -> list[Activity]:
    return [
        Activity(
            sql.as_date(r.day),
            r.annotator_id,
            r.queue,
            r.batch_id,
            r.labels,
            int(r.duration_ms_sum),
            r.timed,
            r.gold_answers,
            int(r.gold_correct),
        )
        for r in rows
    ]


def _durations(rows: Any) -> list[Durations]:
    return [
        Durations(sql.as_date(r.day), r.queue, r.annotator_id, r.batch_id, int(r.seconds), r.n)
        for r in rows
    ]


def _figures(counts: dict[str, int], hist: dict[int, int]) -> dict[str, Any]:
    return {
        "labels": counts.get("labels", 0),
        "gold_answers": counts.get("gold_answers", 0),
        "gold_accuracy": rate(counts.get("gold_correct", 0), counts.get("gold_answers", 0)),
        "overlap_items": counts.get("overlap_items", 0),
        "disagreed_items": counts.get("disagreed_items", 0),
        "disagreement_rate": rate(counts.get("disagreed_items", 0), counts.get("overlap_items", 0)),
        "time_per_item": time_summary(hist, counts.get("duration_ms_sum") if hist else None),
    }


def _assemble(
    activity: list[Activity],
    durations: list[Durations],
    overlap: list[Overlap],
    overlap_series: list[Overlap],
    group_by: str | None,
    names: dict[int, str],
    start: date,
    end: date,
) -> dict[str, Any]:
    totals: dict[str, Any] = {}
    groups: dict[str, Any] = {}
    per_member: dict[int, dict[str, Any]] = {}
    per_day: dict[str, int] = defaultdict(int)
    by_queue: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    queue_ms: dict[str, int] = defaultdict(int)
    group_hist: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    group_members: dict[str, set[int]] = defaultdict(set)
    for a in activity:
        values = [
            ("labels", a.labels),
            ("gold_answers", a.gold_answers),
            ("gold_correct", a.gold_correct),
            ("duration_ms_sum", a.duration_ms_sum),
        ]
        add(totals, "all", values)
        if group_by:
            key = group_key(group_by, a)
            add(groups, key, values)
            group_members[key].add(a.annotator_id)
        member = per_member.setdefault(a.annotator_id, {"labels": 0, "days": set()})
        member["labels"] += a.labels
        member["days"].add(a.day)
        per_day[a.day.isoformat()] += a.labels
        queue_ms[a.queue] += a.duration_ms_sum
    for d in durations:
        by_queue[d.queue][d.seconds] += d.n
        if group_by:
            group_hist[group_key(group_by, d)][d.seconds] += d.n
    for o in overlap:
        add(
            totals,
            "all",
            [("overlap_items", o.overlap_items), ("disagreed_items", o.disagreed_items)],
        )
    for o in overlap_series if group_by not in (None, "queue") else ():
        add(
            groups,
            group_key(group_by or "day", o),
            [("overlap_items", o.overlap_items), ("disagreed_items", o.disagreed_items)],
        )
    all_counts = totals.get("all", {})
    all_hist: dict[int, int] = defaultdict(int)
    for hist in by_queue.values():
        for seconds, n in hist.items():
            all_hist[seconds] += n
    days = max((min(end, max((a.day for a in activity), default=start)) - start).days + 1, 1)
    result = _figures(all_counts, all_hist)
    result["time_by_queue"] = {
        queue: time_summary(hist, queue_ms.get(queue)) for queue, hist in sorted(by_queue.items())
    }
    result["members_active"] = len(per_member)
    result["throughput"] = {
        "per_day": [{"day": k, "labels": v} for k, v in sorted(per_day.items())],
        "per_member": sorted(
            (
                {
                    "member_id": mid,
                    "member": names.get(mid, str(mid)),
                    "labels": m["labels"],
                    "active_days": len(m["days"]),
                    "labels_per_active_day": round(m["labels"] / len(m["days"]), 1),
                }
                for mid, m in per_member.items()
            ),
            key=lambda r: (-r["labels"], r["member"]),
        ),
        "labels_per_day": round(all_counts.get("labels", 0) / days, 1),
    }
    series = []
    for key in sorted(set(groups) | set(group_hist)):
        entry = {"key": key, **_figures(groups.get(key, {}), group_hist.get(key, {}))}
        entry["members_active"] = len(group_members.get(key, ()))
        if group_by == "member" and key.isdigit():
            entry["member"] = names.get(int(key), key)
        series.append(entry)
    result["series"] = series
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
