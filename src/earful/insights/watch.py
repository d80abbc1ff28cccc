"""Watch the stored posts for spikes: hourly counts per category, overall and per region.

The worker runs `scan` every few minutes. It counts the last weeks of posts by hour, runs spike
detection on the last two days of each series, stores each spike event once (growing it while it
lasts), and marks a spike subsided once an hour after it is back within one spread of its baseline.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from earful.insights.spikes import HOURS_PER_WEEK, SpikeSettings, detect, early, expected, smallest_spike
from earful.kit.clock import as_utc, utcnow
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Spike
from earful.store.repos import insights as insights_repo
from earful.store.repos import sources as sources_repo
from earful.store.repos import taxonomy as taxonomy_repo
from earful.store.repos.feed import FeedFilter
from earful.store.repos.insights import HOURLY

SCAN_HOURS = 48  # hours at the end of each series examined on every scan
ALL_POSTS = "All posts"
SUBSIDED_SCORE = 1.0  # spreads above baseline under which an hour counts as back to normal


@dataclass(frozen=True, slots=True)
class SpikeView:
    """A spike as pages and reports show it."""

    id: int
    category: str
    category_name: str
    region: str
    started_at: datetime
    ended_at: datetime
    observed: int
    expected: float
    score: float
    subsided_at: datetime | None

    @property
    def where(self) -> str:
        """Return where it happened, in words."""
        return self.region or "all regions"


def spike_settings(settings: Settings) -> SpikeSettings:
    """Return the spike settings the deployment chose."""
    return SpikeSettings(
        sensitivity=settings.spike_sensitivity,
        min_volume=settings.spike_min_volume,
        cooldown_hours=settings.spike_cooldown_hours,
    )


def _hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def hourly_series(
    db: Database, first: datetime, hours: int, until: datetime | None = None
) -> dict[tuple[str, str], list[int]]:
    """Return hourly post counts from `first` for each (category, region) and (category, ""), where
    category "" counts every post (a surge that no single category shows may still be one). Posts
    from `until` on are left out (the open hour holds the posts so far)."""
    series: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * hours)
    end = first + timedelta(hours=hours)
    where = FeedFilter(since=first, until=min(end, until) if until else end)
    with db.read() as session:
        regions = {s.id: s.region or "" for s in sources_repo.all_sources(session)}
        rows = insights_repo.by_category(session, where, HOURLY, "top")
        rows += insights_repo.volume(session, where, HOURLY)  # category "": every post once
    for row in rows:
        at = datetime.strptime(row.bucket, "%Y-%m-%d %H").replace(tzinfo=UTC)
        index = int((at - first).total_seconds() // 3600)
        if not 0 <= index < hours:
            continue
        series[(row.category, "")][index] += row.posts
        region = regions.get(row.source_id, "")
        if region:
            series[(row.category, region)][index] += row.posts
    return dict(series)


def usual(counts: Sequence[int], hour: int, weeks: int) -> float | None:
    """Return the count the detector expects for `hour` (its baseline: the same hour of every day
    over `weeks` weeks scaled to this day of the week, or, where that disagrees, the mean of the same
    hour of the week and the hours either side, never under their median; past spikes left out), or
    None without history. Pages and alerts show it as the usual count."""
    found = expected(counts, hour, weeks)
    return found[0] if found else None


def scan(
    db: Database, settings: Settings, now: datetime | None = None, scan_hours: int = SCAN_HOURS
) -> list[int]:
    """Find and store spikes in the `scan_hours` before `now` (two days unless asked to look further
    back, as over imported history), the hour still open judged on its posts so far; group them into
    incidents; mark old ones subsided; return new spike ids."""
    now = as_utc(now) or utcnow()
    config = spike_settings(settings)
    hours = config.weeks * HOURS_PER_WEEK + scan_hours
    first = _hour(now) - timedelta(hours=hours - 1)
    series = hourly_series(db, first, hours, until=now)
    open_hour = hours - 1  # the hour `now` is in: its posts so far
    minutes = int((now - _hour(now)).total_seconds() // 60)
    new: list[int] = []
    with db.write() as session:
        # Wide series first (all posts everywhere, then a region or a category, then both), so the
        # spike an outage makes at every level is stored first and the narrower ones join it.
        for (category, region), counts in sorted(series.items(), key=_widest_first):
            if sum(counts[-scan_hours:]) < config.min_volume:
                continue
            closed = counts[:open_hour]
            events = [
                (event, usual(closed, event.peak, config.weeks) or 0.0)
                for event in detect(closed, config, start=hours - scan_hours)
            ]
            judged = early(closed, counts[open_hour], minutes, config)
            if judged is not None:
                # The usual count by now: the hour's usual scaled by the minutes gone, as early() scales.
                events.append((judged, (usual(closed, open_hour, config.weeks) or 0.0) * minutes / 60))
            for event, baseline in events:
                found = {
                    "category": category,
                    "region": region,
                    "started_at": first + timedelta(hours=event.start),
                    "ended_at": first + timedelta(hours=event.end),
                    "observed": event.count,
                    "expected": round(baseline, 2),
                    "score": round(event.score, 2),
                }
                if _extends(session, found, config.cooldown_hours):
                    continue
                stored = insights_repo.save_spike(session, **found)
                if stored.incident_id is None:
                    stored.incident_id = _incident_of(session, stored)
                if stored.subsided_at is None and stored.id not in new:
                    new.append(stored.id)
        last_complete = hours - 2  # the current hour is still filling
        for spike in insights_repo.open_spikes(session):
            ended = as_utc(spike.ended_at) or now
            end = int((ended - first).total_seconds() // 3600)
            if end >= last_complete:
                continue
            counts = series.get((spike.category, spike.region), [0] * hours)
            quiet = _first_quiet_hour(counts, max(end + 1, 0), last_complete, config.weeks)
            if quiet is not None:
                # Subsided at the start of the first hour back to normal: over history scanned late
                # (an import, the demo), that is weeks before the scan, not the moment of the scan.
                spike.subsided_at = first + timedelta(hours=quiet)
    return new


def _first_quiet_hour(counts: list[int], start: int, last: int, weeks: int) -> int | None:
    """Return the first hour from `start` to `last` back within one spread of its baseline, or None."""
    for index in range(start, last + 1):
        baseline = expected(counts, index, weeks)
        if baseline is None or (counts[index] - baseline[0]) / baseline[1] < SUBSIDED_SCORE:
            return index
    return None


def _extends(session: Session, found: dict[str, Any], cooldown_hours: int) -> bool:
    """Grow the stored spike this event continues, if any; return True when it did.

    Detection looks at the last hours only, so a surge longer than that is seen to start later on
    each scan: within the cooldown of a stored spike of the same series it is the same spike. A
    spike called early, in its first hour, may be seen to have started an hour sooner once whole
    hours are judged (a slow surge): a stored spike that the event overlaps is the same spike too.
    """
    slack = timedelta(hours=cooldown_hours)
    last = insights_repo.spike_overlapping(
        session, found["category"], found["region"], found["started_at"] - slack, found["ended_at"]
    )
    if last is None:
        return False
    last_end = as_utc(last.ended_at) or found["ended_at"]
    last.ended_at = max(last_end, found["ended_at"])
    last_start = as_utc(last.started_at) or found["started_at"]
    if found["started_at"] < last_start and not insights_repo.spike_overlapping(
        session, found["category"], found["region"], found["started_at"], found["started_at"]
    ):
        last.started_at = found["started_at"]
    if found["score"] > last.score:
        last.observed, last.expected, last.score = found["observed"], found["expected"], found["score"]
    last.subsided_at = None  # it had not subsided after all
    return True


def related(a: tuple[str, str], b: tuple[str, str]) -> bool:
    """Return whether spikes of two (category, region) series at the same time are one incident:
    when they count some posts in common ("" is every category or every region, so all posts
    contain each category, and a category everywhere contains it in each region), or are in the
    same place (one outage brings complaints of several categories, in one region or everywhere)."""
    shares = all(x == y or not x or not y for x, y in zip(a, b, strict=True))
    return shares or a[1] == b[1]


def _incident_of(session: Session, spike: Spike) -> int:
    """Return the incident a newly stored spike belongs to: that of the first stored spike whose
    hours touch its hours (overlap, or follow within an hour) and whose series is `related` to
    its series (the earliest, when several); its own id when there is none."""
    start = as_utc(spike.started_at) or spike.started_at
    end = as_utc(spike.ended_at) or spike.ended_at
    near = insights_repo.spikes_during(session, start - timedelta(hours=1), end + timedelta(hours=1))
    linked = [
        other
        for other in near
        if other.id != spike.id and related((other.category, other.region), (spike.category, spike.region))
    ]
    incidents = {other.incident_id or other.id for other in linked}
    joined = min(incidents, default=spike.id)
    # A spike that bridges two incidents (all posts, over a category's and a region's) makes them
    # one: the later ones' spikes move to the first. An alert already sent for a later one keeps
    # its subject, and its "subsided" update follows the incident its first spike moved to.
    for other in insights_repo.spikes_of_incidents(session, incidents - {joined}):
        other.incident_id = joined
    return joined


def _widest_first(item: tuple[tuple[str, str], list[int]]) -> tuple[bool, bool, str, str]:
    (category, region), _ = item
    return bool(category), bool(region), category, region


def as_view(spike: Spike, names: dict[str, str]) -> SpikeView:
    return SpikeView(
        id=spike.id,
        category=spike.category,
        category_name=names.get(spike.category, spike.category) if spike.category else ALL_POSTS,
        region=spike.region,
        started_at=as_utc(spike.started_at) or spike.started_at,
        ended_at=as_utc(spike.ended_at) or spike.ended_at,
        observed=spike.observed,
        expected=spike.expected,
        score=spike.score,
        subsided_at=as_utc(spike.subsided_at),
    )


def recent(db: Database, since: datetime, until: datetime) -> list[SpikeView]:
    """Return the spikes that started in [since, until), biggest first."""
    with db.read() as session:
        names = taxonomy_repo.display_names(session)
        return [as_view(s, names) for s in insights_repo.spikes_between(session, since, until)]


def in_scope(spike: SpikeView, category: str | None, region: str | None) -> bool:
    """Return whether a spike belongs to a view narrowed to `category` and to `region` (None: not
    narrowed). Spikes are found per top-level category (or over all posts) and per region (or
    everywhere): a view of one category shows that category's spikes, a view of one region that
    region's, and "" as the region means spikes counted everywhere."""
    if category and spike.category != category.split(".")[0]:
        return False
    return region is None or spike.region == region


