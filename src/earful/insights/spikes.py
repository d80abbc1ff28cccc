"""Spike detection on hourly counts, against a seasonal baseline that outliers do not move.

For each hour, the expected count is the median of the same hour of the week over the previous
weeks (so a Monday-morning rush is normal on Mondays), falling back to the same hour of the day
when there are too few weeks. How far a count may stray is the larger of the median absolute
deviation of those same hours (each around the median of its own hour) and the Poisson noise of
the expected count, so a quiet series is not flagged for every stray post and one past spike does
not widen the band for good.

A spike is an hour whose count is at least `min_volume` and `sensitivity` spreads above the
expected count. A slow surge (several hours, each a few spreads up, none enough alone) is caught by
a cumulative sum: each hour adds its score less `surge_allowance`, capped at `sensitivity` so one
stray hour cannot fire it alone, and the sum falls back to zero in quiet hours; when it passes
`surge_threshold` the hours since it left zero are a spike. Consecutive spike hours, and any within
`cooldown_hours` of the last, form one spike event: an alert is raised once per event.

The hour still open can be judged before it ends (`early`): the posts so far against the expected
count scaled by the minutes gone, with the spread scaled by the square root of that share, as for
Poisson counts.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

HOURS_PER_WEEK = 24 * 7
MAD_TO_SIGMA = 1.4826  # the MAD of normal noise, scaled to its standard deviation


@dataclass(frozen=True, slots=True)
class SpikeSettings:
    """How readily spikes are called."""

    sensitivity: float = 4.5  # spreads above the expected count (chosen on bench seeds 0-9, as are the rest)
    min_volume: int = 5  # posts in the hour, at least
    cooldown_hours: int = 6  # hours after a spike in which another joins it
    weeks: int = 4  # weeks of history the baseline looks at
    surge_allowance: float = 1.0  # spreads an hour must pass to add to the cumulative surge sum
    surge_threshold: float = 5.0  # cumulative sum at which a slow surge is a spike
    early_sensitivity: float = 5.0  # spreads above the expected-so-far for an open hour
    early_minutes: int = 10  # minutes an open hour must have run before it is judged


@dataclass(frozen=True, slots=True)
class Spike:
    """One spike event: the hours it spans, its peak, and what was expected then."""

    start: int  # index of the first spike hour in the series
    end: int  # index of the last spike hour
    peak: int  # index of the largest excess
    count: int  # the count at the peak
    expected: float  # the expected count at the peak
    score: float  # spreads above expected, at the peak
    raised: int = -1  # index of the hour at whose end (or, early, during which) it was first called


def expected(counts: Sequence[int], hour: int, weeks: int) -> tuple[float, float] | None:
    """Return (expected count, spread) for `hour` from the hours before it, or None without history.

    The history is the same hour of the week, and the hours either side of it, over the previous
    `weeks` (twelve values for four weeks: enough for a steady median and deviation); with under
    three weeks, the same hours of the previous days instead.
    """
    history = [
        counts[h]
        for k in range(1, weeks + 1)
        for h in (hour - k * HOURS_PER_WEEK - 1, hour - k * HOURS_PER_WEEK, hour - k * HOURS_PER_WEEK + 1)
        if h >= 0
    ]
    if len(history) < 9:
        history = [counts[hour - k * 24] for k in range(1, 7 * weeks + 1) if hour - k * 24 >= 0]
    if len(history) < 3:
        return None
    centre = float(statistics.median(history))
    # The deviation is taken around each offset's own median (the hour before, the hour, the hour
    # after): on a daily slope the offsets differ, which would widen the band and hide real spikes.
    columns = [
        [counts[h] for k in range(1, weeks + 1) if (h := hour - k * HOURS_PER_WEEK + offset) >= 0]
        for offset in (-1, 0, 1)
    ]
    if all(len(column) >= 3 for column in columns):
        mad = statistics.median(abs(x - statistics.median(c)) for c in columns for x in c)
    else:
        mad = statistics.median(abs(x - centre) for x in history)
    # Counts are Poisson at least: the spread never falls below the noise of the expected count.
    spread = max(MAD_TO_SIGMA * mad, math.sqrt(max(centre, 1.0)))
    return centre, spread


def detect(counts: Sequence[int], settings: SpikeSettings | None = None, start: int = 0) -> list[Spike]:
    """Return the spike events in `counts` (hourly, oldest first), looking at hours from `start`."""
    settings = settings or SpikeSettings()
    events: list[Spike] = []
    current: Spike | None = None
    surge = 0.0  # the cumulative sum of capped scores less the allowance
    surge_from = start  # the first hour of the current run above zero
    for hour in range(start, len(counts)):
        found = expected(counts, hour, settings.weeks)
        if found is None:
            surge = 0.0
            continue
        centre, spread = found
        count = counts[hour]
        score = (count - centre) / spread
        if surge <= 0.0:
            surge_from = hour
        surge = max(0.0, surge + min(score, settings.sensitivity) - settings.surge_allowance)
        if count >= settings.min_volume and score >= settings.sensitivity:
            first = hour
        elif surge >= settings.surge_threshold and count >= 1 and score > 0:
            first = surge_from
        else:
            continue
        if current is not None and first - current.end <= settings.cooldown_hours:
            peak = hour if score > current.score else current.peak
            current = Spike(
                min(current.start, first),
                hour,
                peak,
                count if peak == hour else current.count,
                centre if peak == hour else current.expected,
                max(score, current.score),
                current.raised,
            )
            events[-1] = current
        else:
            current = Spike(first, hour, hour, count, centre, score, hour)
            events.append(current)
    return events


def partial_score(centre: float, spread: float, so_far: float, fraction: float) -> float:
    """Return the spreads above expected of `so_far` posts when `fraction` of the hour has gone.

    Plain arithmetic, so it also takes numpy arrays (the replay bench scores every minute at once).
    """
    score: float = (so_far - centre * fraction) / (spread * fraction**0.5)
    return score


def early(
    counts: Sequence[int], so_far: int, minutes: int, settings: SpikeSettings | None = None
) -> Spike | None:
    """Judge the open hour (index len(counts)) from its `so_far` posts after `minutes` minutes.

    Return a one-hour spike when the posts so far are `early_sensitivity` spreads above the count
    expected by now and at least `min_volume`; None otherwise, before `early_minutes` have run, or
    without history. A full hour (60 minutes) is judged as `detect` judges it.
    """
    settings = settings or SpikeSettings()
    if minutes < settings.early_minutes:
        return None
    fraction = min(minutes, 60) / 60
    found = expected(counts, len(counts), settings.weeks)  # history only
    if found is None:
        return None
    centre, spread = found
    score = partial_score(centre, spread, so_far, fraction)
    threshold = settings.sensitivity if fraction >= 1 else settings.early_sensitivity
    if so_far < settings.min_volume or score < threshold:
        return None
    hour = len(counts)
    return Spike(hour, hour, hour, so_far, centre, score, hour)
