"""A desk's daily flow (issue 11, items 10 and 4), through the pages and the API on both databases.

Item 10: priorities read and typed as words (thấp / bình thường / cao / khẩn cấp), the verdict form starts with
no verdict chosen and a form without one comes back with what was typed, an invitation offers the least
privileged role first, "assigned to me" in the queue and assigning a colleague from the case and the queue.
Item 4: evidence removed or corrected before publication, each change audited; after publication only a
published correction changes the public page; a URL that could not be archived is published as not archived.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kiemchung.app_context import AppContext
from kiemchung.demo import DEMO_PASSWORD, set_up_demo
from tests.integration.test_workbench import _client, wait_archived
from tests.servers import Route, Site, article_page, statement_site
from tests.snapshots import BACKENDS, Prepared, prepared_for

OTHER_ORGANISATION = "Đơn vị Khác"


def _demo_and_another_desk(context: AppContext) -> None:
    set_up_demo(context)
    context.accounts.create_user(OTHER_ORGANISATION, "factchecker@khac.example", "Người khác", "factchecker",
                                 DEMO_PASSWORD)  # fmt: skip


@pytest.fixture(scope="module", params=BACKENDS)
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prepared[None]]:
    """The demo and another organisation's fact-checker (argon2) made once per database; each test gets a copy."""
    yield from prepared_for(request, tmp_path_factory, _demo_and_another_desk)


@pytest.fixture
def desk(demo: Prepared[None], tmp_path: Path) -> Iterator[dict[str, Any]]:
    with demo.copy(tmp_path) as context:
        clients = {role: _client(context, f"{role}@demo.kiemchung") for role in ("factchecker", "editor", "admin",
                                                                                  "viewer")}  # fmt: skip
        clients["other"] = _client(context, "factchecker@khac.example")
        people = {u.email.split("@")[0]: u for u in context.account_store.users() if u.email.endswith("demo.kiemchung")}
        yield {"context": context, "people": people, **clients}
        for client in clients.values():
            client.close()


@pytest.fixture
def site() -> Iterator[Site]:
    with statement_site() as running:
        yield running


def _open(client: TestClient, claim: str, priority: int = 1) -> dict[str, Any]:
    opened = client.post("/api/v1/cases", json={"claim": claim, "priority": priority})
    assert opened.status_code == 201, opened.text
    case: dict[str, Any] = opened.json()
    return case


def _case(client: TestClient, case_id: int) -> dict[str, Any]:
    case: dict[str, Any] = client.get(f"/api/v1/cases/{case_id}").json()
    return case


def _audit(admin: TestClient, action: str) -> list[dict[str, Any]]:
    return [e for e in admin.get("/api/v1/audit").json() if e["action"] == action]


def _queue_row(page: str, case_id: int) -> str:
    row = re.search(rf'<tr data-case="{case_id}".*?</tr>', page, re.S)
    assert row, f"case {case_id} is not in the queue"
    return row.group(0)


# -- item 10: assignment and workload ------------------------------------------------------------------------


def test_priorities_are_shown_as_words_and_typed_as_words(desk: dict[str, Any]) -> None:
    factchecker, editor = desk["factchecker"], desk["editor"]
    case = _open(factchecker, "Nước chanh nóng chữa khỏi ung thư", priority=2)
    assert (case["priority"], case["priority_name"]) == (2, "high")  # the API keeps the number, names it too

    row = _queue_row(factchecker.get("/queue").text, case["id"])
    assert '<td class="priority priority-2">cao</td>' in row  # not "2"
    assert '<option value="2" >cao</option>' in factchecker.get("/queue").text  # the filter's choices are words
    assert case["id"] in [int(r) for r in re.findall(r'data-case="(\d+)"', factchecker.get("/queue?priority=cao").text)]
    english = factchecker.get(f"/cases/{case['id']}?lang=en").text
    assert '<option value="high" selected>high</option>' in english and 'name="priority" min="0"' not in english

    for typed, stored in (("khẩn cấp", 3), ("LOW", 0), ("bình thường", 1)):
        version = _case(editor, case["id"])["version"]
        saved = editor.post(f"/cases/{case['id']}/update", data={"version": version, "priority": typed},
                            follow_redirects=False)  # fmt: skip
        assert saved.status_code == 303, saved.text
        assert _case(editor, case["id"])["priority"] == stored
    version = _case(editor, case["id"])["version"]
    refused = editor.post(f"/cases/{case['id']}/update", data={"version": version, "priority": "gấp lắm"})
    assert refused.status_code == 422 and "priority must be one of" in refused.text
    assert _case(editor, case["id"])["priority"] == 1

    rows = list(csv.DictReader(io.StringIO(factchecker.get("/api/v1/cases.csv").text.lstrip("\ufeff"))))
    assert next(r for r in rows if r["id"] == str(case["id"]))["priority"] == "normal"


