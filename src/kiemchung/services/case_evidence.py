"""A case's evidence and the verdict that cites it: adding, correcting and removing evidence, reading an
uploaded document, drafting the verdict and its second sign-off. Part of the case service
(services/workbench.py), which mixes these operations in: each takes the acting person or token, checks the
role table and writes the audit log in the same transaction as the change. What a correction may change, and
what the audit log keeps of a piece of evidence, is in services/evidence_changes.py."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from kiemchung.domain.accounts import PUBLISH, READ, TRIAGE, Actor
from kiemchung.domain.citations import without_evidence
from kiemchung.domain.ratings import RatingScale
from kiemchung.errors import InputError, NotFoundError, PermissionDenied
from kiemchung.services.evidence_changes import (
    checked_url,
    corrected,
    evidence_detail,
    evidence_of,
    quote_values,
    reason_of,
)
from kiemchung.settings import Settings
from kiemchung.store.audit import AuditStore
from kiemchung.store.cases import Case, CaseStore
from kiemchung.store.database import Database
from kiemchung.text import strip_controls

MAX_SNAPSHOT = 200_000
UPLOAD_TYPES = {
    ".pdf": ("application/pdf", b"%PDF-"),
    ".png": ("image/png", b"\x89PNG\r\n\x1a\n"),
    ".jpg": ("image/jpeg", b"\xff\xd8\xff"),
    ".jpeg": ("image/jpeg", b"\xff\xd8\xff"),
    ".txt": ("text/plain", b""),
    ".csv": ("text/csv", b""),
    ".html": ("text/html", b""),
    ".htm": ("text/html", b""),
}
_CITATION = re.compile(r"\[(\d+)\]")

# A second sign-off covers the verdict with the evidence it was given: changing that evidence asks for a new one.
SIGN_OFF_CLEARED: dict[str, Any] = {"signed_off_by": None, "signed_off_at": None}


def parse_rebuttal(text: str, evidence_count: int) -> list[dict[str, Any]]:
    """One sentence per line; [n] cites the case's n-th piece of evidence. Unknown numbers are refused."""
    out = []
    for line in (raw.strip() for raw in text.splitlines()):
        if not line:
            continue
        cited = sorted({int(n) for n in _CITATION.findall(line)})
        missing = [n for n in cited if not 1 <= n <= evidence_count]
        if missing:
            raise InputError(f"the rebuttal cites evidence [{missing[0]}], but the case has {evidence_count} piece(s)")
        text = re.sub(r"\s+([.,;:!?…])", r"\1", _CITATION.sub("", line)).strip()
        out.append({"text": re.sub(r"\s{2,}", " ", text), "cites": cited})
    return out


class CaseAccess(Protocol):
    """What the evidence and verdict operations use of the case service they are mixed into."""

    settings: Settings
    database: Database
    store: CaseStore
    scale: RatingScale
    archive_later: Callable[[int], None]

    def _readable(self, actor: Actor, case_id: int, details: bool = True) -> Case: ...

    def _owned(self, actor: Actor, case_id: int, details: bool = True) -> Case: ...

    def _person(self, actor: Actor) -> int: ...


