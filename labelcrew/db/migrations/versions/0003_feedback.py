"""feedback loops: review queue, reviews, error taxonomy, comments, escalations

Revision ID: 0003_feedback
Revises: 0002_alerts
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import labelcrew.db.models.core

revision = "0003_feedback"
down_revision = "0002_alerts"
branch_labels = ("feedback",)
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
WHEN = labelcrew.db.models.core.UTCDateTime(timezone=True)
NOT_DONE = sa.text("state != 'done'")


def _fk(table: str, ondelete: str | None = None) -> sa.ForeignKey:
    return sa.ForeignKey(f"{table}.id", ondelete=ondelete)


def upgrade() -> None:
    op.create_table(
        "review_tasks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.Integer(), _fk("projects", "CASCADE"), nullable=False),
        sa.Column("item_id", sa.Integer(), _fk("items", "CASCADE"), nullable=False),
        sa.Column("reasons", JSON, nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), _fk("users"), nullable=True),
        sa.Column("leased_at", WHEN, nullable=True),
        sa.Column("expires_at", WHEN, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("done_at", WHEN, nullable=True),
    )
    op.create_index("uq_review_tasks_open", "review_tasks", ["item_id"], unique=True,
                    sqlite_where=NOT_DONE, postgresql_where=NOT_DONE)
    op.create_index("ix_review_tasks_queue", "review_tasks",
                    ["project_id", "state", "priority", "id"])
    op.create_index("ix_review_tasks_reviewer", "review_tasks",
                    ["project_id", "reviewer_id", "state"])
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.Integer(), _fk("projects", "CASCADE"), nullable=False),
        sa.Column("item_id", sa.Integer(), _fk("items", "CASCADE"), nullable=False),
        sa.Column("task_id", sa.Integer(), _fk("review_tasks", "SET NULL"), nullable=True),
        sa.Column("annotation_id", sa.Integer(), _fk("annotations", "CASCADE"), nullable=False),
        sa.Column("annotator_id", sa.Integer(), _fk("users"), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), _fk("users"), nullable=False),
        sa.Column("verdict", sa.String(20), nullable=False),
        sa.Column("corrected_value", JSON, nullable=True),
        sa.Column("error_tags", JSON, nullable=False),
        sa.Column("rule_refs", JSON, nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("guideline_version", sa.Integer(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.UniqueConstraint("task_id", "annotation_id"),
    )
    op.create_index("ix_reviews_project_created", "reviews", ["project_id", "created_at"])
    op.create_index("ix_reviews_annotator", "reviews",
                    ["project_id", "annotator_id", "created_at"])
    op.create_index("ix_reviews_item", "reviews", ["item_id"])
    op.create_table(
        "error_tags",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.Integer(), _fk("projects", "CASCADE"), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.UniqueConstraint("project_id", "code"),
    )
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.Integer(), _fk("projects", "CASCADE"), nullable=False),
        sa.Column("item_id", sa.Integer(), _fk("items", "CASCADE"), nullable=False),
        sa.Column("review_id", sa.Integer(), _fk("reviews", "CASCADE"), nullable=True),
        sa.Column("author_id", sa.Integer(), _fk("users"), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("mentions", JSON, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
    )
    op.create_index("ix_comments_item", "comments", ["item_id", "id"])
    op.create_table(
        "escalations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.Integer(), _fk("projects", "CASCADE"), nullable=False),
        sa.Column("item_id", sa.Integer(), _fk("items", "CASCADE"), nullable=False),
        sa.Column("rule_number", sa.String(20), nullable=True),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("opened_by", sa.Integer(), _fk("users"), nullable=False),
        sa.Column("assignee_id", sa.Integer(), _fk("users"), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("due_at", WHEN, nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_by", sa.Integer(), _fk("users"), nullable=True),
        sa.Column("answered_at", WHEN, nullable=True),
        sa.Column("escalation_note", sa.Text(), nullable=True),
        sa.Column("escalated_by", sa.Integer(), _fk("users"), nullable=True),
        sa.Column("escalated_at", WHEN, nullable=True),
        sa.Column("ruling", sa.Text(), nullable=True),
        sa.Column("ruling_rule", sa.String(20), nullable=True),
        sa.Column("resolved_by", sa.Integer(), _fk("users"), nullable=True),
        sa.Column("resolved_at", WHEN, nullable=True),
        sa.Column("overdue_level", sa.Integer(), nullable=True),
    )
    op.create_index("ix_escalations_state", "escalations", ["project_id", "state", "due_at"])
    op.create_index("ix_escalations_assignee", "escalations",
                    ["project_id", "assignee_id", "state"])


def downgrade() -> None:
    op.drop_index("ix_escalations_assignee", table_name="escalations")
    op.drop_index("ix_escalations_state", table_name="escalations")
    op.drop_table("escalations")
    op.drop_index("ix_comments_item", table_name="comments")
    op.drop_table("comments")
    op.drop_table("error_tags")
    op.drop_index("ix_reviews_item", table_name="reviews")
    op.drop_index("ix_reviews_annotator", table_name="reviews")
    op.drop_index("ix_reviews_project_created", table_name="reviews")
    op.drop_table("reviews")
    op.drop_index("ix_review_tasks_reviewer", table_name="review_tasks")
    op.drop_index("ix_review_tasks_queue", table_name="review_tasks")
    op.drop_index("uq_review_tasks_open", table_name="review_tasks",
                  sqlite_where=NOT_DONE, postgresql_where=NOT_DONE)
    op.drop_table("review_tasks")
