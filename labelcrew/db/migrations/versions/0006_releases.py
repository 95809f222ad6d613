"""immutable dataset releases and their frozen rows

Revision ID: 0006_releases
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import labelcrew.db.models.core

revision = "0006_releases"
down_revision = "0001"
branch_labels = ("releases",)
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
WHEN = labelcrew.db.models.core.UTCDateTime(timezone=True)
GUARDED = ("releases", "release_items")


def upgrade() -> None:
    op.create_table(
        "releases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("min_confidence", sa.Float(), nullable=True),
        sa.Column("field", sa.String(64), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("included", sa.Integer(), nullable=False),
        sa.Column("excluded", sa.Integer(), nullable=False),
        sa.Column("manifest", JSON, nullable=False),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.UniqueConstraint("project_id", "name"),
        sa.UniqueConstraint("project_id", "number"),
    )
    op.create_table(
        "release_items",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("release_id", sa.Integer(), sa.ForeignKey("releases.id"), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(200), nullable=False),
        sa.Column("included", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(40), nullable=True),
        sa.Column("label", sa.String(200), nullable=True),
        sa.Column("value", JSON, nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("source", sa.String(20), nullable=True),
        sa.Column("n_labels", sa.Integer(), nullable=False),
        sa.Column("votes", JSON, nullable=False),
        sa.Column("guideline_versions", JSON, nullable=False),
        sa.Column("schema_versions", JSON, nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.UniqueConstraint("release_id", "item_id"),
    )
    op.create_index(
        "ix_release_items_included", "release_items", ["release_id", "included", "item_id"]
    )
    _install_write_once_guard()


def _install_write_once_guard() -> None:
    """A published release never changes: the database refuses UPDATE and DELETE on both
    tables (TRUNCATE, used only by the test fixtures, fires no row triggers)."""
    if op.get_bind().dialect.name == "sqlite":
        for table in GUARDED:
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is write-once'); END"
                )
        return
    op.execute(
        "CREATE FUNCTION releases_write_once() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION '% is write-once', TG_TABLE_NAME; END; $$ LANGUAGE plpgsql"
    )
    for table in GUARDED:
        op.execute(
            f"CREATE TRIGGER {table}_write_once BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION releases_write_once()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in GUARDED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_write_once ON {table}")
        op.execute("DROP FUNCTION IF EXISTS releases_write_once()")
    op.drop_index("ix_release_items_included", table_name="release_items")
    op.drop_table("release_items")
    op.drop_table("releases")
