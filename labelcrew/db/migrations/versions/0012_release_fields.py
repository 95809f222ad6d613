"""per-field releases: each row's field values, confidences and methods, the field that
excluded it, and every live label by its annotator

Revision ID: 0012_release_fields
Revises: 0006_releases
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012_release_fields"
down_revision = "0006_releases"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    # New nullable columns only: the append-only guard on release rows forbids UPDATE and
    # DELETE, not ALTER, and rows of older releases keep NULL (their hash omits these keys).
    # Plain ADD COLUMN (no table rebuild on SQLite), so the guard's triggers stay in place.
    op.add_column("release_items", sa.Column("reason_field", sa.String(64), nullable=True))
    op.add_column("release_items", sa.Column("fields", JSON, nullable=True))
    op.add_column("release_items", sa.Column("annotations", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("release_items") as batch:
        for name in ("annotations", "fields", "reason_field"):
            batch.drop_column(name)
