"""Issue #10, findings 7 (rest), 9 and 12 (rest), on SQLite and PostgreSQL: ordinary bad input gets a clear
4xx, never a 500, and small leaks are closed.

- an unknown assignee is refused with a reason; removing a source that collected posts keeps the posts;
- a download's name (Vietnamese, a quote, a line break) cannot break or add to `Content-Disposition`;
- folder sources from the web stay inside KIEMCHUNG_FOLDER_SOURCES_ROOT and create nothing on disk;
- a page rendered for a signed-in person is never `public`; an invitation does not say that an address
  belongs to another organisation; a failed upload leaves no file behind; SQLite's synchronous setting.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from kiemchung.app_context import AppContext
from kiemchung.demo import DEMO_FACTCHECKS, DEMO_ORGANISATION, DEMO_PASSWORD, DEMO_USERS
from kiemchung.errors import AuthenticationError, ConfigError, InputError, NotFoundError
from kiemchung.services.accounts import actor_of
from kiemchung.services.archive import import_files
from kiemchung.settings import Settings, load_settings
from kiemchung.store.accounts import User
from kiemchung.web.app import create_app
from tests.integration.test_workbench import _client

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def people(app_context: AppContext) -> dict[str, User]:
    """The demo organisation's admin, editor and fact-checker (demo password), without the demo posts."""
    return {
        role: app_context.accounts.create_user(DEMO_ORGANISATION, email, name, role, DEMO_PASSWORD)
        for email, name, role in DEMO_USERS[:3]
    }


def token_client(context: AppContext, organisation_id: int, role: str) -> TestClient:
    _, secret = context.tokens.create(organisation_id, f"test-{role}", role)
    client = TestClient(create_app(context.settings, context), raise_server_exceptions=False)
    client.headers["Authorization"] = f"Bearer {secret}"
    return client


def open_case(context: AppContext, person: User, claim: str = "Giá xăng tăng 5.000 đồng mỗi lít từ ngày mai.") -> int:
    return context.cases.open_case(actor_of(person), claim).id


# -- finding 7: an unknown assignee ------------------------------------------------------------------------


def test_an_unknown_assignee_is_refused_with_a_reason_never_a_500(
    app_context: AppContext, people: dict[str, User]
) -> None:
    factchecker, editor = people["factchecker"], people["editor"]
    outsider = app_context.accounts.create_user("Tòa soạn khác", "b@khac.vn", "Người ngoài", "editor", DEMO_PASSWORD)
    case_id = open_case(app_context, factchecker)
    version = app_context.cases.get(actor_of(factchecker), case_id).version
    api = token_client(app_context, editor.organisation_id, "editor")
    answers = {}
    for assignee in (987_654, outsider.id, -1):
        answer = api.patch(f"/api/v1/cases/{case_id}", json={"version": version, "assignee_id": assignee})
        assert answer.status_code == 422, (assignee, answer.status_code, answer.text)
        answers[assignee] = answer.json()["error"].replace(str(assignee), "N")
    # someone of another organisation is answered exactly like an id nobody has
    assert (
        answers[987_654]
        == answers[outsider.id]
        == "no active person with id N in your organisation to assign the case to"
    )
    assigned = api.patch(f"/api/v1/cases/{case_id}", json={"version": version, "assignee_id": editor.id})
    assert assigned.status_code == 200 and assigned.json()["assignee_id"] == editor.id
    with pytest.raises(InputError, match="no active person"):
        app_context.cases.update(actor_of(editor), case_id, None, assignee_id=outsider.id)
    assert app_context.cases.get(actor_of(editor), case_id).assignee_id == editor.id


# -- finding 7: removing a source that collected posts -----------------------------------------------------


