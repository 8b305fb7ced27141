"""archive imports from the web (issue 11, item 12)

Adds `archive_imports`: one row per archive file uploaded on /archive/import or POST /api/v1/factchecks/import,
for the uploader's organisation: the file (kept until its import ends), its format and size, state
(queued | running | done | failed), progress (lines read of the file's lines, imported, rejected, noted), the
per-line report, and the times; a running import whose heartbeat stops was left by a stopped server and is
taken up again.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "archive_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("token_id", sa.Integer(), nullable=True),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("lines_total", sa.Integer(), server_default="0", nullable=False),
        sa.Column("lines_read", sa.Integer(), server_default="0", nullable=False),
        sa.Column("imported", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rejected", sa.Integer(), server_default="0", nullable=False),
        sa.Column("notes", sa.Integer(), server_default="0", nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_archive_imports_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["users.id"], name=op.f("fk_archive_imports_requested_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["token_id"], ["api_tokens.id"], name=op.f("fk_archive_imports_token_id_api_tokens"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archive_imports")),
    )
    with op.batch_alter_table("archive_imports", schema=None) as batch_op:
        batch_op.create_index("ix_archive_imports_organisation", ["organisation_id", "id"], unique=False)
        batch_op.create_index("ix_archive_imports_state", ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("archive_imports", schema=None) as batch_op:
        batch_op.drop_index("ix_archive_imports_state")
        batch_op.drop_index("ix_archive_imports_organisation")
    op.drop_table("archive_imports")
