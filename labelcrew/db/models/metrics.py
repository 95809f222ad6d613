"""Tables of the metrics capability: daily rollups that keep the dashboard fast at a million
annotations, a per-item label summary for disagreement, and the published weekly snapshots.

The rollups are derived data: `labelcrew.services.metrics.rollup.refresh` rebuilds any part of
them from `annotations`, so they can be dropped and recomputed at any time.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from labelcrew.db.models.core import Base, Json


class MetricsDaily(Base):
    """Work done per closed UTC day, member and queue (every annotation, superseded or not)."""

    __tablename__ = "metrics_daily"
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    annotator_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    queue: Mapped[str] = mapped_column(String(20), primary_key=True)
    labels: Mapped[int] = mapped_column(Integer)
    duration_ms_sum: Mapped[int] = mapped_column(BigInteger)
    timed: Mapped[int] = mapped_column(Integer)
    gold_answers: Mapped[int] = mapped_column(Integer)
    gold_correct: Mapped[int] = mapped_column(Integer)


class MetricsDailyDuration(Base):
    """Histogram of lease-to-submit times per closed day and queue: whole seconds (whole
    minutes, in seconds, from one hour on), so medians and p90 stay exact to the second."""

    __tablename__ = "metrics_daily_durations"
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    queue: Mapped[str] = mapped_column(String(20), primary_key=True)
    seconds: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class MetricsItemState(Base):
    """Live labels of one non-gold overlap item (>= 2 live labels) on the primary field."""

    __tablename__ = "metrics_item_state"
    __table_args__ = (Index("ix_metrics_item_state_last", "project_id", "last_label_at"),)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    batch_id: Mapped[int | None] = mapped_column(Integer)
    labels: Mapped[int] = mapped_column(Integer)
    distinct_values: Mapped[int] = mapped_column(Integer)
    last_label_at: Mapped[datetime]


class MetricsRollupState(Base):
    """How far the rollups of a project reach: days before `rolled_until` are in
    `metrics_daily*`; items touched before `items_refreshed_at` are in `metrics_item_state`."""

    __tablename__ = "metrics_rollup_state"
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    rolled_until: Mapped[date | None] = mapped_column(Date)
    items_refreshed_at: Mapped[datetime | None]
    primary_field: Mapped[str | None] = mapped_column(String(100))


class WeeklyReport(Base):
    """A published weekly snapshot: the rendered markdown and the full (lead) content."""

    __tablename__ = "weekly_reports"
    __table_args__ = (UniqueConstraint("project_id", "week"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    week: Mapped[str] = mapped_column(String(8))
    markdown: Mapped[str] = mapped_column(Text)
    content: Mapped[dict[str, Any]] = mapped_column(Json)
    published_at: Mapped[datetime]