def test_removing_a_source_keeps_its_posts_and_is_audited(
    app_context: AppContext, people: dict[str, User], tmp_path: Path
) -> None:
    folder = tmp_path / "drop"
    source = app_context.sources.add("folder", "thả-tệp", str(folder))  # the command line's way
    (folder / "a.jsonl").write_text(
        '{"id": "p1", "text": "Giá điện tăng 3 phần trăm từ ngày 1 tháng 12."}\n'
        '{"id": "p2", "text": "Hà Nội có thêm 3 tuyến buýt điện từ tuần sau."}\n',
        encoding="utf-8",
    )
    assert app_context.collector.collect(source).new == 2
    app_context.monitor.drain()
    (folder / "b.jsonl").write_text('{"id": "p3", "text": "Tin chưa xử lý."}\n', encoding="utf-8")
    assert app_context.collector.collect(app_context.source_store.get(source.id)).new == 1  # still in the inbox
    editor = people["editor"]
    api = token_client(app_context, editor.organisation_id, "editor")
    removed = api.delete(f"/api/v1/sources/{source.name}")
    assert removed.status_code == 204, removed.text
    assert app_context.sources.all() == []
    kept = {p.id: p.source_id for p in app_context.post_store.iter_all()}
    assert kept == {"p1": None, "p2": None}  # the record stays, detached from the removed source
    entry = next(e for e in app_context.audit.entries(editor.organisation_id) if e.action == "source.remove")
    assert entry.object_id == str(source.id) and entry.token_id is not None
    assert entry.detail == {"name": "thả-tệp", "kind": "folder", "url": str(folder.resolve()), "posts_kept": 2,
                            "unprocessed_dropped": 1}  # fmt: skip
    assert api.delete(f"/api/v1/sources/{source.name}").status_code == 404


# -- finding 7: download names -----------------------------------------------------------------------------


def test_a_vietnamese_quoted_or_broken_file_name_cannot_break_the_download_header(
    app_context: AppContext, people: dict[str, User]
) -> None:
    factchecker = people["factchecker"]
    case_id = open_case(app_context, factchecker)
    names = ['Báo cáo "x".pdf', "Biên bản về lũ; a\\b.pdf", "a\r\nSet-Cookie: kc=1\r\n.pdf"]
    for name in names:
        app_context.cases.add_document(actor_of(factchecker), case_id, name, PDF)
    evidence = app_context.cases.get(actor_of(factchecker), case_id).evidence
    api = token_client(app_context, factchecker.organisation_id, "viewer")
    headers = []
    for item in evidence:
        answer = api.get(f"/api/v1/cases/{case_id}/evidence/{item.id}/file")
        assert answer.status_code == 200 and answer.content == PDF
        assert "set-cookie" not in answer.headers
        headers.append(answer.headers["content-disposition"])
    assert headers == [
        "attachment; filename=\"Bao cao _x_.pdf\"; filename*=UTF-8''B%C3%A1o%20c%C3%A1o%20%22x%22.pdf",
        'attachment; filename="Bien ban ve lu_ a_b.pdf"; '
        "filename*=UTF-8''Bi%C3%AAn%20b%E1%BA%A3n%20v%E1%BB%81%20l%C5%A9%3B%20a%5Cb.pdf",
        "attachment; filename=\"aSet-Cookie: kc=1.pdf\"; filename*=UTF-8''aSet-Cookie%3A%20kc%3D1.pdf",
    ]
    admin = token_client(app_context, factchecker.organisation_id, "admin")
    exported = admin.get("/api/v1/audit", params={"format": "csv"})
    assert exported.headers["content-disposition"] == "attachment; filename=\"audit.csv\"; filename*=UTF-8''audit.csv"


# -- finding 9: folder sources from the web ----------------------------------------------------------------


@pytest.fixture
def rooted(app_context: AppContext, tmp_path: Path) -> Iterator[tuple[AppContext, Path]]:
    """The same database, served with KIEMCHUNG_FOLDER_SOURCES_ROOT set to tmp/root."""
    root = tmp_path / "root"
    (root / "drop").mkdir(parents=True)
    context = AppContext(app_context.settings.with_overrides(folder_sources_root=str(root)))
    yield context, root
    context.close()


