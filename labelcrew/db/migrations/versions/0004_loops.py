"""feedback loops: guideline links and relabels, calibration sessions, webhooks, worker jobs

Revision ID: 0004_loops
Revises: 0002_alerts
"""

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import labelcrew.db.models.core

revision = "0004_loops"
down_revision = "0002_alerts"
branch_labels = ("loops",)
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
WHEN = labelcrew.db.models.core.UTCDateTime(timezone=True)


def _fk(target: str, **kw: Any) -> sa.ForeignKey:
    return sa.ForeignKey(target, ondelete="CASCADE", **kw)


def upgrade() -> None:
    op.create_table(
        "guideline_links",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.Integer(), _fk("projects.id"), nullable=False),
        sa.Column("guideline_version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.UniqueConstraint("project_id", "guideline_version", "kind", "ref_id"),
    )
    op.create_table(
        "relabels",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.Integer(), _fk("projects.id"), nullable=False),
        sa.Column("guideline_version", sa.Integer(), nullable=False),
        sa.Column("criteria", JSON, nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("superseded_count", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
    )
    op.create_table(
        "relabel_items",
        sa.Column("relabel_id", sa.Integer(), _fk("relabels.id"), primary_key=True),
        sa.Column("item_id", sa.Integer(), _fk("items.id"), primary_key=True),
        sa.Column("reasons", JSON, nullable=False),
    )
    op.create_index("ix_relabel_items_item_id", "relabel_items", ["item_id"])
    op.create_table(
        "calibration_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.Integer(), _fk("projects.id"), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("pick", sa.String(20), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column("guideline_version", sa.Integer(), nullable=True),
        sa.Column("alpha", sa.Float(), nullable=True),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("closed_at", WHEN, nullable=True),
    )
    op.create_index("ix_calibration_project", "calibration_sessions", ["project_id", "created_at"])
    op.create_table(
        "calibration_items",
        sa.Column("session_id", sa.Integer(), _fk("calibration_sessions.id"), primary_key=True),
        sa.Column("item_id", sa.Integer(), _fk("items.id"), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
    )
    op.create_table(
        "calibration_invites",
        sa.Column("session_id", sa.Integer(), _fk("calibration_sessions.id"), primary_key=True),
        sa.Column("user_id", sa.Integer(), _fk("users.id"), primary_key=True),
        sa.Column("invited_at", WHEN, nullable=False),
        sa.Column("completed_at", WHEN, nullable=True),
    )
    op.create_table(
        "calibration_answers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("session_id", sa.Integer(), _fk("calibration_sessions.id"), nullable=False),
        sa.Column("item_id", sa.Integer(), _fk("items.id"), nullable=False),
        sa.Column("user_id", sa.Integer(), _fk("users.id"), nullable=False),
        sa.Column("value", JSON, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.UniqueConstraint("session_id", "item_id", "user_id"),
    )
    op.create_table(
        "calibration_decisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("session_id", sa.Integer(), _fk("calibration_sessions.id"), nullable=False),
        sa.Column("item_id", sa.Integer(), _fk("items.id"), nullable=False),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("rule_number", sa.String(20), nullable=True),
        sa.Column("decided_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("drafted_at", WHEN, nullable=True),
        sa.Column("drafted_rule", sa.String(20), nullable=True),
        sa.UniqueConstraint("session_id", "item_id"),
    )
    op.create_table(
        "webhooks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.Integer(), _fk("projects.id"), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("secret", sa.String(200), nullable=False),
        sa.Column("event_types", JSON, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("webhook_id", sa.Integer(), _fk("webhooks.id"), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("event_type", sa.String(80), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", WHEN, nullable=False),
        sa.Column("claimed_until", WHEN, nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("delivered_at", WHEN, nullable=True),
        sa.UniqueConstraint("webhook_id", "event_id"),
    )
    op.create_index(
        "ix_webhook_deliveries_due", "webhook_deliveries", ["state", "next_attempt_at"]
    )
    op.create_table(
        "worker_jobs",
        sa.Column("name", sa.String(80), primary_key=True),
        sa.Column("last_started_at", WHEN, nullable=True),
        sa.Column("last_finished_at", WHEN, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("runs", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("worker_jobs")
    op.drop_index("ix_webhook_deliveries_due", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhooks")
    op.drop_table("calibration_decisions")
    op.drop_table("calibration_answers")
    op.drop_table("calibration_invites")
    op.drop_table("calibration_items")
    op.drop_index("ix_calibration_project", table_name="calibration_sessions")
    op.drop_table("calibration_sessions")
    op.drop_index("ix_relabel_items_item_id", table_name="relabel_items")
    op.drop_table("relabel_items")
    op.drop_table("relabels")
    op.drop_table("guideline_links")
