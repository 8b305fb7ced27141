"""Trend analytics (issue 12): counting, both burst detectors, forecasts and their scores — hand-checkable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from kiemchung.domain import forecasts, trends

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
T0 = datetime(2026, 9, 1, tzinfo=UTC)
DETECTORS = sorted(trends.DETECTORS)


def test_hourly_counts_fill_gaps_with_zero_and_ignore_what_comes_after_end() -> None:
    posts = [T0 + timedelta(minutes=5), T0 + timedelta(minutes=50), T0 + timedelta(hours=3, minutes=1),
             T0 + timedelta(hours=9)]  # fmt: skip
    series = trends.count_series(posts, "hour", end=T0 + timedelta(hours=4))
    assert series.counts == (2, 0, 0, 1, 0)
    assert series.starts[3] == T0 + timedelta(hours=3)


def test_daily_counts_follow_the_calendar_of_the_time_zone() -> None:
    # 23:30 in Hanoi on 1 September is 16:30 UTC: the same UTC day as 18:00 UTC, which is 2 September there.
    posts = [datetime(2026, 9, 1, 16, 30, tzinfo=UTC), datetime(2026, 9, 1, 18, 0, tzinfo=UTC)]
    series = trends.count_series(posts, "day", end=datetime(2026, 9, 3, 12, tzinfo=HANOI), tz=HANOI)
    assert series.counts == (1, 1, 0)
    assert series.starts[0] == datetime(2026, 9, 1, tzinfo=HANOI)
    assert series.end_of(2) == datetime(2026, 9, 4, tzinfo=HANOI)


def test_a_timestamp_without_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        trends.count_series([datetime(2026, 9, 1, 8)], "hour", end=T0)


def test_window_counts_end_at_now() -> None:
    now = T0 + timedelta(hours=50)
    posts = [now - timedelta(hours=1), now - timedelta(hours=23), now - timedelta(hours=25), now + timedelta(hours=1)]
    assert trends.window_counts(posts, now, timedelta(days=1), 3).tolist() == [0.0, 1.0, 2.0]


@pytest.mark.parametrize("detector", DETECTORS)
def test_a_flat_series_never_bursts(detector: str) -> None:
    assert trends.spans(np.full(24 * 30, 2.0), detector) == []
    quiet = np.random.default_rng(7).poisson(0.5, 24 * 30)
    assert not trends.DETECTORS[detector].track(quiet[48:], trends.BurstOptions()).any()


@pytest.mark.parametrize("detector", DETECTORS)
def test_a_step_up_fires_within_a_few_hours(detector: str) -> None:
    counts = np.concatenate([np.random.default_rng(3).poisson(0.3, 200), [4, 6, 9, 12, 12, 12, 12, 12]])
    fired = np.flatnonzero(trends.DETECTORS[detector].track(counts, trends.BurstOptions()))
    assert len(fired) and 200 <= fired[0] <= 202
    assert trends.fires_at(counts[:203], detector) and not trends.fires_at(counts[:200], detector)


@pytest.mark.parametrize("detector", DETECTORS)
def test_the_online_track_never_looks_ahead(detector: str) -> None:
    counts = np.random.default_rng(5).poisson(0.4, 150).astype(float)
    counts[60:66] += [3, 8, 15, 9, 4, 2]
    whole = trends.DETECTORS[detector].track(counts, trends.BurstOptions())
    for t in range(1, len(counts) + 1):
        assert trends.fires_at(counts[:t], detector) == bool(whole[t - 1])


def test_kleinberg_states_on_a_textbook_example() -> None:
    # 8 batches of 10 documents, 10 relevant in batches 3 and 4: p0 = 20/80 = 0.25, p1 = 2 x p0 = 0.5.
    # A full batch costs -ln(0.25^10) = 13.86 in state 0 and -ln(0.5^10) = 6.93 in state 1; an empty one 2.88
    # and 6.93. Going up costs ln 8 = 2.08, so both full batches are cheaper in state 1 (saving 13.86).
    relevant, totals = [0, 0, 0, 10, 10, 0, 0, 0], [10] * 8
    assert trends.kleinberg_batched(relevant, totals).tolist() == [0, 0, 0, 1, 1, 0, 0, 0]
    # gamma = 8 makes going up cost 8 ln 8 = 16.6 > 13.86: the burst is not worth it.
    assert trends.kleinberg_batched(relevant, totals, gamma=8.0).tolist() == [0] * 8


def test_two_state_viterbi_pays_once_to_go_up() -> None:
    cost0 = np.array([0.0, 3.0, 0.0, 3.0, 0.0])
    cost1 = np.array([1.0, 0.0, 1.0, 0.0, 1.0])
    # Up costs 2: staying up over [1, 3] costs 2 + 0 + 1 + 0 = 3, against 3 + 0 + 3 = 6 going up twice.
    assert trends.two_state_viterbi(cost0, cost1, up=2.0).tolist() == [0, 1, 1, 1, 0]
    assert trends.two_state_viterbi(cost0, cost1, up=10.0).tolist() == [0, 0, 0, 0, 0]


def test_bursts_for_reports_start_end_peak_and_the_hour_it_fired() -> None:
    posts = [T0 + timedelta(hours=h, minutes=10) for h in range(0, 48, 8)]  # a trickle
    for hour, count in ((50, 4), (51, 9), (52, 20), (53, 8), (54, 3)):
        posts += [T0 + timedelta(hours=hour, minutes=m) for m in range(count)]
    (burst,) = trends.bursts_for(posts, T0 + timedelta(hours=60))
    assert burst.start == T0 + timedelta(hours=50) and burst.fired == burst.start
    assert burst.peak == T0 + timedelta(hours=52)
    assert burst.end > burst.peak and burst.posts >= 33
    assert trends.bursts_for(posts, T0 + timedelta(hours=49)) == []  # nothing after `now` is seen


def test_mase_of_the_naive_forecast_on_a_random_walk_is_about_one() -> None:
    walk = np.cumsum(np.random.default_rng(11).normal(size=6000))
    history, future = walk[:3000], walk[3000:]
    assert forecasts.mase(future, walk[2999:-1], history) == pytest.approx(1.0, abs=0.05)


def test_mase_is_undefined_on_a_constant_history() -> None:
    with pytest.raises(ValueError, match="undefined"):
        forecasts.mase([1.0], [1.0], [3.0, 3.0, 3.0])


def test_coverage_counts_values_inside_their_interval() -> None:
    assert forecasts.coverage([1, 5, 9, 3], [0, 0, 0, 3], [2, 4, 9, 3]) == 0.75


def test_80_percent_intervals_cover_about_80_percent_of_poisson_counts() -> None:
    rng = np.random.default_rng(2)
    series = [rng.poisson(rate, 40) for rate in (2.0, 5.0, 12.0, 30.0)]
    result = forecasts.backtest(series, "damped trend", season=7, horizon=1, min_history=14, stride=2)
    assert 0.72 <= result.coverage <= 0.9
    assert result.mase < 1.0  # a flat series: the smoothed level beats "the count a week ago"


def test_forecast_for_a_steady_narrative() -> None:
    rng = np.random.default_rng(4)
    now = T0 + timedelta(days=21)
    posts = [T0 + timedelta(hours=float(h)) for h in np.sort(rng.uniform(0, 21 * 24, 21 * 48))]  # 48 a day
    outlook = trends.forecast_for(posts, now)
    assert outlook.next_24h.lower <= outlook.next_24h.median <= outlook.next_24h.upper
    assert 35 <= outlook.next_24h.median <= 60 and 250 <= outlook.next_7_days.median <= 420
    assert len(outlook.days) == 7 and len(outlook.hours) == 24 and outlook.hours[1].start == now + timedelta(hours=1)
    assert 0.2 <= outlook.growing <= 0.8


def test_a_forecast_is_the_same_every_time() -> None:
    counts = [3, 5, 2, 8, 13, 9, 4, 6, 7]
    first, again = forecasts.forecast(counts, 7, 7), forecasts.forecast(counts, 7, 7)
    assert first.median.tolist() == again.median.tolist() and first.growing == again.growing


def test_a_burst_alerts_once_even_when_it_flickers() -> None:
    counts = np.zeros(40)
    counts[10:20] = [6, 9, 0, 0, 8, 12, 0, 9, 7, 0]  # gaps of at most two quiet hours
    track = trends.surprise_track(counts, trends.BurstOptions())
    assert len(trends.runs(track)) > 1  # the raw track flickers
    assert trends.onsets(track, hold_hours=6) == [10]
    assert [t for t in range(1, 41) if trends.alert_at(counts[:t])] == [11]  # hour 10 is the 11th hour
    assert len(trends.spans(counts)) == 1


def test_runs_within_the_hold_are_one() -> None:
    assert trends.runs([0, 1, 1, 0, 0, 1, 0, 0, 0, 1]) == [(1, 2), (5, 5), (9, 9)]
    assert trends.runs([0, 1, 1, 0, 0, 1, 0, 0, 0, 1], hold_hours=2) == [(1, 5), (9, 9)]
