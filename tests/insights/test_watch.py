"""Spikes from stored posts: one spike per surge however long it lasts, and subsided when it ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from earful.insights import watch
from earful.insights.spikes import SpikeSettings
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Spike
from tests.factories import label, make_source, posts_at

SURGE_START = datetime(2026, 11, 20, 0, tzinfo=UTC)


def test_a_three_day_surge_is_one_spike_that_subsides_when_it_ends(db: Database, settings: Settings) -> None:
    source = make_source(db, region="Leeds")
    quiet = [SURGE_START - timedelta(hours=h, minutes=20) for h in range(1, 29 * 24)]
    surge = [SURGE_START + timedelta(hours=h, minutes=m) for h in range(72) for m in range(0, 60, 6)]
    label(db, posts_at(db, source, quiet + surge, "scanner broken"), "app.scanning", "complaint")
    for hour in range(1, 73, 6):  # the worker scans every few minutes; every 6 hours is enough here
        watch.scan(db, settings, SURGE_START + timedelta(hours=hour, minutes=30))
    with db.read() as session:
        spikes = session.scalars(select(Spike).where(Spike.category == "app", Spike.region == "")).all()
        assert len(spikes) == 1, [(s.started_at, s.ended_at) for s in spikes]
        (spike,) = spikes
        assert spike.started_at.replace(tzinfo=UTC) == SURGE_START
        assert spike.ended_at.replace(tzinfo=UTC) >= SURGE_START + timedelta(hours=66)
        assert spike.subsided_at is None
    watch.scan(db, settings, SURGE_START + timedelta(hours=76))  # three quiet hours after the surge
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Spike).where(Spike.subsided_at.is_(None))) == 0


def test_an_earlier_spike_sliding_out_of_the_scan_window_is_not_stored_again(
    db: Database, settings: Settings
) -> None:
    source = make_source(db, region="Leeds")
    quiet = [SURGE_START - timedelta(hours=h, minutes=20) for h in range(1, 29 * 24)]
    first = [SURGE_START + timedelta(hours=h, minutes=m) for h in range(3) for m in range(0, 60, 3)]
    second = [SURGE_START + timedelta(hours=20 + h, minutes=m) for h in range(2) for m in range(0, 60, 3)]
    label(db, posts_at(db, source, quiet + first + second, "scanner broken"), "app.scanning", "complaint")
    for hour in (22, 48, 49, 50, 51):  # the first spike's hours leave the 48-hour window one by one
        watch.scan(db, settings, SURGE_START + timedelta(hours=hour, minutes=30))
    with db.read() as session:
        starts = sorted(
            s.started_at.replace(tzinfo=UTC)
            for s in session.scalars(select(Spike).where(Spike.category == "app", Spike.region == ""))
        )
    assert starts == [SURGE_START, SURGE_START + timedelta(hours=20)]


def test_a_deployment_that_sets_nothing_runs_the_detector_as_the_bench_chose_it(tmp_path: Path) -> None:
    # The spike defaults live twice (the settings a deployment may override, and the detector's own,
    # which bench/spikes.py tunes): a default changed in one place only would silently run another
    # detector in production than the one the bench measured.
    chosen = watch.spike_settings(Settings(data_dir=tmp_path))
    assert chosen == SpikeSettings()
