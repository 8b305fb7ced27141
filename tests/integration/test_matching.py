"""The matching contract from the service, the CLI and the API, over a real database.

The embedder here is the in-package hashing fake (instant); the decision is the shipped artifact.
"""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from kiemchung.app_context import AppContext
from kiemchung.cli import cli
from kiemchung.demo import DEMO_FACTCHECKS
from kiemchung.services.archive import import_files
from kiemchung.web.app import create_app


@pytest.fixture
def demo(app_context: AppContext) -> AppContext:
    import_files(app_context.factcheck_store, [DEMO_FACTCHECKS])
    return app_context


@pytest.mark.xfail(
    strict=True,
    reason="known gap (issue: same claim on real language): a near-copy of a short claim with one word changed "
    "(giúp → sẽ) scores like a one-fact contradiction (0.59 < 0.87)",
)
def test_a_near_copy_of_a_short_claim_matches(demo: AppContext) -> None:
    answer = demo.matching.match_posts([(1, "Uống nước chanh nóng mỗi sáng sẽ chữa khỏi bệnh ung thư")])[0]
    assert answer.matched and answer.matches[0].factcheck_id == "demo-001"


def test_rewritten_repeats_match_and_unrelated_posts_do_not(demo: AppContext) -> None:
    posts = [
        ("diacritics", "Uống nước chanh nóng mỗi sáng giúp chữa khỏi bệnh ung thư, mọi người ạ"),
        ("social", "ae oi uong nuoc chanh nong moi sang la chua khoi ung thu nhe"),
        ("unrelated", "Chiều nay Hà Nội mưa lớn, nhiều tuyến phố ùn tắc kéo dài."),
    ]
    results = {r.id: r for r in demo.matching.match_posts(posts)}
    assert results["diacritics"].matched and results["diacritics"].matches[0].factcheck_id == "demo-001"
    assert results["social"].matches[0].factcheck_id == "demo-001"
    assert not results["unrelated"].matched
    assert all(0.0 <= m.score <= 1.0 for r in results.values() for m in r.matches)


def test_long_post_reports_the_sentence_that_matched(demo: AppContext) -> None:
    post = (
        "Hôm nay trời đẹp. Giá vàng trong nước đi ngang. "
        "Ngân hàng Nhà nước phát hành tờ tiền mệnh giá 1 triệu đồng từ tháng 7. Mọi người nghĩ sao?"
    )
    result = demo.matching.match_posts([("long", post)])[0]
    assert result.matches[0].factcheck_id == "demo-003"
    assert "mệnh giá 1 triệu" in result.matches[0].sentence and "Giá vàng" not in result.matches[0].sentence


def test_index_follows_imports_incrementally_and_is_rebuilt_when_missing(demo: AppContext, tmp_path: Path) -> None:
    service = demo.matching
    assert len(service.index()) == 12
    built = (demo.settings.index_dir / "lexical-tf.npz").stat().st_mtime_ns
    new = tmp_path / "new.jsonl"
    new.write_text(
        json.dumps({"id": "n1", "claim": "Uống trà xanh giúp giảm cân 10 kg trong một tuần", "rating": "Sai"}),
        encoding="utf-8",
    )
    import_files(demo.factcheck_store, [new], on_batch=service.on_imported)
    assert len(service.index()) == 13
    assert service.match_posts([(1, "uong tra xanh giam can 10 kg trong 1 tuan")])[0].matches[0].factcheck_id == "n1"
    assert (demo.settings.index_dir / "lexical-tf.npz").stat().st_mtime_ns != built
    for path in demo.settings.index_dir.iterdir():
        path.unlink()
    fresh = type(service)(demo.settings, service.factchecks, service.matches, service.embedder, service.decision)
    assert len(fresh.index()) == 13


def test_bad_input_gets_an_error_per_post_and_the_rest_is_matched(demo: AppContext) -> None:
    results = demo.matching.match_posts(
        [
            (1, ""),
            (2, 42),
            (3, "x" * 1_000_001),
            (4, "\x00\x01\x02\x03" * 50),
            (5, "Sóng 5G làm lây lan virus corona"),
        ]
    )
    assert [r.error is not None for r in results] == [True, True, True, True, False]
    assert results[4].matches[0].factcheck_id == "demo-007"


def test_feedback_is_stored_and_refit_recalibrates(demo: AppContext) -> None:
    service = demo.matching
    text = "Uống nước chanh nóng mỗi sáng giúp chữa khỏi bệnh ung thư"
    stored = service.match_posts([(f"p{i}", text) for i in range(24)], store=True)
    ids = [r.matches[0].match_id for r in stored]
    assert all(isinstance(i, int) for i in ids)
    for number, match_id in enumerate(ids[:19]):
        service.feedback(match_id, accepted=number % 3 != 0)
    assert service.refit_if_reviewed() is None  # the pipeline's hook waits for enough reviews
    for number, match_id in enumerate(ids[19:], start=19):
        service.feedback(match_id, accepted=number % 3 != 0)
    with pytest.raises(Exception, match="no match"):
        service.feedback(10**9, accepted=True)
    automatic = service.refit_if_reviewed()
    assert automatic is not None and automatic.reviewed == 24
    assert service.refit_if_reviewed() is None  # nothing new since
    first = service.refit()
    assert first.reviewed == 24 and service.refit() == first == automatic  # reproducible from stored data
    assert service.recalibration_path.exists()


