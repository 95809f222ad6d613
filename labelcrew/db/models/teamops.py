"""Tables of team operations: member availability and rates, project deadlines, batch handoff
history, published priorities and the weekly cadence.

The member's level (annotator or senior) lives on `members.level` (added by the teamops
migration) because the assignment engine reads it on the hot path with the member row it has
locked already; everything only planning and reports read lives here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from labelcrew.db.models.core import Base, Json


class MemberProfile(Base):
    """A member's weekly availability (hours, time zone, shift) and optional pay rates."""

    __tablename__ = "member_profiles"
    __table_args__ = (UniqueConstraint("project_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    weekly_hours: Mapped[float] = mapped_column(Float, default=20.0)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    shift_start: Mapped[int] = mapped_column(Integer, default=9)
    shift_end: Mapped[int] = mapped_column(Integer, default=17)
    hourly_rate: Mapped[float | None] = mapped_column(Float)
    item_rate: Mapped[float | None] = mapped_column(Float)
    currency: Mapped[str] = mapped_column(String(8), default="USD")
    updated_at: Mapped[datetime]


class ProjectPlan(Base):
    """A project's deadline (SLA) for the forecast."""

    __tablename__ = "project_plans"
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    deadline: Mapped[datetime | None]
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime]


class BatchHandoff(Base):
    """One change of a batch's review owner, with the note that travelled with it."""

    __tablename__ = "batch_handoffs"
    __table_args__ = (Index("ix_batch_handoffs_batch", "batch_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"))
    from_owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    to_owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(20))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]


class PriorityNotice(Base):
    """Priorities a lead published: which batches come first and why. The newest is current."""

    __tablename__ = "priority_notices"
    __table_args__ = (Index("ix_priority_notices_project", "project_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    entries: Mapped[list[Any]] = mapped_column(Json, default=list)
    reason: Mapped[str] = mapped_column(Text, default="")
    items_updated: Mapped[int] = mapped_column(Integer, default=0)
    published_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime]


class Cadence(Base):
    """A recurring team ritual (priorities + snapshot, calibration, release notes) due at a
    weekday and hour in the project's time zone; the worker runs the ones that are due."""

    __tablename__ = "cadences"
    __table_args__ = (UniqueConstraint("project_id", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    weekday: Mapped[int] = mapped_column(Integer)
    hour: Mapped[int] = mapped_column(Integer, default=9)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    next_due_at: Mapped[datetime]
    last_run_at: Mapped[datetime | None]
    last_result: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