def test_the_verdict_form_starts_without_a_verdict_and_requires_one(desk: dict[str, Any]) -> None:
    factchecker = desk["factchecker"]
    case = _open(factchecker, "Uống nước lá ổi chữa tiểu đường")
    page = factchecker.get(f"/cases/{case['id']}").text
    rating = re.search(r'<select id="rating".*?</select>', page, re.S)
    assert rating and "required" in rating.group(0)
    assert re.findall(r"<option [^>]*selected", rating.group(0)) == ['<option value="" selected']

    typed = {"version": case["version"], "rating": "", "summary": "Chưa có bằng chứng khoa học.",
             "rebuttal": "Bộ Y tế chưa công nhận phương pháp này."}  # fmt: skip
    again = factchecker.post(f"/cases/{case['id']}/verdict", data=typed)
    assert again.status_code == 422
    assert 'id="rating-error">Hãy chọn một kết luận.</p>' in again.text  # next to the field, in the UI's language
    assert "Chưa có bằng chứng khoa học.</textarea>" in again.text  # what was typed is kept
    assert "Bộ Y tế chưa công nhận phương pháp này.</textarea>" in again.text
    english = factchecker.post(f"/cases/{case['id']}/verdict?lang=en", data=typed)
    assert english.status_code == 422 and 'id="rating-error">Choose a verdict.</p>' in english.text
    unchanged = _case(factchecker, case["id"])
    assert (unchanged["rating"], unchanged["status"], unchanged["version"]) == (None, "new", case["version"])

    bad_cite = factchecker.post(f"/cases/{case['id']}/verdict", data={**typed, "rating": "Sai",
                                                                      "rebuttal": "Không đúng [4]"})  # fmt: skip
    assert bad_cite.status_code == 422 and "[4]" in bad_cite.text and "Không đúng [4]</textarea>" in bad_cite.text
    assert "<option selected>Sai</option>" in bad_cite.text
    api = factchecker.put(f"/api/v1/cases/{case['id']}/verdict", json={**typed, "rebuttal": "x"})
    assert api.status_code == 422  # the service refuses a missing verdict for the API too


def test_an_invitation_offers_the_least_privileged_role_first(desk: dict[str, Any]) -> None:
    page = desk["admin"].get("/admin").text
    form = re.search(r'<form method="post" action="/admin/invites".*?</form>', page, re.S)
    assert form
    assert re.findall(r'<option value="(\w+)" ?([^>]*)>([^<]+)</option>', form.group(0)) == [
        ("admin", "", "Quản trị"), ("editor", "", "Biên tập"), ("factchecker", "", "Kiểm chứng viên"),
        ("viewer", "selected", "Người xem")]  # fmt: skip


