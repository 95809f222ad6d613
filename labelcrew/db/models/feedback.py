"""Tables of the feedback loops: the review queue, reviews, the error taxonomy, comment threads
and escalation tickets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from labelcrew.db.models.core import Base, Json


class ReviewTask(Base):
    """An item waiting for (or under) review, with every reason it was sampled.

    At most one unfinished task exists per item; once done, a new sampling opens a new round.
    """

    __tablename__ = "review_tasks"
    __table_args__ = (
        Index(
            "uq_review_tasks_open",
            "item_id",
            unique=True,
            sqlite_where=text("state != 'done'"),
            postgresql_where=text("state != 'done'"),
        ),
        Index("ix_review_tasks_queue", "project_id", "state", "priority", "id"),
        Index("ix_review_tasks_reviewer", "project_id", "reviewer_id", "state"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    reasons: Mapped[list[Any]] = mapped_column(Json, default=list)
    priority: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    leased_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]


class Review(Base):
    """One reviewer's verdict on one annotation (one review per annotation per task round)."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("task_id", "annotation_id"),
        Index("ix_reviews_project_created", "project_id", "created_at"),
        Index("ix_reviews_annotator", "project_id", "annotator_id", "created_at"),
        Index("ix_reviews_item", "item_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("review_tasks.id", ondelete="SET NULL"))
    annotation_id: Mapped[int] = mapped_column(ForeignKey("annotations.id", ondelete="CASCADE"))
    annotator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    verdict: Mapped[str] = mapped_column(String(20))
    corrected_value: Mapped[dict[str, Any] | None] = mapped_column(Json)
    error_tags: Mapped[list[Any]] = mapped_column(Json, default=list)
    rule_refs: Mapped[list[Any]] = mapped_column(Json, default=list)
    comment: Mapped[str] = mapped_column(Text, default="")
    guideline_version: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime]


class ErrorTag(Base):
    """An entry of a project's error taxonomy; retired tags stay (old reviews cite them)."""

    __tablename__ = "error_tags"
    __table_args__ = (UniqueConstraint("project_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Comment(Base):
    """A message in an item's thread, optionally in the sub-thread of one review."""

    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_item", "item_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    mentions: Mapped[list[Any]] = mapped_column(Json, default=list)
    created_at: Mapped[datetime]


class MentionNotice(Base):
    """One member's notice that a comment mentions them; read once they have seen it."""

    __tablename__ = "mention_notices"
    __table_args__ = (Index("ix_mention_notices_user", "user_id", "project_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]


class Escalation(Base):
    """A question about an item: level 1 (annotator asks a reviewer), level 2 (the reviewer
    asks the guideline owner). States: open -> answered | escalated -> resolved."""

    __tablename__ = "escalations"
    __table_args__ = (
        Index("ix_escalations_state", "project_id", "state", "due_at"),
        Index("ix_escalations_assignee", "project_id", "assignee_id", "state"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    rule_number: Mapped[str | None] = mapped_column(String(20))
    question: Mapped[str] = mapped_column(Text)
    level: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(String(20), default="open")
    opened_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    due_at: Mapped[datetime]
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None]
    escalation_note: Mapped[str | None] = mapped_column(Text)
    escalated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    escalated_at: Mapped[datetime | None]
    ruling: Mapped[str | None] = mapped_column(Text)
    ruling_rule: Mapped[str | None] = mapped_column(String(20))
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None]
    # The level at which an overdue alert was raised: check_overdue raises once per level.
    overdue_level: Mapped[int | None] = mapped_column(Integer)
