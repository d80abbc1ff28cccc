"""Spike detection: a real jump is called once; daily rhythm and a past outlier are not."""

from __future__ import annotations

from earful.insights.spikes import HOURS_PER_WEEK, SpikeSettings, detect


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
    assert (spike.start, spike.end, spike.peak, spike.count, spike.expected) == (
        hour,
        hour + 2,
        hour + 1,
        55,
        6,
    )


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
