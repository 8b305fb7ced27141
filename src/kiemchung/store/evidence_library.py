"""The evidence library's documents, per organisation (issue 14).

A document is stored under the id it was imported with, unique within its organisation; importing the same
id again replaces it (`updated_at` moves only when something changed). Every read names the organisation:
one organisation never reads another's documents. Writes run in the caller's transaction, beside their
audit entry (services/evidence_library.py). An uploaded PDF keeps its bytes under data_dir/uploads/<sha256>
(as a case's documents do), the digest in `file_sha256`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from kiemchung.evidence.documents import MAX_TEXT, EvidenceDocument
from kiemchung.ingest.items import Item, parse_published
from kiemchung.store.database import Database, aware
from kiemchung.store.organisations import owner_of
from kiemchung.store.schema import evidence_documents, sources, users
from kiemchung.text import strip_controls

MAX_ID = 200


@dataclass(frozen=True)
class LibraryDocument:
    """A stored document as the listing shows it (its text is not loaded)."""

    id: str
    url: str | None
    title: str | None
    publisher: str | None
    published: date | None
    scanned: bool
    characters: int
    created_at: datetime
    updated_at: datetime
    created_by: str | None
    file_sha256: str | None = None  # the archived copy of an uploaded PDF (data_dir/uploads/<sha256>)
    row: int = 0  # the stored row's number: the archived copy's address (/evidence/documents/{row}/file)

    @property
    def source(self) -> str:
        """How a citation names it: its URL, else its title, else its id."""
        return self.url or self.title or self.id

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "url": self.url, "title": self.title, "publisher": self.publisher,
            "published": self.published.isoformat() if self.published else None, "scanned": self.scanned,
            "characters": self.characters, "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(), "created_by": self.created_by,
            "file": f"/evidence/documents/{self.row}/file" if self.file_sha256 else None,
        }  # fmt: skip


@dataclass(frozen=True)
class LibraryState:
    """What tells a process whether its in-memory index is behind the stored library."""

    count: int
    last_update: datetime | None


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _values(document: EvidenceDocument, file_sha256: str | None) -> dict[str, Any]:
    return {"text": document.text, "url": document.url, "title": document.title, "publisher": document.publisher,
            "published": document.published, "scanned": document.scanned,
            "text_sha256": text_digest(document.text), "file_sha256": file_sha256}  # fmt: skip


def _document(row: Any) -> EvidenceDocument:
    return EvidenceDocument(row.external_id, row.text, row.url, row.title, row.publisher, row.published,
                            bool(row.scanned))  # fmt: skip


def save_document(
    connection: Connection,
    organisation_id: int,
    document: EvidenceDocument,
    user_id: int | None,
    now: datetime,
    file_sha256: str | None = None,
) -> str:
    """Store a document: "added", "updated" (something changed) or "unchanged". `file_sha256`: the archived
    copy of the PDF it was read from (a document imported again without one no longer has a copy)."""
    values = _values(document, file_sha256)
    mine = (evidence_documents.c.organisation_id == organisation_id) & (evidence_documents.c.external_id == document.id)
    stored = connection.execute(select(*(evidence_documents.c[k] for k in values)).where(mine)).first()
    if stored is None:
        connection.execute(evidence_documents.insert().values(
            organisation_id=organisation_id, external_id=document.id, created_at=now, updated_at=now,
            created_by=user_id, **values))  # fmt: skip
        return "added"
    if all(getattr(stored, key) == value for key, value in values.items()):
        return "unchanged"
    connection.execute(update(evidence_documents).where(mine).values(updated_at=now, **values))
    return "updated"


def collected_document(item: Item) -> EvidenceDocument | None:
    """The evidence document an item of an evidence source is: its id the item's URL (an id of at most MAX_ID
    characters: a longer URL is named by its SHA-256), else the item's key; None for an item with no text."""
    text = strip_controls(item.text or "").strip()[:MAX_TEXT]
    if not text:
        return None
    url = (item.url or "").strip() or None
    if url is not None and not url.startswith(("http://", "https://")):
        url = None
    identity = url or item.key
    if len(identity) > MAX_ID:
        identity = "sha256:" + hashlib.sha256(identity.encode("utf-8")).hexdigest()
    published = parse_published(item.published)
    title = strip_controls(item.title or "").strip() or None
    return EvidenceDocument(identity, text, url, title, None, published.date() if published else None)


