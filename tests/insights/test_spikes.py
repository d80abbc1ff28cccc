"""Spike detection: a real jump is called once; daily rhythm and a past outlier are not."""

from __future__ import annotations

import math

import numpy as np

from earful.insights.spikes import HOURS_PER_WEEK, SpikeSettings, detect, early, expected, partial_score


def rhythm(weeks: int = 5) -> list[int]:
    """Busy middays, quiet nights, quieter weekends: the same every week."""
    counts = []
    for hour in range(weeks * HOURS_PER_WEEK):
        day, hod = divmod(hour % HOURS_PER_WEEK, 24)
        base = 40 if 10 <= hod <= 16 else 6
        counts.append(base // 2 if day >= 5 else base)
    return counts


def test_the_daily_rhythm_is_not_a_spike() -> None:
    assert detect(rhythm(), start=4 * HOURS_PER_WEEK) == []


def test_a_jump_is_one_event_with_its_peak() -> None:
    counts = rhythm()
    hour = 4 * HOURS_PER_WEEK + 24 * 2 + 3  # a Wednesday night, normally 6 posts
    counts[hour : hour + 3] = [40, 55, 30]
    (spike,) = detect(counts, start=4 * HOURS_PER_WEEK)
    assert (spike.start, spike.end, spike.peak, spike.count) == (hour, hour + 2, hour + 1, 55)
    # Expected from the same hour of every day, each scaled by its day's ratio to the average day
    # over the hours either side: the ratios of the days next to the weekend straddle a day boundary,
    # which moves the expected count a little (5.97 here).
    assert math.isclose(spike.expected, 6, abs_tol=0.1)


def test_a_past_outlier_does_not_blind_the_baseline() -> None:
    counts = rhythm()
    counts[3 * HOURS_PER_WEEK + 50] = 500  # one wild hour last week, same hour of the week
    counts[4 * HOURS_PER_WEEK + 50] = 45
    assert [s.peak for s in detect(counts, start=4 * HOURS_PER_WEEK)] == [4 * HOURS_PER_WEEK + 50]


def test_spikes_within_the_cooldown_are_one_event_and_quiet_series_need_volume() -> None:
    counts = rhythm()
    first = 4 * HOURS_PER_WEEK + 2
    counts[first] = 40
    counts[first + 4] = 40
    assert len(detect(counts, SpikeSettings(cooldown_hours=6), start=4 * HOURS_PER_WEEK)) == 1
    assert len(detect(counts, SpikeSettings(cooldown_hours=2), start=4 * HOURS_PER_WEEK)) == 2
    quiet = [0] * (5 * HOURS_PER_WEEK)
    quiet[-3] = 4  # four posts where there are none: below the minimum volume
    assert detect(quiet, start=4 * HOURS_PER_WEEK) == []


def test_a_slow_surge_no_hour_of_which_is_a_spike_alone_is_found() -> None:
    counts = rhythm()
    hour = 4 * HOURS_PER_WEEK + 24 * 2 + 2  # Wednesday night, 6 posts usual (spread about 2.4)
    for h in range(hour, hour + 4):
        counts[h] += 9  # under four spreads each: no single hour is a spike
    assert all(
        s.start > hour + 3 or s.end < hour
        for s in detect(counts, SpikeSettings(surge_hours=1), start=4 * HOURS_PER_WEEK)
    )
    (spike,) = detect(counts, start=4 * HOURS_PER_WEEK)
    assert spike.start == hour and spike.raised <= hour + 3


def test_a_six_unit_hour_is_found() -> None:
    counts = rhythm()
    hour = 4 * HOURS_PER_WEEK + 24 + 12  # Tuesday midday, 40 posts usual (spread about 6.3)
    counts[hour] = 40 + 38
    assert [(s.start, s.end) for s in detect(counts, start=4 * HOURS_PER_WEEK)] == [(hour, hour)]


def test_a_clear_outage_is_called_before_its_hour_ends() -> None:
    counts = rhythm()
    hour = 4 * HOURS_PER_WEEK + 24 + 12  # Tuesday midday, 40 posts usual: about 10 by minute 15
    history = counts[:hour]
    assert early(history, 10, 15) is None  # on course: nothing
    assert early(history, 40, 5) is None  # too soon to judge
    spike = early(history, 40, 15)  # four times the posts expected by now
    assert spike is not None and (spike.start, spike.count, spike.raised) == (hour, 40, hour)


def test_lone_outliers_under_the_sensitivity_do_not_fire() -> None:
    counts = rhythm()
    start = 4 * HOURS_PER_WEEK
    for day in (0, 2, 4):  # one stray weekday night hour every other day, under 4 spreads up
        counts[start + day * 24 + 3] += 9
    assert detect(counts, start=start) == []


def test_three_hours_three_units_up_are_a_surge_and_one_or_two_are_not() -> None:
    counts = rhythm()
    start = 4 * HOURS_PER_WEEK
    night = start + 24 * 2 + 2  # Wednesday night, 6 posts usual: 3 units is 3 x sqrt(6), about 8 posts
    for h in range(night, night + 3):
        counts[h] += 8
    (spike,) = detect(counts, start=start)
    assert (spike.start, spike.end, spike.raised) == (night, night + 2, night + 2)

    two = rhythm()
    for h in range(night, night + 2):
        two[h] += 8
    assert detect(two, start=start) == []

    stray = rhythm()
    stray[start + 24 + 12] += 19  # one Tuesday midday hour, 40 usual, 3 units (3 x sqrt(40)) up
    stray[night] += 8
    assert detect(stray, start=start) == []


def test_a_few_posts_in_an_hour_that_averages_under_one_are_not_a_spike() -> None:
    # Most hours have no posts and some two, 0.8 an hour on average: the median of the history is 0,
    # but five posts in one hour happen about once in a thousand such hours.
    counts = [2 if hour % 5 >= 3 else 0 for hour in range(7 * HOURS_PER_WEEK)]
    start = 6 * HOURS_PER_WEEK
    hour = start + 30
    counts[hour] = 5
    assert detect(counts, start=start) == []
    counts[hour] = 9
    assert [(s.start, s.end) for s in detect(counts, start=start)] == [(hour, hour)]


def test_an_outage_is_called_at_minute_fifteen() -> None:
    counts = rhythm()
    hour = 4 * HOURS_PER_WEEK + 24 + 12  # Tuesday midday, 40 posts usual: 10 by minute 15
    history = counts[:hour]
    # The outage triples the rate (about 120 posts in the hour, 30 by minute 15).
    spike = early(history, 30, 15)
    assert spike is not None and (spike.start, spike.count) == (hour, 30)
    # Twice the rate is left to the end of the hour: looked at every minute, 20 posts by minute 15
    # is not rare enough.
    assert early(history, 20, 15) is None


def test_a_baseline_from_fewer_weeks_is_trusted_less() -> None:
    # 400 posts every hour: the spread is Poisson's, 20, and the mean of n past values is itself off
    # by about 20 / sqrt(n) (the same hour of every day: 21 values over 3 weeks, 42 over 6), which
    # widens the band more with 3 weeks of history than with 6.
    for weeks, smallest in ((6, 473), (3, 474)):
        counts = [400] * ((weeks + 1) * HOURS_PER_WEEK)
        hour = weeks * HOURS_PER_WEEK + 50
        # Without the error, 472 posts (3.5 spreads up on the Poisson tail) would be a spike on both.
        for count, found in ((472, False), (smallest - 1, False), (smallest, True)):
            counts[hour] = count
            assert bool(detect(counts, start=hour)) is found, (weeks, count)
        baseline = expected(counts, hour, 6)
        assert baseline is not None
        assert (baseline.centre, baseline.spread) == (400, 20)
        assert math.isclose(baseline.error, 20 / math.sqrt(7 * weeks))


def test_a_surge_counts_the_baselines_error_once_for_its_hours() -> None:
    # The three hours' baselines come from the same weeks and share their day's ratio: their errors
    # are added up as one (the cautious choice) rather than as independent ones.
    counts = [400] * (7 * HOURS_PER_WEEK)
    hour = 6 * HOURS_PER_WEEK + 50
    settings = SpikeSettings(surge_sensitivity=2.75)
    for excess, found in ((33, False), (34, True)):  # at 33 independent errors would make it 2.79
        surge = list(counts)
        for h in range(hour, hour + 3):
            surge[h] += excess
        assert [(s.start, s.end) for s in detect(surge, settings, start=hour)] == (
            [(hour, hour + 2)] if found else []
        )


def test_an_open_hour_scales_the_baselines_error_with_the_count_expected() -> None:
    # A quarter of the way through, 100 posts are expected, Poisson noise 10, and the baseline's
    # error (20 / sqrt(18) for the hour) a quarter of its own: 1.18.
    counts = [400] * (6 * HOURS_PER_WEEK + 50)
    baseline = expected(counts, len(counts), 6)
    assert baseline is not None
    with_error = float(partial_score(400, 20, 140, 0.25, baseline.error))
    without = float(partial_score(400, 20, 140, 0.25))
    assert math.isclose(with_error, without * 10 / math.hypot(10, baseline.error / 4))


def test_a_seasonal_baseline_is_steadier_than_six_weeks_of_the_same_hour() -> None:
    # Poisson counts on a daily and weekly rhythm (as the bench's), at 8, 30 and 120 posts an hour at
    # the peak, with a few wild hours in the history. The same hour of the week over six weeks (18
    # values with the hours either side) put the expected count 0.31 noise units from the true rate
    # (root mean square over the last week); the same hour of every day, scaled to its day, 0.27.
    rng = np.random.default_rng(1)
    errors = []
    for level in (8.0, 30.0, 120.0):
        rate = [
            level
            * (0.15 + 0.85 * math.exp(-(((h % 24 - 13) / 5.0) ** 2)))
            * (0.6 if h % HOURS_PER_WEEK >= 5 * 24 else 1.0)
            for h in range(7 * HOURS_PER_WEEK)
        ]
        counts = [int(c) for c in rng.poisson(rate)]
        for hour in (2 * HOURS_PER_WEEK + 37, 4 * HOURS_PER_WEEK + 100, 5 * HOURS_PER_WEEK + 13):
            counts[hour] += 60  # past outliers, left out
        for hour in range(6 * HOURS_PER_WEEK, 7 * HOURS_PER_WEEK):
            baseline = expected(counts, hour, 6)
            assert baseline is not None
            errors.append((baseline.centre - rate[hour]) / math.sqrt(rate[hour]))
    assert math.sqrt(float(np.mean(np.square(errors)))) < 0.29
    assert abs(float(np.mean(errors))) < 0.1  # and not biased much
