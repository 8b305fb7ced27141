"""evidence library: the documents an organisation trusts (issue 14)

Adds `evidence_documents`: one row per document of an organisation's evidence library, by the id it was
imported under (unique per organisation), with its text (empty for a scanned PDF), URL, title, publisher,
publication date, the SHA-256 of its text, and who imported it when. Passages are not stored: each process
rebuilds its in-memory index from the text (services/evidence_library.py).

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evidence_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("publisher", sa.Text(), nullable=True),
        sa.Column("published", sa.Date(), nullable=True),
        sa.Column("scanned", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("organisation_id", "external_id", name="uq_evidence_documents_organisation_external"),
    )
    with op.batch_alter_table("evidence_documents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_evidence_documents_organisation_updated", ["organisation_id", "updated_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("evidence_documents", schema=None) as batch_op:
        batch_op.drop_index("ix_evidence_documents_organisation_updated")
    op.drop_table("evidence_documents")
