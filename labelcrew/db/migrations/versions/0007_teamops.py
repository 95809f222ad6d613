"""team operations: member profiles, project plans, batch handoffs, priorities, cadences,
and members.level

Revision ID: 0007_teamops
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import labelcrew.db.models.core

revision = "0007_teamops"
down_revision = "0001"
branch_labels = ("teamops",)
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
WHEN = labelcrew.db.models.core.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.add_column(
            sa.Column("level", sa.String(20), nullable=False, server_default="annotator")
        )
    op.create_table(
        "member_profiles",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.Integer(),
                  sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.Integer(),
                  sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("weekly_hours", sa.Float(), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("shift_start", sa.Integer(), nullable=False),
        sa.Column("shift_end", sa.Integer(), nullable=False),
        sa.Column("hourly_rate", sa.Float(), nullable=True),
        sa.Column("item_rate", sa.Float(), nullable=True),
        sa.Column("currency", sa.String(8), nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.UniqueConstraint("project_id", "user_id"),
    )
    op.create_table(
        "project_plans",
        sa.Column("project_id", sa.Integer(),
                  sa.ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("deadline", WHEN, nullable=True),
        sa.Column("updated_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("updated_at", WHEN, nullable=False),
    )
    op.create_table(
        "batch_handoffs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.Integer(),
                  sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
        sa.Column("batch_id", sa.Integer(),
                  sa.ForeignKey("batches.id", ondelete="CASCADE"), nullable=False),
        sa.Column("from_owner_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("to_owner_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
    )
    op.create_index("ix_batch_handoffs_batch", "batch_handoffs", ["batch_id", "id"])
    op.create_table(
        "priority_notices",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.Integer(),
                  sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
        sa.Column("entries", JSON, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("items_updated", sa.Integer(), nullable=False),
        sa.Column("published_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("published_at", WHEN, nullable=False),
    )
    op.create_index("ix_priority_notices_project", "priority_notices", ["project_id", "id"])
    op.create_table(
        "cadences",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.Integer(),
                  sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("next_due_at", WHEN, nullable=False),
        sa.Column("last_run_at", WHEN, nullable=True),
        sa.Column("last_result", JSON, nullable=False),
        sa.UniqueConstraint("project_id", "kind"),
    )


def downgrade() -> None:
    op.drop_table("cadences")
    op.drop_index("ix_priority_notices_project", table_name="priority_notices")
    op.drop_table("priority_notices")
    op.drop_index("ix_batch_handoffs_batch", table_name="batch_handoffs")
    op.drop_table("batch_handoffs")
    op.drop_table("project_plans")
    op.drop_table("member_profiles")
    with op.batch_alter_table("members") as batch:
        batch.drop_column("level")