def test_folder_sources_from_the_web_stay_inside_the_configured_root(
    rooted: tuple[AppContext, Path], people: dict[str, User], tmp_path: Path
) -> None:
    context, root = rooted
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.jsonl").write_text('{"id": "s1", "text": "Không được đọc."}\n', encoding="utf-8")
    (root / "escape").symlink_to(outside, target_is_directory=True)
    api = token_client(context, people["editor"].organisation_id, "editor")
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    for path in ("../../etc", str(outside), "escape", str(root / "escape"), "new-folder", str(tmp_path / "made")):
        answer = api.post("/api/v1/sources", json={"kind": "folder", "name": "thả", "url": path})
        assert answer.status_code == 422, (path, answer.status_code, answer.text)
        assert "folder sources root" in answer.json()["error"]
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before  # no folder made, no file moved
    assert context.sources.all() == []
    added = api.post("/api/v1/sources", json={"kind": "folder", "name": "thả", "url": "drop"})
    assert added.status_code == 201, added.text
    assert added.json()["url"] == str((root / "drop").resolve())
    (root / "drop" / "a.jsonl").write_text('{"id": "d1", "text": "Tin thả vào thư mục."}\n', encoding="utf-8")
    assert context.collector.collect(context.source_store.get(added.json()["id"])).new == 1
    assert (outside / "secret.jsonl").exists()


def test_without_a_root_folder_sources_come_only_from_the_command_line(
    app_context: AppContext, people: dict[str, User], tmp_path: Path
) -> None:
    wanted = tmp_path / "drop"
    api = token_client(app_context, people["editor"].organisation_id, "editor")
    answer = api.post("/api/v1/sources", json={"kind": "folder", "name": "thả", "url": str(wanted)})
    assert answer.status_code == 422 and "command line" in answer.json()["error"]
    editor = _client(app_context, "editor@demo.kiemchung")
    page = editor.post("/sources", data={"kind": "folder", "name": "thả", "url": str(wanted)})
    assert page.status_code == 422 and "KIEMCHUNG_FOLDER_SOURCES_ROOT" in page.text
    assert not wanted.exists() and app_context.sources.all() == []
    assert app_context.sources.add("folder", "thả", str(wanted)).url == str(wanted.resolve())  # the CLI's way
    assert wanted.is_dir()


# -- finding 12: caching, invitations, orphaned uploads ----------------------------------------------------


def test_a_public_page_fetched_signed_in_is_private_and_anonymous_keeps_its_caching(
    app_context: AppContext, people: dict[str, User]
) -> None:
    import_files(app_context.factcheck_store, [DEMO_FACTCHECKS])
    anonymous = TestClient(create_app(app_context.settings, app_context))
    public = anonymous.get("/factchecks/demo-001")
    assert public.status_code == 200 and public.headers["cache-control"] == "public, max-age=60"
    assert "Cookie" in public.headers["vary"]
    editor = _client(app_context, "editor@demo.kiemchung")
    for path in ("/factchecks/demo-001", "/queue", "/"):
        answer = editor.get(path)
        assert answer.status_code == 200
        assert answer.headers["cache-control"] == "private, no-store", path
    api = token_client(app_context, people["editor"].organisation_id, "editor")
    assert api.get("/api/v1/cases").headers["cache-control"] == "private, no-store"
    assert "public" not in anonymous.get("/login").headers.get("cache-control", "")  # sets a cookie


def test_an_invitation_does_not_say_an_address_belongs_to_another_organisation(
    app_context: AppContext, people: dict[str, User]
) -> None:
    elsewhere = app_context.accounts.create_user("Tòa soạn khác", "b@khac.vn", "Người ngoài", "admin", DEMO_PASSWORD)
    admin = token_client(app_context, people["admin"].organisation_id, "admin")
    taken = admin.post("/api/v1/invites", json={"email": "B@khac.vn", "role": "editor"})
    fresh = admin.post("/api/v1/invites", json={"email": "moi@khac.vn", "role": "editor"})
    assert taken.status_code == fresh.status_code == 201, taken.text
    assert set(taken.json()) == set(fresh.json()) and taken.json()["email"] == "b@khac.vn"
    ours = admin.post("/api/v1/invites", json={"email": "editor@demo.kiemchung", "role": "viewer"})
    assert ours.status_code == 422 and "your organisation" in ours.json()["error"]
    # accepting the invitation to an address that has an account elsewhere takes nothing over
    link = "/" + taken.json()["link"].split("/", 3)[3]
    accepted = admin.post(link, data={"display_name": "Kẻ chiếm", "password": "mật khẩu mới dài"})
    assert accepted.status_code == 422 and "Địa chỉ e-mail này đã có tài khoản" in accepted.text
    after = app_context.account_store.user_by_email("b@khac.vn")
    assert after == elsewhere
    assert app_context.accounts.sign_in("b@khac.vn", DEMO_PASSWORD).actor.organisation_id == elsewhere.organisation_id
    with pytest.raises(AuthenticationError, match="wrong e-mail or password"):
        app_context.accounts.sign_in("b@khac.vn", "mật khẩu mới dài")


