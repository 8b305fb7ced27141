"""Evidence documents and their passages: what an organisation's evidence library holds.

A document comes as a JSON object `{"id", "text", "url"?, "title"?, "publisher"?, "published"?}` or as a
PDF (text read with pypdf; a PDF with no text layer is kept, flagged as scanned, with no passages). A
document is split into passages of a few sentences: the unit that retrieval ranks; the sentences inside
the best passages are what the assistant shows.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from kiemchung.errors import InputError
from kiemchung.text import split_sentences
from kiemchung.text.normalize import strip_controls

MAX_TEXT = 2_000_000
PASSAGE_SENTENCES = 4  # sentences per passage
PASSAGE_CHARS = 1200  # a passage closes early past this length
FIELDS = ("id", "text", "url", "title", "publisher", "published")


@dataclass(frozen=True)
class EvidenceDocument:
    id: str
    text: str
    url: str | None = None
    title: str | None = None
    publisher: str | None = None
    published: date | None = None
    scanned: bool = False  # a PDF with no text layer: kept and listed, nothing to search

    @property
    def source(self) -> str:
        """How a citation names the document: its URL, else its title, else its id."""
        return self.url or self.title or self.id


@dataclass(frozen=True)
class Passage:
    document_id: str
    ordinal: int
    sentences: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.sentences)

    @property
    def key(self) -> str:
        return f"{self.document_id}#{self.ordinal}"


def document_from_json(record: object) -> EvidenceDocument:
    """A document from one JSON Lines record; InputError naming the field at fault."""
    if not isinstance(record, Mapping):
        raise InputError("a document must be a JSON object")
    unknown = sorted(set(record) - set(FIELDS))
    if unknown:
        raise InputError(f"unknown field(s) {', '.join(unknown)}; a document has {', '.join(FIELDS)}")
    values: dict[str, str | None] = {}
    for name in FIELDS:
        value = record.get(name)
        if value is not None and not isinstance(value, str | int):
            raise InputError(f'"{name}" must be a string')
        values[name] = strip_controls(str(value)).strip() if value is not None else None
    if not values["id"]:
        raise InputError('"id" is required')
    if not values["text"]:
        raise InputError('"text" is required and must not be empty')
    if len(values["text"] or "") > MAX_TEXT:
        raise InputError(f'"text" is longer than {MAX_TEXT:,} characters')
    url = values["url"] or None
    if url is not None and not url.startswith(("http://", "https://")):
        raise InputError('"url" must be an http(s) address')
    return EvidenceDocument(
        id=values["id"] or "",
        text=values["text"] or "",
        url=url,
        title=values["title"] or None,
        publisher=values["publisher"] or None,
        published=parse_published(values["published"]),
    )


def parse_published(value: str | None) -> date | None:
    """An ISO date or date-time ("2026-03-05", "2026-03-05T08:00:00+07:00"); InputError otherwise."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).date() if "T" in value else date.fromisoformat(value[:10])
    except ValueError:
        raise InputError(f'"published" must be an ISO date (YYYY-MM-DD), not {value!r}') from None


def pdf_document(
    data: bytes, document_id: str, title: str | None = None, url: str | None = None,
    on_page: Callable[[int, int], None] | None = None,
) -> EvidenceDocument:  # fmt: skip
    """A PDF's text as a document; `scanned` when no page has a text layer (the text is then empty).
    `on_page(pages read, pages)` is told after each page."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if not data.startswith(b"%PDF"):
        raise InputError("the file is not a PDF")
    try:
        reader = PdfReader(io.BytesIO(data))
        pages = []
        for page in reader.pages:
            pages.append(page.extract_text() or "")
            if on_page is not None:
                on_page(len(pages), len(reader.pages))
        metadata_title = (reader.metadata.title if reader.metadata else None) or None
    except (PdfReadError, ValueError, KeyError) as exc:
        raise InputError(f"the PDF cannot be read: {exc}") from None
    text = strip_controls("\n".join(p.strip() for p in pages if p.strip()))
    return EvidenceDocument(
        id=document_id,
        text=text,
        url=url,
        title=title or (str(metadata_title) if metadata_title else None),
        scanned=not text.strip(),
    )


def split_passages(document: EvidenceDocument) -> list[Passage]:
    """Consecutive sentences grouped into passages of up to PASSAGE_SENTENCES sentences (or PASSAGE_CHARS)."""
    passages: list[Passage] = []
    current: list[str] = []
    for sentence in split_sentences(document.text):
        current.append(sentence)
        if len(current) >= PASSAGE_SENTENCES or sum(len(s) for s in current) >= PASSAGE_CHARS:
            passages.append(Passage(document.id, len(passages), tuple(current)))
            current = []
    if current:
        passages.append(Passage(document.id, len(passages), tuple(current)))
    return passages