def test_cli_match_contract(demo: AppContext, tmp_path: Path) -> None:
    source = tmp_path / "posts.jsonl"
    source.write_text(
        '{"id": "a", "text": "Sóng điện thoại 5G làm lây lan virus corona"}\n'
        "{broken\n"
        "Ngân hàng Nhà nước phát hành tờ tiền mệnh giá 1 triệu đồng\n",
        encoding="utf-8",
    )
    options = ["--database-url", demo.settings.database_url, "--data-dir", str(demo.settings.data_dir)]
    result = CliRunner().invoke(cli, [*options, "match", str(source), "--top", "2"])
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 1 and "line 2: invalid JSON" in result.stderr
    assert lines[0]["id"] == "a" and lines[0]["matched"] and lines[0]["matches"][0]["factcheck_id"] == "demo-007"
    assert len(lines[0]["matches"]) <= 2 and set(lines[0]["matches"][0]) >= {"factcheck_id", "score", "sentence"}
    assert lines[1]["error"].startswith("invalid JSON") and lines[1]["matched"] is False
    assert lines[2]["id"] == 3 and lines[2]["matches"][0]["factcheck_id"] == "demo-003"


def test_api_match_single_and_batch(demo: AppContext) -> None:
    client = TestClient(create_app(demo.settings, demo))
    anonymous = client.post("/api/v1/match", json={"text": "Drinking hot lemon water every morning cures cancer"})
    assert anonymous.status_code == 200 and "match_id" not in anonymous.json()["matches"][0]  # nothing stored
    organisation = demo.organisations.ensure("Partner")
    _, token = demo.tokens.create(organisation.id, "partner", "partner")
    # The pushed post's case belongs to the partner's organisation (its source's): its desk reviews the match.
    factchecker = demo.accounts.create_user("Partner", "fc@example.org", "Fact", "factchecker", "a long password")
    _, triage_token = demo.tokens.create(factchecker.organisation_id, "desk", "factchecker", factchecker.id)
    client.headers["Authorization"] = f"Bearer {token}"
    single = client.post("/api/v1/match", json={"text": "Drinking hot lemon water every morning cures cancer"})
    assert single.status_code == 200
    body = single.json()
    assert body["matched"] and body["matches"][0]["factcheck_id"] == "demo-010"
    batch = client.post(
        "/api/v1/match", json={"posts": [{"id": 1, "text": "Sóng 5G làm lây lan virus corona"}, {"id": 2, "text": ""}]}
    ).json()
    assert batch["results"][0]["matches"][0]["factcheck_id"] == "demo-007"
    assert batch["results"][1]["error"] == "text is empty"
    assert client.post("/api/v1/match", json={"text": ""}).status_code == 422
    assert client.post("/api/v1/match", json={}).status_code == 422
    match_id = body["matches"][0]["match_id"]
    assert client.post(f"/api/v1/matches/{match_id}/feedback", json={"verdict": "reject"}).status_code == 403
    client.headers["Authorization"] = f"Bearer {triage_token}"
    assert client.post(f"/api/v1/matches/{match_id}/feedback", json={"verdict": "reject"}).status_code == 200
    assert client.post("/api/v1/matches/999999/feedback", json={"verdict": "accept"}).status_code == 404
    page = client.post("/match", data={"text": "uong nuoc chanh nong chua ung thu"})
    assert page.status_code == 200 and "demo-001" in page.text


def test_cli_match_says_which_claims_were_searched_without_dense_vectors(demo: AppContext, tmp_path: Path) -> None:
    source = tmp_path / "posts.jsonl"
    source.write_text('{"id": "a", "text": "Sóng điện thoại 5G làm lây lan virus corona"}\n', encoding="utf-8")
    options = ["--database-url", demo.settings.database_url, "--data-dir", str(demo.settings.data_dir)]
    env = {"KIEMCHUNG_EMBED_BEFORE_MATCH": "0", "KIEMCHUNG_EMBEDDER": "hashing", "KIEMCHUNG_STATIC_VECTORS": "false"}
    lexical = CliRunner().invoke(cli, [*options, "match", str(source)], env=env)
    assert lexical.exit_code == 0, lexical.output
    assert "12 of 12 archive claims have no dense vector yet and are searched lexically only" in lexical.stderr
    static = CliRunner().invoke(cli, [*options, "match", str(source)], env={**env, "KIEMCHUNG_STATIC_VECTORS": "true"})
    assert "are searched by static token vectors and by words" in static.stderr
    embedded = CliRunner().invoke(cli, [*options, "match", str(source), "--embed-all"], env=env)
    assert embedded.exit_code == 0 and "no dense vector" not in embedded.stderr
    assert json.loads(embedded.stdout.splitlines()[0])["matches"][0]["stance"] == "repeats"


def test_stance_debunks_and_questions_on_the_demo_archive(demo: AppContext) -> None:
    """The cases the issue reported on the 12-claim demo archive: a debunk is not a repeat, a hearsay
    question is, and the answer says which (CLI, API and pages share this result)."""
    posts = [
        ("debunk", "Không có chuyện uống nước chanh nóng mỗi sáng chữa khỏi ung thư, đây là tin giả."),
        ("question", "Có thật là uống nước chanh nóng mỗi sáng chữa khỏi ung thư không mọi người?"),
        ("repeat", "Uống nước chanh nóng mỗi sáng giúp chữa khỏi bệnh ung thư, chia sẻ ngay!"),
    ]
    results = {r.id: r for r in demo.matching.match_posts(posts)}
    for name in results:
        assert results[name].matches[0].factcheck_id == "demo-001", name
    assert results["debunk"].matches[0].stance == "refutes" and not results["debunk"].matched
    assert results["question"].matches[0].stance == "asks" and results["question"].matched
    assert results["repeat"].matches[0].stance == "repeats" and results["repeat"].matched
    assert results["debunk"].as_json()["matches"][0]["stance"] == "refutes"
