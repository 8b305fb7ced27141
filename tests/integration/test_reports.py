"""Period reports (issue 13, item 1): a month of activity of two organisations, reported as HTML (charts as
inline SVG) and CSV by the service, the command line and the /reports page — on SQLite and PostgreSQL. The
CSV and the charts agree, the previous period's deltas are right, and a report holds one organisation only."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import secrets
import sys
from datetime import UTC, date, datetime, timedelta
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import update

from kiemchung.app_context import AppContext
from kiemchung.cli.base import cli
from kiemchung.domain.accounts import Actor
from kiemchung.domain.models import FactCheck, Rating
from kiemchung.reporting.figures import Period, median, percentile
from kiemchung.reporting.render import change, report_csv, report_html
from kiemchung.store.factchecks import FactCheckStore
from kiemchung.store.schema import cases, claims, factcheck_versions, factchecks, matches, posts, sources, subscriptions
from kiemchung.web.app import create_app
from kiemchung.web.auth import CSRF_HEADER, SESSION_COOKIE

OCTOBER = Period(date(2026, 10, 1), date(2026, 10, 31))
CURRENT, PREVIOUS = "2026-10-01..2026-10-31", "2026-08-31..2026-09-30"
A, B = "Tòa soạn A", "Tòa soạn B"
PASSWORD = "a long password"


def at(day: str, hour: int = 9) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


# What organisation A's October report must say (metric → (October, the 31 days before)); None: a snapshot.
EXPECTED: dict[str, tuple[float, float | None]] = {
    "posts_collected": (6, 4), "posts_checkworthy": (3, 1), "checkworthy_share": (50, 25),
    "repeats_matched": (4, 1), "repeats_confirmed": (2, 0),
    "published": (3, 1), "verdict:Sai": (2, 0), "verdict:Đúng": (1, 0), "verdict:Lừa đảo": (0, 1),
    "topic:Y tế": (2, 0), "topic:": (1, 0), "topic:Tài chính": (0, 1),
    "corrections_published": (1, 0), "median_hours": (10, 5), "p90_hours": (30, 5),
    "sources_watched": (2, None), "sources_ok": (1, None), "sources_failing": (1, None),
    "cases_opened": (5, 1), "stage:new": (1, 0), "stage:in_progress": (0, 0), "stage:drafted": (0, 0),
    "stage:published": (3, 1), "stage:dismissed": (1, 0),
    "factchecks_received": (2, 1), "subscriptions_count": (1, None),
}  # fmt: skip


def _person(context: AppContext, organisation: str, role: str) -> Actor:
    email = f"{role}@{hashlib.sha1(organisation.encode()).hexdigest()[:8]}.example"
    user = context.accounts.create_user(organisation, email, role, role, PASSWORD)
    return Actor(role, user.organisation_id, user_id=user.id, name=role)


def _publish(context: AppContext, actor: Actor, claim: str, rating: str, topic: str | None,
             detected: datetime, delay_h: float) -> tuple[int, str]:  # fmt: skip
    case = context.cases.open_case(actor, claim, topic=topic)
    case = context.cases.draft_verdict(actor, case.id, case.version, rating, "", "Giải thích.", False)
    factcheck_id = context.cases.publish(actor, case.id, case.version).factcheck.id
    published = detected + timedelta(hours=delay_h)
    with context.database.write() as connection:
        connection.execute(update(cases).where(cases.c.id == case.id).values(
            first_detected_at=detected, created_at=detected, published_at=published))  # fmt: skip
        connection.execute(update(factcheck_versions).where(factcheck_versions.c.factcheck_id == factcheck_id)
                           .values(published_at=published))  # fmt: skip
    return case.id, factcheck_id


def _open(context: AppContext, actor: Actor, claim: str, opened: datetime, status: str = "new") -> None:
    case = context.cases.open_case(actor, claim)
    with context.database.write() as connection:
        connection.execute(update(cases).where(cases.c.id == case.id).values(
            first_detected_at=opened, created_at=opened, status=status))  # fmt: skip


def _source(context: AppContext, organisation_id: int, name: str, **health: Any) -> int:
    with context.database.write() as connection:
        return int(connection.execute(sources.insert().values(
            organisation_id=organisation_id, kind="feed", name=name, url=f"https://{name}.example/feed",
            config={}, created_at=at("2026-08-01"), **health)).inserted_primary_key[0])  # fmt: skip


def _posts(context: AppContext, source_id: int, day: str, count: int, worthy: int) -> list[str]:
    ids = [f"{source_id}-{day}-{n}" for n in range(count)]
    with context.database.write() as connection:
        for n, post_id in enumerate(ids):
            row = {"id": post_id, "source_id": source_id, "text": f"Bài {post_id}", "fetched_at": at(day)}
            connection.execute(posts.insert().values(**row, content_hash=post_id.ljust(64, "0")))
            connection.execute(claims.insert().values(post_id=post_id, position=0, text="Câu",
                                                      checkworthiness=0.9 if n < worthy else 0.1))  # fmt: skip
    return ids


def _match(context: AppContext, post_id: str, factcheck_id: str, day: str, decision: bool = True,
           feedback: str | None = None) -> None:  # fmt: skip
    with context.database.write() as connection:
        connection.execute(matches.insert().values(
            post_id=post_id, factcheck_id=factcheck_id, query_text="q", sentence="s", score=0.9, features={},
            decision=decision, feedback=feedback, created_at=at(day)))  # fmt: skip


def _received(context: AppContext, organisation_id: int, days: list[str]) -> None:
    with context.database.write() as connection:
        subscription = connection.execute(subscriptions.insert().values(
            organisation_id=organisation_id, name="Đối tác", url="https://partner.example/claimreviews.json",
            created_at=at("2026-08-01"))).inserted_primary_key[0]  # fmt: skip
        items = [
            FactCheck(id=f"sub-{n}", claim=f"Nhận định nhận về {n}", rating=Rating("Sai")) for n in range(len(days))
        ]
        FactCheckStore.import_many(connection, items, subscription_id=int(subscription))
        for item, day in zip(items, days, strict=True):
            connection.execute(update(factchecks).where(factchecks.c.id == item.id).values(created_at=at(day)))


def seed(context: AppContext) -> dict[str, Actor]:
    """A month (and the month before) of two organisations' work; returns A's people by role."""
    people = {role: _person(context, A, role) for role in ("viewer", "factchecker", "editor", "admin")}
    editor, other = people["editor"], _person(context, B, "editor")
    ok = _source(context, editor.organisation_id, "a-ok", last_success_at=at("2026-10-30"))
    _source(context, editor.organisation_id, "a-broken", last_success_at=at("2026-10-01"),
            last_error_at=at("2026-10-31"), last_error="HTTP 500", failures=3)  # fmt: skip
    theirs = _source(context, other.organisation_id, "b-feed", last_success_at=at("2026-10-30"))
    october = _posts(context, ok, "2026-10-05", 6, 3)
    september = _posts(context, ok, "2026-09-10", 4, 1)
    _posts(context, ok, "2026-11-01", 2, 2)  # after the period
    their_posts = _posts(context, theirs, "2026-10-05", 5, 5)
    _, first = _publish(context, editor, "Nhận định một", "Sai", "Y tế", at("2026-10-02"), 2)
    case, second = _publish(context, editor, "Nhận định hai", "Sai", "Y tế", at("2026-10-03"), 10)
    _publish(context, editor, "Nhận định ba", "Đúng", None, at("2026-10-04"), 30)
    _publish(context, editor, "Nhận định tháng chín", "Lừa đảo", "Tài chính", at("2026-09-05"), 5)
    _, theirs_published = _publish(context, other, "Nhận định của B", "Sai", "Y tế", at("2026-10-06"), 1)
    _correct(context, editor, case, second, at("2026-10-20"))
    _open(context, editor, "Mới mở", at("2026-10-07"))
    _open(context, editor, "Bỏ qua", at("2026-10-08"), "dismissed")
    _open(context, other, "Của B", at("2026-10-08"))
    for n, post_id in enumerate(october[:4]):
        _match(context, post_id, first, "2026-10-06", feedback="accepted" if n < 2 else None)
    _match(context, october[4], first, "2026-10-06", decision=False)
    _match(context, september[0], first, "2026-09-12", feedback="rejected")
    _match(context, their_posts[0], theirs_published, "2026-10-07", feedback="accepted")
    _received(context, editor.organisation_id, ["2026-10-09", "2026-10-10", "2026-09-11"])
    return people


def _correct(context: AppContext, actor: Actor, case_id: int, factcheck_id: str, when: datetime) -> None:
    case = context.case_store.get(case_id)
    case = context.cases.draft_verdict(actor, case_id, case.version, "Sai", "", "Giải thích đã sửa.", False)
    context.cases.publish(actor, case_id, case.version, note="Sửa một chi tiết")
    with context.database.write() as connection:
        connection.execute(
            update(factcheck_versions)
            .where(factcheck_versions.c.factcheck_id == factcheck_id, factcheck_versions.c.version == 2)
            .values(published_at=when)
        )
        connection.execute(update(cases).where(cases.c.id == case_id).values(published_at=at("2026-10-03", 19)))


def csv_values(text: str) -> dict[tuple[str, str], float]:
    rows = list(csv.DictReader(io.StringIO(text)))
    assert all(set(r) == {"section", "metric", "period", "value"} for r in rows)
    return {(r["metric"], r["period"]): float(r["value"]) for r in rows}


def svg_values(html: str) -> dict[tuple[str, str], float]:
    """Every bar of every chart: (metric, period label) → the value it carries and writes beside itself."""
    found: dict[tuple[str, str], float] = {}
    bars = re.finditer(r'<rect class="bar"[^>]*data-metric="([^"]*)" data-period="(\w+)" data-value="([^"]*)"/>'
                       r'<text[^>]*>([^<]*)</text>', html)  # fmt: skip
    for bar in bars:
        metric, period, value, written = (_unescape(g) for g in bar.groups())
        assert written == value
        found[(metric, CURRENT if period == "current" else PREVIOUS)] = float(value)
    return found


def _unescape(text: str) -> str:
    return text.replace("&quot;", '"').replace("&#x27;", "'").replace("&lt;", "<").replace("&gt;", ">").replace(
        "&amp;", "&")  # fmt: skip


@pytest.fixture
def seeded(app_context: AppContext) -> dict[str, Actor]:
    return seed(app_context)


def test_the_csv_holds_the_months_numbers_and_the_previous_periods(app_context: AppContext,
                                                                   seeded: dict[str, Actor]) -> None:  # fmt: skip
    report = app_context.reports.for_actor(seeded["editor"], OCTOBER)
    values = csv_values(report_csv(report))
    wanted = {(metric, CURRENT): now for metric, (now, _) in EXPECTED.items()}
    wanted |= {(metric, PREVIOUS): before for metric, (_, before) in EXPECTED.items() if before is not None}
    assert values == wanted
    assert report.organisation == A and report.previous == Period(date(2026, 8, 31), date(2026, 9, 30))


def test_the_charts_show_the_numbers_of_the_csv(app_context: AppContext, seeded: dict[str, Actor]) -> None:
    report = app_context.reports.for_actor(seeded["editor"], OCTOBER)
    html, values = report_html(report), csv_values(report_csv(report))
    bars = svg_values(html)
    charted = {(f.metric, period) for s in report.sections for f in s.figures if f.charted
               for period in ((CURRENT, PREVIOUS) if f.previous is not None else (CURRENT,))}  # fmt: skip
    assert set(bars) == charted and len(bars) > 30
    assert all(bars[key] == values[key] for key in bars)
    assert html.count("<svg") == 9 and "<script" not in html and "http" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")  # fmt: skip  # no external asset
    sentences = re.findall(r'<p class="sentence">([^<]*)</p>', html)
    assert len(sentences) == 9
    assert "Kỳ này thu thập 6 bài đăng; 50% có ít nhất một nhận định đáng kiểm chứng." in sentences
    assert "trung vị 10 giờ; 90% được đăng trong vòng 30 giờ" in html
    assert "mạch tin" in html  # says what the report does not cover yet


def test_the_previous_period_deltas_are_right(app_context: AppContext, seeded: dict[str, Actor]) -> None:
    report = app_context.reports.for_actor(seeded["editor"], OCTOBER)
    figures = {f.metric: f for s in report.sections for f in s.figures}
    for metric, (now, before) in EXPECTED.items():
        assert figures[metric].delta == (None if before is None else now - before), metric
    assert [change(figures[m]) for m in ("posts_collected", "checkworthy_share", "verdict:Lừa đảo", "stage:drafted",
                                         "sources_failing")] == ["▲ +2", "▲ +25", "▼ −1", "= 0", "—"]  # fmt: skip
    appendix = report_html(report).split('id="appendix"')[1]
    assert "<td>6</td><td>4</td><td>▲ +2</td>" in appendix and "<td>0</td><td>1</td><td>▼ −1</td>" in appendix


def test_a_report_holds_one_organisation_and_speaks_english_on_request(app_context: AppContext,
                                                                       seeded: dict[str, Actor]) -> None:  # fmt: skip
    theirs = app_context.reports.for_organisation(B, OCTOBER, "en")
    values = csv_values(report_csv(theirs))
    assert values[("posts_collected", CURRENT)] == 5 and values[("published", CURRENT)] == 1
    assert values[("repeats_confirmed", CURRENT)] == 1 and values[("cases_opened", CURRENT)] == 2
    assert values[("sources_watched", CURRENT)] == 1 and values[("factchecks_received", CURRENT)] == 0
    html = report_html(theirs)
    assert "5 posts were collected; 100% held at least one check-worthy claim." in html
    assert "a-ok" not in html and "a-broken" not in html and "b-feed" in html


def _session(context: AppContext, client: TestClient, actor: Actor) -> None:
    secret = secrets.token_urlsafe(16)
    assert actor.user_id is not None
    context.account_store.add_session(secret, actor.user_id, "csrf", datetime.now(UTC) + timedelta(hours=1))
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, secret)
    client.headers[CSRF_HEADER] = "csrf"


def test_the_reports_page_is_for_editors_and_admins_of_the_organisation(app_context: AppContext,
                                                                        seeded: dict[str, Actor]) -> None:  # fmt: skip
    query = "/reports?from=2026-10-01&to=2026-10-31"
    expected = report_csv(app_context.reports.for_actor(seeded["editor"], OCTOBER))
    with TestClient(create_app(app_context.settings, app_context)) as client:
        assert client.get(query, follow_redirects=False).status_code in (303, 401)
        for role in ("viewer", "factchecker"):
            _session(app_context, client, seeded[role])
            assert client.get(query).status_code == 403, role
        for role in ("editor", "admin"):
            _session(app_context, client, seeded[role])
            page = client.get(query)
            assert page.status_code == 200 and "private" in page.headers["cache-control"]
            assert svg_values(page.text) == svg_values(
                report_html(app_context.reports.for_actor(seeded[role], OCTOBER))
            )
            download = client.get(query + "&format=csv")
            assert download.text == expected and download.headers["content-type"].startswith("text/csv")
            assert client.get(query + "&format=html&language=en").text.startswith('<!doctype html><html lang="en">')
        assert client.get("/reports?from=2026-10-31&to=2026-10-01").status_code in (400, 422)
        assert client.get("/reports?from=yesterday&to=2026-10-01").status_code in (400, 422)


def test_the_command_writes_the_same_report(app_context: AppContext, seeded: dict[str, Actor], tmp_path: Path) -> None:
    out_csv, out_html = tmp_path / "report.csv", tmp_path / "report.html"
    base = ["--data-dir", str(app_context.settings.data_dir), "--database-url", app_context.settings.database_url,
            "report", "--from", "2026-10-01", "--to", "2026-10-31", "--organisation", A]  # fmt: skip
    runner = CliRunner()
    assert runner.invoke(cli, [*base, "--format", "csv", "-o", str(out_csv)]).exit_code == 0
    result = runner.invoke(cli, [*base, "--format", "html", "--language", "en", "-o", str(out_html)])
    assert result.exit_code == 0, result.output
    assert out_csv.read_text(encoding="utf-8") == report_csv(app_context.reports.for_actor(seeded["editor"], OCTOBER))
    assert svg_values(out_html.read_text(encoding="utf-8")).items() <= csv_values(out_csv.read_text()).items()
    assert "Activity report: Tòa soạn A" in out_html.read_text(encoding="utf-8")
    wrong = runner.invoke(cli, [*base[:-2], "--organisation", "Không có", "-o", str(out_csv)])
    assert wrong.exit_code == 2 and "no organisation named" in wrong.output


def test_median_and_p90_are_nearest_rank() -> None:
    assert median([3.0, 1.0, 2.0]) == 2.0 and median([1.0, 2.0, 3.0, 10.0]) == 2.5 and median([]) is None
    assert percentile([float(n) for n in range(1, 11)], 0.9) == 9.0 and percentile([5.0], 0.9) == 5.0


def test_a_pdf_report_has_the_text_and_the_charts(app_context: AppContext, seeded: dict[str, Actor]) -> None:
    pytest.importorskip("weasyprint", reason="the optional pdf extra (WeasyPrint) is not installed")
    from kiemchung.reporting.pdf import report_document, report_pdf

    report = app_context.reports.for_actor(seeded["editor"], OCTOBER)
    document = report_document(report)
    boxes = [box for page in document.pages for box in _boxes(page._page_box)]
    text = " ".join(getattr(box, "text", "") for box in boxes)
    assert len(document.pages) >= 2 and "Báo cáo hoạt động: Tòa soạn A" in text
    assert "Kỳ này thu thập 6 bài đăng; 50% có ít nhất một nhận định đáng kiểm chứng." in text
    assert sum(type(box).__name__ == "InlineReplacedBox" for box in boxes) == 9  # the nine SVG charts
    assert report_pdf(report).startswith(b"%PDF-")


def _boxes(box: Any) -> Any:
    yield box
    for child in getattr(box, "children", None) or []:
        yield from _boxes(child)


def test_pdf_from_the_command_line_or_a_clear_hint_without_weasyprint(
    app_context: AppContext, seeded: dict[str, Actor], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "report.pdf"
    base = ["--data-dir", str(app_context.settings.data_dir), "--database-url", app_context.settings.database_url,
            "report", "--from", "2026-10-01", "--to", "2026-10-31", "--format", "pdf"]  # fmt: skip
    if find_spec("weasyprint") is not None:
        assert CliRunner().invoke(cli, [*base, "-o", str(out)]).exit_code == 0
        assert out.read_bytes().startswith(b"%PDF-")
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # as if the pdf extra were not installed
    result = CliRunner().invoke(cli, [*base, "-o", str(tmp_path / "none.pdf")])
    assert result.exit_code == 2 and "pip install 'kiemchung[pdf]'" in result.output
    assert not (tmp_path / "none.pdf").exists()