def test_assigned_to_me_and_assigning_a_colleague_from_the_queue_and_the_case(desk: dict[str, Any]) -> None:
    factchecker, editor, people = desk["factchecker"], desk["editor"], desk["people"]
    mine = _open(editor, "Tiêm vắc-xin gây vô sinh")
    theirs = _open(editor, "Ăn tỏi sống phòng được cúm")
    me = people["factchecker"].id

    queue = editor.get("/queue").text
    row = _queue_row(queue, mine["id"])
    assert 'action="/cases/{}/assign"'.format(mine["id"]) in row and "Kiểm chứng viên Demo</option>" in row
    assert "Người xem Demo" not in row  # only people who work on cases are offered
    assigned = editor.post(
        f"/cases/{mine['id']}/assign",
        data={"assignee_id": me, "version": mine["version"], "next": "/queue?sort=oldest"},
        follow_redirects=False,
    )
    assert assigned.status_code == 303 and assigned.headers["location"] == "/queue?sort=oldest"
    assert (_case(editor, mine["id"])["assignee_id"], _case(editor, mine["id"])["status"]) == (me, "in_progress")

    filtered = factchecker.get(f"/queue?assignee_id={me}").text
    assert f'name="assignee_id" value="{me}" checked' in filtered  # the "assigned to me" box
    listed = [int(r) for r in re.findall(r'data-case="(\d+)"', filtered)]
    assert listed == [mine["id"]]
    assert f'name="assignee_id" value="{me}" >' in factchecker.get("/queue").text  # unchecked by default

    case_page = factchecker.get(f"/cases/{theirs['id']}").text
    assert f'action="/cases/{theirs["id"]}/assign"' in case_page
    version = _case(factchecker, theirs["id"])["version"]
    to_editor = factchecker.post(
        f"/cases/{theirs['id']}/assign",
        data={"assignee_id": people["editor"].id, "version": version},
        follow_redirects=False,
    )
    assert to_editor.status_code == 303 and to_editor.headers["location"] == f"/cases/{theirs['id']}"
    assert _case(factchecker, theirs["id"])["assignee"] == "Biên tập Demo"
    stale = factchecker.post(f"/cases/{theirs['id']}/assign", data={"assignee_id": me, "version": version})
    assert stale.status_code == 409
    stranger = desk["context"].account_store.user_by_email("factchecker@khac.example")
    version = _case(factchecker, theirs["id"])["version"]
    outside = factchecker.post(f"/cases/{theirs['id']}/assign", data={"assignee_id": stranger.id, "version": version})
    assert outside.status_code == 422
    assert desk["viewer"].post(f"/cases/{theirs['id']}/assign", data={"assignee_id": me}).status_code == 403
    assert desk["other"].post(f"/cases/{theirs['id']}/assign", data={"assignee_id": stranger.id}).status_code == 404
    assert 'action="/cases/' not in _queue_row(desk["viewer"].get("/queue").text, theirs["id"])
    unassigned = factchecker.post(f"/cases/{theirs['id']}/assign", data={"assignee_id": "", "version": version},
                                  follow_redirects=False)  # fmt: skip
    assert unassigned.status_code == 303 and _case(factchecker, theirs["id"])["assignee_id"] is None
    assert [e["detail"].get("assignee_id") for e in _audit(desk["admin"], "case.update")][:2] == [
        None,
        people["editor"].id,
    ]


# -- item 4: evidence removed or corrected before publication; unarchived evidence published as such ----------


def _with_evidence(client: TestClient, site: Site) -> dict[str, Any]:
    """A case with an archived URL [1], two quotes [2] [3] and a URL that cannot be archived [4]."""
    case = _open(client, "Nước chanh nóng chữa khỏi ung thư")
    path = f"/api/v1/cases/{case['id']}/evidence"
    assert client.post(path, json={"kind": "url", "url": site.url("/thong-cao")}).status_code == 201
    for quote, source in (("Ý kiến lạc đề", "một người bình luận"), ("Không có nghiên cứu nào", "Bộ Y tế")):
        assert client.post(path, json={"kind": "quote", "quote": quote, "source": source}).status_code == 201
    assert client.post(path, json={"kind": "url", "url": site.url("/khong-co")}).status_code == 201
    archived = wait_archived(client, case["id"])
    assert [(e["kind"], e["archived"]) for e in archived["evidence"]] == [
        ("url", True), ("quote", False), ("quote", False), ("url", False)]  # fmt: skip
    return archived


def _draft(client: TestClient, case: dict[str, Any], rebuttal: str) -> dict[str, Any]:
    drafted = client.put(f"/api/v1/cases/{case['id']}/verdict", json={
        "version": case["version"], "rating": "Sai", "rebuttal": rebuttal, "second_review": False})  # fmt: skip
    assert drafted.status_code == 200, drafted.text
    result: dict[str, Any] = drafted.json()
    return result


