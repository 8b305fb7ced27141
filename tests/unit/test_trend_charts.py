"""A narrative's trend chart (issue 12): the SVG parses, holds every number, and the CSV holds the same."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from kiemchung.domain.trends import Point
from kiemchung.reporting.charts import TrendLegend, TrendPoint, trend_chart, trend_csv

SVG = "{http://www.w3.org/2000/svg}"
T0 = datetime(2026, 9, 1, tzinfo=UTC)
POINTS = [TrendPoint(T0 + timedelta(days=i), posts, sources) for i, (posts, sources) in
          enumerate([(3, 2), (0, 0), (12, 5), (40, 11), (9, 4)])]  # fmt: skip
FORECAST = [Point(T0 + timedelta(days=5 + i), m, lo, hi) for i, (m, lo, hi) in
            enumerate([(6.0, 2.0, 14.0), (4.0, 1.0, 11.5)])]  # fmt: skip
LEGEND = TrendLegend("Bài đăng", "Nguồn khác nhau", "Dự báo (80 %)")


def _chart() -> ET.Element:
    return ET.fromstring(trend_chart(POINTS, FORECAST, "Tin đồn <đập> vỡ", LEGEND))


def test_the_svg_parses_and_holds_every_bar_source_and_forecast_point() -> None:
    svg = _chart()
    assert svg.findtext(f"{SVG}title") == "Tin đồn <đập> vỡ"
    bars = svg.findall(f".//{SVG}rect[@class='bar']")
    assert [(b.get("data-start"), int(b.get("data-value", "-1"))) for b in bars] == [
        (p.start.isoformat(), p.posts) for p in POINTS
    ]
    sources = svg.findall(f".//{SVG}circle[@class='sources']")
    assert [int(c.get("data-value", "-1")) for c in sources] == [p.sources for p in POINTS]
    forecast = svg.findall(f".//{SVG}circle[@class='forecast']")
    assert [(c.get("data-value"), c.get("data-lower"), c.get("data-upper")) for c in forecast] == [
        ("6", "2", "14"),
        ("4", "1", "11.5"),
    ]
    assert svg.find(f".//{SVG}polygon[@class='band']") is not None


def test_the_tallest_bar_reaches_the_top_and_the_chart_scales_to_a_phone() -> None:
    svg = _chart()
    heights = [float(b.get("height", "0")) for b in svg.findall(f".//{SVG}rect[@class='bar']")]
    assert heights[1] == 0.0 and max(heights) == heights[3] == 180.0  # 40 posts: the top of the plot
    assert "width:100%" in svg.get("style", "") and svg.get("viewBox") == "0 0 480 250"


def test_the_csv_holds_the_numbers_of_the_chart() -> None:
    rows = list(csv.DictReader(io.StringIO(trend_csv(POINTS, FORECAST))))
    assert [int(r["posts"]) for r in rows[:5]] == [3, 0, 12, 40, 9]
    assert [int(r["sources"]) for r in rows[:5]] == [2, 0, 5, 11, 4]
    assert [(r["forecast"], r["forecast_lower"], r["forecast_upper"]) for r in rows[5:]] == [
        ("6", "2", "14"),
        ("4", "1", "11.5"),
    ]
    assert rows[5]["start"] == "2026-09-06T00:00:00+00:00" and rows[5]["posts"] == ""


def test_a_chart_without_a_forecast_or_points_still_parses() -> None:
    assert ET.fromstring(trend_chart([], [], "empty", LEGEND)).findall(f".//{SVG}rect[@class='bar']") == []
    assert ET.fromstring(trend_chart(POINTS, [], "no forecast", LEGEND)).find(f".//{SVG}polygon") is None
