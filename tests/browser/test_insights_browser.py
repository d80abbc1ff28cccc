"""Insights and reports in a real browser: charts that open their posts, a report made and read."""

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


@pytest.fixture
def week(db: Database, settings: Settings) -> None:
    now = utcnow()
    burst(db, now)  # four weeks of GPS complaints in Leeds and a surge in the last hour
    madrid = make_source(db, "r/madrid", region="Madrid")
    ids = posts_at(db, madrid, [now - timedelta(hours=h) for h in range(2, 60, 3)], "me faltan las propinas")
    label(db, ids, "pay.tips", "neutral")
    watch.scan(db, settings, now)
    add_user(db, "ana", PASSWORD, "analyst")


@pytest.mark.usefixtures("week")
def test_a_bar_on_the_dashboard_opens_its_posts(server: str, new_page: Any) -> None:
    page = new_page()
    sign_in(page, server, "ana")
    page.click("nav >> text=Insights")
    page.wait_for_url(re.compile(r".*/insights$"))
    charts = page.locator("figure.chart-box svg")
    assert charts.count() >= 5 and charts.first.is_visible()
    assert "All posts" in page.locator("table.spikes").inner_text()  # the surge is listed as a spike
    shot(page, "insights-dashboard")
    page.locator("figure.chart-box svg a", has_text="Pay & earnings").first.click()
    page.wait_for_url(re.compile(r".*/feed\?category=pay.*"))
    posts = page.locator("#feed .post")
    assert posts.count() == 20 and "propinas" in posts.first.inner_text()


@pytest.mark.usefixtures("week")
def test_an_analyst_makes_a_report_and_reads_it(server: str, new_page: Any) -> None:
    page = new_page()
    sign_in(page, server, "ana")
    page.goto(f"{server}/insights?region=Madrid")
    page.click("text=Make a report of this")
    page.wait_for_url(re.compile(r".*/reports/new\?.*"))
    page.fill("input[name=title]", "Madrid this week")
    page.click("button:has-text('Make the report')")
    page.wait_for_url(re.compile(r".*/reports/\d+$"))
    assert "Report" in page.locator(".flash").inner_text() and "region = Madrid" in page.inner_text("main")
    shot(page, "report-page")
    with page.expect_popup() as popup:
        page.click("text=Read it")
    report = popup.value
    report.wait_for_load_state()
    assert report.locator("h1").inner_text() == "Madrid this week"
    assert report.locator("svg").count() >= 3
    shot(report, "report-html")
    with page.expect_download() as download:
        page.click("a:has-text('PDF')")
    assert download.value.suggested_filename.endswith(".pdf")