def test_evidence_is_removed_or_corrected_before_publication_and_each_change_is_audited(
    desk: dict[str, Any], site: Site
) -> None:
    factchecker, admin = desk["factchecker"], desk["admin"]
    case = _draft(factchecker, _with_evidence(factchecker, site), "Bộ Y tế nói không [1] [3].\nNguồn gốc [4].")
    evidence = {e["n"]: e for e in case["evidence"]}

    removed = factchecker.post(
        f"/cases/{case['id']}/evidence/{evidence[2]['id']}/remove",
        data={"version": case["version"], "reason": "lạc đề"},
        follow_redirects=False,
    )
    assert removed.status_code == 303, removed.text
    case = _case(factchecker, case["id"])
    assert [e["id"] for e in case["evidence"]] == [evidence[n]["id"] for n in (1, 3, 4)]
    assert [s["cites"] for s in case["rebuttal"]] == [[1, 2], [3]]  # the rebuttal's numbers follow
    page = factchecker.get(f"/cases/{case['id']}").text
    assert 'href="#evidence-2">[2]</a>' in page and "#evidence-4" not in page
    entry = _audit(admin, "evidence.remove")[0]
    assert entry["object_id"] == str(case["id"]) and entry["detail"]["reason"] == "lạc đề"
    assert entry["detail"]["was"] == {"kind": "quote", "title": "một người bình luận", "quote": "Ý kiến lạc đề",
                                      "source": "một người bình luận", "archived": False}  # fmt: skip

    cited = factchecker.delete(f"/api/v1/cases/{case['id']}/evidence/{evidence[1]['id']}",
                               params={"version": case["version"]})  # fmt: skip
    assert cited.status_code == 422 and "cites this evidence as [1]" in cited.json()["error"]
    corrected = factchecker.patch(f"/api/v1/cases/{case['id']}/evidence/{evidence[3]['id']}", json={
        "version": case["version"], "quote": "Chưa có nghiên cứu nào", "source": "Bộ Y tế, thông cáo",
        "reason": "trích sai"})  # fmt: skip
    assert corrected.status_code == 200, corrected.text
    case = corrected.json()
    assert (case["evidence"][1]["quote"], case["evidence"][1]["source"]) == ("Chưa có nghiên cứu nào",
                                                                             "Bộ Y tế, thông cáo")  # fmt: skip
    entry = _audit(admin, "evidence.correct")[0]
    assert entry["detail"]["was"]["quote"] == "Không có nghiên cứu nào" and entry["detail"]["reason"] == "trích sai"
    assert entry["detail"]["now"]["quote"] == "Chưa có nghiên cứu nào" and entry["detail"]["published"] is False

    stale = factchecker.patch(f"/api/v1/cases/{case['id']}/evidence/{evidence[3]['id']}",
                              json={"version": case["version"] - 1, "quote": "x", "source": "y"})  # fmt: skip
    assert stale.status_code == 409
    empty = factchecker.patch(f"/api/v1/cases/{case['id']}/evidence/{evidence[3]['id']}",
                              json={"version": case["version"], "quote": " ", "source": "y"})  # fmt: skip
    assert empty.status_code == 422
    path = f"/cases/{case['id']}/evidence/{evidence[4]['id']}"
    assert desk["viewer"].post(f"{path}/remove", data={"version": case["version"]}).status_code == 403
    assert desk["other"].post(f"{path}/remove", data={"version": case["version"]}).status_code == 404
    assert desk["other"].delete(f"/api/v1{path}").status_code == 404
    assert factchecker.post(f"/cases/{case['id']}/evidence/999999/remove").status_code == 404
    assert len(_case(factchecker, case["id"])["evidence"]) == 3  # nothing changed by the refused requests


def _public_evidence(page: str) -> list[str]:
    listed = re.search(r'<ol class="evidence">(.*?)</ol>', page, re.S)
    assert listed
    return re.findall(r'<li id="evidence-\d+">(.*?)</li>', listed.group(1), re.S)


