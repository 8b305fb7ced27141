"""evidence sources and archived PDF copies (issue 14)

Adds `sources.evidence`: what a source marked so collects also joins its organisation's evidence library
(services/collect.py); and `evidence_documents.file_sha256`: an uploaded PDF's bytes are kept under
data_dir/uploads/<sha256>, as a case's documents are, and served from /evidence/documents/{row}/file.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("evidence", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("evidence_documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("file_sha256", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("evidence_documents", schema=None) as batch_op:
        batch_op.drop_column("file_sha256")
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_column("evidence")
