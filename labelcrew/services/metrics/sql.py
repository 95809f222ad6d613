"""The SQL pieces that metrics share: UTC day of a timestamp, the duration bucket, the primary
field of a label, and the queries that turn annotations into partial aggregates.

A partial aggregate is what both the live path (straight from `annotations`) and the daily
rollups produce, so the dashboard's numbers are the same whichever path answered.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Date, Integer, and_, case, cast, distinct, func, literal, select
from sqlalchemy.sql.elements import ColumnElement

from labelcrew.db.models.core import Annotation, Item
from labelcrew.errors import Conflict
from labelcrew.services.projects.schemas import schema_for
from labelcrew.services.uow import UnitOfWork

HOUR_MS = 3_600_000


def day_of(column: Any, *, sqlite: bool) -> ColumnElement[Any]:
    """The UTC calendar day of a stored timestamp (SQLite keeps naive UTC text)."""
    if sqlite:
        return func.date(column)
    return cast(func.timezone("UTC", column), Date)


def as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def duration_bucket() -> ColumnElement[Any]:
    """Lease-to-submit time in whole seconds; from one hour on, whole minutes (in seconds)."""
    ms = Annotation.duration_ms
    return case(
        (ms >= HOUR_MS, ms.op("/")(60_000) * 60),
        else_=ms.op("/")(1000),
    )


def primary_field(uow: UnitOfWork, project: Any) -> str | None:
    """The first single-choice field of the current schema: what disagreement is measured on."""
    if project.schema_version is None:
        return None
    try:
        field = schema_for(uow, project.id, project.schema_version).primary_field
    except Conflict:
        return None
    return None if field is None else field.name


def primary_value(field: str) -> ColumnElement[Any]:
    value: ColumnElement[Any] = Annotation.value[field].as_string()
    return value


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, end + 1 day 00:00) in UTC: `end` is inclusive."""
    return day_start(start), day_start(end + timedelta(days=1))


def activity_query(
    project_id: int,
    start: datetime,
    end: datetime,
    *,
    sqlite: bool,
    member_id: int | None = None,
    batch_id: int | None = None,
    by_batch: bool = False,
) -> Any:
    """(day, annotator_id, queue, batch_id, labels, duration_ms_sum, timed, gold_answers,
    gold_correct) over every annotation made in [start, end)."""
    day = day_of(Annotation.created_at, sqlite=sqlite)
    batch = Item.batch_id if by_batch else literal(None, Integer)
    query = select(
        day.label("day"),
        Annotation.annotator_id,
        Annotation.queue,
        batch.label("batch_id"),
        func.count().label("labels"),
        func.coalesce(func.sum(Annotation.duration_ms), 0).label("duration_ms_sum"),
        func.count(Annotation.duration_ms).label("timed"),
        func.count(Annotation.gold_correct).label("gold_answers"),
        func.coalesce(func.sum(case((Annotation.gold_correct.is_(True), 1), else_=0)), 0).label(
            "gold_correct"
        ),
    ).where(
        Annotation.project_id == project_id,
        Annotation.created_at >= start,
        Annotation.created_at < end,
    )
    query = _filtered(query, member_id, batch_id, by_batch)
    return query.group_by(day, Annotation.annotator_id, Annotation.queue, batch)


def durations_query(
    project_id: int,
    start: datetime,
    end: datetime,
    *,
    sqlite: bool,
    member_id: int | None = None,
    batch_id: int | None = None,
    by_member: bool = False,
    by_batch: bool = False,
) -> Any:
    """(day, queue, annotator_id, batch_id, seconds, n): the duration histogram."""
    day = day_of(Annotation.created_at, sqlite=sqlite)
    bucket = duration_bucket()
    member = Annotation.annotator_id if by_member else literal(None, Integer)
    batch = Item.batch_id if by_batch else literal(None, Integer)
    query = select(
        day.label("day"),
        Annotation.queue,
        member.label("annotator_id"),
        batch.label("batch_id"),
        bucket.label("seconds"),
        func.count().label("n"),
    ).where(
        Annotation.project_id == project_id,
        Annotation.created_at >= start,
        Annotation.created_at < end,
        Annotation.duration_ms.is_not(None),
    )
    query = _filtered(query, member_id, batch_id, by_batch)
    return query.group_by(day, Annotation.queue, member, batch, bucket)


def _filtered(query: Any, member_id: int | None, batch_id: int | None, by_batch: bool) -> Any:
    if member_id is not None:
        query = query.where(Annotation.annotator_id == member_id)
    if batch_id is not None or by_batch:
        query = query.join(Item, Item.id == Annotation.item_id)
    if batch_id is not None:
        query = query.where(Item.batch_id == batch_id)
    return query


def item_labels(project_id: int, field: str, item_ids: Any | None = None) -> Any:
    """Per non-gold item with >= 2 live labels: (item_id, batch_id, labels, distinct_values,
    last_label_at). `item_ids` (a subquery) narrows it to some items."""
    value = primary_value(field)
    query = (
        select(
            Annotation.item_id,
            Item.batch_id,
            func.count().label("labels"),
            func.count(distinct(value)).label("distinct_values"),
            func.max(Annotation.created_at).label("last_label_at"),
        )
        .join(Item, Item.id == Annotation.item_id)
        .where(
            Annotation.project_id == project_id,
            Annotation.superseded_at.is_(None),
            Item.is_gold.is_(False),
        )
        .group_by(Annotation.item_id, Item.batch_id)
        .having(func.count() >= 2)
    )
    if item_ids is not None:
        query = query.where(Annotation.item_id.in_(item_ids))
    return query


def disagreement_query(
    project_id: int,
    field: str,
    start: datetime,
    end: datetime,
    *,
    sqlite: bool,
    member_id: int | None = None,
    batch_id: int | None = None,
    by_member: bool = False,
    by_batch: bool = False,
) -> Any:
    """(day, annotator_id, batch_id, overlap_items, disagreed_items), an item counted on the
    day of its latest live label; by member, an item counts for everyone who labelled it."""
    per_item = item_labels(project_id, field).subquery()
    day = day_of(per_item.c.last_label_at, sqlite=sqlite)
    member = Annotation.annotator_id if (by_member or member_id is not None) else None
    batch = per_item.c.batch_id if by_batch else literal(None, Integer)
    member_col = member if member is not None else literal(None, Integer)
    query = select(
        day.label("day"),
        member_col.label("annotator_id"),
        batch.label("batch_id"),
        func.count().label("overlap_items"),
        func.sum(case((per_item.c.distinct_values > 1, 1), else_=0)).label("disagreed_items"),
    ).where(per_item.c.last_label_at >= start, per_item.c.last_label_at < end)
    if member is not None:
        query = query.join(
            Annotation,
            and_(
                Annotation.item_id == per_item.c.item_id,
                Annotation.superseded_at.is_(None),
            ),
        )
        if member_id is not None:
            query = query.where(Annotation.annotator_id == member_id)
    if batch_id is not None:
        query = query.where(per_item.c.batch_id == batch_id)
    return query.group_by(day, member_col, batch)


def literal_project(project_id: int) -> Any:
    return literal(project_id, Integer).label("project_id")
