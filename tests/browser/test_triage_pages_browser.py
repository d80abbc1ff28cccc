"""The post page's status form and timeline, and the team pages, in a real browser (issue 16, items 4-6).

The deployment here runs on Madrid time, so a time shown in UTC, or bare, would give itself away.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

import earful.ingest.jobs  # noqa: F401 - registers the enrichment job that the import drains
from earful.accounts.service import add_user, list_users, update_user
from earful.classify.service import ensure_default
from earful.contracts import Actor
from earful.kit.clock import as_utc
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Post, Team, TriageItem
from earful.triage import service
from earful.triage.service import save_team
from earful.triage.sla import Sla
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


def test_team_pages_show_members_and_link_waiting_and_overdue_to_the_queue(
    server: str, new_page: Any, posts: dict[str, int], db: Database, settings: Settings
) -> None:
    with db.read() as session:
        app_team = session.scalars(select(Team).where(Team.name == "App team")).one().id
        safety = session.scalars(select(Team).where(Team.name == "Safety")).one().id
    users = {u.username: u.id for u in list_users(db)}
    update_user(db, SETUP, users["ana"], role="analyst", team_id=app_team, active=True)
    lee = Actor(users["lee"], "lee", "lead")
    for key in ("1", "3"):
        service.escalate(db, lee, posts[key], app_team, defaults=Sla.from_settings(settings))
        service.release(db, lee, posts[key])
    with db.write() as session:  # the GPS post's team let its acknowledgment deadline pass
        session.execute(
            update(TriageItem)
            .where(TriageItem.post_id == posts["3"])
            .values(ack_due_at=datetime.now(ZoneInfo("UTC")) - timedelta(minutes=5))
        )
    page = desktop(new_page())
    sign_in(page, server, "lee")
    page.goto(f"{server}/teams")
    shot(page, "issue16/item6-teams")
    headers = page.locator("table.teams th").all_inner_texts()
    row = page.locator("tr", has_text="App team")
    cells = dict(zip(headers, row.locator("td").all_inner_texts(), strict=True))
    assert cells["Members"] == "ana (analyst)"
    empty = dict(
        zip(headers, page.locator("tr", has_text="Safety").locator("td").all_inner_texts(), strict=True)
    )
    assert "nobody yet" in empty["Members"] and "Users" in empty["Members"]
    waiting = row.locator("a", has_text="2 waiting")
    assert waiting.get_attribute("href") == f"/teams/{app_team}/queue"
    overdue = row.locator("a", has_text="1 overdue")
    assert overdue.get_attribute("href") == f"/teams/{app_team}/queue?overdue=1"
    overdue.click()
    page.wait_for_url(re.compile(r".*/queue\?overdue=1$"))
    assert page.locator("h1").inner_text() == "App team: overdue"
    shown = page.locator("#feed .post").evaluate_all("els => els.map(e => e.dataset.postId)")
    assert shown == [str(posts["3"])]
    shot(page, "issue16/item6-team-overdue-queue")
    # An empty team queue says what lands there, not "take a batch".
    page.goto(f"{server}/teams/{safety}/queue")
    message = page.locator("#empty").inner_text()
    assert "batch" not in message and "Nothing is waiting for Safety" in message, message
    assert "escalate" in message
    shot(page, "issue16/item6-empty-team-queue")
