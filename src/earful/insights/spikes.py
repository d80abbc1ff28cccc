"""Spike detection on hourly counts, against a seasonal baseline that outliers do not move.

For each hour, the expected count is the median of the same hour of the week over the previous
weeks (so a Monday-morning rush is normal on Mondays), falling back to the same hour of the day
when there are too few weeks. How far a count may stray is the larger of the median absolute
deviation of those same hours and the Poisson noise of the expected count, so a quiet series is
not flagged for every stray post and one past spike does not widen the band for good.

A spike is an hour whose count is at least `min_volume` and `sensitivity` spreads above the
expected count. Consecutive spike hours, and any within `cooldown_hours` of the last, form one
spike event: an alert is raised once per event.
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

    sensitivity: float = 4.5  # spreads above the expected count (chosen on bench seeds 0-9)
    min_volume: int = 5  # posts in the hour, at least
    cooldown_hours: int = 6  # hours after a spike in which another joins it
    weeks: int = 4  # weeks of history the baseline looks at


@dataclass(frozen=True, slots=True)
class Spike:
    """One spike event: the hours it spans, its peak, and what was expected then."""

    start: int  # index of the first spike hour in the series
    end: int  # index of the last spike hour
    peak: int  # index of the largest excess
    count: int  # the count at the peak
    expected: float  # the expected count at the peak
    score: float  # spreads above expected, at the peak


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
    mad = statistics.median(abs(x - centre) for x in history)
    # Counts are Poisson at least: the spread never falls below the noise of the expected count.
    spread = max(MAD_TO_SIGMA * mad, math.sqrt(max(centre, 1.0)))
    return centre, spread


def detect(counts: Sequence[int], settings: SpikeSettings | None = None, start: int = 0) -> list[Spike]:
    """Return the spike events in `counts` (hourly, oldest first), looking at hours from `start`."""
    settings = settings or SpikeSettings()
    events: list[Spike] = []
    current: Spike | None = None
    for hour in range(start, len(counts)):
        found = expected(counts, hour, settings.weeks)
        if found is None:
            continue
        centre, spread = found
        count = counts[hour]
        score = (count - centre) / spread
        if count < settings.min_volume or score < settings.sensitivity:
            continue
        if current is not None and hour - current.end <= settings.cooldown_hours:
            peak = hour if score > current.score else current.peak
            current = Spike(
                current.start,
                hour,
                peak,
                count if peak == hour else current.count,
                centre if peak == hour else current.expected,
                max(score, current.score),
            )
            events[-1] = current
        else:
            current = Spike(hour, hour, hour, count, centre, score)
            events.append(current)
    return events
