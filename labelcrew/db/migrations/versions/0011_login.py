"""sign-in throttling: failed attempts per account and per client address

Revision ID: 0011_login
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import labelcrew.db.models.core

revision = "0011_login"
down_revision = "0001"
branch_labels = ("login",)
depends_on = None

WHEN = labelcrew.db.models.core.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "login_throttles",
        sa.Column("kind", sa.String(10), primary_key=True),
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", WHEN, nullable=False),
        sa.Column("locked_until", WHEN, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("login_throttles")
