"""Narrative trends end to end, on SQLite and PostgreSQL (issue 12): posts imported through the pipeline
with a quiet start and a burst give one burst in the export contract (copies counted at their own time),
one `burst` alert raised as the posts are stored (none for a quiet narrative, once however the timeline is
replayed) and delivered to a webhook on loopback with a human-readable text; forecasts and the /trends
dashboard are the organisation's."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete

from kiemchung.app_context import AppContext
from kiemchung.demo import DEMO_ORGANISATION, DEMO_PASSWORD, set_up_demo
from kiemchung.services.alerts import AlertDispatcher
from kiemchung.settings import Settings
from kiemchung.store.schema import narrative_members
from tests.integration.test_narratives import EXAM, LEMON, _cli, _export
from tests.integration.test_workbench import _client
from tests.servers import Route, serve_site

QUIET_DAYS = 4
BURST_START = datetime(2026, 3, 6, 10, 0, tzinfo=UTC)
BURST_POSTS = 12


def _rows(start: datetime = BURST_START) -> list[dict[str, Any]]:
    """The lemon narrative: one post a day, then twelve in one hour (copies of the first three among them);
    the exam narrative: one post a day throughout."""
    rows = []
    for day in range(QUIET_DAYS):
        at = start - timedelta(days=QUIET_DAYS - day, hours=3)
        rows.append({"id": f"chanh-q{day}", "text": LEMON[day % 3], "published": at.isoformat()})
        rows.append({"id": f"thi-q{day}", "text": EXAM[day % 2], "published": (at + timedelta(hours=1)).isoformat()})
    for n in range(BURST_POSTS):  # LEMON[0] again and again: verbatim copies, stored with copy_of
        at = start + timedelta(minutes=4 * n + 1)
        rows.append({"id": f"chanh-b{n}", "text": LEMON[n % 3], "published": at.isoformat()})
    rows.append({"id": "thi-last", "text": EXAM[0], "published": (start + timedelta(hours=2)).isoformat()})
    return sorted(rows, key=lambda r: r["published"])


def _import(settings: Settings, database_url: str, tmp_path: Path, rows: list[dict[str, Any]], name: str) -> None:
    path = tmp_path / name
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    result = _cli(settings, database_url, "posts", "import", str(path))
    assert result.exit_code == 0, result.output


def _replay(settings: Settings, database_url: str, tmp_path: Path, chunks: int = 4) -> list[dict[str, Any]]:
    """Import the timeline in `chunks` files, in published order, as a live run would receive it."""
    rows = _rows()
    size = -(-len(rows) // chunks)
    for n in range(chunks):
        _import(settings, database_url, tmp_path, rows[n * size : (n + 1) * size], f"part-{n}.jsonl")
    return rows


def _line(lines: list[dict[str, Any]], post_id: str) -> dict[str, Any]:
    return next(line for line in lines if post_id in line["post_ids"])


def test_the_export_carries_one_burst_with_its_window_copies_counted(
    app_context: AppContext, settings: Settings, database_url: str, tmp_path: Path
) -> None:
    _import(settings, database_url, tmp_path, _rows(), "posts.jsonl")
    lines = _export(settings, database_url)
    lemon, exam = _line(lines, "chanh-b0"), _line(lines, "thi-q0")
    assert lemon is not exam
    assert len(lemon["post_ids"]) == QUIET_DAYS + BURST_POSTS
    assert lemon["bursts"] == [{"start": "2026-03-06T10:00:00+00:00", "end": "2026-03-06T11:00:00+00:00",
                                "posts": BURST_POSTS}]  # fmt: skip
    assert exam["bursts"] == []
    copies = [p for p in app_context.post_store.iter_all() if p.copy_of]
    assert len(copies) >= BURST_POSTS  # the burst's posts repeat the quiet ones word for word

    # A copy that carries no claim of its own is in its original's narrative through `copy_of`: one more
    # post at its own time, though no member (the service's export: the command would assign it first).
    with app_context.database.write() as connection:
        connection.execute(delete(narrative_members).where(narrative_members.c.post_id == "chanh-b5"))
    again = _line(list(app_context.narratives.export(None)), "chanh-b0")
    assert "chanh-b5" not in again["post_ids"] and again["bursts"][0]["posts"] == BURST_POSTS


def _bursts(context: AppContext) -> list[Any]:
    return [a for a in context.alert_store.recent(500) if a.kind == "burst"]


def test_a_replayed_timeline_raises_one_burst_alert_with_its_evidence_and_a_webhook_gets_it(
    app_context: AppContext, settings: Settings, database_url: str, tmp_path: Path
) -> None:
    _replay(settings, database_url, tmp_path)
    (alert,) = _bursts(app_context)  # one burst, one alert; the quiet exam narrative raises none
    lemon = _line(list(app_context.narratives.export(None)), "chanh-b0")
    evidence = alert.evidence
    assert evidence is not None and evidence["narrative_id"] == lemon["id"]
    # Online: the second file brings the burst's first four posts, and four posts in an hour at this
    # narrative's usual rate is a burst already (the evidence is what was known then).
    assert evidence["start"] == "2026-03-06T10:00:00+00:00" and evidence["hour_posts"] == 4
    assert evidence["recent_posts"] == 4 and evidence["recent_hours"] == 3 and evidence["baseline_per_hour"] < 0.2
    assert [p["id"] for p in evidence["first_posts"]] == [f"chanh-b{n}" for n in range(4)]
    assert evidence["first_posts"][0]["sentence"] in LEMON and alert.post_id == "chanh-b0"
    assert alert.sentence in LEMON and alert.source_count == evidence["sources"] == 1

    # Importing more of the same burst (later in its hour) and more quiet posts raises nothing new.
    late = [
        {"id": "chanh-b-late", "text": LEMON[0], "published": (BURST_START + timedelta(minutes=55)).isoformat()},
        {"id": "thi-late", "text": EXAM[1], "published": (BURST_START + timedelta(hours=5)).isoformat()},
    ]
    _import(settings, database_url, tmp_path, late, "late.jsonl")
    assert len(_bursts(app_context)) == 1

    with serve_site() as receiver:
        receiver.routes["/hook"] = Route(b"ok")
        hooked = app_context.settings.with_overrides(webhook_url=receiver.url("/hook"), default_language="en",
                                                     public_url="https://kiemchung.example")  # fmt: skip
        dispatcher = AlertDispatcher(hooked, app_context.alert_store)
        assert dispatcher.deliver_due(force=True) == {"webhook": 1}
        dispatcher.close()
        (hook,) = receiver.hits("/hook")
    payload = json.loads(hook.body)
    (sent,) = payload["alerts"]
    assert sent["kind"] == "burst" and sent["evidence"] == evidence
    assert sent["narrative"]["link"] == f"https://kiemchung.example/narratives/{lemon['id']}"
    for line in (
        "A narrative is bursting:",
        f"“{alert.sentence}”",  # the narrative's label when the burst began
        "4 posts in the hour from 2026-03-06 10:00 UTC (4 in the last 3 hours; usually",
        "First posts:",
        f"- chanh-b0: “{evidence['first_posts'][0]['sentence']}”",
        f"Narrative: https://kiemchung.example/narratives/{lemon['id']}",
    ):
        assert line in sent["text"] and line in payload["text"], line


def _live(app_context: AppContext, settings: Settings, database_url: str, tmp_path: Path) -> int:
    """The demo desk, and the lemon timeline ending two hours ago (its burst two hours ago); the lemon
    narrative's number."""
    set_up_demo(app_context)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    _import(settings, database_url, tmp_path, _rows(start=now - timedelta(hours=2)), "live.jsonl")
    desk = _organisation(app_context, DEMO_ORGANISATION)
    return int(_line(list(app_context.narratives.export(desk)), "chanh-b0")["id"])


