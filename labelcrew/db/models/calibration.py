"""Tables of calibration sessions: their items, invites, blind answers and decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from labelcrew.db.models.core import Base, Json


class CalibrationSession(Base):
    __tablename__ = "calibration_sessions"
    __table_args__ = (Index("ix_calibration_project", "project_id", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[str] = mapped_column(String(20), default="open")
    pick: Mapped[str] = mapped_column(String(20), default="auto")
    schema_version: Mapped[int] = mapped_column(Integer)
    guideline_version: Mapped[int | None] = mapped_column(Integer)
    alpha: Mapped[float | None]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class CalibrationItem(Base):
    __tablename__ = "calibration_items"
    session_id: Mapped[int] = mapped_column(
        ForeignKey("calibration_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(40), default="manual")


class CalibrationInvite(Base):
    __tablename__ = "calibration_invites"
    session_id: Mapped[int] = mapped_column(
        ForeignKey("calibration_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    invited_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]


class CalibrationAnswer(Base):
    """A blind answer in a session: kept apart from annotations so it never counts to overlap."""

    __tablename__ = "calibration_answers"
    __table_args__ = (UniqueConstraint("session_id", "item_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("calibration_sessions.id", ondelete="CASCADE")
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    value: Mapped[dict[str, Any]] = mapped_column(Json)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CalibrationDecision(Base):
    __tablename__ = "calibration_decisions"
    __table_args__ = (UniqueConstraint("session_id", "item_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("calibration_sessions.id", ondelete="CASCADE")
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    decision: Mapped[str] = mapped_column(Text)
    rule_number: Mapped[str | None] = mapped_column(String(20))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    drafted_at: Mapped[datetime | None]
    drafted_rule: Mapped[str | None] = mapped_column(String(20))
