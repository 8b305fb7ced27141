"""Sources marked "evidence" (issue 14), on SQLite and PostgreSQL, with real feeds and pages on loopback: what
an evidence source collects also joins its organisation's evidence library (its URL the document's id; a new
version of a page replaces it), in the transaction that puts it in the inbox, audited; a plain source's items
do not, and both still become posts. The flag is set from the API, the sources page, the sources file and the
command line, by those who manage sources."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kiemchung.app_context import AppContext
from kiemchung.cli import cli
from kiemchung.domain.accounts import Actor
from kiemchung.errors import InputError
from kiemchung.ingest.items import canonical_url
from tests.clients import signed_in
from tests.servers import Route, Site, article_page, rss, serve_site

PASSWORD = "a long password"
HTML = {"Content-Type": "text/html; charset=utf-8"}
RSS = {"Content-Type": "application/rss+xml"}
SCHOOLS = ("Ủy ban nhân dân tỉnh Lạng Sơn phê duyệt xây mới 120 trường học trong năm 2027 với tổng vốn "
           "3.500 tỷ đồng, theo quyết định ký ngày 12/3/2027.")  # fmt: skip
BRIDGE = ("Một tài khoản mạng xã hội lan truyền tin cầu Long Biên sẽ bị tháo dỡ hoàn toàn trong tháng tới, "
          "nhưng thông tin này chưa được cơ quan nào xác nhận.")  # fmt: skip


@pytest.fixture
def site() -> Iterator[Site]:
    with serve_site() as served:
        yield served


@pytest.fixture
def desk(app_context: AppContext) -> tuple[AppContext, Actor]:
    user = app_context.accounts.create_user("Báo Một", "editor@mot.example", "E", "editor", PASSWORD)
    return app_context, Actor("editor", user.organisation_id, user.id)


def test_an_evidence_sources_items_join_the_library_and_a_plain_sources_do_not(
    desk: tuple[AppContext, Actor], site: Site
) -> None:
    context, editor = desk
    site.routes["/cong-bo/truong-hoc"] = Route(article_page("Phê duyệt 120 trường học", [SCHOOLS] * 3), headers=HTML)
    site.routes["/cong-bo.rss"] = Route(rss([{"title": "Phê duyệt 120 trường học",
                                              "link": site.url("/cong-bo/truong-hoc"),
                                              "date": "Thu, 12 Mar 2027 09:00:00 +0700"}]), headers=RSS)  # fmt: skip
    site.routes["/mxh.rss"] = Route(rss([{"title": "Tin đồn cầu Long Biên", "link": site.url("/mxh/cau"),
                                          "description": BRIDGE * 4}]), headers=RSS)  # fmt: skip
    official = context.sources.add("feed", "cong-bo", site.url("/cong-bo.rss"), None, None, editor.organisation_id,
                                   evidence=True)  # fmt: skip
    social = context.sources.add("feed", "mxh", site.url("/mxh.rss"), None, None, editor.organisation_id)
    assert (official.evidence, social.evidence) == (True, False)
    reports = context.collector.collect_all([official, social])
    assert [(r.new, r.error) for r in reports] == [(1, None), (1, None)]

    library = context.evidence_library
    listed = library.documents(editor).documents
    assert [d.id for d in listed] == [site.url("/cong-bo/truong-hoc")]
    [document] = listed
    expected = (site.url("/cong-bo/truong-hoc"), "Phê duyệt 120 trường học", date(2027, 3, 12))
    assert (document.url, document.title, document.published) == expected
    found = library.search(editor, "Lạng Sơn xây 120 trường học năm 2027", 3)
    assert found and found[0].document_id == site.url("/cong-bo/truong-hoc") and "120 trường học" in found[0].sentence
    assert all(e.document_id != site.url("/mxh/cau") for e in library.search(editor, "cầu Long Biên tháo dỡ", 5))
    audited = [e for e in context.audit.entries(editor.organisation_id, None) if e.action == "evidence.import"]
    assert len(audited) == 1 and audited[0].detail["source"] == "cong-bo" and audited[0].detail["added"] == 1

    context.processor.process_batch(10)  # both still become posts: the library is beside the monitoring
    assert context.post_store.get("web-" + _post_key(site.url("/cong-bo/truong-hoc"))) is not None
    assert context.post_store.get("web-" + _post_key(site.url("/mxh/cau"))) is not None

    other = context.accounts.create_user("Báo Hai", "editor@hai.example", "E", "editor", PASSWORD)
    assert library.documents(Actor("editor", other.organisation_id, other.id)).total == 0  # its owner's only


def _post_key(url: str) -> str:
    return hashlib.sha256((canonical_url(url) or url).encode("utf-8")).hexdigest()[:24]


def test_a_new_version_of_an_evidence_page_replaces_its_document(desk: tuple[AppContext, Actor], site: Site) -> None:
    context, editor = desk
    site.routes["/bang-gia"] = Route(article_page("Bảng giá điện", [SCHOOLS.replace("120", "90")] * 3), headers=HTML)
    page = context.sources.add("page", "bang-gia", site.url("/bang-gia"), None, None, editor.organisation_id,
                               evidence=True)  # fmt: skip
    assert context.collector.collect(page).new == 1
    assert "90 trường học" in context.evidence_library.search(editor, "Lạng Sơn xây trường học", 1)[0].sentence
    site.routes["/bang-gia"] = Route(article_page("Bảng giá điện", [SCHOOLS] * 3), headers=HTML)
    assert context.collector.collect(context.source_store.get(page.id)).new == 1  # a new version: a new item
    listed = context.evidence_library.documents(editor)
    assert listed.total == 1 and listed.documents[0].id == site.url("/bang-gia")
    assert "120 trường học" in context.evidence_library.search(editor, "Lạng Sơn xây trường học", 1)[0].sentence


@pytest.fixture
def clients(desk: tuple[AppContext, Actor]) -> Iterator[dict[str, Any]]:
    context, _ = desk
    context.accounts.create_user("Báo Một", "fc@mot.example", "F", "factchecker", PASSWORD)
    made = {"editor": signed_in(context, "editor@mot.example"), "factchecker": signed_in(context, "fc@mot.example")}
    yield made
    for client in made.values():
        client.close()


def test_the_flag_is_set_from_the_api_and_the_sources_page_by_those_who_manage_sources(
    desk: tuple[AppContext, Actor], clients: dict[str, Any]
) -> None:
    context, editor = desk
    api, checker = clients["editor"], clients["factchecker"]
    added = api.post("/api/v1/sources", json={"kind": "feed", "name": "cong-bo", "url": "https://cong-bo.example/rss",
                                              "evidence": True})  # fmt: skip
    assert added.status_code == 201 and added.json()["evidence"] is True
    plain = api.post("/api/v1/sources", json={"kind": "feed", "name": "bao", "url": "https://bao.example/rss"}).json()
    assert plain["evidence"] is False
    assert api.patch("/api/v1/sources/cong-bo", json={"evidence": False}).json()["evidence"] is False
    assert api.patch("/api/v1/sources/cong-bo", json={}).status_code == 422
    assert checker.patch("/api/v1/sources/cong-bo", json={"evidence": True}).status_code == 403
    both = api.patch("/api/v1/sources/bao", json={"evidence": True, "enabled": False}).json()
    assert (both["evidence"], both["enabled"]) == (True, False)
    page = api.get("/sources").text
    assert page.count('class="tag evidence-source"') == 1 and 'name="evidence"' in page
    assert api.post(f"/sources/{added.json()['id']}/evidence", follow_redirects=False).status_code == 303
    assert context.source_store.get(added.json()["id"]).evidence is True
    form = {"kind": "feed", "name": "tu-form", "url": "https://form.example/rss", "evidence": "1"}
    assert api.post("/sources", data=form, follow_redirects=False).status_code == 303
    assert [s.name for s in context.sources.of_organisation(editor.organisation_id) if s.evidence] == [
        "cong-bo", "bao", "tu-form",
    ]  # fmt: skip
    assert checker.post(f"/sources/{plain['id']}/evidence", follow_redirects=False).status_code == 403
    actions = [e.action for e in context.audit.entries(editor.organisation_id, None)]
    assert actions.count("source.evidence") == 3


def test_the_sources_file_and_the_command_line_set_the_flag(desk: tuple[AppContext, Actor], tmp_path: Path) -> None:
    context, _ = desk
    sources_file = tmp_path / "sources.toml"
    sources_file.write_text('[[source]]\nname = "thong-ke"\nkind = "feed"\nurl = "https://gso.example/rss"\n'
                            "evidence = true\n", encoding="utf-8")  # fmt: skip
    assert context.sources.sync(sources_file).added == ["thong-ke"]
    assert context.source_store.by_name("thong-ke").evidence is True  # type: ignore[union-attr]
    sources_file.write_text(sources_file.read_text().replace("evidence = true", "evidence = false"))
    assert context.sources.sync(sources_file).updated == ["thong-ke"]
    assert context.source_store.by_name("thong-ke").evidence is False  # type: ignore[union-attr]
    sources_file.write_text(sources_file.read_text().replace("evidence = false", 'evidence = "yes"'))
    with pytest.raises(InputError, match="evidence must be true or false"):
        context.sources.sync(sources_file)
    settings = ["--data-dir", str(context.settings.data_dir), "--database-url", context.settings.database_url]
    runner = CliRunner()
    done = runner.invoke(cli, [*settings, "sources", "add", "feed", "bo-y-te", "https://moh.example/rss", "--evidence"])
    assert done.exit_code == 0, done.output
    listed = runner.invoke(cli, [*settings, "sources", "list", "--json"])
    assert '"name": "bo-y-te"' in listed.output and '"evidence": true' in listed.output
