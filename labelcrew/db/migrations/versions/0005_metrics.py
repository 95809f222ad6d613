"""metrics rollups, item label summaries, weekly reports, indexes for the dashboard

Revision ID: 0005_metrics
Revises: 0002_alerts
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import labelcrew.db.models.core

revision = "0005_metrics"
down_revision = "0002_alerts"
branch_labels = ("metrics",)
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
WHEN = labelcrew.db.models.core.UTCDateTime(timezone=True)


def _project() -> sa.Column[int]:
    return sa.Column("project_id", sa.Integer(),
                     sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "metrics_daily",
        _project(),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("annotator_id", sa.Integer(), nullable=False),
        sa.Column("queue", sa.String(20), nullable=False),
        sa.Column("labels", sa.Integer(), nullable=False),
        sa.Column("duration_ms_sum", sa.BigInteger(), nullable=False),
        sa.Column("timed", sa.Integer(), nullable=False),
        sa.Column("gold_answers", sa.Integer(), nullable=False),
        sa.Column("gold_correct", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "day", "annotator_id", "queue"),
    )
    op.create_table(
        "metrics_daily_durations",
        _project(),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("queue", sa.String(20), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "day", "queue", "seconds"),
    )
    op.create_table(
        "metrics_item_state",
        sa.Column("item_id", sa.Integer(),
                  sa.ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
        _project(),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("labels", sa.Integer(), nullable=False),
        sa.Column("distinct_values", sa.Integer(), nullable=False),
        sa.Column("last_label_at", WHEN, nullable=False),
    )
    op.create_index("ix_metrics_item_state_last", "metrics_item_state",
                    ["project_id", "last_label_at"])
    op.create_table(
        "metrics_rollup_state",
        sa.Column("project_id", sa.Integer(),
                  sa.ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("rolled_until", sa.Date(), nullable=True),
        sa.Column("items_refreshed_at", WHEN, nullable=True),
        sa.Column("primary_field", sa.String(100), nullable=True),
    )
    op.create_table(
        "weekly_reports",
        sa.Column("id", sa.Integer(), primary_key=True),
        _project(),
        sa.Column("week", sa.String(8), nullable=False),
        sa.Column("markdown", sa.Text(), nullable=False),
        sa.Column("content", JSON, nullable=False),
        sa.Column("published_at", WHEN, nullable=False),
        sa.UniqueConstraint("project_id", "week"),
    )
    # Refreshing item summaries finds relabelled items by when their old label was superseded.
    op.create_index("ix_annotations_superseded", "annotations", ["project_id", "superseded_at"],
                    sqlite_where=sa.text("superseded_at IS NOT NULL"),
                    postgresql_where=sa.text("superseded_at IS NOT NULL"))
    # Member-filtered metrics and per-member trends read one annotator's labels by time.
    op.create_index("ix_annotations_annotator_created", "annotations",
                    ["project_id", "annotator_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_annotations_annotator_created", table_name="annotations")
    op.drop_index("ix_annotations_superseded", table_name="annotations")
    op.drop_table("weekly_reports")
    op.drop_table("metrics_rollup_state")
    op.drop_index("ix_metrics_item_state_last", table_name="metrics_item_state")
    op.drop_table("metrics_item_state")
    op.drop_table("metrics_daily_durations")
    op.drop_table("metrics_daily")
