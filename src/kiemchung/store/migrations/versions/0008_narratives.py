"""narratives: claims grouped into narratives owned by an organisation, with their members

Adds `narratives` (label, label_locked, risk_level, pinned fact-check, whether an editor touched it, first and
last seen) and `narrative_members` (a post or a fact-check, its claim sentence, published time, assigned_by
auto|editor, the member's unit vector), issue 12.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "narratives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("label_locked", sa.Boolean(), nullable=False),
        sa.Column("risk_level", sa.String(length=20), nullable=False),
        sa.Column("pinned_factcheck_id", sa.String(length=255), nullable=True),
        sa.Column("editor_touched", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_narratives_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["pinned_factcheck_id"],
            ["factchecks.id"],
            name=op.f("fk_narratives_pinned_factcheck_id_factchecks"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_narratives")),
        sqlite_autoincrement=True,  # a merged narrative's number is never given to another one
    )
    with op.batch_alter_table("narratives", schema=None) as batch_op:
        batch_op.create_index("ix_narratives_organisation_id", ["organisation_id"], unique=False)

    op.create_table(
        "narrative_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("narrative_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("post_id", sa.String(length=255), nullable=True),
        sa.Column("factcheck_id", sa.String(length=255), nullable=True),
        sa.Column("sentence", sa.Text(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assigned_by", sa.String(length=10), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["factcheck_id"],
            ["factchecks.id"],
            name=op.f("fk_narrative_members_factcheck_id_factchecks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["narrative_id"],
            ["narratives.id"],
            name=op.f("fk_narrative_members_narrative_id_narratives"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_narrative_members_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_narrative_members_post_id_posts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_narrative_members")),
        sa.UniqueConstraint("organisation_id", "factcheck_id", name="uq_narrative_members_organisation_factcheck"),
        sa.UniqueConstraint("post_id", name="uq_narrative_members_post_id"),
    )
    with op.batch_alter_table("narrative_members", schema=None) as batch_op:
        batch_op.create_index("ix_narrative_members_narrative_id", ["narrative_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("narrative_members", schema=None) as batch_op:
        batch_op.drop_index("ix_narrative_members_narrative_id")
    op.drop_table("narrative_members")
    with op.batch_alter_table("narratives", schema=None) as batch_op:
        batch_op.drop_index("ix_narratives_organisation_id")
    op.drop_table("narratives")
