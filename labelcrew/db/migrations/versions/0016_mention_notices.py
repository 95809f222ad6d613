"""mention notices: a member's in-app notice that a comment @mentions them

Revision ID: 0016_mention_notices
Revises: 0013_honeypots
"""

import sqlalchemy as sa
from alembic import op

import labelcrew.db.models.core

revision = "0016_mention_notices"
down_revision = "0013_honeypots"
branch_labels = None
# The notices point at comments: the feedback branch must be there first.
depends_on = ("0003_feedback",)

WHEN = labelcrew.db.models.core.UTCDateTime(timezone=True)


def _fk(table: str) -> sa.ForeignKey:
    return sa.ForeignKey(f"{table}.id", ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "mention_notices",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.Integer(), _fk("projects"), nullable=False),
        sa.Column("user_id", sa.Integer(), _fk("users"), nullable=False),
        sa.Column("comment_id", sa.Integer(), _fk("comments"), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("read_at", WHEN, nullable=True),
    )
    op.create_index(
        "ix_mention_notices_user", "mention_notices", ["user_id", "project_id", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_mention_notices_user", table_name="mention_notices")
    op.drop_table("mention_notices")