class CaseEvidence:
    """Evidence, verdict and sign-off operations of the case service (mixed into CaseService)."""

    # -- evidence ---------------------------------------------------------------------------------------

    def add_url(self: CaseAccess, actor: Actor, case_id: int, url: str) -> Case:
        """Evidence from a URL. Its text snapshot is taken in the background (`services/evidence.py`); until
        then the evidence is `archiving`. No remote site is fetched while the caller waits."""
        actor.require(TRIAGE)
        url = checked_url(url)
        case = self._owned(actor, case_id, details=False)
        with self.database.write() as connection:
            evidence_id = CaseStore.add_evidence(
                connection, case_id, self._person(actor), kind="url", url=url, title=None, snapshot=None
            )
            CaseStore.change(connection, case_id, None)
            AuditStore.record_in(connection, case.organisation_id, actor, "evidence.add", "case", case_id,
                                 evidence=evidence_id, url=url)  # fmt: skip
        self.archive_later(evidence_id)
        return self.store.get(case_id)

    def add_document(self: CaseAccess, actor: Actor, case_id: int, file_name: str, data: bytes) -> Case:
        actor.require(TRIAGE)
        case = self._owned(actor, case_id, details=False)
        name = strip_controls(Path(file_name or "").name)
        suffix = Path(name).suffix.lower()
        if suffix not in UPLOAD_TYPES:
            raise InputError(f"unsupported file type {suffix or '(none)'}; allowed: {', '.join(sorted(UPLOAD_TYPES))}")
        if len(data) > self.settings.upload_max_bytes:
            raise InputError(f"the file is larger than {self.settings.upload_max_bytes // 1_000_000} MB")
        if not data:
            raise InputError("the file is empty")
        content_type, magic = UPLOAD_TYPES[suffix]
        if magic and not data.startswith(magic):
            raise InputError(f"the file's content is not {content_type}")
        snapshot = None
        if content_type.startswith("text/"):
            try:
                snapshot = strip_controls(data.decode("utf-8"))[:MAX_SNAPSHOT]
            except UnicodeDecodeError:
                raise InputError("text files must be UTF-8") from None
        sha = hashlib.sha256(data).hexdigest()
        with (
            _stored_upload(self.settings.data_dir / "uploads" / sha, data) as put_in_place,
            self.database.write() as connection,
        ):
            evidence_id = CaseStore.add_evidence(
                connection, case_id, self._person(actor), kind="document", title=name, file_name=name,
                file_sha256=sha, content_type=content_type, snapshot=snapshot,
            )  # fmt: skip
            CaseStore.change(connection, case_id, None)
            AuditStore.record_in(connection, case.organisation_id, actor, "evidence.add", "case", case_id,
                                 evidence=evidence_id, file=name)  # fmt: skip
            put_in_place()  # last: a failed insert leaves no file, a stored row never lacks its file
        return self.store.get(case_id)

    def add_quote(
        self: CaseAccess, actor: Actor, case_id: int, quote: str, source: str, accepted: dict[str, Any] | None = None
    ) -> Case:
        """A quote and its source. `accepted`: it is a sentence of the evidence library accepted from a suggestion
        (services/evidence_library.py), audited as `evidence.accept` with these details in the same transaction."""
        actor.require(TRIAGE)
        values = quote_values(quote, source)
        case = self._owned(actor, case_id, details=False)
        with self.database.write() as connection:
            evidence_id = CaseStore.add_evidence(connection, case_id, self._person(actor), kind="quote", **values)
            CaseStore.change(connection, case_id, None)
            AuditStore.record_in(connection, case.organisation_id, actor, "evidence.add", "case", case_id,
                                 evidence=evidence_id, kind="quote")  # fmt: skip
            if accepted is not None:
                AuditStore.record_in(connection, case.organisation_id, actor, "evidence.accept", "case", case_id,
                                     evidence=evidence_id, **accepted)  # fmt: skip
        return self.store.get(case_id)

    def remove_evidence(
        self: CaseAccess, actor: Actor, case_id: int, evidence_id: int, version: int | None, reason: str = ""
    ) -> Case:
        """Take a piece of evidence off the case (audited with what it was). The rebuttal's numbers follow; a
        cited piece is refused. On a published case the public page changes with the next correction only."""
        actor.require(TRIAGE)
        case = self._owned(actor, case_id)
        item = evidence_of(case, evidence_id)
        rebuttal = without_evidence(case.rebuttal, [e.id for e in case.evidence], evidence_id)
        with self.database.write() as connection:
            CaseStore.remove_evidence(connection, case_id, evidence_id)
            CaseStore.change(connection, case_id, case.version if version is None else version, rebuttal=rebuttal,
                             **SIGN_OFF_CLEARED)  # fmt: skip
            AuditStore.record_in(connection, case.organisation_id, actor, "evidence.remove", "case", case_id,
                                 evidence=evidence_id, was=evidence_detail(item), reason=reason_of(reason),
                                 published=case.status == "published")  # fmt: skip
        return self.store.get(case_id)

    def correct_evidence(self: CaseAccess, actor: Actor, case_id: int, evidence_id: int, version: int | None,
                         change: dict[str, str], reason: str = "") -> Case:  # fmt: skip
        """Correct a URL (archived again) or a quote and its source; a document is replaced by uploading the
        right file and removing this one. Audited with what it was and what it became."""
        actor.require(TRIAGE)
        case = self._owned(actor, case_id)
        item = evidence_of(case, evidence_id)
        values = corrected(item, change)
        with self.database.write() as connection:
            CaseStore.change_evidence(connection, case_id, evidence_id, **values)
            CaseStore.change(connection, case_id, case.version if version is None else version, **SIGN_OFF_CLEARED)
            AuditStore.record_in(connection, case.organisation_id, actor, "evidence.correct", "case", case_id,
                                 evidence=evidence_id, was=evidence_detail(item), reason=reason_of(reason),
                                 now={k: v for k, v in values.items() if k != "snapshot"},
                                 published=case.status == "published")  # fmt: skip
        if item.kind == "url":
            self.archive_later(evidence_id)
        return self.store.get(case_id)

    def document(self: CaseAccess, actor: Actor, case_id: int, evidence_id: int) -> tuple[bytes, str, str]:
        actor.require(READ)
        case = self._readable(actor, case_id)
        for item in case.evidence:
            if item.id == evidence_id and item.file_sha256:
                path = self.settings.data_dir / "uploads" / item.file_sha256
                return path.read_bytes(), item.content_type or "application/octet-stream", item.file_name or "file"
        raise NotFoundError(f"no document {evidence_id} in case {case_id}")

    # -- verdict and sign-off (publishing: services/workbench.py) ----------------------------------------

    def draft_verdict(
        self: CaseAccess, actor: Actor, case_id: int, version: int, rating: str, summary: str, rebuttal: str,
        second_review: bool = True,
    ) -> Case:  # fmt: skip
        actor.require(TRIAGE)
        case = self._owned(actor, case_id)
        if case.status == "dismissed":
            raise InputError("reopen the case before drafting a verdict")
        if rating not in self.scale.labels and rating not in self.scale.english:
            raise InputError(f"rating must be one of {', '.join(self.scale.labels)}")
        label = self.scale.labels[self.scale.english.index(rating)] if rating in self.scale.english else rating
        summary, sentences = strip_controls(summary), parse_rebuttal(strip_controls(rebuttal), len(case.evidence))
        if not sentences:
            raise InputError("write the rebuttal: one sentence per line, citing evidence as [1], [2]…")
        evidence_ids = [e.id for e in case.evidence]
        for sentence in sentences:
            sentence["evidence_ids"] = [evidence_ids[n - 1] for n in sentence["cites"]]
        with self.database.write() as connection:
            CaseStore.change(
                connection, case_id, version, rating_label=label, summary=summary.strip()[:5000] or None,
                rebuttal=sentences, status="drafted" if case.status != "published" else "published",
                drafted_by=self._person(actor), signed_off_by=None, signed_off_at=None,
                needs_second_review=second_review,
            )  # fmt: skip
            AuditStore.record_in(connection, case.organisation_id, actor, "verdict.draft", "case", case_id,
                                 rating=label)  # fmt: skip
        return self.store.get(case_id)

    def sign_off(self: CaseAccess, actor: Actor, case_id: int, version: int) -> Case:
        actor.require(PUBLISH)
        case = self._owned(actor, case_id, details=False)
        if case.rating_label is None or not case.rebuttal:
            raise InputError("there is no drafted verdict to sign off")
        if case.drafted_by == actor.user_id:
            raise PermissionDenied("the second sign-off must come from someone other than the drafter")
        with self.database.write() as connection:
            CaseStore.change(connection, case_id, version, signed_off_by=self._person(actor),
                             signed_off_at=datetime.now(UTC))  # fmt: skip
            AuditStore.record_in(connection, case.organisation_id, actor, "verdict.sign_off", "case", case_id)
        return self.store.get(case_id)


@contextmanager
def _stored_upload(path: Path, data: bytes) -> Iterator[Callable[[], None]]:
    """The upload written to a private temporary file for the block; the block calls the function it gets
    to put the file in place (a hard link: atomic, and a no-op when the same content is there already) just
    before it commits. A block that fails before that leaves no file behind, and never removes a file that a
    concurrent upload of the same content has put in place and committed (a commit that fails after the link
    leaves the file: the same content, kept for the next upload of it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.parent / f".partial-{secrets.token_hex(8)}"
    try:
        with temporary.open("xb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())

        def put_in_place() -> None:
            with suppress(FileExistsError):  # content-addressed: the file there holds the same bytes
                os.link(temporary, path)

        yield put_in_place
    finally:
        temporary.unlink(missing_ok=True)
