"""Archive import and export against a real database (SQLite file and PostgreSQL server)."""

import io
import json
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from kiemchung.app_context import AppContext
from kiemchung.demo import DEMO_FACTCHECKS
from kiemchung.domain.imports import derived_id
from kiemchung.services.archive import export_factchecks, import_files
from kiemchung.store.schema import metadata

GOOD_AND_BAD = "\n".join(
    [
        json.dumps({"id": "a1", "claim": "Tin đồn về vắc-xin gây vô sinh", "rating": "Sai", "published": "2026-01-02"}),
        "{not json",
        json.dumps({"id": "a2", "claim": "Giá điện tăng 50% từ tháng sau", "rating": "Gây hiểu lầm"}),
        json.dumps({"id": "a3", "rating": "Sai"}),
        "",
        json.dumps({"id": "a4", "claim": "Ngày mai nghỉ lễ", "rating": "Đúng", "published": "mai"}),
        json.dumps({"id": "a5", "claim": "Hoà bình lập lại", "rating": "Đúng", "language": "vi"}),
    ]
)


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_migrations_create_exactly_the_declared_schema(app_context: AppContext) -> None:
    assert app_context.database.is_current()
    with app_context.database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_good_lines_import_and_each_bad_line_is_reported(app_context: AppContext, tmp_path: Path) -> None:
    path = write(tmp_path, "mixed.jsonl", GOOD_AND_BAD)
    report = import_files(app_context.factcheck_store, [path])
    assert report.imported == 3
    assert [(e.line, e.reason.split(":")[0]) for e in report.rejected] == [
        (2, "invalid JSON"),
        (4, "missing required field 'claim'"),
        (6, "unreadable date 'mai' (expected YYYY-MM-DD)"),
    ]
    assert all(e.source == str(path) for e in report.rejected)
    again = import_files(app_context.factcheck_store, [path])
    assert again.imported == 3 and app_context.factcheck_store.count() == 3


def test_importing_an_id_again_updates_it(app_context: AppContext, tmp_path: Path) -> None:
    store = app_context.factcheck_store
    import_files(store, [write(tmp_path, "v1.jsonl", json.dumps({"id": "x", "claim": "cũ", "rating": "Sai"}))])
    import_files(store, [write(tmp_path, "v2.jsonl", json.dumps({"id": "x", "claim": "mới", "rating": "Đúng"}))])
    fc = store.get("x")
    assert store.count() == 1 and fc is not None and fc.claim == "mới" and fc.rating.label == "Đúng"


def test_csv_with_the_same_columns(app_context: AppContext, tmp_path: Path) -> None:
    csv_text = 'id,claim,rating,url,published\nc1,"Giá xăng giảm, theo tin đồn",Sai,https://x.example/1,2026-02-02\nc2,,Sai,,\n'
    report = import_files(app_context.factcheck_store, [write(tmp_path, "a.csv", csv_text)])
    assert report.imported == 1 and [(e.line, e.reason) for e in report.rejected] == [
        (3, "missing required field 'claim'")
    ]


def test_invalid_utf8_line_is_rejected_and_the_rest_imported(app_context: AppContext, tmp_path: Path) -> None:
    content = b'{"id":"u1","claim":"ok","rating":"Sai"}\n\xff\xfe bad\n{"id":"u2","claim":"ok 2","rating":"Sai"}\n'
    report = import_files(app_context.factcheck_store, [write(tmp_path, "enc.jsonl", content)])
    assert report.imported == 2 and [(e.line, e.reason) for e in report.rejected] == [(2, "not valid UTF-8")]


def test_claimreview_round_trip_through_the_database(app_context: AppContext, tmp_path: Path) -> None:
    store = app_context.factcheck_store
    source = {
        "@context": "https://schema.org",
        "@graph": [
            {
                "@type": "ClaimReview",
                "url": "https://example.org/fc/9",
                "claimReviewed": "Sóng 5G lây virus",
                "datePublished": "2025-11-30",
                "author": {"@type": "Organization", "name": "Nhóm A"},
                "reviewRating": {
                    "@type": "Rating",
                    "ratingValue": "1",
                    "bestRating": "5",
                    "worstRating": "1",
                    "alternateName": "Sai",
                },
                "itemReviewed": {
                    "@type": "Claim",
                    "author": {"@type": "Person", "name": "Một trang tin"},
                    "datePublished": "2025-11-01",
                    "appearance": [{"@type": "CreativeWork", "url": "https://x.example/p"}],
                    "firstAppearance": {"@type": "CreativeWork", "url": "https://x.example/p"},
                },
            },
            {"@type": "WebSite", "name": "ignored"},
        ],
    }
    html = f'<html><head><script type="application/ld+json">{json.dumps(source)}</script></head></html>'
    assert import_files(store, [write(tmp_path, "page.html", html)]).imported == 1
    first = store.get(derived_id("https://example.org/fc/9"))  # no identifier: a URL-safe id from its url
    out = io.StringIO()
    export_factchecks(store, out, "claimreview")
    exported = write(tmp_path, "out.json", out.getvalue())
    assert import_files(store, [exported]).ok
    assert store.count() == 1 and store.get(derived_id("https://example.org/fc/9")) == first
    assert first is not None and first.rating.value == 1 and first.claim_author == "Một trang tin"
    assert first.url == "https://example.org/fc/9"


def test_jsonl_export_round_trip(app_context: AppContext, tmp_path: Path) -> None:
    store = app_context.factcheck_store
    import_files(store, [DEMO_FACTCHECKS])
    out = io.StringIO()
    assert export_factchecks(store, out, "jsonl") == 12
    before = {fc.id: fc for fc in store.iter_all()}
    import_files(store, [write(tmp_path, "again.jsonl", out.getvalue())])
    assert {fc.id: fc for fc in store.iter_all()} == before


def test_search_ignores_diacritics_and_case(app_context: AppContext) -> None:
    import_files(app_context.factcheck_store, [DEMO_FACTCHECKS])
    found = app_context.factcheck_store.page(query="nuoc chanh")
    assert [fc.id for fc in found.items] == ["demo-001"]


def test_a_failing_batch_leaves_nothing_half_written(app_context: AppContext, monkeypatch: pytest.MonkeyPatch) -> None:
    from kiemchung.domain.models import FactCheck, Rating

    store = app_context.factcheck_store
    good = FactCheck(id="ok", claim="x", rating=Rating("Sai"))
    broken = FactCheck(id="broken", claim="y", rating=Rating("Sai"), appearances=(object(),))  # type: ignore[arg-type]
    with pytest.raises(Exception):  # noqa: B017 - any serialisation error
        store.upsert_many([good, broken])
    assert store.count() == 0
