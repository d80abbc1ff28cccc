"""Spike detection: precision and recall on synthetic hourly streams with injected spikes.

Each stream is eight weeks of hourly Poisson counts with a daily shape (quiet nights, busy
middays) and a weekly one (quieter weekends), at one of four volumes (about 2, 8, 30 and 120 posts
an hour at the daily peak). The first six weeks also hold a few lone outlier hours, which the
baseline must shrug off. In the last two weeks, spikes lasting one to three hours are injected,
each adding a fixed multiple of the noise (`size` × √expected, and at least 5 posts) on top of the
expected count. Detection runs over the last two weeks with the default settings.

A detected event is right when it overlaps an injected spike; a spike is found when some event
overlaps it. Streams for the figures use seeds 100-139; the default sensitivity was chosen on
seeds 0-9 of the same generator.
Run with `make bench` or `.venv/bin/python bench/spikes.py [--streams 40]`.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from earful.insights.spikes import HOURS_PER_WEEK, SpikeSettings, detect

WEEKS = 8
EVAL_FROM = 6 * HOURS_PER_WEEK
LEVELS = (2.0, 8.0, 30.0, 120.0)
SIZES = (4.0, 6.0, 8.0, 12.0)


def shape(hour: int) -> float:
    """Return the expected share of the peak rate at this hour (daily and weekly seasonality)."""
    day, hod = divmod(hour % HOURS_PER_WEEK, 24)
    daily = 0.15 + 0.85 * math.exp(-(((hod - 13) / 5.0) ** 2))
    weekly = 0.6 if day >= 5 else 1.0
    return daily * weekly


def stream(rng: np.random.Generator, level: float, size: float) -> tuple[list[int], list[tuple[int, int]]]:
    """Return hourly counts and the injected spikes as (first hour, last hour)."""
    hours = WEEKS * HOURS_PER_WEEK
    rate = np.array([level * shape(h) for h in range(hours)])
    counts = rng.poisson(rate)
    for hour in rng.choice(EVAL_FROM, size=4, replace=False):  # past outliers
        counts[hour] += int(max(5, 6 * math.sqrt(rate[hour])))
    spikes = []
    starts = sorted(rng.choice(np.arange(EVAL_FROM + 24, hours - 4), size=4, replace=False))
    for first in starts:
        if spikes and first - spikes[-1][1] < 24:
            continue  # keep injected spikes a day apart, so each is its own event
        length = int(rng.integers(1, 4))
        for hour in range(first, first + length):
            counts[hour] += int(max(5, round(size * math.sqrt(max(rate[hour], 1.0)))))
        spikes.append((int(first), int(first + length - 1)))
    return [int(c) for c in counts], spikes


def score(settings: SpikeSettings, seeds: range) -> dict[float, tuple[float, float]]:
    """Return {size: (precision, recall)} over streams of every level for these seeds."""
    found: dict[float, tuple[float, float]] = {}
    for size in SIZES:
        right = called = hit = injected = 0
        for seed in seeds:
            rng = np.random.default_rng(seed)
            for level in LEVELS:
                counts, spikes = stream(rng, level, size)
                events = detect(counts, settings, start=EVAL_FROM)
                called += len(events)
                right += sum(any(e.start <= b and e.end >= a for a, b in spikes) for e in events)
                injected += len(spikes)
                hit += sum(any(e.start <= b and e.end >= a for e in events) for a, b in spikes)
        found[size] = (right / called if called else 1.0, hit / injected if injected else 1.0)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--streams", type=int, default=40, help="seeds for the figures (x4 volumes)")
    args = parser.parse_args()
    settings = SpikeSettings()
    began = time.perf_counter()
    figures = score(settings, range(100, 100 + args.streams))
    print(f"Spike detection, default settings {settings}, {args.streams * len(LEVELS)} streams per size:")
    print(f"{'spike size (noise units)':<26}{'precision':>10}{'recall':>8}")
    for size, (precision, recall) in figures.items():
        print(f"{size:<26.0f}{precision:>10.3f}{recall:>8.3f}")
    print(f"({time.perf_counter() - began:.1f} s; target: precision and recall at least 0.9)")


if __name__ == "__main__":
    main()
