"""retro jobs: a fact-check searched for in the stored posts, in partitions that workers share

Adds `retro_jobs` (the fact-check, whose posts, state, trigger, partition size and counts, the first-seen
time found, started/finished, the error) and `retro_partitions` (claim-id ranges, pending | done): a crash
resumes from the partitions not yet done, issue 16.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "retro_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("factcheck_id", sa.String(length=255), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("trigger", sa.String(length=12), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("partition_size", sa.Integer(), nullable=False),
        sa.Column("partitions", sa.Integer(), server_default="0", nullable=False),
        sa.Column("partitions_done", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_claim_id", sa.Integer(), nullable=True),
        sa.Column("scanned", sa.Integer(), server_default="0", nullable=False),
        sa.Column("candidates", sa.Integer(), server_default="0", nullable=False),
        sa.Column("found", sa.Integer(), server_default="0", nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["factcheck_id"], ["factchecks.id"], name=op.f("fk_retro_jobs_factcheck_id_factchecks"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_retro_jobs_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["users.id"], name=op.f("fk_retro_jobs_requested_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retro_jobs")),
    )
    with op.batch_alter_table("retro_jobs", schema=None) as batch_op:
        batch_op.create_index("ix_retro_jobs_state_id", ["state", "id"], unique=False)
        batch_op.create_index("ix_retro_jobs_factcheck_id", ["factcheck_id"], unique=False)

    op.create_table(
        "retro_partitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("first_claim_id", sa.Integer(), nullable=False),
        sa.Column("last_claim_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"], ["retro_jobs.id"], name=op.f("fk_retro_partitions_job_id_retro_jobs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retro_partitions")),
        sa.UniqueConstraint("job_id", "first_claim_id", name="uq_retro_partitions_job_first_claim"),
    )
    with op.batch_alter_table("retro_partitions", schema=None) as batch_op:
        batch_op.create_index("ix_retro_partitions_job_state", ["job_id", "state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("retro_partitions", schema=None) as batch_op:
        batch_op.drop_index("ix_retro_partitions_job_state")
    op.drop_table("retro_partitions")
    with op.batch_alter_table("retro_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_retro_jobs_factcheck_id")
        batch_op.drop_index("ix_retro_jobs_state_id")
    op.drop_table("retro_jobs")
