"""case sharing: a case is shared with another organisation explicitly; the audit log names the actor's organisation

Before this revision every organisation saw and acted on every case, and an action was logged in the actor's
organisation only. This revision
- adds `case_shares` (which other organisation may read a case and comment on it, who shared it, when);
- adds `audit_log.actor_organisation_id`: entries are written to the log of the object's owner, naming the
  actor's organisation (a sharing partner's); existing entries were written by their own organisation.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("shared_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_shares_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_case_shares_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(["shared_by"], ["users.id"], name=op.f("fk_case_shares_shared_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_shares")),
        sa.UniqueConstraint("case_id", "organisation_id", name="uq_case_shares_case_organisation"),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actor_organisation_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_audit_log_actor_organisation_id_organisations"), "organisations", ["actor_organisation_id"], ["id"]
        )
    audit_log = sa.table("audit_log", sa.column("organisation_id"), sa.column("actor_organisation_id"))
    op.execute(sa.update(audit_log).values(actor_organisation_id=audit_log.c.organisation_id))


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_audit_log_actor_organisation_id_organisations"), type_="foreignkey")
        batch_op.drop_column("actor_organisation_id")
    op.drop_table("case_shares")
