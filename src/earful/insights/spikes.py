"""Spike detection on hourly counts, against a seasonal baseline that outliers do not move.

For each hour, the expected count is the mean of the same hour of the week and the hours either
side of it over the previous weeks (so a Monday-morning rush is normal on Mondays), leaving out
values far above their median (past spikes), falling back to the same hour of the day when there
are too few weeks. Where the same hour of every day agrees with it, that is used instead
(`profile`): each day's count at this hour, divided by its day of the week's ratio to the average
day over the hours either side, then scaled back to this day, which pools seven times the days (42
values over six weeks against 18) and so is steadier; where they disagree (this day's hours have a
shape of their own), the same hour of the week stays. How far a count may stray is the larger of
the median absolute deviation of those same hours (each around the median of its own hour) and the
Poisson noise of the expected count, so one past spike does not widen the band for good. The
expected count is itself an estimate (the mean of a few weeks' values), and its standard error (the
spread over the square root of the number of values averaged) is added to the spread when a count
is scored: the score is the noise of the count and the error of the baseline together.

A count is scored by how unlikely it is: the normal score of its Poisson tail at the expected
count (for a few posts an hour that tail is far heavier than a normal one), or, where the history
varies more than Poisson, (count - expected) / spread when that is lower. A spike is an hour of at
least `min_volume` posts scoring `sensitivity` or more. A slow surge (several hours a few spreads
up, none enough alone) is caught by judging the last `surge_hours` hours together: their counts,
each capped at `sensitivity` so one hour cannot carry the rest, scored against their expected
counts together, reach `surge_sensitivity`, with each hour scoring `surge_floor` alone. The
baselines of those hours are estimated from the same weeks (and share their day's ratio), so their
errors are added as one error (their sum), the cautious choice, not as independent ones. Consecutive
spike hours, and any within `cooldown_hours` of the last, form one spike event: an alert is raised
once per event.

The hour still open can be judged before it ends (`early`): the posts so far against the expected
count scaled by the minutes gone, scored the same way, must reach `early_sensitivity`, which is
higher than `sensitivity` because an open hour is looked at again and again (every minute, in the
bench that chose it), and each look is another chance for noise to pass.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy.special import ndtri, pdtrc

HOURS_PER_WEEK = 24 * 7
MAD_TO_SIGMA = 1.4826  # the MAD of normal noise, scaled to its standard deviation
OUTLIER_SPREADS = 3.0  # history values this many spreads above the median are left out of the mean
LOWEST_RATE = 0.5  # the expected count, at least, when judging how unlikely a count is
PROFILE_HOURS = 6  # hours either side over which a day of the week's ratio to the average day is taken
PROFILE_AGREE = 2.0  # errors together within which the same-hour-of-every-day estimate is used


@dataclass(frozen=True, slots=True)
class SpikeSettings:
    """How readily spikes are called."""

    sensitivity: float = (
        3.5  # normal score above the expected count (chosen on bench seeds 0-19, as are the rest)
    )
    min_volume: int = 5  # posts in the hour, at least
    cooldown_hours: int = 6  # hours after a spike in which another joins it
    weeks: int = 6  # weeks of history the baseline looks at (fewer, when there are fewer)
    surge_hours: int = 3  # consecutive hours judged together for a slow surge (1: none)
    surge_sensitivity: float = 3.125  # score of their counts together, each capped at `sensitivity`
    surge_floor: float = 0.5  # score each of those hours must reach alone
    early_sensitivity: float = 4.25  # score of an open hour's posts so far (looked at every minute)
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


class Baseline(NamedTuple):
    """What an hour is judged against."""

    centre: float  # the expected count
    spread: float  # the noise of one hour's count about it (at least Poisson's)
    error: float = 0.0  # the standard error of `centre` itself, an average of a few weeks' values


def expected(counts: Sequence[int], hour: int, weeks: int) -> Baseline | None:
    """Return the baseline of `hour` from the hours before it, or None without history.

    The history is the same hour of the week, and the hours either side of it, over the previous
    `weeks` (twelve values for four weeks: enough for a steady median and deviation); with under
    three weeks, the same hours of the previous days instead. Its expected count gives way to
    `profile`'s (the same hour of every day, scaled to this day of the week) where the two agree.
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
    middle = float(statistics.median(history))
    # The deviation is taken around each offset's own median (the hour before, the hour, the hour
    # after): on a daily slope the offsets differ, which would widen the band and hide real spikes.
    columns = [
        [counts[h] for k in range(1, weeks + 1) if (h := hour - k * HOURS_PER_WEEK + offset) >= 0]
        for offset in (-1, 0, 1)
    ]
    if all(len(column) >= 3 for column in columns):
        mad = statistics.median(abs(x - statistics.median(c)) for c in columns for x in c)
    else:
        mad = statistics.median(abs(x - middle) for x in history)
    # The expected count is the mean of the history less the values far above its median (past
    # spikes): for counts of a few posts the median alone is badly low (0 for 0.7 posts an hour),
    # which made every small hour look like a jump.
    cut = middle + OUTLIER_SPREADS * max(MAD_TO_SIGMA * mad, math.sqrt(max(middle, 1.0)))
    kept = [x for x in history if x <= cut]
    centre = sum(kept) / len(kept)
    # Counts are Poisson at least: the spread never falls below the noise of the expected count.
    spread = max(MAD_TO_SIGMA * mad, math.sqrt(max(centre, 1.0)))
    # The mean of n values that each vary by `spread` is off by spread / sqrt(n), typically: with
    # 18 values, a quarter of the noise of one hour, which chance alone puts above the threshold
    # far more often than the count's own noise does.
    error = spread / math.sqrt(len(kept))
    pooled = profile(counts, hour, weeks)
    # Where the same hour of every day, scaled to this day of the week, agrees with the same hour
    # of the week (within PROFILE_AGREE of their errors together), it is the steadier estimate:
    # 42 values over six weeks against 18, so about two thirds of the error (a little more with the
    # day's ratio, itself estimated). Where they disagree, this day's hours have a
    # shape of their own (a weekend morning, a day boundary the ratio straddles): the hour of the
    # week is kept.
    if pooled is not None and abs(centre - pooled[0]) <= PROFILE_AGREE * math.hypot(error, pooled[1]):
        centre, error = pooled
    else:
        # Not below the median, though: hours before a series' first post read as zeros, and on a
        # deployment younger than `weeks` they would drag the mean down where the median holds.
        centre = max(centre, middle)
    spread = max(MAD_TO_SIGMA * mad, math.sqrt(max(centre, 1.0)))
    return Baseline(centre, spread, error)