def save_collected(connection: Connection, source_id: int, items: list[Item], now: datetime) -> dict[str, Any]:
    """Store the items an evidence source collected in its organisation's library, in the caller's transaction
    (beside the items' inbox rows): counts of "added", "updated" and "unchanged", and the organisation."""
    owner = connection.execute(select(owner_of(sources.c.organisation_id)).where(sources.c.id == source_id)).scalar()
    counts: dict[str, Any] = {"added": 0, "updated": 0, "unchanged": 0, "organisation_id": owner, "documents": []}
    if owner is None:
        return counts
    for item in items:
        document = collected_document(item)
        if document is not None:
            counts[save_document(connection, int(owner), document, None, now)] += 1
            counts["documents"].append(document.id)
    return counts


class EvidenceLibraryStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def state(self, organisation_id: int) -> LibraryState:
        mine = evidence_documents.c.organisation_id == organisation_id
        with self.database.read() as connection:
            row = connection.execute(select(func.count(), func.max(evidence_documents.c.updated_at)).where(mine)).one()
        return LibraryState(int(row[0]), aware(row[1]))

    def documents_since(self, organisation_id: int, since: datetime | None) -> list[EvidenceDocument]:
        """The organisation's documents (with their text) changed at or after `since` (None: all of them)."""
        query = select(evidence_documents).where(evidence_documents.c.organisation_id == organisation_id)
        if since is not None:
            query = query.where(evidence_documents.c.updated_at >= since)
        with self.database.read() as connection:
            return [_document(row) for row in connection.execute(query.order_by(evidence_documents.c.id))]

    def get(self, organisation_id: int, document_id: str) -> EvidenceDocument | None:
        query = select(evidence_documents).where(
            (evidence_documents.c.organisation_id == organisation_id)
            & (evidence_documents.c.external_id == document_id)
        )
        with self.database.read() as connection:
            row = connection.execute(query).first()
        return _document(row) if row is not None else None

    def file_of(self, organisation_id: int, row: int) -> LibraryDocument | None:
        """The organisation's document stored in row `row`, if it keeps an archived copy (another organisation's
        row is None, as a missing one is)."""
        found = self._listed_where(
            (evidence_documents.c.organisation_id == organisation_id) & (evidence_documents.c.id == row)
            & evidence_documents.c.file_sha256.is_not(None)
        )  # fmt: skip
        return found[0] if found else None

    def cited(self, organisation_id: int, references: list[str]) -> list[LibraryDocument]:
        """The organisation's documents a case's evidence may name: by URL, title or id (what `source` gives)."""
        wanted = sorted({r for r in references if r})[:500]
        if not wanted:
            return []
        c = evidence_documents.c
        return self._listed_where(
            (c.organisation_id == organisation_id)
            & (c.url.in_(wanted) | c.title.in_(wanted) | c.external_id.in_(wanted))
        )

    def _listed_where(self, condition: Any) -> list[LibraryDocument]:
        query = (
            select(*(c for c in evidence_documents.c if c.name != "text"),
                   func.length(evidence_documents.c.text).label("characters"), users.c.display_name)
            .outerjoin(users, users.c.id == evidence_documents.c.created_by)
            .where(condition)
            .order_by(evidence_documents.c.updated_at.desc(), evidence_documents.c.id.desc())
        )  # fmt: skip
        with self.database.read() as connection:
            return [_listed(row) for row in connection.execute(query)]

    def page(self, organisation_id: int, limit: int, offset: int) -> tuple[list[LibraryDocument], int]:
        """The organisation's documents, most recently changed first, and how many there are."""
        mine = evidence_documents.c.organisation_id == organisation_id
        query = (
            select(*(c for c in evidence_documents.c if c.name != "text"),
                   func.length(evidence_documents.c.text).label("characters"), users.c.display_name)
            .outerjoin(users, users.c.id == evidence_documents.c.created_by)
            .where(mine)
            .order_by(evidence_documents.c.updated_at.desc(), evidence_documents.c.id.desc())
            .limit(limit)
            .offset(offset)
        )  # fmt: skip
        with self.database.read() as connection:
            rows = connection.execute(query).all()
            total = int(connection.execute(select(func.count()).where(mine)).scalar() or 0)
        return [_listed(row) for row in rows], total


def _listed(row: Any) -> LibraryDocument:
    return LibraryDocument(
        row.external_id, row.url, row.title, row.publisher, row.published, bool(row.scanned), int(row.characters or 0),
        aware(row.created_at), aware(row.updated_at), row.display_name, row.file_sha256, int(row.id),
    )  # fmt: skip
