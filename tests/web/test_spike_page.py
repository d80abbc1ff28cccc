"""A spike's page on sparse data: the real usual count each hour (not a median of zeros), axis labels
that can be read, times in the deployment's time zone, and "subsided" at the hour it subsided."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from earful.insights import watch
from earful.settings import Settings
from earful.store.db import Database
from earful.web.app import create_app
from tests.factories import label, make_source, posts_at
from tests.web.conftest import login

SPIKE = datetime(2026, 11, 20, 9, tzinfo=UTC)  # 10:00 in Paris


@pytest.fixture
def paris(db: Database, settings: Settings) -> Iterator[tuple[TestClient, Settings]]:
    local = settings.model_copy(update={"time_zone": "Europe/Paris"})
    with TestClient(create_app(local, db), follow_redirects=False) as client:
        yield client, local


def test_a_sparse_spike_shows_its_real_baseline_readable_hours_and_when_it_subsided(
    paris: tuple[TestClient, Settings], db: Database
) -> None:
    client, settings = paris
    source = make_source(db, "r/quiet_drivers", region="Leeds")
    # One post in roughly one hour in three: the median of any hour's history is 0, its mean not.
    history = [
        SPIKE - timedelta(hours=h, minutes=25) for h in range(1, 29 * 24) if (h * 7 + h // 168) % 3 == 0
    ]
    burst = [SPIKE + timedelta(minutes=4 * m) for m in range(12)]
    label(db, posts_at(db, source, history + burst, "the pin is in the wrong street"), "app.gps_maps")
    watch.scan(db, settings, SPIKE + timedelta(hours=1, minutes=5))
    watch.scan(db, settings, SPIKE + timedelta(hours=4))  # quiet since: it subsided
    (spike,) = [
        s for s in watch.recent(db, SPIKE, SPIKE + timedelta(hours=1)) if not s.category and not s.region
    ]
    login(client, db, role="viewer")
    page = client.get(f"/insights/spikes/{spike.id}").text
    # The hours around it read their usual count as the mean of the hours the baseline reads.
    rows = re.findall(r"<tr><td>([^<]+)</td><td>(\d+)</td><td>([^<]+)</td><td>([^<]+)</td></tr>", page)
    assert rows, page
    usuals = [float(usual) for _, _, usual, _ in rows if usual != "—"]
    assert usuals and any(u > 0 for u in usuals), rows
    assert "mean" in page  # the page says what "usual" is
    spike_row = [r for r in rows if r[0].startswith("Fri 20 Nov 10:00")]
    assert spike_row and spike_row[0][1] == "12", rows
    # Axis labels: short hours in Paris time (the spike's 09:00 UTC is 10:00 CET), and the zone named.
    chart = page[page.index("<svg") : page.index("</svg>")]
    ticks = re.findall(r"<text[^>]*text-anchor='middle'[^>]*>([^<]+)</text>", chart)
    assert ticks and all(len(t) <= 6 for t in ticks), ticks
    assert "CET" in page
    # Subsided when the first hour back to normal began (10:00 UTC, 11:00 in Paris), not at the scan.
    back = re.search(r"Back to normal from 20 Nov(?: 2026)?, 11:00 CET", page)
    assert back, page[page.index("<h1") : page.index("<figure")]
