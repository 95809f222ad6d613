"""server-side sessions; expiry and last use of API tokens

Revision ID: 0008_sessions
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import labelcrew.db.models.core

revision = "0008_sessions"
down_revision = "0001"
branch_labels = ("sessions",)
depends_on = None

WHEN = labelcrew.db.models.core.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer(),
                  sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("last_seen_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.Column("revoked_at", WHEN, nullable=True),
        sa.Column("revoked_reason", sa.String(40), nullable=True),
        sa.Column("user_agent", sa.String(200), nullable=False),
        sa.Column("client_ip", sa.String(64), nullable=False),
    )
    op.create_index("ix_sessions_user", "sessions", ["user_id", "revoked_at"])
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("expires_at", WHEN, nullable=True))
        batch.add_column(sa.Column("last_used_at", WHEN, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("last_used_at")
        batch.drop_column("expires_at")
    op.drop_index("ix_sessions_user", table_name="sessions")
    op.drop_table("sessions")
