"""Tables of dataset releases: the release header and one frozen row per item.

Both tables are write-once: migration ``0006_releases`` installs triggers that refuse UPDATE
and DELETE on SQLite and PostgreSQL, exactly like the audit log's guard. A release is written
in one insert of its header (hash already computed) and one bulk insert of its rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from labelcrew.db.models.core import Base, Json


class Release(Base):
    """One published, content-hashed version of a project's dataset."""

    __tablename__ = "releases"
    __table_args__ = (
        UniqueConstraint("project_id", "name"),
        UniqueConstraint("project_id", "number"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    # No ON DELETE CASCADE: a project with published releases cannot silently lose them.
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(80))
    method: Mapped[str] = mapped_column(String(10))
    min_confidence: Mapped[float | None] = mapped_column(Float)
    field: Mapped[str] = mapped_column(String(64))
    content_hash: Mapped[str] = mapped_column(String(64))
    included: Mapped[int] = mapped_column(Integer)
    excluded: Mapped[int] = mapped_column(Integer)
    manifest: Mapped[dict[str, Any]] = mapped_column(Json)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]


class ReleaseItem(Base):
    """One item as the release froze it: its final label and provenance, or why it is out."""

    __tablename__ = "release_items"
    __table_args__ = (
        UniqueConstraint("release_id", "item_id"),
        Index("ix_release_items_included", "release_id", "included", "item_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"))
    # A plain number, not a foreign key: the release keeps its rows whatever happens to items.
    item_id: Mapped[int] = mapped_column(Integer)
    external_id: Mapped[str] = mapped_column(String(200))
    included: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(String(40))
    reason_field: Mapped[str | None] = mapped_column(String(64))
    label: Mapped[str | None] = mapped_column(String(200))
    value: Mapped[dict[str, Any] | None] = mapped_column(Json)
    confidence: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str | None] = mapped_column(String(20))
    n_labels: Mapped[int] = mapped_column(Integer)
    votes: Mapped[dict[str, Any]] = mapped_column(Json)
    guideline_versions: Mapped[list[Any]] = mapped_column(Json)
    schema_versions: Mapped[list[Any]] = mapped_column(Json)
    data: Mapped[dict[str, Any]] = mapped_column(Json)
    # Per-field releases (migration 0012): each field's value, confidence and method, and
    # every live label by its annotator. None on rows of releases made before them.
    fields: Mapped[dict[str, Any] | None] = mapped_column(Json)
    annotations: Mapped[list[Any] | None] = mapped_column(Json)
