"""worker leases: several `kiemchung run` processes share one PostgreSQL database

Adds to `inbox` the lease an item is processed under (`leased_by`, `lease_until`) and how many times it was
taken (`attempts`); an item that failed WORKER_MAX_ATTEMPTS times gets the state `dead` with the last error as
its reason (the state column is wide enough already). Adds `worker_leases`: named, expiring leases one worker
holds at a time (an alert channel's delivery, a host's fetching; a released host lease stays closed until the
host's politeness pause has passed).

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("leased_by", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
    op.create_table(
        "worker_leases",
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("holder", sa.String(length=100), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_worker_leases")),
    )


def downgrade() -> None:
    op.drop_table("worker_leases")
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_column("attempts")
        batch_op.drop_column("lease_until")
        batch_op.drop_column("leased_by")
