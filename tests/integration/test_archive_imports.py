"""Archive import from the web (issue 11, item 12) and a fresh installation's next steps (item 13), over HTTP on
SQLite and PostgreSQL: an editor uploads a file on /archive/import, it is imported in the background by the CLI's
code (the per-line report is the one `kiemchung factchecks import` gives), its page and the API show progress,
counts and every rejected line; bad files come back to the form with the reason; only editors and admins import;
another organisation never sees the job; a job a stopped server left running is taken up again. On a fresh
installation the home page, queue, archive import and sources pages say what to do next, and stop once done."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kiemchung.app_context import AppContext
from kiemchung.domain.accounts import Actor
from kiemchung.services.archive import import_files
from kiemchung.services.archive_imports import ArchiveImports
from kiemchung.store.archive_imports import ArchiveImportStore, NewImport
from kiemchung.web.app import create_app
from tests.clients import signed_in

PASSWORD = "a long password"
GOOD = [
    {"id": "kho-1", "claim": "Uống nước chanh nóng chữa khỏi ung thư", "rating": "Sai"},
    {"id": "kho-2", "claim": "Tiêm vắc-xin gây vô sinh", "rating": "Sai", "url": "javascript:alert(1)"},
    {"id": "kho-3", "claim": "Giá điện tăng gấp đôi từ tháng sau", "rating": "Gây hiểu lầm"},
]
FILE = "\n".join([json.dumps(GOOD[0], ensure_ascii=False), "{oops", json.dumps(GOOD[1], ensure_ascii=False),
                  json.dumps({"id": "kc-9", "claim": "x", "rating": "Sai"}),
                  json.dumps(GOOD[2], ensure_ascii=False)]) + "\n"  # fmt: skip


@pytest.fixture
def web(app_context: AppContext) -> Iterator[dict[str, Any]]:
    """An editor, a fact-checker and a viewer of one organisation, an editor of another."""
    for organisation, email, role in [("Báo Một", "editor@mot.example", "editor"),
                                      ("Báo Một", "fc@mot.example", "factchecker"),
                                      ("Báo Một", "viewer@mot.example", "viewer"),
                                      ("Báo Hai", "editor@hai.example", "editor")]:  # fmt: skip
        app_context.accounts.create_user(organisation, email, email.split("@")[0], role, PASSWORD)
    clients = {email: signed_in(app_context, email) for email in
               ("editor@mot.example", "fc@mot.example", "viewer@mot.example", "editor@hai.example")}  # fmt: skip
    yield {"context": app_context, **clients}
    for client in clients.values():
        client.close()


def _finished(client: TestClient, job_id: int) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/api/v1/factchecks/import/{job_id}").json()
        if job["finished"]:
            return job
        time.sleep(0.05)
    raise AssertionError(f"import {job_id} did not finish: {job}")


def test_an_editor_imports_in_the_background_with_the_clis_per_line_report(web: dict[str, Any], tmp_path: Path) -> None:
    context, editor = web["context"], web["editor@mot.example"]
    form = editor.get("/archive/import")
    assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.text
    sent = editor.post("/archive/import", files={"file": ("kho.jsonl", FILE.encode(), "application/x-ndjson")},
                       data={"format": "auto"}, follow_redirects=False)  # fmt: skip
    assert sent.status_code == 303
    job_id = int(sent.headers["location"].rsplit("/", 1)[1])
    job = _finished(editor, job_id)
    assert (job["state"], job["format"], job["lines_total"], job["lines_read"]) == ("done", "jsonl", 5, 5)
    assert (job["imported"], job["rejected"], job["notes"]) == (3, 2, 1)
    rejected = [(p["line"], p["reason"]) for p in job["problems"] if p["kind"] == "rejected"]
    notes = [(p["line"], p["reason"]) for p in job["problems"] if p["kind"] == "note"]
    path = tmp_path / "kho.jsonl"
    path.write_text(FILE, encoding="utf-8")
    cli = import_files(context.factcheck_store, [path])  # the command line's report, line for line
    assert rejected == [(e.line, e.reason) for e in cli.rejected] and [line for line, _ in rejected] == [2, 4]
    assert notes == [(e.line, e.reason) for e in cli.notes] == [(3, notes[0][1])] and "url dropped" in notes[0][1]
    assert {fc.id for fc in context.factcheck_store.iter_all()} == {"kho-1", "kho-2", "kho-3"}

    page = editor.get(f"/archive/import/{job_id}")
    assert page.status_code == 200 and 'http-equiv="refresh"' not in page.text  # finished: no more reloading
    assert "Đã nhập 3 bài, loại 2 dòng, 1 ghi chú." in page.text
    assert '<tr data-line="2"><td>2</td><td>invalid JSON' in page.text
    assert '<tr data-line="4"><td>4</td><td>id &#39;kc-9&#39;' in page.text
    assert "Imported 3 fact-checks, rejected 2 lines, 1 notes." in editor.get(f"/archive/import/{job_id}?lang=en").text
    listed = editor.get("/archive/import").text
    assert f'<a href="/archive/import/{job_id}">kho.jsonl</a>' in listed
    audit = [(e.action, e.detail) for e in context.audit.entries(None, 10) if e.action.startswith("archive.")]
    assert audit[1] == ("archive.import", {"file": "kho.jsonl", "format": "jsonl", "bytes": len(FILE.encode()),
                                           "lines": 5})  # fmt: skip
    assert audit[0] == ("archive.import_finished", {"file": "kho.jsonl", "imported": 3, "rejected": 2, "notes": 1,
                                                    "error": None})  # fmt: skip


def test_a_running_import_shows_lines_read_and_reloads_itself(web: dict[str, Any]) -> None:
    """A job no worker has taken yet (a second service, never started, holds it) shows its progress page."""
    context, editor = web["context"], web["editor@mot.example"]
    user = context.account_store.user_by_email("editor@mot.example")
    assert user is not None
    with context.database.write() as connection:
        job_id = ArchiveImportStore.add(connection, NewImport(user.organisation_id, user.id, None, "lớn.csv", "csv",
                                                              b"id,claim,rating\n", 1))  # fmt: skip
    page = editor.get(f"/archive/import/{job_id}")
    assert '<meta http-equiv="refresh" content="1">' in page.text and "0 / 1 dòng" in page.text
    assert 'data-state="queued"' in page.text


def test_the_api_imports_csv_and_reports_its_state(web: dict[str, Any]) -> None:
    context = web["context"]
    user = context.account_store.user_by_email("editor@mot.example")
    assert user is not None
    _, secret = context.tokens.create(user.organisation_id, "nhap-kho", "editor", user.id)
    csv_text = "id,claim,rating\ncsv-1,Một nhận định,Sai\ncsv-2,,Sai\ncsv-3,Nhận định khác,Đúng\n"
    with TestClient(create_app(context.settings, context)) as machine:
        machine.headers["Authorization"] = f"Bearer {secret}"
        sent = machine.post("/api/v1/factchecks/import", params={"name": "kho.csv"}, content=csv_text.encode())
        assert sent.status_code == 202
        body = sent.json()
        assert body["status_url"] == f"/api/v1/factchecks/import/{body['id']}" and body["format"] == "csv"
        job = _finished(machine, body["id"])
        assert (job["imported"], job["rejected"], job["lines_total"]) == (2, 1, 4)
        assert [p["line"] for p in job["problems"]] == [3]
        lines = "\n".join(json.dumps(record) for record in GOOD[::2]).encode()
        sniffed = machine.post("/api/v1/factchecks/import", content=lines)  # no name: read by its content
        assert sniffed.status_code == 202 and sniffed.json()["format"] == "jsonl"
        assert _finished(machine, sniffed.json()["id"])["imported"] == 2
        wrong = machine.post("/api/v1/factchecks/import", params={"format": "xml"}, content=b"<x/>")
        assert wrong.status_code == 422 and "format" in wrong.json()["error"]
        assert "/api/v1/factchecks/import" in machine.get("/openapi.json").json()["paths"]


def test_bad_files_come_back_to_the_form_with_the_reason(web: dict[str, Any]) -> None:
    editor = web["editor@mot.example"]
    cases = [
        (("anh.png", b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"), "choose a .jsonl, .csv or .json"),
        (("rong.jsonl", b"  \n", "application/x-ndjson"), "the file is empty"),
        (("nhi-phan.csv", b"id,claim\x00,rating\n", "text/csv"), "not text"),
    ]
    for upload, reason in cases:
        answer = editor.post("/archive/import", files={"file": upload}, data={"format": "auto"})
        assert answer.status_code == 422, upload[0]
        assert 'id="archive-file-error"' in answer.text and reason in answer.text
    no_file = editor.post("/archive/import", data={"format": "csv"})
    assert no_file.status_code == 422 and "choose a file" in no_file.text
    assert '<option value="csv" selected>' in no_file.text  # the format chosen is kept
    assert web["context"].archive_imports.recent(_actor(web, "editor@mot.example")) == []


def test_the_size_limit_comes_from_the_settings(app_context: AppContext) -> None:
    context = AppContext(app_context.settings.with_overrides(archive_import_max_bytes=2_000))
    context.accounts.create_user("Báo Một", "editor@mot.example", "e", "editor", PASSWORD)
    editor = signed_in(context, "editor@mot.example")
    big = ("x" * 3_000).encode()
    answer = editor.post("/archive/import", files={"file": ("kho.jsonl", big, "application/x-ndjson")})
    assert answer.status_code == 422 and "larger than 2,000 bytes" in answer.text
    huge = editor.post("/api/v1/factchecks/import", content=b"x" * 200_000)  # past the limit and the framing
    assert huge.status_code == 413
    editor.close()
    context.close()


def test_only_editors_and_admins_import(web: dict[str, Any]) -> None:
    upload = {"file": ("kho.jsonl", FILE.encode(), "application/x-ndjson")}
    for email in ("fc@mot.example", "viewer@mot.example"):
        client = web[email]
        assert client.get("/archive/import").status_code == 403
        assert client.post("/archive/import", files=upload).status_code == 403
        assert client.post("/api/v1/factchecks/import", content=FILE.encode()).status_code == 403
    anonymous = TestClient(create_app(web["context"].settings, web["context"]))
    assert anonymous.get("/archive/import", follow_redirects=False).headers["location"].startswith("/login")
    assert anonymous.post("/api/v1/factchecks/import", content=b"{}").status_code == 401
    assert list(web["context"].factcheck_store.iter_all()) == []


def test_another_organisation_never_sees_the_job(web: dict[str, Any]) -> None:
    editor, other = web["editor@mot.example"], web["editor@hai.example"]
    sent = editor.post("/api/v1/factchecks/import", params={"name": "kho.jsonl"}, content=FILE.encode())
    job_id = sent.json()["id"]
    _finished(editor, job_id)
    assert other.get(f"/api/v1/factchecks/import/{job_id}").status_code == 404
    assert other.get(f"/archive/import/{job_id}").status_code == 404
    assert "kho.jsonl" not in other.get("/archive/import").text
    assert web["fc@mot.example"].get(f"/api/v1/factchecks/import/{job_id}").status_code == 403


def test_an_import_left_running_by_a_stopped_server_is_taken_up_again(web: dict[str, Any]) -> None:
    context = web["context"]
    actor = _actor(web, "editor@mot.example")
    with context.database.write() as connection:
        job_id = ArchiveImportStore.add(connection, NewImport(actor.organisation_id, actor.user_id, None, "kho.jsonl",
                                                              "jsonl", FILE.encode(), 5))  # fmt: skip
    store = ArchiveImportStore(context.database)
    from datetime import UTC, datetime

    assert store.claim(job_id, datetime.now(UTC)) is not None  # a server took it, then stopped
    assert store.claim(job_id, datetime.now(UTC).replace(year=2000)) is None  # a live job is nobody else's
    patient = ArchiveImports(context.database, context.factcheck_store, 10_000_000)  # waits STALE_S
    assert patient.run_waiting() == 0
    eager = ArchiveImports(context.database, context.factcheck_store, 10_000_000, stale_s=0)
    assert eager.run_waiting() == 1
    job = context.archive_imports.status(actor, job_id)
    assert (job.state, job.imported, job.rejected) == ("done", 3, 2)


def _actor(web: dict[str, Any], email: str) -> Actor:
    user = web["context"].account_store.user_by_email(email)
    assert user is not None
    return Actor(user.role, user.organisation_id, user_id=user.id)


# -- onboarding (item 13) --------------------------------------------------------------------------------------

STEPS = ("next-step-import_archive", "next-step-add_source", "next-step-invite_team")


def test_a_fresh_installation_says_what_to_do_next_until_it_is_done(app_context: AppContext) -> None:
    admin = app_context.accounts.create_user("Báo Mới", "admin@moi.example", "Quản trị", "admin", PASSWORD)
    client = signed_in(app_context, "admin@moi.example")
    for path in ("/", "/queue", "/archive/import", "/sources"):
        page = client.get(path).text
        assert 'class="next-steps"' in page and all(step in page for step in STEPS), path
        assert '<a href="/archive/import">Nhập kho bài kiểm chứng</a>' in page
        assert '<a href="/sources#add-source">Thêm nguồn theo dõi</a>' in page
        assert '<a href="/admin#invite">Mời đồng nghiệp</a>' in page
    english = client.get("/queue?lang=en").text
    assert "Getting started" in english and '<a href="/archive/import">Import your fact-check archive</a>' in english
    assert 'id="add-source"' in client.get("/sources").text and 'id="invite"' in client.get("/admin").text
    anonymous = TestClient(create_app(app_context.settings, app_context))
    assert "next-steps" not in anonymous.get("/").text

    actor = Actor("admin", admin.organisation_id, user_id=admin.id)
    job = app_context.archive_imports.request(actor, "kho.jsonl", FILE.encode())
    _finished(client, job.id)
    queue = client.get("/queue").text
    assert "next-step-import_archive" not in queue and "next-step-add_source" in queue
    app_context.sources.add_requested("feed", "bao-moi", "https://bao-moi.example/rss", None, None,
                                      admin.organisation_id)  # fmt: skip
    app_context.accounts.invite(actor, "bien-tap@moi.example", "editor")
    for path in ("/", "/queue", "/archive/import", "/sources"):
        assert "next-steps" not in client.get(path).text, path
    client.close()


def test_people_who_cannot_take_a_step_are_told_who_can(app_context: AppContext) -> None:
    app_context.accounts.create_user("Báo Mới", "viewer@moi.example", "Người xem", "viewer", PASSWORD)
    client = signed_in(app_context, "viewer@moi.example")
    page = client.get("/queue").text
    assert '<a href="/archive/import">' not in page and "<strong>Nhập kho bài kiểm chứng</strong>" in page
    assert "biên tập viên hoặc quản trị viên làm bước này" in page and "quản trị viên làm bước này" in page
    client.close()
