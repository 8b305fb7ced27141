"""training drills: drills built from the organisation's archive, their items, attempts and answers

Adds `drills`, `drill_items`, `drill_attempts` and `drill_answers`, all owned by one organisation (issue 15).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "drills",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ready_by", sa.Integer(), nullable=True),
        sa.Column("ready_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_drills_created_by_users")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_drills_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(["ready_by"], ["users.id"], name=op.f("fk_drills_ready_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drills")),
    )
    op.create_table(
        "drill_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("drill_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["drill_id"], ["drills.id"], name=op.f("fk_drill_attempts_drill_id_drills"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_drill_attempts_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_drill_attempts_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drill_attempts")),
    )
    op.create_table(
        "drill_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("drill_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("variant", sa.String(length=20), nullable=True),
        sa.Column("is_signal", sa.Boolean(), nullable=False),
        sa.Column("rating_label", sa.String(length=100), nullable=False),
        sa.Column("technique", sa.String(length=30), nullable=True),
        sa.Column("factcheck_id", sa.String(length=255), nullable=True),
        sa.Column("factcheck_url", sa.Text(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_drill_items_case_id_cases"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["drill_id"], ["drills.id"], name=op.f("fk_drill_items_drill_id_drills"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["factcheck_id"],
            ["factchecks.id"],
            name=op.f("fk_drill_items_factcheck_id_factchecks"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drill_items")),
        sa.UniqueConstraint("drill_id", "position", name="uq_drill_items_drill_position"),
    )
    op.create_table(
        "drill_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("verdict", sa.String(length=100), nullable=False),
        sa.Column("says_signal", sa.Boolean(), nullable=False),
        sa.Column("confidence", sa.Integer(), nullable=False),
        sa.Column("technique", sa.String(length=30), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["drill_attempts.id"],
            name=op.f("fk_drill_answers_attempt_id_drill_attempts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["drill_items.id"], name=op.f("fk_drill_answers_item_id_drill_items"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drill_answers")),
        sa.UniqueConstraint("attempt_id", "item_id", name="uq_drill_answers_attempt_item"),
    )


def downgrade() -> None:
    op.drop_table("drill_answers")
    op.drop_table("drill_items")
    op.drop_table("drill_attempts")
    op.drop_table("drills")
