"""dead letters: a periodic job that keeps failing is parked ('dead') instead of retried
forever, and retries of a failing one are spaced by `next_run_at`; webhook deliveries out of
attempts are 'dead' (they were 'failed')

Revision ID: 0015_dead_letters
Revises: 0013_honeypots
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_dead_letters"
down_revision = "0013_honeypots"
branch_labels = None
# worker_jobs and webhook_deliveries come from the loops branch.
depends_on = "0004_loops"

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("worker_jobs") as batch:
        batch.add_column(sa.Column("state", sa.String(20), nullable=False, server_default="active"))
        batch.add_column(sa.Column("failures", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("next_run_at", WHEN, nullable=True))
    op.execute("UPDATE webhook_deliveries SET state = 'dead' WHERE state = 'failed'")


def downgrade() -> None:
    op.execute("UPDATE webhook_deliveries SET state = 'failed' WHERE state = 'dead'")
    with op.batch_alter_table("worker_jobs") as batch:
        batch.drop_column("next_run_at")
        batch.drop_column("failures")
        batch.drop_column("state")
