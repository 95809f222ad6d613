"""Tables of the quality engine: alerts raised by agreement, drift, gold and SLA checks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from labelcrew.db.models.core import Base, Json


class Alert(Base):
    """Something a lead should look at, with the evidence that raised it.

    At most one open alert exists per (project, kind, subject): raising it again refreshes it.
    """

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_open", "project_id", "state", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(20), default="warning")
    subject: Mapped[str] = mapped_column(String(80), default="project")
    message: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    state: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class QualitySnapshot(Base):
    """A measured figure at a moment (project agreement, a member's gold accuracy...): the
    history behind trends and behind threshold crossings."""

    __tablename__ = "quality_snapshots"
    __table_args__ = (Index("ix_quality_snapshots", "project_id", "metric", "subject", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(80), default="project")
    value: Mapped[float | None]
    n: Mapped[int] = mapped_column(default=0)
    details: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    at: Mapped[datetime]