def test_unarchived_evidence_is_published_as_not_archived_and_later_changes_need_a_correction(
    desk: dict[str, Any], site: Site
) -> None:
    editor, admin = desk["editor"], desk["admin"]
    case = _draft(editor, _with_evidence(editor, site), "Bộ Y tế nói không [1] [3].\nNguồn gốc [4].")
    published = editor.post(f"/api/v1/cases/{case['id']}/publish", json={"version": case["version"]})
    assert published.status_code == 200, published.text
    factcheck = f"/factchecks/{published.json()['factcheck_id']}"
    public = _public_evidence(editor.get(factcheck).text)
    assert len(public) == 4 and "không lưu được bản sao" not in public[0]  # archived: no label
    assert site.url("/khong-co") in public[3] and "(không lưu được bản sao — đọc tại nguồn)" in public[3]
    assert "not archived — read at the source" in _public_evidence(editor.get(f"{factcheck}?lang=en").text)[3]
    assert "không lưu được bản sao" not in public[1]  # a quote is not a page to archive

    site.routes["/thong-cao-2"] = Route(article_page("Bộ Y tế cảnh báo tin giả", [
        "Bộ Y tế cảnh báo thông tin nước chanh nóng chữa khỏi ung thư là sai sự thật.",
        "Người dân nên tìm đến các cơ sở y tế để được tư vấn và điều trị đúng cách.",
    ]))  # fmt: skip
    case = _case(editor, case["id"])
    evidence = [e["id"] for e in case["evidence"]]
    assert editor.delete(f"/api/v1/cases/{case['id']}/evidence/{evidence[1]}").status_code == 200
    case = _case(editor, case["id"])
    fixed = editor.post(
        f"/cases/{case['id']}/evidence/{evidence[3]}/correct",
        data={"version": case["version"], "url": site.url("/thong-cao-2")},
        follow_redirects=False,
    )
    assert fixed.status_code == 303, fixed.text
    case = wait_archived(editor, case["id"])
    assert [e["archived"] for e in case["evidence"]] == [True, False, True]
    assert case["status"] == "published" and [s["cites"] for s in case["rebuttal"]] == [[1, 2], [3]]
    assert (
        "thay đổi bằng chứng chỉ hiện công khai khi bạn đăng bản đính chính"
        in editor.get(f"/cases/{case['id']}?lang=vi").text
    )
    assert [e["detail"]["published"] for e in _audit(admin, "evidence.correct")] == [True]
    assert len(_public_evidence(editor.get(factcheck).text)) == 4  # the public page waits for the correction

    silent = editor.post(f"/api/v1/cases/{case['id']}/publish", json={"version": case["version"]})
    assert silent.status_code == 422  # a correction needs its note (what the product does for corrections)
    corrected = editor.post(
        f"/api/v1/cases/{case['id']}/publish",
        json={"version": case["version"], "note": "Bỏ một trích dẫn lạc đề, thay nguồn [3]."},
    )
    assert corrected.status_code == 200 and corrected.json()["factcheck_version"] == 2
    page = editor.get(factcheck).text
    public = _public_evidence(page)
    assert len(public) == 3 and "Bộ Y tế cảnh báo tin giả" in public[2] and "không lưu được bản sao" not in page
    assert "Bỏ một trích dẫn lạc đề, thay nguồn [3]." in page


def test_changing_signed_off_evidence_asks_for_a_new_sign_off(desk: dict[str, Any], site: Site) -> None:
    """A second reviewer signed off the verdict with the evidence as it was; a change to that evidence needs
    their (or another editor's) look again before it can be published."""
    factchecker, editor = desk["factchecker"], desk["editor"]
    case = _with_evidence(factchecker, site)
    drafted = factchecker.put(f"/api/v1/cases/{case['id']}/verdict", json={
        "version": case["version"], "rating": "Sai", "rebuttal": "Bộ Y tế nói không [1] [3].",
        "second_review": True})  # fmt: skip
    assert drafted.status_code == 200, drafted.text
    signed = editor.post(f"/api/v1/cases/{case['id']}/signoff", json={"version": drafted.json()["version"]})
    assert signed.status_code == 200, signed.text
    assert signed.json()["signed_off"] is True
    evidence = [e["id"] for e in signed.json()["evidence"]]
    corrected = factchecker.patch(f"/api/v1/cases/{case['id']}/evidence/{evidence[2]}", json={
        "version": signed.json()["version"], "quote": "Chưa có nghiên cứu nào", "source": "Bộ Y tế"})  # fmt: skip
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["signed_off"] is False
    refused = editor.post(f"/api/v1/cases/{case['id']}/publish", json={"version": corrected.json()["version"]})
    assert refused.status_code in (403, 409, 422) and "sign" in refused.text.lower()
