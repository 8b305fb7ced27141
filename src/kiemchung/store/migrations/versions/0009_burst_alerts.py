"""burst alerts: an alert carries its evidence; copies are found by the post they copy

Adds `alerts.evidence` (JSON, null for the other kinds): a `burst` alert's counts in its first hour and the
hours before it against the narrative's own rate, its distinct sources and its first posts; and the index
`ix_posts_copy_of`, so that a narrative's timeline folds its copies in without scanning every post, issue 12.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("evidence", sa.JSON(), nullable=True))
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.create_index("ix_posts_copy_of", ["copy_of"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_index("ix_posts_copy_of")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("evidence")
