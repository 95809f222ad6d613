"""gold owed: a member's gold offer that found no gold in the queue's step waits for the next
step that has one (issue 21: a memoryless gold draw instead of a countable cap on the gap);
honeypot rate: honeypots served at their own rate beside the gold rate (0: with the gold)

Revision ID: 0018_gold_owed
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_gold_owed"
down_revision = "0001"
branch_labels = ("gold_owed",)
depends_on = None


def upgrade() -> None:
    op.add_column(
        "members",
        sa.Column("gold_owed", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "projects",
        sa.Column("honeypot_rate", sa.Float(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.drop_column("gold_owed")
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("honeypot_rate")
