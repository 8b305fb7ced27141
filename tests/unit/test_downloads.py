"""`Content-Disposition` for any file name (RFC 6266, RFC 5987): nothing in a name reaches the header as is."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from kiemchung.web.downloads import attachment, content_disposition


def _parts(header: str) -> tuple[str, str]:
    disposition, fallback, extended = header.split("; ")
    assert disposition == "attachment" and fallback.startswith('filename="') and fallback.endswith('"')
    assert extended.startswith("filename*=UTF-8''")
    return fallback[len('filename="') : -1], unquote(extended[len("filename*=UTF-8''") :])


def test_a_vietnamese_name_with_a_quote_has_an_ascii_fallback_and_its_utf8_form() -> None:
    header = content_disposition('Báo cáo "x".pdf')
    assert header == "attachment; filename=\"Bao cao _x_.pdf\"; filename*=UTF-8''B%C3%A1o%20c%C3%A1o%20%22x%22.pdf"
    assert _parts(header) == ("Bao cao _x_.pdf", 'Báo cáo "x".pdf')
    assert _parts(content_disposition("Đường dây nóng.csv"))[0] == "Duong day nong.csv"


@pytest.mark.parametrize(
    "name",
    ["a\r\nSet-Cookie: kc=1.pdf", 'x"; filename="evil.html', "a\\b;c=d%41.txt", "\u2028\x00\x7f\x85.pdf", "😀.png"],
)
def test_nothing_in_a_name_adds_to_the_header(name: str) -> None:
    header = content_disposition(name)
    assert header.isascii() and header.isprintable()
    fallback, _ = _parts(header)
    assert not set(fallback) & set('"\\;%\r\n')
    assert header.count(";") == 2 and header.count('"') == 2


def test_an_empty_or_unprintable_name_falls_back() -> None:
    assert _parts(content_disposition("\r\n")) == ("download", "download")
    assert _parts(content_disposition("тест.pdf"))[0] == "____.pdf"
    assert attachment(b"x", "text/csv", "audit.csv").headers["content-disposition"] == (
        "attachment; filename=\"audit.csv\"; filename*=UTF-8''audit.csv"
    )
