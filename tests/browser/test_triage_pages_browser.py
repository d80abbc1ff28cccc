"""The post page's status form and timeline, and the team pages, in a real browser (issue 16, items 4-6).

The deployment here runs on Madrid time, so a time shown in UTC, or bare, would give itself away.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

import earful.ingest.jobs  # noqa: F401 - registers the enrichment job that the import drains
from earful.accounts.service import add_user
from earful.classify.service import ensure_default
from earful.contracts import Actor
from earful.kit.clock import as_utc
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Post, TriageItem
from earful.triage.service import save_team
from tests.browser.conftest import shot
from tests.browser.test_workspace_browser import POSTS, _import, sign_in
from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.browser

ZONE = "Europe/Madrid"
SETUP = Actor(None, "setup", "admin")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The suite's settings, on Madrid time."""
    return settings.model_copy(update={"time_zone": ZONE})


@pytest.fixture
def posts(db: Database, settings: Settings, tmp_path: Path) -> dict[str, int]:
    """The workspace tests' five posts, an analyst (ana), a lead (lee) and two teams; the posts' ids."""
    ensure_default(db)
    _import(db, settings, tmp_path, POSTS, "first")
    add_user(db, "ana", PASSWORD, "analyst")
    add_user(db, "lee", PASSWORD, "lead")
    save_team(db, SETUP, "App team", "#app-team", ["app"])
    save_team(db, SETUP, "Safety", "safety@example.org", ["safety"])
    with db.read() as session:
        return {p.external_id: p.id for p in session.scalars(select(Post))}


def desktop(page: Any) -> Any:
    page.set_viewport_size({"width": 1440, "height": 900})
    return page


def madrid(moment: datetime) -> str:
    """A time as the pages should show it: "6 Dec, 19:05 CET" (the year only when it is not this one)."""
    local = (as_utc(moment) or moment).astimezone(ZoneInfo(ZONE))
    year = "" if local.year == datetime.now(ZoneInfo(ZONE)).year else f" {local.year}"
    return f"{local.day} {local:%b}{year}, {local:%H:%M} {local:%Z}"


def test_the_status_form_offers_the_next_natural_step(
    server: str, new_page: Any, posts: dict[str, int]
) -> None:
    page = desktop(new_page())
    sign_in(page, server, "ana")
    page.goto(f"{server}/posts/{posts['3']}")
    status = page.locator("select[name=status]")
    shot(page, "issue16/item4-status-default")
    assert status.input_value() == "investigating"
    page.click("button:text-is('Change status')")
    page.locator(".flash", has_text="Marked investigating.").wait_for()
    assert status.input_value() == "resolved"
    # Back out of a resolution: reopening is the only way on, and it is offered.
    page.click("button:text-is('Change status')")
    page.locator(".flash", has_text="Marked resolved.").wait_for()
    assert status.input_value() == "investigating"
    # Dismissing is still there, just not the default, and still needs a reason.
    page.click("button:text-is('Change status')")
    page.locator(".flash", has_text="Marked investigating.").wait_for()
    assert "dismissed" in status.locator("option").all_inner_texts()
    shot(page, "issue16/item4-status-default-after-steps")


def test_the_timeline_speaks_in_words_and_one_time_zone(
    server: str, new_page: Any, posts: dict[str, int], db: Database
) -> None:
    post = posts["1"]
    ana = desktop(new_page())
    sign_in(ana, server, "ana")
    ana.fill("input[name=size]", "5")
    ana.click("text=Take batch")
    ana.wait_for_url(re.compile(r".*/queue$"))
    lee = desktop(new_page())
    sign_in(lee, server, "lee")
    lee.goto(f"{server}/posts/{post}")
    lee.fill("form[action$='/note'] textarea[name=text]", "Rang the depot, they know")
    lee.click("text=Add note")
    lee.locator(".flash", has_text="Note added.").wait_for()
    lee.click("button:text-is('Escalate')")
    lee.locator(".flash", has_text="Escalated to App team.").wait_for()
    timeline = lee.locator(".timeline")
    shot(lee, "issue16/item5-timeline")
    with db.read() as session:
        item = session.scalars(select(TriageItem).where(TriageItem.post_id == post)).one()
        acknowledge_by, resolve_by = item.ack_due_at, item.resolve_due_at
    assert acknowledge_by is not None and resolve_by is not None
    text = timeline.inner_text()
    # No raw keys, no Python values, no ISO timestamps.
    assert "batch:" not in text and "True" not in text and "assignee:" not in text
    assert not re.search(r"\d{4}-\d\d-\d\dT?\d", text), text
    assert "ana took it in a batch" in text
    assert 'lee added a note: "Rang the depot, they know"' in text
    assert (
        f"lee escalated it to App team: acknowledge by {madrid(acknowledge_by)}, "
        f"resolve by {madrid(resolve_by)}" in text
    ), text
    # Every time on the page is in the deployment's zone, and says so.
    times = lee.locator("main time").all_inner_texts()
    assert times and all(t.endswith(" CET") for t in times), times
    deadlines = lee.locator("table.sla").inner_text()
    assert madrid(acknowledge_by) in deadlines and madrid(resolve_by) in deadlines
    assert "UTC" not in lee.locator("main").inner_text()
    # The queue's deadline reads the same as the post page's.
    lee.goto(f"{server}/teams")
    lee.locator("tr", has_text="App team").locator("a", has_text="App team").click()
    due = lee.locator(f"li[data-post-id='{post}'] .due").inner_text()
    assert due == f"acknowledge by {madrid(acknowledge_by)}", due
    shot(lee, "issue16/item5-team-queue-deadline")