def profile(counts: Sequence[int], hour: int, weeks: int) -> tuple[float, float] | None:
    """Return the expected count of `hour` from the same hour of every day, and its standard error.

    Over the previous `weeks` whole weeks (three at least, else None), each day's count at this
    hour of the day is divided by its day of the week's ratio (its mean over the PROFILE_HOURS
    either side of this hour, over the mean of all days there), values far above their median
    (past spikes) are left out, and the mean of the rest is scaled back by this day's ratio. On a
    daily and weekly rhythm that multiply (a quiet weekend is quiet all day), that is the same
    expected count as the same hour of the week's, from seven times the days.
    """
    values = np.asarray(counts[:hour], dtype=float)
    posted = np.flatnonzero(values)
    # Whole weeks since the series' first post: hours before it (zeros, on a young deployment) are
    # not quiet hours and would drag the expected count down.
    weeks = min(weeks, (hour - int(posted[0])) // HOURS_PER_WEEK if len(posted) else 0)
    if weeks < 3:
        return None
    days = 7 * weeks
    starts = hour - weeks * HOURS_PER_WEEK + 24 * np.arange(days)
    index = starts[:, None] + np.arange(-PROFILE_HOURS, PROFILE_HOURS + 1)[None, :]
    valid = (index >= 0) & (index < hour)
    window = np.where(valid, values[np.clip(index, 0, hour - 1)], 0.0)
    weekday = np.arange(days) % 7  # 0: the judged hour's day of the week
    sums = np.bincount(weekday, window.sum(axis=1), 7)
    hours = np.bincount(weekday, valid.sum(axis=1), 7)
    overall = window.sum() / max(int(valid.sum()), 1)
    if overall <= 0 or np.any(sums <= 0):
        return None
    ratio = sums / hours / overall
    level = values[starts] / ratio[weekday]
    middle = float(np.median(level))
    mad = float(np.median(np.abs(level - middle)))
    kept = level[level <= middle + OUTLIER_SPREADS * max(MAD_TO_SIGMA * mad, math.sqrt(max(middle, 1.0)))]
    centre = float(kept.mean()) * float(ratio[0])
    return centre, math.sqrt(max(centre, 1.0) / len(kept))


def score(count: float, centre: float, spread: float, error: float = 0.0) -> float:
    """Return how far `count` is above the expected `centre`, in spreads, as a normal score.

    A count above what is expected is scored by how unlikely it is for Poisson counts of that
    mean (the normal score of its mid-p upper tail): for a few posts an hour the tail is far
    heavier than a normal one, and (count - centre) / spread would call noise a spike. Where the
    history varies more than Poisson (the spread is above the square root of the mean), the
    plain (count - centre) / spread is used when it is lower.

    `error`, the standard error of `centre` itself, widens the spread: the plain score is taken
    against the square root of spread^2 + error^2, and the Poisson one shrunk in the same ratio
    (the square root of centre against that of centre + error^2).
    """
    return float(scores(np.asarray(count, dtype=float), centre, spread, error))


def scores(
    counts: np.ndarray,
    centre: float | np.ndarray,
    spread: float | np.ndarray,
    error: float | np.ndarray = 0.0,
) -> np.ndarray:
    """Return `score` of each of `counts` (an array; centre, spread and error may be arrays too)."""
    plain = (counts - centre) / np.sqrt(np.square(spread) + np.square(error))
    floor = np.sqrt(np.maximum(centre, 1.0))
    rate = np.maximum(centre, LOWEST_RATE)
    whole = np.floor(counts)
    above = pdtrc(whole, rate)
    tail = above + 0.5 * (pdtrc(whole - 1, rate) - above)
    with np.errstate(divide="ignore"):
        poisson = np.minimum(-ndtri(tail), 40.0) * floor / np.sqrt(np.square(floor) + np.square(error))
    poisson = np.where(spread > floor + 1e-9, np.minimum(plain, poisson), poisson)
    result: np.ndarray = np.where(counts <= rate, plain, poisson)
    return result


def smallest_spike(baseline: Baseline, settings: SpikeSettings) -> int:
    """Return the smallest count of one hour that `detect` calls a spike against this baseline."""
    centre, spread, error = baseline
    count = max(settings.min_volume, math.floor(centre) + 1)
    while score(count, centre, spread, error) < settings.sensitivity:
        count += 1
    return count


def detect(counts: Sequence[int], settings: SpikeSettings | None = None, start: int = 0) -> list[Spike]:
    """Return the spike events in `counts` (hourly, oldest first), looking at hours from `start`."""
    settings = settings or SpikeSettings()
    events: list[Spike] = []
    current: Spike | None = None
    window = settings.surge_hours
    recent: list[tuple[float, float, Baseline]] = []  # (score, capped count, baseline)
    for hour in range(start, len(counts)):
        found = expected(counts, hour, settings.weeks)
        if found is None:
            recent = []
            continue
        centre, spread, error = found
        count = counts[hour]
        hour_score = score(count, centre, spread, error)
        capped = min(count, centre + settings.sensitivity * spread)  # one hour cannot carry a surge
        recent = [*recent[-(window - 1) :], (hour_score, capped, found)] if window > 1 else []
        if count >= settings.min_volume and hour_score >= settings.sensitivity:
            first = hour
        elif window > 1 and len(recent) == window and surge(recent, settings):
            first = hour - window + 1
        else:
            continue
        if current is not None and first - current.end <= settings.cooldown_hours:
            peak = hour if hour_score > current.score else current.peak
            current = Spike(
                min(current.start, first),
                hour,
                peak,
                count if peak == hour else current.count,
                centre if peak == hour else current.expected,
                max(hour_score, current.score),
                current.raised,
            )
            events[-1] = current
        else:
            current = Spike(first, hour, hour, count, centre, hour_score, hour)
            events.append(current)
    return events


def surge(recent: Sequence[tuple[float, float, Baseline]], settings: SpikeSettings) -> bool:
    """Return whether the last hours, (score, capped count, baseline), are a surge.

    Their counts, each capped at `sensitivity` spreads above its expected count so that one hour
    cannot carry the rest, are scored together against their expected counts together; that score
    must reach `surge_sensitivity`, every hour must be at least `surge_floor` spreads up, and the
    excess posts together at least `min_volume`. The counts' noise adds up as independent noise;
    the baselines' errors are added up as one: neighbouring hours are estimated from the same weeks
    (from mostly the same values for the same hour of the week, with the same day's ratio for the
    same hour of every day), so a baseline that is low for one is likely low for the others.
    Adding them as independent did no better on bench seeds 0-19 once the surge threshold was
    re-chosen for it.
    """
    total = sum(c for _, c, _ in recent)
    centre = sum(b.centre for _, _, b in recent)
    spread = math.sqrt(sum(b.spread * b.spread for _, _, b in recent))
    error = sum(b.error for _, _, b in recent)
    return (
        min(s for s, _, _ in recent) >= settings.surge_floor
        and total - centre >= settings.min_volume
        and score(total, centre, spread, error) >= settings.surge_sensitivity
    )


def partial_score(
    centre: float,
    spread: float,
    so_far: float | np.ndarray,
    fraction: float | np.ndarray,
    error: float = 0.0,
) -> np.ndarray:
    """Return the score of `so_far` posts when `fraction` of the hour has gone (arrays welcome).

    The count expected by then is `centre` x `fraction`, and its spread `spread` x the square
    root of `fraction`, as for Poisson counts; the baseline's error scales with the count expected,
    `error` x `fraction`.
    """
    share = np.asarray(fraction, dtype=float)
    return scores(np.asarray(so_far, dtype=float), centre * share, spread * np.sqrt(share), error * share)


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
    centre, spread, error = found
    score = float(partial_score(centre, spread, so_far, fraction, error))
    threshold = settings.sensitivity if fraction >= 1 else settings.early_sensitivity
    if so_far < settings.min_volume or score < threshold:
        return None
    hour = len(counts)
    return Spike(hour, hour, hour, so_far, centre, score, hour)
