"""alert groups: floods stay readable (issue 11, item 9)

Adds `alerts.group_key` (kind, subject and UTC day: domain/alert_groups.py), filled in for the alerts already
stored, with its index, so the alerts page lists one line per fact-check and day instead of one per post; and
`alert_group_states`, who acknowledged or handled a group, per organisation.

Revision ID: 0013
Revises: 0012
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_ALERTS = sa.table(
    "alerts",
    sa.column("id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("factcheck_id", sa.String),
    sa.column("dedupe_key", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("group_key", sa.String),
)


def _group_key(kind: str, factcheck_id: str | None, dedupe_key: str, created_at: datetime) -> str:
    """domain/alert_groups.py's alert_group_key as it was at this revision (a migration does not follow later
    changes of the product's code)."""
    if created_at.tzinfo is not None:
        created_at = created_at.astimezone(UTC)
    day = created_at.date().isoformat()
    if kind == "repeat" and factcheck_id:
        subject = factcheck_id
    else:
        subject = dedupe_key[len(kind) + 1 :] if dedupe_key.startswith(f"{kind}:") else dedupe_key
    return f"{kind}:{subject[: 400 - len(kind) - len(day) - 2]}:{day}"


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_key", sa.String(length=400), nullable=True))
        batch_op.create_index("ix_alerts_group_key", ["group_key"], unique=False)
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_ALERTS.c.id, _ALERTS.c.kind, _ALERTS.c.factcheck_id, _ALERTS.c.dedupe_key, _ALERTS.c.created_at)
    ).all()
    for row in rows:
        key = _group_key(row.kind, row.factcheck_id, row.dedupe_key, row.created_at)
        connection.execute(sa.update(_ALERTS).where(_ALERTS.c.id == row.id).values(group_key=key))
    op.create_table(
        "alert_group_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("group_key", sa.String(length=400), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("changed_by", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["changed_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("organisation_id", "group_key", name="uq_alert_group_states_organisation_group"),
    )


def downgrade() -> None:
    op.drop_table("alert_group_states")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_group_key")
        batch_op.drop_column("group_key")
