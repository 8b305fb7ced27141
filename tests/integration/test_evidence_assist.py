"""The evidence assistant's second round (issue 14), on SQLite and PostgreSQL: suggestions kept in a bounded
cache until the library changes (counted through the service's `_compute` seam, not timed); the suggested
verdict on the organisation's rating scale (none where the scale has no fitting rating) on the case page and
in the API; a rebuttal drafted from the case's accepted evidence (the page's "Draft from evidence" and the
API; nothing saved, nothing audited); uploaded PDFs keeping an archived copy served to their organisation."""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kiemchung.app_context import AppContext
from kiemchung.domain.accounts import Actor
from kiemchung.errors import NotFoundError
from kiemchung.evidence.assistant import Suggestion
from kiemchung.services.evidence_library import SuggestionCache
from tests.clients import signed_in
from tests.evidence_files import (
    DOCS,
    ELECTRICITY_CLAIM,
    ELECTRICITY_SENTENCE,
    desks,
    page_after_reading,
    text_pdf,
    upload_pdf,
)

PASSWORD = "a long password"


@pytest.fixture
def web(app_context: AppContext) -> Iterator[dict[str, Any]]:
    """Fact-checkers of two organisations, a viewer of the first, its library imported and a case opened."""
    checker = desks(app_context)
    assert app_context.evidence_library.import_documents(checker, list(enumerate(DOCS, start=1))).added == 3
    case = app_context.cases.open_case(checker, ELECTRICITY_CLAIM)
    clients = {name: signed_in(app_context, f"{name}.example") for name in ("fc@mot", "viewer@mot", "fc@hai")}
    yield {"context": app_context, "case": case.id, "checker": checker, **clients}
    for client in clients.values():
        client.close()