def _refuse_evidence(context: AppContext) -> None:
    """A real failing insert: the database itself refuses every new piece of evidence."""
    with context.database.write() as connection:
        if context.database.is_sqlite:
            connection.execute(text("CREATE TRIGGER refuse_evidence BEFORE INSERT ON evidence "
                                    "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"))  # fmt: skip
        else:
            connection.execute(text("CREATE FUNCTION refuse_evidence() RETURNS trigger LANGUAGE plpgsql AS "
                                    "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$"))  # fmt: skip
            connection.execute(text("CREATE TRIGGER refuse_evidence BEFORE INSERT ON evidence FOR EACH ROW "
                                    "EXECUTE FUNCTION refuse_evidence()"))  # fmt: skip


def test_a_failed_upload_leaves_no_file_behind(
    app_context: AppContext, people: dict[str, User], settings: Settings
) -> None:
    factchecker = actor_of(people["factchecker"])
    case_id = open_case(app_context, people["factchecker"])
    uploads = settings.data_dir / "uploads"
    app_context.cases.add_document(factchecker, case_id, "đã có.pdf", PDF)
    assert len(list(uploads.iterdir())) == 1
    with pytest.raises(NotFoundError):
        app_context.cases.add_document(factchecker, 987_654, "không có vụ.pdf", PDF + b"1")
    _refuse_evidence(app_context)
    with pytest.raises(DBAPIError, match="refused by the test"):
        app_context.cases.add_document(factchecker, case_id, "mới.pdf", PDF + b"2")
    with pytest.raises(DBAPIError, match="refused by the test"):
        app_context.cases.add_document(factchecker, case_id, "lại.pdf", PDF)  # same content as the kept one
    assert [p.read_bytes() for p in uploads.iterdir()] == [PDF]  # the stored one stays, the failed one is gone


def test_sqlite_synchronous_is_normal_by_default_and_full_when_asked(tmp_path: Path) -> None:
    for value, expected in (("", 1), ("full", 2), ("normal", 1)):
        environ = {"KIEMCHUNG_SQLITE_SYNCHRONOUS": value} if value else {}
        context = AppContext(load_settings(environ, data_dir=tmp_path / (value or "default"), embedder="hashing"))
        with context.database.read() as connection:
            assert connection.execute(text("PRAGMA synchronous")).scalar_one() == expected
        context.close()
    with pytest.raises(ConfigError, match="KIEMCHUNG_SQLITE_SYNCHRONOUS"):
        load_settings({"KIEMCHUNG_SQLITE_SYNCHRONOUS": "off"})


def test_a_failed_upload_never_removes_the_file_of_a_concurrent_identical_upload(tmp_path: Path) -> None:
    """Two uploads of the same content at once: the first fails after the second has stored its row. The
    second's file stays (it was removed by the failing one before), and nothing partial is left behind."""
    from kiemchung.services.case_evidence import _stored_upload

    path = tmp_path / "uploads" / "same-sha"
    with pytest.raises(RuntimeError), _stored_upload(path, PDF):  # the first upload begins, its insert fails
        with _stored_upload(path, PDF) as put_in_place:  # the second, meanwhile, succeeds and commits
            put_in_place()
        raise RuntimeError("the first upload's insert is refused")
    assert path.read_bytes() == PDF
    assert [p.name for p in path.parent.iterdir()] == ["same-sha"]
