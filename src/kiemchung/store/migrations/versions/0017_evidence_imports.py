"""evidence PDF imports in the background (issue 14)

Adds `evidence_imports`: one row per PDF uploaded to an organisation's evidence library on /evidence or
POST /api/v1/evidence/import: the file (kept until it is read), its size, state (queued | running | done |
failed), pages read of the PDF's pages, the outcome (documents added, updated or unchanged; scanned: no text
layer) or why it failed, and the times; a running import whose heartbeat stops was left by a stopped server and
is taken up again.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evidence_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("token_id", sa.Integer(), nullable=True),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("pages_total", sa.Integer(), server_default="0", nullable=False),
        sa.Column("pages_read", sa.Integer(), server_default="0", nullable=False),
        sa.Column("added", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated", sa.Integer(), server_default="0", nullable=False),
        sa.Column("unchanged", sa.Integer(), server_default="0", nullable=False),
        sa.Column("scanned", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_evidence_imports_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["users.id"], name=op.f("fk_evidence_imports_requested_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["token_id"], ["api_tokens.id"], name=op.f("fk_evidence_imports_token_id_api_tokens"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_imports")),
    )
    with op.batch_alter_table("evidence_imports", schema=None) as batch_op:
        batch_op.create_index("ix_evidence_imports_organisation", ["organisation_id", "id"], unique=False)
        batch_op.create_index("ix_evidence_imports_state", ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("evidence_imports", schema=None) as batch_op:
        batch_op.drop_index("ix_evidence_imports_state")
        batch_op.drop_index("ix_evidence_imports_organisation")
    op.drop_table("evidence_imports")
