"""Organisation repository, and who owns what.

An object (case, source) belongs to the organisation in its `organisation_id`. What the monitoring pipeline
made from sources and archive records that belong to no organisation belongs to the instance's first
organisation (the lowest id: in a single-organisation install, that one), so every object has an owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.exc import IntegrityError

from kiemchung.errors import NotFoundError
from kiemchung.store.database import Database
from kiemchung.store.schema import organisations


def owner_of(organisation_id: ColumnElement[int | None]) -> ColumnElement[int | None]:
    """The owning organisation of a row whose owner column is `organisation_id` (see the module docstring)."""
    first = select(func.min(organisations.c.id)).scalar_subquery()
    return func.coalesce(organisation_id, first)


@dataclass(frozen=True)
class Organisation:
    id: int
    name: str


class OrganisationStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def ensure(self, name: str) -> Organisation:
        """The organisation of this name, created if it does not exist."""
        existing = self.by_name(name)
        if existing:
            return existing
        try:
            with self.database.write() as connection:
                connection.execute(organisations.insert().values(name=name, created_at=datetime.now(UTC)))
        except IntegrityError:
            pass  # created meanwhile
        found = self.by_name(name)
        assert found is not None
        return found

    def by_name(self, name: str) -> Organisation | None:
        with self.database.read() as connection:
            row = connection.execute(select(organisations).where(organisations.c.name == name)).first()
        return Organisation(row.id, row.name) if row else None

    def get(self, organisation_id: int) -> Organisation:
        with self.database.read() as connection:
            row = connection.execute(select(organisations).where(organisations.c.id == organisation_id)).first()
        if row is None:
            raise NotFoundError(f"no organisation with id {organisation_id}")
        return Organisation(row.id, row.name)

    def all(self) -> list[Organisation]:
        with self.database.read() as connection:
            rows = connection.execute(select(organisations).order_by(organisations.c.name)).all()
        return [Organisation(r.id, r.name) for r in rows]
