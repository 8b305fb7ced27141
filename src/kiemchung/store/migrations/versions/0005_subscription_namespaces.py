"""subscription namespaces: imported fact-checks live under sub-<subscription>-<their id>; problems kept

Before this revision a subscription upserted its feed's fact-checks under the feed's own ids, so a feed could
overwrite a fact-check published here (kc-N), the archive's or another subscription's. This revision
- adds `subscriptions.problems` (what the last refresh refused, cut or dropped, with reasons);
- restores every fact-check published here that a subscription overwrote from its newest published
  version (factcheck_versions), and gives it back to its organisation;
- moves every other row a subscription wrote into that subscription's namespace (matches and cases follow),
  and marks the subscriptions to be refreshed at the pipeline's next tick.

Revision ID: 0005
Revises: 0004
"""

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("problems", sa.JSON(), nullable=True))
    bind = op.get_bind()
    tables = sa.MetaData()
    factchecks = sa.Table("factchecks", tables, autoload_with=bind)
    now = datetime.now(UTC)
    overwritten = bind.execute(
        sa.select(factchecks.c.id).where(
            factchecks.c.subscription_id.is_not(None), factchecks.c.organisation_id.is_not(None)
        )
    ).scalars()
    for key in list(overwritten):
        _restore(bind, tables, factchecks, key, now)
    foreign = bind.execute(
        sa.select(factchecks).where(
            factchecks.c.subscription_id.is_not(None),
            factchecks.c.organisation_id.is_(None),
            ~factchecks.c.id.like("sub-%"),
        )
    ).all()
    for row in foreign:
        _move(bind, tables, factchecks, row._asdict(), now)
    if foreign:
        subscriptions = sa.Table("subscriptions", tables, autoload_with=bind)
        bind.execute(sa.update(subscriptions).values(last_fetch_at=None))


def _restore(bind: Any, tables: sa.MetaData, factchecks: sa.Table, key: str, now: datetime) -> None:
    """Our fact-check as we last published it (what the versions table holds)."""
    from kiemchung.domain.models import FactCheck
    from kiemchung.domain.ratings import VIETNAMESE_DEFAULT
    from kiemchung.store.factchecks import search_text

    versions = sa.Table("factcheck_versions", tables, autoload_with=bind)
    organisations = sa.Table("organisations", tables, autoload_with=bind)
    record = bind.execute(
        sa.select(versions.c.record).where(versions.c.factcheck_id == key).order_by(versions.c.version.desc()).limit(1)
    ).scalar_one_or_none()
    if not record:
        return
    publisher = bind.execute(
        sa.select(organisations.c.name)
        .select_from(factchecks.join(organisations, organisations.c.id == factchecks.c.organisation_id))
        .where(factchecks.c.id == key)
    ).scalar_one_or_none()
    url = record.get("url")
    rating = VIETNAMESE_DEFAULT.rating(record["rating"])
    evidence = [e["url"] for e in record.get("evidence") or [] if e.get("url")]
    fc = FactCheck(id=key, claim=record["claim"], rating=rating, summary=record.get("summary"))
    bind.execute(
        sa.update(factchecks)
        .where(factchecks.c.id == key)
        .values(
            claim=record["claim"],
            search_text=search_text(fc),
            rating_label=rating.label,
            rating_value=rating.value,
            rating_best=rating.best,
            rating_worst=rating.worst,
            url=url,
            language=record.get("language"),
            published=date.fromisoformat(record["published"]) if record.get("published") else None,
            summary=record.get("summary"),
            publisher=publisher,
            publisher_url=url.split("/factchecks/", 1)[0] if url and "/factchecks/" in url else None,
            claim_author=None,
            claim_date=None,
            appearances=[],
            first_appearance=None,
            evidence_links=evidence,
            subscription_id=None,
            updated_at=now,
        )  # fmt: skip
    )


def _move(bind: Any, tables: sa.MetaData, factchecks: sa.Table, row: dict[str, Any], now: datetime) -> None:
    """A subscription's row under a foreign id, moved to the subscription's namespace (a copy under the new
    id, the references moved to it, the old row deleted: this works whatever the foreign keys enforce)."""
    from kiemchung.domain.imports import subscription_factcheck_id
    from kiemchung.domain.models import FactCheck, Rating
    from kiemchung.store.factchecks import search_text

    old = row["id"]
    new = subscription_factcheck_id(row["subscription_id"], old)
    moved = FactCheck(id=new, claim=row["claim"], rating=Rating(row["rating_label"]), summary=row["summary"])
    matches = sa.Table("matches", tables, autoload_with=bind)
    cases = sa.Table("cases", tables, autoload_with=bind)
    bind.execute(sa.insert(factchecks).values({**row, "id": new, "search_text": search_text(moved), "updated_at": now}))
    bind.execute(sa.update(matches).where(matches.c.factcheck_id == old).values(factcheck_id=new))
    bind.execute(sa.update(cases).where(cases.c.factcheck_id == old).values(factcheck_id=new))
    bind.execute(sa.update(cases).where(cases.c.group_key == f"factcheck:{old}").values(group_key=f"factcheck:{new}"))
    bind.execute(sa.delete(factchecks).where(factchecks.c.id == old))


def downgrade() -> None:
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_column("problems")
