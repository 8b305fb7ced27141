"""What the evidence-library tests share: a small library of official-style Vietnamese documents, PDFs made on
the spot (one with a text layer, one scanned: a page with no text), the desks that use them, and following a PDF
uploaded on /evidence while it is read in the background."""

from __future__ import annotations

import io
import json
import re
import time
from typing import Any

from fastapi.testclient import TestClient
from pypdf import PdfWriter

from kiemchung.app_context import AppContext
from kiemchung.domain.accounts import Actor

DOCS = [
    {
        "id": "moet-2027",
        "url": "https://moet.gov.vn/tin-tuc/ky-thi-2027",
        "title": "Giữ ổn định kỳ thi tốt nghiệp THPT",
        "publisher": "Bộ Giáo dục và Đào tạo",
        "published": "2026-03-05",
        "text": "Bộ Giáo dục và Đào tạo khẳng định vẫn giữ kỳ thi tốt nghiệp THPT năm 2027. "
        "Kỳ thi sẽ diễn ra trong hai ngày 26/6 và 27/6 trên toàn quốc. "
        "Thí sinh thi bốn môn, gồm hai môn bắt buộc là Toán và Ngữ văn.",
    },
    {
        "id": "evn-gia-dien",
        "url": "https://evn.com.vn/gia-dien-2026",
        "title": "Điều chỉnh giá bán lẻ điện bình quân",
        "publisher": "Tập đoàn Điện lực Việt Nam",
        "published": "2026-10-10",
        "text": "Tập đoàn Điện lực Việt Nam điều chỉnh giá bán lẻ điện bình quân tăng 4,8% từ ngày 11/10/2026. "
        "Mức giá mới là 2.204 đồng mỗi kWh chưa gồm thuế. "
        "Hộ nghèo tiếp tục được hỗ trợ tiền điện hằng tháng.",
    },
    {
        "id": "bao-so-3",
        "url": "https://nchmf.gov.vn/bao-so-3",
        "title": "Bão số 3 đổ bộ",
        "publisher": "Trung tâm Dự báo khí tượng thủy văn quốc gia",
        "published": "2024-09-07",
        "text": "Chiều 7/9/2024, bão số 3 đổ bộ vào vùng ven biển Quảng Ninh và Hải Phòng với sức gió mạnh cấp 12. "
        "Nhiều cây xanh bị đổ tại thành phố Hạ Long.",
    },
]
ELECTRICITY_CLAIM = "Giá điện tăng 50% từ tháng sau"
ELECTRICITY_SENTENCE = "Tập đoàn Điện lực Việt Nam điều chỉnh giá bán lẻ điện bình quân tăng 4,8% từ ngày 11/10/2026."


def jsonl(records: list[dict[str, str]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def text_pdf(lines: list[str]) -> bytes:
    """A one-page PDF with these (ASCII) lines in Helvetica: a real text layer."""
    stream = "BT /F1 11 Tf 50 780 Td 14 TL " + " ".join(f"({line}) Tj T*" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = "%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n" + "".join(f"{o:010d} 00000 n \n" for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    return out.encode("latin-1")


def scanned_pdf() -> bytes:
    """A PDF whose page has no text layer (as a scan is)."""
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


DESK_PASSWORD = "a long password"


def desks(app_context: AppContext) -> Actor:
    """A fact-checker and a viewer of "Báo Một", a fact-checker of "Báo Hai" (signed in by e-mail as
    fc@mot / viewer@mot / fc@hai .example); the first fact-checker as an actor."""
    for organisation, email, role in [("Báo Một", "fc@mot.example", "factchecker"),
                                      ("Báo Một", "viewer@mot.example", "viewer"),
                                      ("Báo Hai", "fc@hai.example", "factchecker")]:  # fmt: skip
        app_context.accounts.create_user(organisation, email, email, role, DESK_PASSWORD)
    user = app_context.account_store.user_by_email("fc@mot.example")
    assert user is not None
    return Actor("factchecker", user.organisation_id, user.id)


def desks_organisation(context: AppContext) -> int:
    """The organisation of the first desks ("Báo Một")."""
    user = context.account_store.user_by_email("fc@mot.example")
    assert user is not None
    return user.organisation_id


def upload_pdf(client: TestClient, name: str, data: bytes) -> str:
    """The /evidence import form with a PDF: answered at once, the browser sent to the page following it (its
    address returned)."""
    sent = client.post("/evidence/import", files={"file": (name, data, "application/pdf")}, follow_redirects=False)
    assert sent.status_code == 303, sent.text
    location: str = sent.headers["location"]
    assert re.fullmatch(r"/evidence\?import=\d+#import-h", location)
    return location


def import_id(location: str) -> int:
    return int(location.split("=")[1].split("#")[0])


def finished_pdf_import(client: TestClient, job_id: int) -> dict[str, Any]:
    """The PDF import once it has ended (polled through the API, as a script would)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/api/v1/evidence/import/{job_id}").json()
        if job["finished"]:
            return job
        time.sleep(0.05)
    raise AssertionError(f"PDF import {job_id} did not finish: {job}")


def page_after_reading(client: TestClient, location: str) -> Any:
    """The page the browser was sent to, once the PDF it follows is read (it no longer reloads itself)."""
    finished_pdf_import(client, import_id(location))
    page = client.get(location)
    assert page.status_code == 200 and 'http-equiv="refresh"' not in page.text
    return page
