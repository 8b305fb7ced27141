"""Operations on both databases: /metrics parses as Prometheus text and its numbers move after an import;
it answers loopback or the metrics token only and holds no content; /healthz says degraded, with reasons,
for failing sources and a stuck pipeline; JSON logs are one object per line."""

from __future__ import annotations

import json
import logging
import re
import signal
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from kiemchung.app_context import AppContext
from kiemchung.demo import DEMO_FACTCHECKS, set_up_demo
from kiemchung.services.metrics import HealthCheck
from kiemchung.settings import Settings
from kiemchung.store.operations import OperationsStore
from kiemchung.store.schema import inbox
from kiemchung.web.app import create_app

TOKEN = "metrics-secret-for-tests"
SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)')
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse_exposition(body: str) -> tuple[dict[str, str], Samples]:
    """A strict little parser of the Prometheus text format: (family → type, (name, labels) → value)."""
    types: dict[str, str] = {}
    samples: Samples = {}
    for line in body.splitlines():
        if line.startswith("# TYPE "):
            name, kind = line[7:].split(" ")
            assert name not in types and kind in {"counter", "gauge", "histogram", "summary"}, line
            types[name] = kind
            continue
        if line.startswith("# HELP ") or not line:
            continue
        found = SAMPLE.match(line)
        assert found, f"not a sample line: {line!r}"
        name, raw_labels, value = found.groups()
        family = re.sub(r"_(bucket|sum|count)$", "", name) if name not in types else name
        assert family in types, f"{name} has no TYPE line before it"
        labels = frozenset(LABEL.findall(raw_labels or ""))
        assert (name, labels) not in samples, f"duplicate sample {line!r}"
        samples[(name, labels)] = float(value)
    return types, samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def check_histogram(samples: Samples, name: str) -> None:
    buckets = sorted((float(dict(labels)["le"]), v) for (n, labels), v in samples.items() if n == f"{name}_bucket")
    counts = [v for _, v in buckets]
    assert counts == sorted(counts) and buckets[-1][0] == float("inf")
    assert buckets[-1][1] == value(samples, f"{name}_count")


@pytest.fixture
def ops(settings: Settings, database_url: str) -> Iterator[AppContext]:
    with socket.socket() as closed:  # a webhook on a port nobody listens on: every delivery fails
        closed.bind(("127.0.0.1", 0))
        webhook = f"http://127.0.0.1:{closed.getsockname()[1]}/hook"
    overrides = {"database_url": database_url, "metrics_token": TOKEN, "webhook_url": webhook}
    context = AppContext(settings.with_overrides(**overrides))
    context.database.migrate()
    yield context
    context.close()


def _metrics(client: TestClient) -> Samples:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain; version=0.0.4")
    types, samples = parse_exposition(response.text)
    assert types["kiemchung_matching_seconds"] == "histogram"
    check_histogram(samples, "kiemchung_matching_seconds")
    return samples


def _posts_file(tmp_path: Path) -> Path:
    published = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    lines = [
        {"id": "p-1", "text": "Uống nước chanh nóng mỗi sáng chữa khỏi ung thư.", "published": published},
        {"id": "p-2", "text": "Chiều nay Hà Nội mưa lớn, nhiều tuyến phố ùn tắc.", "published": published},
    ]
    path = tmp_path / "posts.jsonl"
    path.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines), encoding="utf-8")
    return path


def test_metrics_parse_and_move_after_an_import(ops: AppContext, tmp_path: Path) -> None:
    client = TestClient(create_app(ops.settings, ops))
    before = _metrics(client)
    assert value(before, "kiemchung_stage_items_total", stage="stored") == 0
    assert value(before, "kiemchung_matching_seconds_count") == 0

    set_up_demo(ops)
    source = ops.sources.ensure("import", "file-posts", None)
    ops.collector.import_path(source, _posts_file(tmp_path))
    ops.monitor.drain()
    after = _metrics(client)
    stored = value(after, "kiemchung_stage_items_total", stage="stored")
    assert value(after, "kiemchung_stage_items_total", stage="collected") == 8
    assert stored >= 2 and stored == value(after, "kiemchung_inbox_items", state="done")
    assert value(after, "kiemchung_inbox_items", state="pending") == 0
    settled = sum(value(after, "kiemchung_inbox_items", state=s) for s in ("done", "duplicate", "rejected"))
    assert settled == 8
    assert value(after, "kiemchung_matching_seconds_count") >= 1
    assert value(after, "kiemchung_publication_to_storage_seconds_count") >= 1
    assert 7000 < value(after, "kiemchung_publication_to_storage_seconds", quantile="0.5") < 7400
    assert value(after, "kiemchung_source_last_success_timestamp_seconds", source="file-posts", kind="import") > 0
    assert value(after, "kiemchung_source_consecutive_failures", source="file-posts", kind="import") == 0

    assert ("kiemchung_alert_delivery_failures_total", frozenset({("channel", "webhook")})) not in after
    ops.dispatcher.deliver_due(force=True)  # the demo's repeats are owed to the webhook, which is down
    failed = _metrics(client)
    assert value(failed, "kiemchung_alert_delivery_failures_total", channel="webhook") == 1
    assert value(failed, "kiemchung_alert_channel_failing", channel="webhook") == 1

    body = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    claims = [json.loads(line)["claim"] for line in DEMO_FACTCHECKS.read_text(encoding="utf-8").splitlines()[:5]]
    assert not any(claim[:30] in body for claim in claims) and "chanh" not in body and "@demo" not in body


