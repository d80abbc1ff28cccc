"""The Insights page as an analyst meets it: whole names, filters chosen from what exists, the
previous period beside this one, spikes that follow the filters, and a default range with posts."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from earful.accounts.service import add_user
from earful.insights import watch
from earful.kit.clock import utcnow
from earful.settings import Settings
from earful.store.db import Database
from tests.browser.conftest import shot
from tests.browser.test_workspace_browser import sign_in
from tests.factories import label, make_source, posts_at
from tests.insights.test_alerts import burst
from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.browser

LONG_SOURCE = "Foro Reparto: repartidores de Madrid y alrededores (comunidad)"
# Each row of a chart: its label as drawn (lines joined by spaces) and the name its tooltip gives.
ROWS = """svg => Array.from(svg.querySelectorAll(':scope > a, :scope > g')).map(row => {
  const text = row.querySelector('text');
  const spans = Array.from(text.querySelectorAll('tspan'));
  const box = text.getBBox();
  return {
    drawn: spans.length ? spans.map(s => s.textContent).join(' ') : text.textContent,
    tip: row.querySelector('title').textContent,
    left: box.x,
  };
})"""


def desktop(page: Any) -> None:
    page.set_viewport_size({"width": 1440, "height": 900})


@pytest.fixture
def month(db: Database, settings: Settings) -> None:
    """A month of GPS complaints in Leeds with a surge in the last hour (four spikes: app and all
    posts, everywhere and in Leeds); station waits in Madrid this week and fewer the week before."""
    now = utcnow()
    burst(db, now)
    madrid = make_source(db, LONG_SOURCE, region="Madrid")
    this_week = posts_at(
        db, madrid, [now - timedelta(hours=h) for h in range(2, 60, 3)], "dos horas en la nave"
    )
    label(db, this_week, "operations.station_waits", "complaint")
    before = posts_at(
        db, madrid, [now - timedelta(days=8, hours=h) for h in range(0, 40, 5)], "espera en la nave"
    )
    label(db, before, "operations.station_waits", "neutral")
    watch.scan(db, settings, now)
    add_user(db, "ana", PASSWORD, "analyst")


@pytest.mark.usefixtures("month")
def test_long_subcategory_and_source_names_are_shown_whole(server: str, new_page: Any) -> None:
    page = new_page()
    desktop(page)
    sign_in(page, server, "ana")
    page.goto(f"{server}/insights?range=7d")
    shot(page, "issue16/insights-names")
    for chart in ("Top subcategories", "By source"):
        svg = page.locator("section", has=page.locator("h2", has_text=chart)).locator("svg")
        rows = svg.evaluate(ROWS)
        assert rows, chart
        for row in rows:
            name = re.sub(r": (complaint|neutral|positive|unscored): .*$", "", row["tip"])
            assert "…" not in row["drawn"] and row["drawn"] == name, (chart, row)
            assert row["left"] >= 0, (chart, row)  # the label starts inside the chart, not off its edge
        assert any(row["drawn"] == LONG_SOURCE for row in rows) or chart != "By source"


@pytest.mark.usefixtures("month")
def test_category_region_and_source_are_chosen_from_what_exists(server: str, new_page: Any) -> None:
    page = new_page()
    desktop(page)
    sign_in(page, server, "ana")
    page.goto(f"{server}/insights?range=7d")
    shot(page, "issue16/insights-filters")
    form = page.locator("form.filters")
    for name in ("category", "region", "source"):
        assert form.locator(f"input[name={name}]").count() == 0, f"{name} is still typed by hand"
    regions = form.locator("select[name=region] option").all_inner_texts()
    assert {"Leeds", "Madrid"} <= set(regions) and regions[0].startswith("Every")
    sources = form.locator("select[name=source] option").all_inner_texts()
    assert LONG_SOURCE in sources and "r/leeds_drivers" in sources
    categories = form.locator("select[name=category] option")
    assert "Delivery operations" in categories.all_inner_texts()
    form.locator("select[name=region]").select_option("Madrid")
    form.locator("select[name=category]").select_option("operations.station_waits")
    form.locator("button", has_text="Show").click()
    page.wait_for_url(re.compile(r".*region=Madrid.*"))
    assert "category=operations.station_waits" in page.url
    assert page.locator(".stat .n").first.inner_text() == "20"
    chosen = page.locator("select[name=region] option:checked").inner_text()
    assert chosen == "Madrid"
    # A key that does not exist (an old link, a hand-edited address) is named as such, not hidden.
    page.goto(f"{server}/insights?range=7d&region=Madird")
    assert "Madird" in page.locator("select[name=region] option:checked").inner_text()
    assert "no such region" in page.locator("main").inner_text().lower()


@pytest.mark.usefixtures("month")
def test_the_page_compares_with_the_previous_period(server: str, new_page: Any) -> None:
    page = new_page()
    desktop(page)
    sign_in(page, server, "ana")
    page.goto(f"{server}/insights?range=7d&region=Madrid")
    shot(page, "issue16/insights-compare")
    stats = page.locator(".stat-row").inner_text()
    # 20 posts this week against 8 the week before; all complaints now, none then.
    assert "previous 7 days" in stats
    assert re.search(r"\b8\b", stats) and "+150%" in stats, stats
    assert "+100 points" in stats, stats
    table = page.locator("table.compare").inner_text()
    assert "Delivery operations" in table and "+150%" in table


@pytest.mark.usefixtures("month")
def test_the_spike_count_follows_the_filters(server: str, new_page: Any) -> None:
    page = new_page()
    desktop(page)
    sign_in(page, server, "ana")

    def spikes(query: str) -> tuple[str, int]:
        page.goto(f"{server}/insights?range=7d{query}")
        stat = page.locator(".stat", has_text="spike").inner_text().splitlines()[0]
        return stat, page.locator("h2:has-text('Spikes') + table tbody tr").count()

    assert spikes("") == ("4 spikes", 4)
    page_madrid = spikes("&region=Madrid")
    shot(page, "issue16/insights-spikes-filtered")
    assert page_madrid == ("0 spikes", 0)
    assert spikes("&region=Leeds") == ("2 spikes", 2)
    assert spikes("&category=app") == ("2 spikes", 2)
    assert spikes("&category=app.gps_maps&region=Leeds") == ("1 spike", 1)
    assert spikes("&category=operations") == ("0 spikes", 0)
    assert spikes("&source=r/leeds_drivers") == ("2 spikes", 2)  # a source's spikes are its region's


def test_the_default_range_shows_the_latest_posts(
    server: str, new_page: Any, db: Database, settings: Settings
) -> None:
    # An import of last month and nothing since: the page opens on the data, not on an empty week.
    now = utcnow()
    source = make_source(db, "Driver feedback form (Ireland)", region="Ireland")
    newest = now - timedelta(days=20)
    ids = posts_at(db, source, [newest - timedelta(hours=h) for h in range(0, 24 * 25, 7)], "long wait")
    label(db, ids, "operations.station_waits", "complaint")
    add_user(db, "ana", PASSWORD, "analyst")
    page = new_page()
    desktop(page)
    sign_in(page, server, "ana")
    page.goto(f"{server}/insights")
    shot(page, "issue16/insights-default-range")
    assert "No posts in this range" not in page.inner_text("main")
    assert page.locator(".stat .n").first.inner_text() == f"{len(ids):,}"
    note = page.locator(".range-note").inner_text()
    assert "newest post" in note and newest.strftime("%d %b %Y") in note
    assert page.locator("input[name=until]").input_value() == (newest + timedelta(days=1)).strftime(
        "%Y-%m-%d"
    )
    # A range asked for by name stays what was asked, empty or not.
    page.goto(f"{server}/insights?range=7d")
    assert "No posts in this range" in page.inner_text("main")
