"""Narratives end to end, on SQLite and PostgreSQL: posts imported through the pipeline are grouped by their
published time, exported by the contract, merged, split, re-clustered; the API and pages are organisation-
scoped, CSRF-protected and audited."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from kiemchung.app_context import AppContext
from kiemchung.cli import cli
from kiemchung.demo import DEMO_ORGANISATION, DEMO_PASSWORD, set_up_demo
from kiemchung.settings import Settings
from tests.integration.test_workbench import _client

LEMON = [
    "Uống nước chanh nóng mỗi sáng chữa khỏi ung thư giai đoạn cuối chỉ sau 3 tuần.",
    "Bác sĩ xác nhận nước chanh nóng uống mỗi sáng chữa khỏi ung thư giai đoạn cuối sau 3 tuần.",
    "Nuoc chanh nong uong moi sang chua khoi ung thu giai doan cuoi sau 3 tuan, bac si xac nhan!",
]
EXAM = [
    "Bộ Giáo dục bỏ kỳ thi tốt nghiệp trung học phổ thông từ năm 2027.",
    "Từ năm 2027 Bộ Giáo dục sẽ bỏ kỳ thi tốt nghiệp trung học phổ thông.",
]
NOTHING = "Chúc mọi người buổi sáng vui vẻ nhé!"


def _cli(settings: Settings, database_url: str, *args: str) -> Any:
    env = {"KIEMCHUNG_EMBEDDER": "hashing", "KIEMCHUNG_DATABASE_URL": database_url}
    return CliRunner().invoke(cli, ["--data-dir", str(settings.data_dir), *args], env=env, catch_exceptions=False)


def _import(settings: Settings, database_url: str, tmp_path: Path) -> None:
    rows = [
        {"id": f"chanh-{i}", "text": text, "published": f"2026-03-0{i + 2}T0{i}:15:00+07:00"}
        for i, text in enumerate(LEMON)
    ]
    rows += [
        {"id": f"thi-{i}", "text": text, "published": f"2026-03-01T1{i}:00:00+00:00"} for i, text in enumerate(EXAM)
    ]
    rows.append({"id": "chao", "text": NOTHING, "published": "2026-03-01T06:00:00+00:00"})
    path = tmp_path / "posts.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    result = _cli(settings, database_url, "posts", "import", str(path))
    assert result.exit_code == 0, result.output


def _export(settings: Settings, database_url: str) -> list[dict[str, Any]]:
    result = _cli(settings, database_url, "narratives", "export", "--format", "jsonl")
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines()]


def test_imported_posts_are_grouped_by_published_time_and_exported_by_the_contract(
    app_context: AppContext, settings: Settings, database_url: str, tmp_path: Path
) -> None:
    _import(settings, database_url, tmp_path)
    lines = _export(settings, database_url)
    assert all(list(line) == ["id", "label", "post_ids", "factcheck_ids", "first_seen", "last_seen", "bursts"]
               for line in lines)  # fmt: skip
    by_post = {post: line for line in lines for post in line["post_ids"]}
    assert sorted(by_post) == ["chanh-0", "chanh-1", "chanh-2", "thi-0", "thi-1"]  # "chao" is about nothing
    assert sum(len(line["post_ids"]) for line in lines) == 5  # each post in exactly one narrative
    lemon, exam = by_post["chanh-0"], by_post["thi-0"]
    assert lemon is not exam and by_post["chanh-2"] is lemon and by_post["thi-1"] is exam
    assert lemon["label"] in LEMON and lemon["bursts"] == [] and lemon["factcheck_ids"] == []
    assert lemon["first_seen"] == "2026-03-01T17:15:00+00:00"  # published times, not the import time
    assert lemon["last_seen"] == "2026-03-03T19:15:00+00:00"
    assert exam["first_seen"] == "2026-03-01T10:00:00+00:00"


def test_merge_split_and_recluster_keep_what_editors_did(
    app_context: AppContext, settings: Settings, database_url: str, tmp_path: Path
) -> None:
    _import(settings, database_url, tmp_path)
    numbers = {post: line["id"] for line in _export(settings, database_url) for post in line["post_ids"]}
    lemon, exam = numbers["chanh-0"], numbers["thi-0"]
    listed = _cli(settings, database_url, "narratives", "list").output.splitlines()
    assert [int(row.split("\t")[0]) for row in listed] == [lemon, exam]  # the largest first

    merged = _cli(settings, database_url, "narratives", "merge", str(lemon), str(exam))
    assert merged.exit_code == 0 and len(json.loads(merged.output)["post_ids"]) == 5
    assert [line["id"] for line in _export(settings, database_url)] == [lemon]
    gone = _cli(settings, database_url, "narratives", "show", str(exam))
    assert gone.exit_code == 2 and f"no narrative {exam}" in gone.output

    split = _cli(settings, database_url, "narratives", "split", str(lemon), "--posts", "thi-0,thi-1")
    created = json.loads(split.output)
    assert sorted(created["post_ids"]) == ["thi-0", "thi-1"] and created["id"] not in (lemon, exam)
    refused = _cli(settings, database_url, "narratives", "split", str(lemon), "--posts", "chao")
    assert refused.exit_code == 2 and "chao" in refused.output

    before = {line["id"]: sorted(line["post_ids"]) for line in _export(settings, database_url)}
    again = _cli(settings, database_url, "narratives", "recluster")
    assert again.exit_code == 0 and "moved 0" in again.output, again.output
    assert {line["id"]: sorted(line["post_ids"]) for line in _export(settings, database_url)} == before
    actions = [e.action for e in app_context.audit.entries(None) if e.object_type == "narrative"]
    assert {"narrative.merge", "narrative.split", "narrative.recluster"} <= set(actions)


def test_recluster_groups_again_and_keeps_numbers(
    app_context: AppContext, settings: Settings, database_url: str, tmp_path: Path
) -> None:
    _import(settings, database_url, tmp_path)
    first = {line["id"]: sorted(line["post_ids"]) for line in _export(settings, database_url)}
    coarse = _cli(settings, database_url, "narratives", "recluster")
    assert coarse.exit_code == 0
    assert {line["id"]: sorted(line["post_ids"]) for line in _export(settings, database_url)} == first
    env = {"KIEMCHUNG_EMBEDDER": "hashing", "KIEMCHUNG_DATABASE_URL": database_url,
           "KIEMCHUNG_NARRATIVE_REGROUP_DISTANCE": "1.0"}  # fmt: skip
    merged = CliRunner().invoke(cli, ["--data-dir", str(settings.data_dir), "narratives", "recluster"], env=env)
    assert merged.exit_code == 0, merged.output
    lines = _export(settings, database_url)
    assert len(lines) == 1 and lines[0]["id"] in first and len(lines[0]["post_ids"]) == 5


def test_the_desk_sees_its_narratives_editors_change_them_other_organisations_do_not(
    app_context: AppContext,
) -> None:
    set_up_demo(app_context)
    app_context.cases.intake()
    factchecker = _client(app_context, "factchecker@demo.kiemchung")
    editor = _client(app_context, "editor@demo.kiemchung")
    listed = editor.get("/api/v1/narratives").json()
    details = {n["id"]: editor.get(f"/api/v1/narratives/{n['id']}").json() for n in listed}
    lemon = next(d for d in details.values() if "post-1" in d["post_ids"])
    assert lemon["factchecks"], lemon  # the same-claim decision put the post with the fact-check it repeats
    assert 'class="tag narrative-verdict"' in factchecker.get("/queue").text  # the verdict the narrative carries

    number = lemon["id"]
    assert factchecker.post(f"/api/v1/narratives/{number}/rename", json={"label": "x"}).status_code == 403
    renamed = editor.post(f"/api/v1/narratives/{number}/rename", json={"label": "Nước chanh chữa ung thư"})
    assert renamed.status_code == 200 and renamed.json()["label"] == "Nước chanh chữa ung thư"
    page = editor.get(f"/narratives/{number}")
    assert page.status_code == 200 and "Nước chanh chữa ung thư" in page.text and 'action="/narratives/' in page.text
    assert "Nước chanh chữa ung thư" in editor.get("/narratives").text
    no_csrf = editor.post(f"/narratives/{number}/risk", data={"risk_level": "high"}, headers={"X-CSRF-Token": ""})
    assert no_csrf.status_code == 403
    risk = editor.post(f"/narratives/{number}/risk", data={"risk_level": "high"}, follow_redirects=False)
    assert risk.status_code == 303
    fingerprint = editor.get(f"/api/v1/narratives/{number}/fingerprint").json()
    assert fingerprint["risk_level"] == "high" and fingerprint["label"] == "Nước chanh chữa ung thư"
    assert set(fingerprint) >= {"variants", "languages", "first_seen", "last_seen", "counts", "factchecks"}
    organisation = app_context.organisations.by_name(DEMO_ORGANISATION)
    assert organisation is not None
    actions = [e.action for e in app_context.audit.entries(organisation.id) if e.object_type == "narrative"]
    assert {"narrative.rename", "narrative.risk"} <= set(actions)

    app_context.accounts.create_user("Đơn vị Khác", "editor@khac.example", "E", "editor", DEMO_PASSWORD)
    other = _client(app_context, "editor@khac.example")
    assert other.get("/api/v1/narratives").json() == []
    assert other.get(f"/api/v1/narratives/{number}").status_code == 404
    assert other.get(f"/narratives/{number}").status_code == 404
    assert other.post(f"/api/v1/narratives/{number}/rename", json={"label": "bị đổi"}).status_code == 404
    assert other.post(f"/api/v1/narratives/{number}/merge", json={"source": number}).status_code in (404, 422)
    assert other.get("/api/v1/narratives.jsonl").text == ""
    assert editor.get(f"/api/v1/narratives/{number}").json()["label"] == "Nước chanh chữa ung thư"


def test_a_partner_reading_a_shared_case_sees_none_of_the_owners_narratives(app_context: AppContext) -> None:
    set_up_demo(app_context)
    app_context.cases.intake()
    app_context.accounts.create_user("Báo Đối Tác", "viewer@doitac.example", "Đối tác", "viewer", DEMO_PASSWORD)
    editor = _client(app_context, "editor@demo.kiemchung")
    partner = _client(app_context, "viewer@doitac.example")
    queue = editor.get("/api/v1/cases").json()["items"]
    for case in queue:
        assert editor.post(f"/api/v1/cases/{case['id']}/shares", json={"organisation": "Báo Đối Tác"}).status_code in (
            200, 201)  # fmt: skip
    assert 'class="tag narrative-verdict"' in editor.get("/queue").text
    page = partner.get("/queue").text
    assert all(f'data-case="{case["id"]}"' in page for case in queue)  # the shared cases are listed ...
    assert 'class="tag narrative-verdict"' not in page  # ... without the owner's narratives and their verdicts
