"""honeypots: a gold answer is of kind 'gold' (tests understanding) or 'honeypot' (an item
with an obvious answer: tests attention)

Revision ID: 0013_honeypots
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_honeypots"
down_revision = "0001"
branch_labels = ("honeypots",)
depends_on = None


def upgrade() -> None:
    op.add_column(
        "gold_answers",
        sa.Column("kind", sa.String(10), nullable=False, server_default="gold"),
    )


def downgrade() -> None:
    with op.batch_alter_table("gold_answers") as batch:
        batch.drop_column("kind")
