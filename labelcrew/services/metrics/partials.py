"""Partial aggregates for the metrics: per day, member, queue (and batch) counts of labels,
gold answers and durations, histograms of seconds per item, and overlap items with how many
disagree. `metrics.project_metrics` asks for them and `metrics_figures` turns them into
figures.

Whole days before the rollup horizon come from the daily rollups (see `metrics_rollup`) when
there is no member or batch filter (`from_rollups`); everything else is computed live from
`annotations` (`from_annotations`). Both paths produce the same partial aggregates, so the
numbers do not depend on which one answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import case, func, select

from labelcrew.db.models.metrics import (
    MetricsDaily,
    MetricsDailyDuration,
    MetricsItemState,
    MetricsRollupState,
)
from labelcrew.services.metrics import sql
from labelcrew.services.uow import UnitOfWork


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


def from_rollups(
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


def from_annotations(
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
