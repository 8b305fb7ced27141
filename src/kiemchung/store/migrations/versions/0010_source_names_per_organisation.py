"""source names per organisation: two organisations may each name a source alike

Before this revision a source name was unique across the installation, so an organisation choosing a name
another organisation used got a clash that revealed the other's source. This revision replaces the unique
`sources.name` by a unique (`organisation_id`, `name`): names are unique within an organisation (the store
also refuses a name that a source of no organisation, the first organisation's, already has).

On SQLite the table is rebuilt (batch mode) with foreign keys off, as `Database.migrate` runs every
migration; rows and ids are copied as they are. Downgrading fails while two organisations share a source
name: rename one first.

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_sources_name"), type_="unique")
        batch_op.create_unique_constraint("uq_sources_organisation_name", ["organisation_id", "name"])


def downgrade() -> None:
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_constraint("uq_sources_organisation_name", type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_sources_name"), ["name"])
