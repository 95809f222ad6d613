"""SQLAlchemy 2 models. The database schema changes only through the Alembic migrations in
`labelcrew/db/migrations`; these classes describe it for queries."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

Json = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps are stored in UTC and always come back timezone-aware, on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: labelcrew stores aware UTC times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: Json,
        list[Any]: Json,
        datetime: UTCDateTime(),
    }


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="default")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    # Added by the sessions migration: an optional end of life, and the last use (refreshed at
    # most once a minute, so the hot path is not a write per request).
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class Project(Base):
    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    overlap: Mapped[int] = mapped_column(Integer, default=1)
    max_overlap: Mapped[int] = mapped_column(Integer, default=5)
    overlap_policy: Mapped[str] = mapped_column(String(20), default="fixed")
    target_confidence: Mapped[float] = mapped_column(Float, default=0.9)
    lease_seconds: Mapped[int] = mapped_column(Integer, default=900)
    wip_limit: Mapped[int] = mapped_column(Integer, default=3)
    gold_rate: Mapped[float] = mapped_column(Float, default=0.07)
    probation_gold_rate: Mapped[float] = mapped_column(Float, default=0.15)
    # honeypots' own share of a member's items (0: they come with the gold, at its rate); 0018
    honeypot_rate: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    schema_version: Mapped[int | None] = mapped_column(Integer)
    guideline_version: Mapped[int | None] = mapped_column(Integer)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("project_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    roles: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(20), default="active")
    status_since: Mapped[datetime | None]
    skills: Mapped[dict[str, Any]] = mapped_column(default=dict)
    level: Mapped[str] = mapped_column(String(20), default="annotator")  # teamops migration
    wip_limit: Mapped[int | None] = mapped_column(Integer)
    gold_rate: Mapped[float | None] = mapped_column(Float)
    served_since_gold: Mapped[int] = mapped_column(Integer, default=0)
    gold_owed: Mapped[bool] = mapped_column(default=False, server_default=false())  # 0018
    acknowledged_guideline_version: Mapped[int | None] = mapped_column(Integer)
    acknowledged_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class LabelSchemaVersion(Base):
    __tablename__ = "label_schemas"
    __table_args__ = (UniqueConstraint("project_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]


class GuidelineVersion(Base):
    __tablename__ = "guideline_versions"
    __table_args__ = (UniqueConstraint("project_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    title: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    changelog: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    published_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None]


class GuidelineRule(Base):
    __tablename__ = "guideline_rules"
    __table_args__ = (UniqueConstraint("guideline_version_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    guideline_version_id: Mapped[int] = mapped_column(
        ForeignKey("guideline_versions.id", ondelete="CASCADE")
    )
    number: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text)
    examples: Mapped[list[Any]] = mapped_column(default=list)


class Batch(Base):
    __tablename__ = "batches"
    __table_args__ = (UniqueConstraint("project_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    state: Mapped[str] = mapped_column(String(20), default="open")
    deadline: Mapped[datetime | None]
    handoff_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class BatchClaim(Base):
    """An annotator's stable hold on a batch: its items are served to them first and, once
    `overlap` annotators hold it, to nobody else until a claim is released."""

    __tablename__ = "batch_claims"
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("batches.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    claimed_at: Mapped[datetime]


class Item(Base):
    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("project_id", "external_id"),
        Index("ix_items_queue", "project_id", "state", "is_gold", text("priority DESC"), "id"),
        Index("ix_items_batch", "batch_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]]
    priority: Mapped[int] = mapped_column(Integer, default=0)
    required_skills: Mapped[list[Any]] = mapped_column(default=list)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id", ondelete="SET NULL"))
    difficulty: Mapped[str] = mapped_column(String(20), default="normal")
    is_gold: Mapped[bool] = mapped_column(Boolean, default=False)
    overlap_target: Mapped[int] = mapped_column(Integer, default=1)
    annotation_count: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime]


class GoldAnswer(Base):
    __tablename__ = "gold_answers"
    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    value: Mapped[dict[str, Any]]
    rule_number: Mapped[str | None] = mapped_column(String(20))
    # "gold" tests understanding; "honeypot" (an item with an obvious answer) tests attention.
    # Annotators are never told which; the quality engine scores and alerts on each apart.
    kind: Mapped[str] = mapped_column(String(10), default="gold", server_default="gold")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]


class Assignment(Base):
    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("item_id", "annotator_id"),
        Index("ix_assignments_annotator", "project_id", "annotator_id", "state"),
        Index("ix_assignments_item_state", "item_id", "state", "expires_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    annotator_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    queue: Mapped[str] = mapped_column(String(20), default="annotation")
    state: Mapped[str] = mapped_column(String(20), default="leased")
    leased_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class Annotation(Base):
    __tablename__ = "annotations"
    __table_args__ = (
        UniqueConstraint("annotator_id", "idempotency_key"),
        Index(
            "uq_annotations_live",
            "item_id",
            "annotator_id",
            unique=True,
            sqlite_where=text("superseded_at IS NULL"),
            postgresql_where=text("superseded_at IS NULL"),
        ),
        Index("ix_annotations_project_created", "project_id", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    annotator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    value: Mapped[dict[str, Any]]
    schema_version: Mapped[int] = mapped_column(Integer)
    guideline_version: Mapped[int | None] = mapped_column(Integer)
    queue: Mapped[str] = mapped_column(String(20), default="annotation")
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    gold_correct: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[datetime]
    superseded_at: Mapped[datetime | None]


class AuditEvent(Base):
    """Append-only: the migration installs triggers that refuse UPDATE and DELETE."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_project_at", "project_id", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(Integer)
    project_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(80))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(80))
    before: Mapped[dict[str, Any] | None] = mapped_column(Json)
    after: Mapped[dict[str, Any] | None] = mapped_column(Json)


class OutboxEvent(Base):
    """Events written in the same transaction as the change they describe; drained by workers."""

    __tablename__ = "outbox_events"
    __table_args__ = (Index("ix_outbox_pending", "processed_at", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int | None] = mapped_column(Integer)
    event_type: Mapped[str] = mapped_column(String(80))
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]