def test_forecasts_and_the_trends_dashboard_are_the_organisations(
    app_context: AppContext, settings: Settings, database_url: str, tmp_path: Path
) -> None:
    number = _live(app_context, settings, database_url, tmp_path)
    reader = _client(app_context, "factchecker@demo.kiemchung")
    trend = reader.get(f"/api/v1/narratives/{number}/trend").json()
    forecast = trend["forecast"]
    assert set(forecast) == {"next_24h", "next_7_days", "growing", "interval"} and forecast["interval"] == 0.8
    for window in ("next_24h", "next_7_days"):
        assert 0 <= forecast[window]["lower"] <= forecast[window]["median"] <= forecast[window]["upper"]
    assert 0.0 <= forecast["growing"] <= 1.0 and trend["bursting"] is True
    assert [b["posts"] for b in trend["bursts"]] == [BURST_POSTS]
    hourly = sum(h["posts"] for h in trend["hourly"])
    assert hourly >= BURST_POSTS + 2  # the burst and two quiet days of the last 72 hours (the demo's too)

    page = reader.get(f"/narratives/{number}")
    assert page.status_code == 200 and 'class="chart trend"' in page.text and 'class="band"' in page.text
    assert f'href="/narratives/{number}/trend.csv?step=day"' in page.text
    csv_rows = reader.get(f"/narratives/{number}/trend.csv?step=hour").text.splitlines()
    assert csv_rows[0] == "start,posts,sources,forecast,forecast_lower,forecast_upper"
    assert sum(int(r.split(",")[1]) for r in csv_rows[1:] if r.split(",")[1]) == hourly
    assert len([r for r in csv_rows[1:] if r.split(",")[3]]) == 24  # the next 24 hours' forecast

    board = reader.get("/api/v1/trends?window=24h").json()
    assert board["narratives"][0]["id"] == number and board["narratives"][0]["posts"] >= BURST_POSTS
    assert board["narratives"][0]["bursting"] is True
    dashboard = reader.get("/trends?window=7d")
    assert dashboard.status_code == 200 and f'data-narrative="{number}"' in dashboard.text
    assert 'class="sparkline"' in dashboard.text and 'href="/trends"' in dashboard.text
    assert reader.get("/api/v1/trends?window=1y").status_code == 422  # InputError, like every bad input

    app_context.accounts.create_user("Đơn vị Khác", "editor@khac.example", "E", "editor", DEMO_PASSWORD)
    other = _client(app_context, "editor@khac.example")
    assert other.get(f"/api/v1/narratives/{number}/trend").status_code == 404
    assert other.get(f"/narratives/{number}/trend.csv").status_code == 404
    assert other.get("/api/v1/trends?window=30d").json()["narratives"] == []
    assert f'data-narrative="{number}"' not in other.get("/trends").text
    theirs = app_context.alert_store.recent(100, organisation_id=_organisation(app_context, "Đơn vị Khác"))
    assert not [a for a in theirs if a.kind == "burst"]
    assert _bursts(app_context)[0].evidence is not None  # the desk's own burst alert, on its alerts page
    alerts_page = reader.get("/alerts").text
    assert 'class="burst-evidence"' in alerts_page and f'href="/narratives/{number}"' in alerts_page
    assert 'class="burst-evidence"' not in other.get("/alerts").text


def _organisation(app_context: AppContext, name: str) -> int:
    found = app_context.organisations.by_name(name)
    assert found is not None
    return found.id
