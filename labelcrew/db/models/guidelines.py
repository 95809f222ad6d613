"""Tables of guideline revisions: what a published version answers, and the relabels it sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from labelcrew.db.models.core import Base, Json


class GuidelineLink(Base):
    """What a published guideline version answers: an escalation ticket, an item, a session."""

    __tablename__ = "guideline_links"
    __table_args__ = (UniqueConstraint("project_id", "guideline_version", "kind", "ref_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    guideline_version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    ref_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]


class Relabel(Base):
    """One relabel decided when a guideline version was published: the criteria and the count."""

    __tablename__ = "relabels"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    guideline_version: Mapped[int] = mapped_column(Integer)
    criteria: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    superseded_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]


class RelabelItem(Base):
    __tablename__ = "relabel_items"
    relabel_id: Mapped[int] = mapped_column(
        ForeignKey("relabels.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    reasons: Mapped[list[Any]] = mapped_column(Json, default=list)
