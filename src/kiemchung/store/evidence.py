"""Evidence URLs waiting for their snapshot.

A URL given as evidence is stored at once with no title: it is *archiving* until the archiver
(`services/evidence.py`) stores its snapshot and title (the page's title, or the URL when the page could not
be read). A row keeps its title once set, so a snapshot is written at most once.
"""

from __future__ import annotations

from sqlalchemy import select, update

from kiemchung.store.database import Database
from kiemchung.store.schema import evidence

_PENDING = (evidence.c.kind == "url") & evidence.c.title.is_(None)


class EvidenceStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def pending(self) -> list[int]:
        """Ids of the evidence URLs still archiving, oldest first."""
        with self.database.read() as connection:
            return [row.id for row in connection.execute(select(evidence.c.id).where(_PENDING).order_by(evidence.c.id))]

    def pending_url(self, evidence_id: int) -> str | None:
        """The URL of this evidence if it is still archiving, else None."""
        with self.database.read() as connection:
            url = connection.execute(select(evidence.c.url).where(_PENDING & (evidence.c.id == evidence_id))).scalar()
        return str(url) if url is not None else None

    def set_snapshot(self, evidence_id: int, title: str, snapshot: str | None) -> bool:
        """Store the snapshot (None: none could be taken) of a still archiving URL; False if it was not."""
        with self.database.write() as connection:
            result = connection.execute(
                update(evidence).where(_PENDING & (evidence.c.id == evidence_id)).values(title=title, snapshot=snapshot)
            )
        return bool(result.rowcount)