def test_metrics_answer_the_token_or_direct_loopback_only(ops: AppContext) -> None:
    with_token = TestClient(create_app(ops.settings, ops), client=("127.0.0.1", 40000))
    assert with_token.get("/metrics").status_code == 401  # a token is set: loopback is not enough
    assert with_token.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert with_token.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200

    open_settings = ops.settings.with_overrides(metrics_token="")
    ops.settings = open_settings
    loopback = TestClient(create_app(open_settings, ops), client=("127.0.0.1", 40000))
    assert loopback.get("/metrics").status_code == 200
    assert loopback.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 403
    remote = TestClient(create_app(open_settings, ops), client=("203.0.113.9", 40000))
    assert remote.get("/metrics").status_code == 403


def test_healthz_reports_failing_sources_and_a_stuck_pipeline(ops: AppContext, tmp_path: Path) -> None:
    ops.health = HealthCheck(ops.settings, OperationsStore(ops.database), max_age_s=0.0)  # no caching here
    client = TestClient(create_app(ops.settings, ops))
    assert client.get("/healthz").json() == {"status": "ok", "version": client.get("/healthz").json()["version"]}

    source = ops.sources.ensure("import", "file-posts", None)
    ops.collector.import_path(source, _posts_file(tmp_path))  # into the inbox, not processed
    assert client.get("/healthz").json()["status"] == "ok"  # items waiting a moment are not a stuck pipeline
    with ops.database.write() as connection:
        connection.execute(update(inbox).values(received_at=datetime.now(UTC) - timedelta(minutes=45)))
    ops.source_store.update(source.id, failures=ops.settings.health_source_failures)

    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.json()["status"] == "degraded"
    reasons = answer.json()["reasons"]
    assert any("1 source(s) failed 3 or more fetches" in r for r in reasons)
    assert any(re.search(r"pipeline stuck: an inbox item has waited 4[5-9] minutes", r) for r in reasons)
    assert "file-posts" not in answer.text  # public: counts and ages, no names

    ops.monitor.drain()
    ops.source_store.update(source.id, failures=0)
    assert client.get("/healthz").json()["status"] == "ok"


def test_json_logs_are_one_object_per_line(capsys: pytest.CaptureFixture[str]) -> None:
    from kiemchung.logs import configure_logging

    configure_logging("json", stream=None)
    logging.getLogger("kiemchung.test").warning("fetch failed: %s", "timeout", extra={"source": "vnexpress"})
    logging.getLogger("kiemchung.test").info("ünïcode ✓")
    lines = [line for line in capsys.readouterr().err.splitlines() if line]
    records = [json.loads(line) for line in lines]
    assert records[0]["level"] == "WARNING" and records[0]["logger"] == "kiemchung.test"
    assert records[0]["message"] == "fetch failed: timeout" and records[0]["source"] == "vnexpress"
    assert datetime.fromisoformat(records[0]["time"]).tzinfo is not None
    assert records[1]["message"] == "ünïcode ✓"
    configure_logging("text", stream=None)


def test_sigterm_stops_run_after_the_batch_in_hand(app_context: AppContext, database_url: str, tmp_path: Path) -> None:
    """SIGTERM mid-ingest: `kiemchung run` stops within the join timeout and exits 0; stored posts and settled
    inbox items agree (no batch half-written), and what it did not reach waits in the inbox."""
    from tests.integration.test_crash_safety import _run, _text

    drop = tmp_path / "drop"
    app_context.sources.add("folder", "drop", str(drop), interval_s=5)
    rows = [{"id": f"f{n}", "text": _text(n)} for n in range(1500)]
    (drop / "posts.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    process = _run(app_context.settings.data_dir, database_url, "run", "--status-every", "0.5")
    deadline = time.monotonic() + 120
    while app_context.post_store.count() == 0 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.2)
    assert process.poll() is None and app_context.post_store.count() > 0
    process.send_signal(signal.SIGTERM)
    _, error = process.communicate(timeout=90)
    assert process.returncode == 0, error.decode()

    counts = app_context.inbox.counts()
    assert counts["done"] == app_context.post_store.count() > 0  # every stored post's item settled with it
    assert counts["pending"] > 0  # stopped before the end: the rest waits for the next start