def _counting(context: AppContext, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The claims the library computes a suggestion for (the real computation, counted)."""
    library = context.evidence_library
    real: Callable[..., Suggestion] = library._compute
    calls: list[str] = []

    def counted(entry: Any, claim: str, top: int, claimed_on: Any) -> Suggestion:
        calls.append(claim)
        return real(entry, claim, top, claimed_on)

    monkeypatch.setattr(library, "_compute", counted)
    return calls


def test_a_case_page_viewed_again_does_not_recompute_and_an_import_invalidates(
    web: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    context, checker, viewer, case_id = web["context"], web["fc@mot"], web["viewer@mot"], web["case"]
    calls = _counting(context, monkeypatch)
    first = checker.get(f"/cases/{case_id}").text
    assert ELECTRICITY_SENTENCE in first and calls == [ELECTRICITY_CLAIM]
    again = viewer.get(f"/cases/{case_id}").text  # another person of the organisation: the same suggestion
    api = viewer.get(f"/api/v1/cases/{case_id}/evidence/suggestions").json()
    assert ELECTRICITY_SENTENCE in again and api["evidence"][0]["sentence"] == ELECTRICITY_SENTENCE
    assert calls == [ELECTRICITY_CLAIM]
    assert viewer.get(f"/api/v1/cases/{case_id}/evidence/suggestions", params={"top": 2}).status_code == 200
    assert len(calls) == 2  # another `top` is another suggestion
    newer = {"id": "evn-2027", "text": "Tập đoàn Điện lực Việt Nam giữ nguyên giá điện bình quân đến hết năm 2027.",
             "publisher": "Tập đoàn Điện lực Việt Nam"}  # fmt: skip
    assert checker.post("/api/v1/evidence/documents", json=[newer]).json()["added"] == 1
    checker.get(f"/cases/{case_id}")
    assert len(calls) == 3  # the library changed: computed again, over the new document too
    checker.get(f"/cases/{case_id}")
    assert len(calls) == 3
    unchanged = checker.post("/api/v1/evidence/documents", json=[newer]).json()
    assert unchanged["unchanged"] == 1
    checker.get(f"/cases/{case_id}")
    assert len(calls) == 3  # importing nothing new changes nothing


def test_an_import_by_another_process_invalidates_too_and_organisations_never_share_an_entry(
    web: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    context, checker = web["context"], web["checker"]
    library = context.evidence_library
    calls = _counting(context, monkeypatch)
    library.suggest(checker, ELECTRICITY_CLAIM, 3)
    library.suggest(checker, ELECTRICITY_CLAIM, 3)
    assert len(calls) == 1
    other = context.account_store.user_by_email("fc@hai.example")
    assert other is not None
    theirs = library.suggest(Actor("factchecker", other.organisation_id, other.id), ELECTRICITY_CLAIM, 3)
    assert theirs.evidence == [] and len(calls) == 2  # the same claim in another library: its own entry
    elsewhere = AppContext(context.settings)  # another process: its own services, the same database
    try:
        record = {"id": "cau-moi", "text": "Thành phố khởi công cầu vượt sông Hồng vào tháng 12."}
        assert elsewhere.evidence_library.import_documents(checker, [(1, record)]).added == 1
    finally:
        elsewhere.close()
    library.suggest(checker, ELECTRICITY_CLAIM, 3)
    assert len(calls) == 3


def test_the_cache_is_a_bounded_lru_and_drops_one_organisations_entries() -> None:
    cache = SuggestionCache(size=2)
    one, two, three = (Suggestion("refuted", p, []) for p in (0.1, 0.2, 0.3))
    cache.put(1, "a", one)
    cache.put(1, "b", two)
    assert cache.get(1, "a") is one  # "a" used last: "b" is the least recently used
    cache.put(2, "a", three)
    assert (cache.get(1, "b"), cache.get(1, "a"), cache.get(2, "a"), len(cache)) == (None, one, three, 2)
    cache.drop(1)
    assert (cache.get(1, "a"), cache.get(2, "a")) == (None, three)


def test_the_suggested_verdict_is_shown_on_the_rating_scale(web: dict[str, Any]) -> None:
    viewer, case_id = web["viewer@mot"], web["case"]
    suggested = viewer.get(f"/api/v1/cases/{case_id}/evidence/suggestions").json()
    expected = {"supported": "Đúng", "refuted": "Sai", "not_enough_info": "Chưa có bằng chứng"}[suggested["verdict"]]
    assert suggested["rating"] == expected
    page = viewer.get(f"/cases/{case_id}").text
    block = page[page.index('id="suggested-h"') : page.index('id="verdict-h"')]
    assert f'trên thang đánh giá: <b class="suggested-rating">{expected}</b>' in block


def test_a_scale_with_no_fitting_rating_shows_none(app_context: AppContext) -> None:
    context = AppContext(app_context.settings.with_overrides(rating_scale="Xấu,Trung bình,Tốt"))
    try:
        context.accounts.create_user("Báo Một", "fc@mot.example", "fc", "factchecker", PASSWORD)
        client = signed_in(context, "fc@mot.example")
        assert client.post("/api/v1/evidence/documents", json=DOCS).json()["added"] == 3
        case_id = client.post("/api/v1/cases", json={"claim": ELECTRICITY_CLAIM}).json()["id"]
        suggested = client.get(f"/api/v1/cases/{case_id}/evidence/suggestions").json()
        assert suggested["verdict"] in {"supported", "refuted", "not_enough_info"} and suggested["rating"] is None
        page = client.get(f"/cases/{case_id}").text
        assert "thang đánh giá không có mức tương ứng" in page and 'class="suggested-rating"' not in page
        assert client.get(f"/api/v1/cases/{case_id}/rebuttal-draft").json()["rating"] is None
        client.close()
    finally:
        context.close()


def _accept(client: Any, case_id: int, document_id: str, sentence: str) -> None:
    done = client.post(f"/api/v1/cases/{case_id}/evidence/accept", json={"document_id": document_id,
                                                                          "sentence": sentence})  # fmt: skip
    assert done.status_code == 201


def test_a_rebuttal_is_drafted_from_the_accepted_evidence_only_and_nothing_is_saved(web: dict[str, Any]) -> None:
    context, checker, viewer, case_id = web["context"], web["fc@mot"], web["viewer@mot"], web["case"]
    empty = viewer.get(f"/api/v1/cases/{case_id}/rebuttal-draft").json()
    assert empty["cites"] == [] and "chưa có bằng chứng nào" in empty["rebuttal"]
    assert "Soạn nháp từ bằng chứng" not in checker.get(f"/cases/{case_id}").text  # no evidence: no action
    page_evidence = {"kind": "url", "url": "https://chinhphu.vn/thong-bao"}
    assert checker.post(f"/api/v1/cases/{case_id}/evidence", json=page_evidence).status_code == 201
    _accept(checker, case_id, "evn-gia-dien", ELECTRICITY_SENTENCE)
    before = context.case_store.get(case_id)
    audited = len(list(context.audit.entries(before.organisation_id, None)))
    draft = viewer.get(f"/api/v1/cases/{case_id}/rebuttal-draft").json()
    suggested = viewer.get(f"/api/v1/cases/{case_id}/evidence/suggestions").json()
    assert (draft["id"], draft["verdict"], draft["rating"]) == (case_id, suggested["verdict"], suggested["rating"])
    lines = draft["rebuttal"].splitlines()
    assert lines[0] == f"Nhận định “{ELECTRICITY_CLAIM}”: kết luận gợi ý là {suggested['rating']}."
    assert lines[1] == "Xem thêm: https://chinhphu.vn/thong-bao. [1]"
    assert lines[2] == ("Theo Tập đoàn Điện lực Việt Nam (10/10/2026), Tập đoàn Điện lực Việt Nam điều chỉnh giá bán "
                        "lẻ điện bình quân tăng 4,8% từ ngày 11/10/2026. [2]")  # fmt: skip
    assert len(lines) == 3 and draft["cites"] == [1, 2]
    other_suggestions = [e["sentence"] for e in suggested["evidence"] if e["sentence"] != ELECTRICITY_SENTENCE]
    assert other_suggestions and not any(s in draft["rebuttal"] for s in other_suggestions)  # never unaccepted

    page = checker.post(f"/cases/{case_id}/rebuttal-draft", data={"rating": "", "summary": "Tóm tắt đang gõ"})
    assert page.status_code == 200 and "Đã soạn nháp phản bác" in page.text
    form = page.text[page.text.index('id="verdict-form"') :]
    textarea = re.search(r'<textarea id="rebuttal"[^>]*>(.*?)</textarea>', form, re.S)
    assert textarea is not None
    assert html.unescape(textarea.group(1)).strip().splitlines() == lines
    assert f"<option selected>{suggested['rating']}</option>" in form and "Tóm tắt đang gõ</textarea>" in form
    after = context.case_store.get(case_id)
    assert (after.version, after.rating_label, after.rebuttal) == (before.version, None, [])
    assert len(list(context.audit.entries(before.organisation_id, None))) == audited  # nothing audited
    assert viewer.post(f"/cases/{case_id}/rebuttal-draft", data={}).status_code == 403  # a viewer drafts nothing
    saved = checker.put(f"/api/v1/cases/{case_id}/verdict", json={"version": after.version, "rating": "Sai",
                                                                   "rebuttal": draft["rebuttal"]})  # fmt: skip
    assert saved.status_code == 200 and [s["cites"] for s in saved.json()["rebuttal"]] == [[], [1], [2]]


def test_another_organisation_gets_no_draft_of_the_case(web: dict[str, Any]) -> None:
    other, case_id = web["fc@hai"], web["case"]
    assert other.get(f"/api/v1/cases/{case_id}/rebuttal-draft").status_code == 404
    assert other.post(f"/cases/{case_id}/rebuttal-draft", data={}).status_code == 404


def test_an_uploaded_pdf_keeps_an_archived_copy_served_to_its_organisation_only(web: dict[str, Any]) -> None:
    context, checker, viewer, other = web["context"], web["fc@mot"], web["viewer@mot"], web["fc@hai"]
    data = text_pdf(["The provincial committee approved 120 new schools."])
    page = page_after_reading(checker, upload_pdf(checker, "thông-cáo.pdf", data))  # read in the background
    assert "thông-cáo.pdf: thêm 1" in page.text
    sha = hashlib.sha256(data).hexdigest()
    assert (context.settings.data_dir / "uploads" / sha).read_bytes() == data
    listed = {d["id"]: d for d in viewer.get("/api/v1/evidence/documents").json()["documents"]}
    link = listed["thông-cáo.pdf"]["file"]
    assert link and listed["evn-gia-dien"]["file"] is None  # a JSON document has no file
    assert f'href="{link}" download' in viewer.get("/evidence").text
    got = viewer.get(link)
    assert got.status_code == 200 and got.content == data
    assert got.headers["content-type"] == "application/pdf" and got.headers["x-content-type-options"] == "nosniff"
    assert "filename*=UTF-8''th%C3%B4ng-c%C3%A1o.pdf" in got.headers["content-disposition"]
    assert other.get(link).status_code == 404  # another organisation's document is not found
    row = int(link.split("/")[3])
    assert other.get(f"/evidence/documents/{row + 1000}/file").status_code == 404
    json_row = context.evidence_library.documents(web["checker"]).documents
    plain = next(d for d in json_row if d.id == "evn-gia-dien")
    assert viewer.get(f"/evidence/documents/{plain.row}/file").status_code == 404
    with pytest.raises(NotFoundError):
        context.evidence_library.document_file(web["checker"], plain.row)
    again = {"id": "thông-cáo.pdf", "text": "Bản văn bản thay cho PDF."}  # the same id as JSON: no copy any more
    assert checker.post("/api/v1/evidence/documents", json=[again]).json()["updated"] == 1
    assert viewer.get(link).status_code == 404
