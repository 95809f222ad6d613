"""predictions: model predictions imported from Label Studio, and the e-mail each imported
member was known by there

Revision ID: 0014_predictions
Revises: 0013_honeypots
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import labelcrew.db.models.core

revision = "0014_predictions"
down_revision = "0013_honeypots"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
WHEN = labelcrew.db.models.core.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "predictions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "project_id",
            sa.Integer,
            sa.ForeignKey("projects.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "item_id", sa.Integer, sa.ForeignKey("items.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("model_version", sa.String(200), nullable=False),
        sa.Column("score", sa.Float, nullable=True),
        sa.Column("value", JSON, nullable=False),
        sa.Column("result", JSON, nullable=False),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("source_id", sa.String(200), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.UniqueConstraint("item_id", "source", "source_id"),
    )
    op.create_index("ix_predictions_project_item", "predictions", ["project_id", "item_id"])
    op.create_table(
        "external_identities",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("provider", sa.String(40), nullable=False),
        sa.Column("key", sa.String(320), nullable=False),
        sa.Column(
            "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("created_at", WHEN, nullable=False),
        sa.UniqueConstraint("provider", "key"),
    )
    op.create_index("ix_external_identities_user_id", "external_identities", ["user_id"])


def downgrade() -> None:
    op.drop_table("external_identities")
    op.drop_index("ix_predictions_project_item", "predictions")
    op.drop_table("predictions")
