"""Tables of the Label Studio import: model predictions kept beside the labels, and the
e-mail each imported member was known by.

A prediction is never a label: it does not count towards overlap, agreement or releases; it
keeps what the model said (converted to labelcrew's value shape, and the raw result regions)
with its model version and score, so that a team can compare labels against it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from labelcrew.db.models.core import Base, Json


class Prediction(Base):
    __tablename__ = "predictions"
    __table_args__ = (
        UniqueConstraint("item_id", "source", "source_id"),
        Index("ix_predictions_project_item", "project_id", "item_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    model_version: Mapped[str] = mapped_column(String(200), default="")
    score: Mapped[float | None] = mapped_column(Float)
    value: Mapped[dict[str, Any]] = mapped_column(Json)
    result: Mapped[list[Any]] = mapped_column(Json)
    # Where it came from ("labelstudio") and its id there: a re-import adds no duplicate.
    source: Mapped[str] = mapped_column(String(40))
    source_id: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class ExternalIdentity(Base):
    """A user as another tool knew them (Label Studio: by e-mail)."""

    __tablename__ = "external_identities"
    __table_args__ = (UniqueConstraint("provider", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(320))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
