"""`kiemchung evidence import` and `kiemchung evidence suggest` (issue 14's contract), run in-process with click's
runner on a fresh data directory, against SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from kiemchung.app_context import AppContext
from kiemchung.cli import cli
from kiemchung.settings import load_settings
from tests.evidence_files import DOCS, ELECTRICITY_CLAIM, ELECTRICITY_SENTENCE, jsonl, scanned_pdf, text_pdf

CONTRACT_FIELDS = {"document_id", "sentence", "score", "stance"}


def run(data_dir: Path, database_url: str, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "--database-url", database_url, *args], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_import_then_suggest_on_a_fresh_installation(tmp_path: Path, database_url: str) -> None:
    data = tmp_path / "d"
    documents = tmp_path / "docs.jsonl"
    documents.write_text(jsonl(DOCS[:2]) + "{not json\n" + jsonl([{"id": "u", "text": "x", "tags": []}, DOCS[2]]),
                         encoding="utf-8")  # fmt: skip
    code, out, err = run(data, database_url, "evidence", "import", str(documents))
    assert code == 1 and out.strip() == "added 3, updated 0, unchanged 0, errors 2"
    assert "rejected line 3: not valid JSON" in err and "rejected line 4: unknown field(s) tags" in err
    claims = tmp_path / "claims.jsonl"
    claims.write_text(jsonl([{"id": "c1", "text": ELECTRICITY_CLAIM}, {"id": 7, "text": "Bão số 3 đổ bộ Quảng Ninh"}]),
                      encoding="utf-8")  # fmt: skip
    code, out, _ = run(data, database_url, "evidence", "suggest", str(claims), "--top", "2")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["id"] for line in lines] == ["c1", 7]
    for line in lines:
        assert line["verdict"] in {"supported", "refuted", "not_enough_info"} and 0 <= line["confidence"] <= 1
        assert 1 <= len(line["evidence"]) <= 2
        for item in line["evidence"]:
            assert set(item) >= CONTRACT_FIELDS and 0 <= item["score"] <= 1
            assert item["stance"] in {"supports", "refutes", "neutral"}
        scores = [item["score"] for item in line["evidence"]]
        assert scores == sorted(scores, reverse=True)
    assert (lines[0]["evidence"][0]["document_id"], lines[0]["evidence"][0]["sentence"]) == (
        "evn-gia-dien", ELECTRICITY_SENTENCE)  # fmt: skip
    assert lines[1]["evidence"][0]["document_id"] == "bao-so-3"
    code, again, _ = run(data, database_url, "evidence", "suggest", "-", "--top", "2", stdin=claims.read_text())
    assert code == 0 and again == out
    code, out, _ = run(data, database_url, "evidence", "import", str(documents))
    assert code == 1 and out.strip() == "added 0, updated 0, unchanged 3, errors 2"


def test_pdfs_by_path_and_a_scanned_one_noted(tmp_path: Path, database_url: str) -> None:
    data = tmp_path / "d"
    (tmp_path / "bao-cao.pdf").write_bytes(text_pdf(["The district opened 14 new health stations in 2026."]))
    (tmp_path / "ban-chup.pdf").write_bytes(scanned_pdf())
    (tmp_path / "gia.pdf").write_text("not a pdf at all", encoding="utf-8")
    code, out, _ = run(data, database_url, "evidence", "import", str(tmp_path / "bao-cao.pdf"))
    assert code == 0 and out.strip() == "added 1, updated 0, unchanged 0, errors 0"
    code, out, err = run(data, database_url, "evidence", "import", str(tmp_path / "ban-chup.pdf"))
    assert code == 0 and "1 scanned" in out and "ban-chup.pdf: a scanned PDF" in err
    code, out, err = run(data, database_url, "evidence", "import", str(tmp_path / "gia.pdf"))
    assert code == 2 and err.strip() == "kiemchung: error: the file is not a PDF"
    question = jsonl([{"id": "q", "text": "14 new health stations opened"}])
    code, out, _ = run(data, database_url, "evidence", "suggest", "--top", "1", stdin=question)
    assert code == 0 and json.loads(out)["evidence"][0]["document_id"] == "bao-cao.pdf"


def test_each_organisation_has_its_own_library(tmp_path: Path, database_url: str) -> None:
    data = tmp_path / "d"
    context = AppContext(load_settings(environ={}, data_dir=data, database_url=database_url))
    try:
        context.database.migrate()
        first, second = context.organisations.ensure("Báo Một"), context.organisations.ensure("Báo Hai")
    finally:
        context.close()
    documents = tmp_path / "docs.jsonl"
    documents.write_text(jsonl(DOCS), encoding="utf-8")
    assert run(data, database_url, "evidence", "import", str(documents), "-O", second.name)[0] == 0
    question = jsonl([{"id": "c", "text": ELECTRICITY_CLAIM}])
    code, out, err = run(data, database_url, "evidence", "suggest", "--top", "1", stdin=question)  # the first's
    assert code == 0 and json.loads(out) == {"id": "c", "verdict": "not_enough_info", "confidence": 1.0,
                                             "evidence": []}  # fmt: skip
    assert "library is empty" in err and first.id < second.id
    code, out, _ = run(data, database_url, "evidence", "suggest", "-O", second.name, stdin=question)
    assert code == 0 and json.loads(out)["evidence"][0]["document_id"] == "evn-gia-dien"
    code, _, err = run(data, database_url, "evidence", "import", str(documents), "-O", "Không có")
    assert code == 2 and "no organisation named 'Không có'" in err


def test_a_bad_claim_line_is_named_and_nothing_is_answered(tmp_path: Path, database_url: str) -> None:
    data = tmp_path / "d"
    documents = tmp_path / "docs.jsonl"
    documents.write_text(jsonl(DOCS), encoding="utf-8")
    run(data, database_url, "evidence", "import", str(documents))
    for bad, message in [
        ('{"id": 1, "text": "a"}\n{"id": 2, "text": ', "line 2: not valid JSON"),
        ('{"id": 1, "text": "a"}\n\n{"id": 3}\n', 'line 3: a claim needs "id" and a non-empty "text"'),
        ('{"id": 1, "text": "a", "lang": "vi"}\n', "line 1: unknown field(s) lang"),
        ("[1]\n", "line 1: a claim must be a JSON object"),
    ]:
        code, out, err = run(data, database_url, "evidence", "suggest", stdin=bad)
        assert (code, out) == (2, "") and err.startswith(f"kiemchung: error: {message}"), err
