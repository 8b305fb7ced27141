"""The evidence library (issue 14) through its service and store, on SQLite and PostgreSQL: imports count what
they added, updated and left unchanged and report every bad line by number without stopping; PDFs (a scanned
one stored and flagged); suggestions for a claim and a case; accepting a sentence into a case (audited);
roles; and one organisation never seeing another's documents."""

from __future__ import annotations

import logging
from datetime import date

import pytest

from kiemchung.app_context import AppContext
from kiemchung.domain.accounts import Actor
from kiemchung.errors import InputError, NotFoundError, PermissionDenied
from kiemchung.evidence.assistant import EvidenceAssistant
from kiemchung.evidence.documents import document_from_json
from kiemchung.evidence.retrieval import EvidenceIndex
from kiemchung.services.evidence_index_files import index_directory
from kiemchung.services.evidence_library import EvidenceLibrary, body_records, json_lines
from kiemchung.store.evidence_library import EvidenceLibraryStore
from tests.evidence_files import DOCS, ELECTRICITY_CLAIM, ELECTRICITY_SENTENCE, jsonl, scanned_pdf, text_pdf

PASSWORD = "a long password"


def _person(context: AppContext, organisation: str, email: str, role: str) -> Actor:
    user = context.accounts.create_user(organisation, email, email, role, PASSWORD)
    return Actor(role, user.organisation_id, user_id=user.id, name=email)


@pytest.fixture
def desk(app_context: AppContext) -> tuple[AppContext, Actor, Actor]:
    """A fact-checker and a viewer of one organisation, the library imported."""
    checker = _person(app_context, "Báo Một", "fc@mot.example", "factchecker")
    viewer = _person(app_context, "Báo Một", "viewer@mot.example", "viewer")
    summary = app_context.evidence_library.import_documents(checker, json_lines(jsonl(DOCS).splitlines()))
    assert (summary.added, summary.updated, summary.unchanged, summary.errors) == (3, 0, 0, [])
    return app_context, checker, viewer


def test_an_import_counts_its_documents_and_reports_each_bad_line_without_stopping(
    desk: tuple[AppContext, Actor, Actor],
) -> None:
    context, checker, _ = desk
    changed = {**DOCS[0], "title": "Tiêu đề mới"}
    lines = [
        jsonl([changed]),  # 1: updated
        "{not json\n",  # 2
        jsonl([DOCS[1]]),  # 3: unchanged
        jsonl([{"id": "x", "text": "Một câu.", "author": "ai đó"}]),  # 4: unknown field
        "\n",  # blank lines are skipped, still counted
        jsonl([{"id": "y"}]),  # 6: no text
        "[1, 2]\n",  # 7: not an object
        jsonl([{"id": "z", "text": "Một câu.", "published": "hôm qua"}]),  # 8: bad date
        jsonl([{"id": "new-1", "text": "Ủy ban nhân dân tỉnh công bố kế hoạch mới."}]),  # 9: added
    ]
    summary = context.evidence_library.import_documents(checker, json_lines("".join(lines).splitlines()))
    assert (summary.added, summary.updated, summary.unchanged) == (1, 1, 1)
    assert [(e.line, e.message.split(" ")[0]) for e in summary.errors] == [
        (2, "not"), (4, "unknown"), (6, '"text"'), (7, "a"), (8, '"published"'),
    ]  # fmt: skip
    assert "author" in summary.errors[1].message and not summary.ok
    listed = context.evidence_library.documents(checker)
    assert listed.total == 4 and {d.id for d in listed.documents} == {"moet-2027", "evn-gia-dien", "bao-so-3", "new-1"}
    stored = context.evidence_library.store.get(checker.organisation_id, "moet-2027")
    assert stored is not None and stored.title == "Tiêu đề mới" and stored.published == date(2026, 3, 5)
    actions = [e.action for e in context.audit.entries(checker.organisation_id, None)]
    assert actions.count("evidence.import") == 2  # the first import and this one; unchanged lines write nothing


def test_an_api_body_is_a_json_list_or_json_lines() -> None:
    assert body_records('[{"id": "a"}, 3]') == [(1, {"id": "a"}), (2, 3)]
    assert [n for n, _ in body_records('{"id": "a"}\n\n{"id": "b"}\n')] == [1, 3]
    with pytest.raises(InputError, match="not a valid JSON list"):
        body_records("[{")