def get(db: Database, spike_id: int) -> SpikeView | None:
    """Return one spike, or None."""
    with db.read() as session:
        found = insights_repo.spike(session, spike_id)
        return as_view(found, taxonomy_repo.display_names(session)) if found else None


@dataclass(frozen=True, slots=True)
class HourRow:
    """One hour on a spike's page: its posts, the usual count for it (the count the detector
    expects) and the count above which the detector calls it a spike; None without history."""

    at: datetime
    posts: int
    usual: float | None
    spike_above: float | None


@dataclass(frozen=True, slots=True)
class SpikeDetail:
    """A spike with the hours around it, the other spikes of its incident and the escalations it raised."""

    spike: SpikeView
    hours: list[HourRow]
    escalated_posts: list[int]
    related: list[SpikeView]


def detail(db: Database, settings: Settings, spike_id: int) -> SpikeDetail | None:
    """Return a spike with its series from two days before to a day after, or None."""
    found = get(db, spike_id)
    if found is None:
        return None
    config = spike_settings(settings)
    before, after = 48, 24
    history = config.weeks * HOURS_PER_WEEK
    first = _hour(found.started_at) - timedelta(hours=history + before)
    total = history + before + after + 1
    now = utcnow()
    counts = hourly_series(db, first, total, until=now).get((found.category, found.region), [0] * total)
    hours = []
    for index in range(history, total):
        at = first + timedelta(hours=index)
        if at > now:
            break
        baseline = expected(counts, index, config.weeks)  # (usual count, spread), once an hour
        above = smallest_spike(baseline, config) - 1 if baseline else None
        hours.append(HourRow(at, counts[index], _one(baseline[0] if baseline else None), _one(above)))
    with db.read() as session:
        escalated = list(insights_repo.escalated_for_spike(session, spike_id))
        names = taxonomy_repo.display_names(session)
        spike = insights_repo.spike(session, spike_id)
        incident = insights_repo.incident(session, (spike.incident_id or spike.id) if spike else spike_id)
        related = [as_view(s, names) for s in incident if s.id != spike_id]
    return SpikeDetail(found, hours, escalated, related)


def _one(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None
