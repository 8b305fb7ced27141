"""The evidence library over HTTP (issue 14), on SQLite and PostgreSQL: the JSON API (import as a JSON list or
JSON Lines, listing, search, a case's suggestions, accepting a sentence), the /evidence page (search, import
of a .jsonl or .pdf upload with its summary, the documents) and the case page's "Suggested evidence" block;
roles, CSRF, body limits, and one organisation never seeing another's documents."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from kiemchung.app_context import AppContext
from kiemchung.web.auth import CSRF_HEADER
from tests.clients import signed_in
from tests.evidence_files import (
    DOCS,
    ELECTRICITY_CLAIM,
    ELECTRICITY_SENTENCE,
    desks,
    desks_organisation,
    finished_pdf_import,
    import_id,
    jsonl,
    page_after_reading,
    scanned_pdf,
    text_pdf,
    upload_pdf,
)

PASSWORD = "a long password"


@pytest.fixture
def web(app_context: AppContext) -> Iterator[dict[str, Any]]:
    """A fact-checker and a viewer of one organisation, a fact-checker of another, and a case of the first."""
    case = app_context.cases.open_case(desks(app_context), ELECTRICITY_CLAIM)
    clients = {name: signed_in(app_context, f"{name}.example") for name in ("fc@mot", "viewer@mot", "fc@hai")}
    yield {"context": app_context, "case": case.id, **clients}
    for client in clients.values():
        client.close()


def test_the_api_imports_lists_searches_suggests_and_accepts(web: dict[str, Any]) -> None:
    checker, viewer, case_id = web["fc@mot"], web["viewer@mot"], web["case"]
    lines = jsonl(DOCS[:2]) + "{oops\n" + jsonl([{"id": "k", "text": "Một câu.", "tags": ["x"]}])
    response = checker.post("/api/v1/evidence/documents", content=lines.encode(),
                            headers={"Content-Type": "application/x-ndjson"})  # fmt: skip
    assert response.status_code == 200
    body = response.json()
    assert (body["added"], body["updated"], body["unchanged"]) == (2, 0, 0)
    assert [(e["line"], e["error"].split(" ")[0]) for e in body["errors"]] == [(3, "not"), (4, "unknown")]
    listed = checker.post("/api/v1/evidence/documents", json=[DOCS[0], DOCS[2], "x"]).json()  # a JSON list
    not_object = [{"line": 3, "error": "a document must be a JSON object"}]
    assert (listed["added"], listed["unchanged"], listed["errors"]) == (1, 1, not_object)
    assert checker.post("/api/v1/evidence/documents", content=b"\n\n").status_code == 422
    assert viewer.post("/api/v1/evidence/documents", json=[DOCS[0]]).status_code == 403
    page = viewer.get("/api/v1/evidence/documents", params={"per_page": 2}).json()
    assert (page["total"], page["pages"], len(page["documents"])) == (3, 2, 2)
    assert "text" not in page["documents"][0]
    found = viewer.get("/api/v1/evidence/search", params={"q": ELECTRICITY_CLAIM, "top": 2}).json()
    assert found["results"][0]["sentence"] == ELECTRICITY_SENTENCE and len(found["results"]) == 2
    assert "number_mismatch" in found["results"][0]["flags"]
    assert viewer.get("/api/v1/evidence/search").json() == {"query": "", "results": []}
    assert viewer.get("/api/v1/evidence/search", params={"q": "x", "top": 0}).status_code == 422
    suggested = viewer.get(f"/api/v1/cases/{case_id}/evidence/suggestions", params={"top": 3}).json()
    assert suggested["id"] == case_id and suggested["verdict"] in {"supported", "refuted", "not_enough_info"}
    assert suggested["evidence"][0]["document_id"] == "evn-gia-dien" and len(suggested["evidence"]) == 3
    accept = {"document_id": "evn-gia-dien", "sentence": ELECTRICITY_SENTENCE}
    assert viewer.post(f"/api/v1/cases/{case_id}/evidence/accept", json=accept).status_code == 403
    done = checker.post(f"/api/v1/cases/{case_id}/evidence/accept", json=accept)
    assert done.status_code == 201
    [quote] = done.json()["evidence"]
    assert (quote["kind"], quote["quote"], quote["source"]) == ("quote", ELECTRICITY_SENTENCE,
                                                               "https://evn.com.vn/gia-dien-2026")  # fmt: skip
    wrong = checker.post(f"/api/v1/cases/{case_id}/evidence/accept", json={**accept, "sentence": "Bịa ra."})
    assert wrong.status_code == 422 and "not in document" in wrong.json()["error"]
    missing = checker.post(f"/api/v1/cases/{case_id}/evidence/accept", json={**accept, "document_id": "nope"})
    assert missing.status_code == 404
    no_csrf = checker.post(f"/api/v1/cases/{case_id}/evidence/accept", json=accept, headers={CSRF_HEADER: "wrong"})
    assert no_csrf.status_code == 403
    paths = checker.get("/openapi.json").json()["paths"]
    assert paths["/api/v1/evidence/search"]["get"]["tags"] == ["evidence"]
    assert paths["/api/v1/cases/{case_id}/evidence/accept"]["post"]["tags"] == ["evidence", "workbench"]


def test_another_organisation_sees_none_of_it(web: dict[str, Any]) -> None:
    checker, other, case_id = web["fc@mot"], web["fc@hai"], web["case"]
    assert checker.post("/api/v1/evidence/documents", json=DOCS).json()["added"] == 3
    assert other.get("/api/v1/evidence/documents").json()["total"] == 0
    assert other.get("/api/v1/evidence/search", params={"q": ELECTRICITY_CLAIM}).json()["results"] == []
    assert other.get(f"/api/v1/cases/{case_id}/evidence/suggestions").status_code == 404
    accept = {"document_id": "evn-gia-dien", "sentence": ELECTRICITY_SENTENCE}
    assert other.post(f"/api/v1/cases/{case_id}/evidence/accept", json=accept).status_code == 404
    assert other.post(f"/cases/{case_id}/evidence/accept", data=accept, follow_redirects=False).status_code == 404
    page = other.get("/evidence", params={"q": ELECTRICITY_CLAIM})
    assert ELECTRICITY_SENTENCE not in page.text and "evn-gia-dien" not in page.text
    own = other.post("/api/v1/cases", json={"claim": ELECTRICITY_CLAIM}).json()["id"]
    assert "suggested-h" not in other.get(f"/cases/{own}").text  # its own library is empty: no block
    assert other.post(f"/api/v1/cases/{own}/evidence/accept", json=accept).status_code == 404
    assert web["context"].case_store.get(case_id).evidence == []


def test_the_evidence_page_imports_searches_and_lists(web: dict[str, Any]) -> None:
    checker, viewer = web["fc@mot"], web["viewer@mot"]
    upload = (jsonl(DOCS[:1]) + "{oops\n" + jsonl(DOCS[1:])).encode()
    page = checker.post("/evidence/import", files={"file": ("thu-vien.jsonl", upload, "application/x-ndjson")})
    assert page.status_code == 200
    assert "thu-vien.jsonl: thêm 3, cập nhật 0, không đổi 0, lỗi 1" in page.text
    assert "Dòng 2: not valid JSON" in page.text and 'data-document="evn-gia-dien"' in page.text
    scanned = page_after_reading(checker, upload_pdf(checker, "ban-chup.pdf", scanned_pdf()))
    assert "PDF bản quét (không có lớp chữ), đã lưu nhưng không tìm được: ban-chup.pdf" in scanned.text
    pdf = page_after_reading(checker, upload_pdf(checker, "bao-cao.pdf", text_pdf(["Budget 2026 rose 7 percent."])))
    assert "bao-cao.pdf: thêm 1" in pdf.text
    fake = checker.post("/evidence/import", files={"file": ("gia.pdf", b"<html>gia</html>", "application/pdf")})
    assert fake.status_code == 422 and "the file is not a PDF" in fake.text
    other = checker.post("/evidence/import", files={"file": ("anh.png", b"\x89PNG\r\n\x1a\n", "image/png")})
    assert other.status_code == 422 and "choose a .jsonl (JSON Lines) or .pdf file" in other.text
    assert viewer.post("/evidence/import", files={"file": ("x.jsonl", upload, "text/plain")}).status_code == 403
    listing = viewer.get("/evidence")
    assert "Tài liệu trong thư viện (5)" in listing.text and 'class="tag scanned"' in listing.text
    assert 'action="/evidence/import"' not in listing.text  # a viewer may not import
    found = viewer.get("/evidence", params={"q": ELECTRICITY_CLAIM, "lang": "en"})
    assert ELECTRICITY_SENTENCE in found.text and "number differs" in found.text
    assert 'href="https://evn.com.vn/gia-dien-2026"' in found.text
    stances = re.findall(r'class="stance stance-(\w+)">([^<(]+)', found.text)
    words = {"supports": "supports the claim ", "refutes": "refutes the claim ", "neutral": "neutral "}
    assert stances and all(words[stance] == shown for stance, shown in stances)


def test_the_case_page_suggests_and_one_click_adds_the_sentence(web: dict[str, Any]) -> None:
    checker, viewer, case_id = web["fc@mot"], web["viewer@mot"], web["case"]
    assert "suggested-h" not in checker.get(f"/cases/{case_id}").text  # an empty library: no block
    checker.post("/api/v1/evidence/documents", json=DOCS)
    page = checker.get(f"/cases/{case_id}").text
    block = page[page.index('id="suggested-h"') : page.index('id="verdict-h"')]
    assert "Bằng chứng gợi ý" in block and "Kết luận gợi ý" in block and "không phải kết luận" in block
    assert ELECTRICITY_SENTENCE in block and "số liệu khác" in block and "Thêm vào bằng chứng" in block
    assert "Thêm vào bằng chứng" not in viewer.get(f"/cases/{case_id}").text  # a viewer sees, may not add
    form = {"document_id": "evn-gia-dien", "sentence": ELECTRICITY_SENTENCE}
    added = checker.post(f"/cases/{case_id}/evidence/accept", data=form, follow_redirects=False)
    assert added.status_code == 303 and added.headers["location"].startswith(f"/cases/{case_id}?msg=")
    after = checker.get(added.headers["location"]).text
    evidence = after[after.index('id="evidence-h"') : after.index('id="suggested-h"')]
    assert ELECTRICITY_SENTENCE in evidence and "https://evn.com.vn/gia-dien-2026" in evidence
    assert "đã có trong bằng chứng" in after and "Đã thêm câu vào bằng chứng" in after


def test_imports_are_held_to_the_upload_and_batch_limits(app_context: AppContext) -> None:
    context = AppContext(app_context.settings.with_overrides(body_max_bytes=1000, batch_body_max_bytes=20_000,
                                                             upload_max_bytes=20_000))  # fmt: skip
    try:
        context.accounts.create_user("Báo Một", "fc@mot.example", "fc", "factchecker", PASSWORD)
        client = signed_in(context, "fc@mot.example")
        big = [
            {"id": f"d{n}", "text": f"Văn bản số {n} của Ủy ban nhân dân tỉnh về kế hoạch năm 2026."} for n in range(40)
        ]
        body = jsonl(big).encode()
        assert 1000 < len(body) < 20_000
        assert client.post("/api/v1/evidence/documents", content=body).json()["added"] == 40
        upload = client.post("/evidence/import", files={"file": ("a.jsonl", body, "application/x-ndjson")})
        assert upload.status_code == 200 and "không đổi 40" in upload.text
        assert client.post("/api/v1/cases", content=json.dumps({"claim": "x" * 1500})).status_code == 413
        assert client.post("/api/v1/evidence/documents", content=body * 5).status_code == 413
        too_big = client.post(
            "/evidence/import", files={"file": ("a.pdf", b"%PDF-" + b"0" * 30_000, "application/pdf")}
        )
        assert too_big.status_code == 422 and "the file is larger than" in too_big.text  # read, then refused
        past_framing = b"%PDF-" + b"0" * (20_000 + 100_001)  # past the upload limit and its multipart framing
        assert client.post("/evidence/import", files={"file": ("a.pdf", past_framing)}).status_code == 413
    finally:
        context.close()


# -- PDFs read in the background --------------------------------------------------------------------------------

BROKEN_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"  # a PDF's header, nothing pypdf can read


def test_a_pdf_is_read_in_the_background_from_the_page_and_from_the_api(web: dict[str, Any]) -> None:
    context, checker, viewer = web["context"], web["fc@mot"], web["viewer@mot"]
    location = upload_pdf(checker, "thong-cao.pdf", text_pdf(["The provincial committee approved 120 new schools."]))
    job_id = import_id(location)
    following = checker.get(location)  # at once: being read, or already read
    assert following.status_code == 200 and f'data-import="{job_id}"' in following.text
    job = finished_pdf_import(checker, job_id)
    assert (job["state"], job["added"], job["scanned"], job["error"], job["file_name"]) == (
        "done", 1, False, None, "thong-cao.pdf")  # fmt: skip
    assert job["pages_read"] == job["pages_total"] == 1
    page = page_after_reading(checker, location)
    assert (
        "thong-cao.pdf: thêm 1, cập nhật 0, không đổi 0" in page.text and 'data-document="thong-cao.pdf"' in page.text
    )

    data = text_pdf(["The ministry built 35 bridges in 2026."])
    sent = checker.post("/api/v1/evidence/import", params={"name": "cau.pdf"}, content=data,
                        headers={"Content-Type": "application/pdf"})  # fmt: skip
    assert sent.status_code == 202, sent.text
    body = sent.json()
    assert body["status_url"] == f"/api/v1/evidence/import/{body['id']}" and body["file_name"] == "cau.pdf"
    done = finished_pdf_import(checker, body["id"])
    assert (done["state"], done["added"], done["size"]) == ("done", 1, len(data))
    found = viewer.get("/api/v1/evidence/search", params={"q": "ministry built bridges", "top": 1}).json()
    assert found["results"][0]["document_id"] == "cau.pdf" and "35 bridges" in found["results"][0]["sentence"]
    listed = {d["id"]: d for d in viewer.get("/api/v1/evidence/documents").json()["documents"]}
    assert viewer.get(listed["cau.pdf"]["file"]).content == data  # the upload kept as the archived copy
    organisation = desks_organisation(context)
    audited = [e for e in context.audit.entries(organisation, None) if e.action == "evidence.import"]
    assert [(e.user, e.detail["added"], e.detail["documents"]) for e in audited] == [
        ("fc@mot.example", 1, ["cau.pdf"]),
        ("fc@mot.example", 1, ["thong-cao.pdf"]),
    ]  # the uploader's, newest first
    assert viewer.post("/api/v1/evidence/import", content=data).status_code == 403
    assert viewer.get(f"/api/v1/evidence/import/{body['id']}").status_code == 403


def test_a_pdf_that_cannot_be_read_is_reported_with_its_reason(web: dict[str, Any]) -> None:
    checker = web["fc@mot"]
    location = upload_pdf(checker, "hong.pdf", BROKEN_PDF)
    job = finished_pdf_import(checker, import_id(location))
    assert job["state"] == "failed" and job["error"].startswith("the PDF cannot be read")
    assert (job["added"], job["updated"], job["unchanged"]) == (0, 0, 0)
    page = page_after_reading(checker, location)
    assert "hong.pdf: không nhập được: the PDF cannot be read" in page.text
    assert checker.get("/api/v1/evidence/documents").json()["total"] == 0  # nothing stored
    scanned = checker.post("/api/v1/evidence/import", params={"name": "quet.pdf"}, content=scanned_pdf())
    assert finished_pdf_import(checker, scanned.json()["id"])["scanned"] is True  # stored, flagged: not searchable
    refused = checker.post("/api/v1/evidence/import", params={"name": "gia.pdf"}, content=b"<html>gia</html>")
    assert refused.status_code == 422 and "the file is not a PDF" in refused.json()["error"]  # no job for it
    assert checker.post("/api/v1/evidence/import", content=b"").status_code == 422


def test_another_organisations_pdf_import_is_not_found(web: dict[str, Any]) -> None:
    checker, other = web["fc@mot"], web["fc@hai"]
    location = upload_pdf(checker, "bao-cao.pdf", text_pdf(["Budget 2026 rose 7 percent."]))
    job_id = import_id(location)
    finished_pdf_import(checker, job_id)
    assert other.get(f"/api/v1/evidence/import/{job_id}").status_code == 404
    assert other.get(location).status_code == 404
    assert other.get("/api/v1/evidence/documents").json()["total"] == 0
    assert checker.get(f"/api/v1/evidence/import/{job_id + 1000}").status_code == 404