def test_pdfs_are_imported_and_a_scanned_one_is_stored_and_flagged(desk: tuple[AppContext, Actor, Actor]) -> None:
    context, checker, viewer = desk
    library = context.evidence_library
    text = library.import_pdf(
        checker, "thong-cao.pdf", text_pdf(["The provincial committee approved 120 new schools."])
    )
    assert (text.added, text.scanned) == (1, [])
    scanned = library.import_pdf(checker, "ban-chup.pdf", scanned_pdf())
    assert (scanned.added, scanned.scanned) == (1, ["ban-chup.pdf"])
    listed = {d.id: d for d in library.documents(checker, per_page=10).documents}
    assert listed["ban-chup.pdf"].scanned and listed["ban-chup.pdf"].characters == 0
    assert not listed["thong-cao.pdf"].scanned and listed["thong-cao.pdf"].title == "thong-cao.pdf"
    found = library.search(viewer, "committee approved new schools", 3)
    assert found[0].document_id == "thong-cao.pdf" and "120 new schools" in found[0].sentence
    with pytest.raises(InputError, match="not a PDF"):
        library.import_pdf(checker, "gia.pdf", b"<html>not a pdf</html>")
    with pytest.raises(InputError, match="larger than"):
        library.import_pdf(checker, "lon.pdf", b"%PDF-" + b"0" * context.settings.upload_max_bytes)
    with pytest.raises(InputError, match="cannot be read"):
        library.import_pdf(checker, "hong.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    with pytest.raises(PermissionDenied):
        library.import_pdf(viewer, "x.pdf", text_pdf(["x"]))
    assert library.documents(checker).total == 5


def test_suggestions_for_a_claim_and_a_case_are_the_assistants_over_the_organisations_library(
    desk: tuple[AppContext, Actor, Actor],
) -> None:
    context, checker, viewer = desk
    index = EvidenceIndex()
    index.add([document_from_json(d) for d in DOCS])
    expected = EvidenceAssistant(index).suggest(ELECTRICITY_CLAIM, 3).to_json("c")
    got = context.evidence_library.suggest(viewer, ELECTRICITY_CLAIM, 3)
    assert got.to_json("c") == expected
    best = got.evidence[0]
    assert (best.document_id, best.sentence, best.url) == ("evn-gia-dien", ELECTRICITY_SENTENCE,
                                                          "https://evn.com.vn/gia-dien-2026")  # fmt: skip
    assert "number_mismatch" in best.flags and best.publisher == "Tập đoàn Điện lực Việt Nam"
    case = context.cases.open_case(checker, ELECTRICITY_CLAIM)
    assert context.evidence_library.suggest_for_case(viewer, case.id, 3).to_json("c") == expected
    with pytest.raises(InputError, match="top"):
        context.evidence_library.suggest(viewer, ELECTRICITY_CLAIM, 0)


def test_accepting_a_sentence_adds_it_to_the_case_as_a_quote_with_its_source_audited(
    desk: tuple[AppContext, Actor, Actor],
) -> None:
    context, checker, viewer = desk
    library = context.evidence_library
    case = context.cases.open_case(checker, ELECTRICITY_CLAIM)
    after = library.accept(checker, case.id, "evn-gia-dien", ELECTRICITY_SENTENCE)
    [quote] = after.evidence
    assert (quote.kind, quote.quote, quote.quote_source) == ("quote", ELECTRICITY_SENTENCE,
                                                            "https://evn.com.vn/gia-dien-2026")  # fmt: skip
    entries = list(context.audit.entries(checker.organisation_id, 2))
    assert [e.action for e in entries] == ["evidence.accept", "evidence.add"]
    assert entries[0].detail["document"] == "evn-gia-dien" and entries[0].detail["evidence"] == quote.id
    with pytest.raises(InputError, match="not in document"):
        library.accept(checker, case.id, "evn-gia-dien", "Giá điện tăng 50% từ tháng sau.")
    with pytest.raises(NotFoundError):
        library.accept(checker, case.id, "no-such-document", ELECTRICITY_SENTENCE)
    with pytest.raises(PermissionDenied):
        library.accept(viewer, case.id, "evn-gia-dien", ELECTRICITY_SENTENCE)
    assert len(context.cases.get(checker, case.id).evidence) == 1


def test_one_organisation_never_sees_anothers_documents(desk: tuple[AppContext, Actor, Actor]) -> None:
    context, checker, _ = desk
    library = context.evidence_library
    other = _person(context, "Báo Hai", "fc@hai.example", "factchecker")
    assert library.documents(other).total == 0 and library.is_empty(other)
    assert library.search(other, ELECTRICITY_CLAIM) == []
    assert library.suggest(other, ELECTRICITY_CLAIM).verdict == "not_enough_info"
    own_case = context.cases.open_case(other, ELECTRICITY_CLAIM)
    with pytest.raises(NotFoundError):  # the document is the first organisation's
        library.accept(other, own_case.id, "evn-gia-dien", ELECTRICITY_SENTENCE)
    first_case = context.cases.open_case(checker, ELECTRICITY_CLAIM)
    with pytest.raises(NotFoundError):  # and so is the case
        library.suggest_for_case(other, first_case.id)
    with pytest.raises(NotFoundError):
        library.accept(other, first_case.id, "evn-gia-dien", ELECTRICITY_SENTENCE)
    mine = {**DOCS[1], "text": "Báo Hai lưu một bản khác: giá điện giữ nguyên."}  # the same id, its own document
    assert library.import_documents(other, [(1, mine)]).added == 1
    assert library.search(other, "giá điện", 1)[0].sentence == "Báo Hai lưu một bản khác: giá điện giữ nguyên."
    assert library.search(checker, "giá điện", 1)[0].sentence == ELECTRICITY_SENTENCE


def test_an_index_built_earlier_follows_imports_made_by_another_process(
    desk: tuple[AppContext, Actor, Actor],
) -> None:
    context, checker, viewer = desk
    assert context.evidence_library.search(viewer, "cầu vượt sông Hồng", 1)[0].document_id != "cau-moi"
    elsewhere = AppContext(context.settings)  # another process: its own services, the same database
    try:
        record = {"id": "cau-moi", "text": "Thành phố khởi công cầu vượt sông Hồng vào tháng 12."}
        assert elsewhere.evidence_library.import_documents(checker, [(1, record)]).added == 1
    finally:
        elsewhere.close()
    assert context.evidence_library.search(viewer, "cầu vượt sông Hồng", 1)[0].document_id == "cau-moi"


# -- the saved index ------------------------------------------------------------------------------------------


def _fresh_library(context: AppContext) -> EvidenceLibrary:
    """The service as a new process has it: the same settings and database, nothing in memory."""
    return EvidenceLibrary(context.settings, context.database, EvidenceLibraryStore(context.database), context.cases)


def test_a_new_process_reads_the_saved_index_instead_of_building_it(desk: tuple[AppContext, Actor, Actor]) -> None:
    context, _, viewer = desk
    first = context.evidence_library
    answer = first.suggest(viewer, ELECTRICITY_CLAIM, 3).to_json("c")
    assert first.documents_read == 3
    first.save_indexes()
    saved = index_directory(context.settings, viewer.organisation_id)
    assert (saved / "meta.json").exists() and not saved.with_name(saved.name + ".writing").exists()
    partial = saved.with_name(saved.name + ".writing")  # a save that crashed half-way leaves only this
    partial.mkdir()
    (partial / "meta.json").write_text("{}", encoding="utf-8")

    second = _fresh_library(context)
    assert second.suggest(viewer, ELECTRICITY_CLAIM, 3).to_json("c") == answer
    assert second.documents_read == 0  # nothing read from the database: the saved index was current
    assert second.save_indexes() == 0  # and nothing to save again


def test_a_document_added_after_the_save_is_read_and_the_index_saved_again(
    desk: tuple[AppContext, Actor, Actor],
) -> None:
    context, checker, viewer = desk
    context.evidence_library.search(viewer, ELECTRICITY_CLAIM, 1)
    context.evidence_library.save_indexes()
    elsewhere = _fresh_library(context)  # another process imports while this one's index is saved
    record = {"id": "cau-moi", "text": "Thành phố khởi công cầu vượt sông Hồng vào tháng 12."}
    assert elsewhere.import_documents(checker, [(1, record)]).added == 1

    second = _fresh_library(context)
    assert second.search(viewer, "cầu vượt sông Hồng", 1)[0].document_id == "cau-moi"  # the stale index not used
    assert second.documents_read >= 1
    second.save_indexes()  # (the save under way in the background, or this one)
    third = _fresh_library(context)
    assert third.search(viewer, "cầu vượt sông Hồng", 1)[0].document_id == "cau-moi"
    assert third.documents_read == 0


def test_a_damaged_saved_index_is_rebuilt_and_logged(
    desk: tuple[AppContext, Actor, Actor], caplog: pytest.LogCaptureFixture
) -> None:
    context, _, viewer = desk
    answer = context.evidence_library.suggest(viewer, ELECTRICITY_CLAIM, 3).to_json("c")
    context.evidence_library.save_indexes()
    saved = index_directory(context.settings, viewer.organisation_id)
    (saved / "passages.json").write_text('[{"document_id": "evn-gia', encoding="utf-8")  # cut off mid-write

    with caplog.at_level(logging.WARNING, logger="kiemchung.services.evidence_index_files"):
        second = _fresh_library(context)
        assert second.suggest(viewer, ELECTRICITY_CLAIM, 3).to_json("c") == answer
    assert second.documents_read == 3  # built from the database
    assert any("cannot be read" in r.getMessage() and str(saved) in r.getMessage() for r in caplog.records)
    second.save_indexes()  # saved whole again
    again = _fresh_library(context)
    assert again.suggest(viewer, ELECTRICITY_CLAIM, 3).to_json("c") == answer and again.documents_read == 0
