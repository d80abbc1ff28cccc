"""The analyst workspace in a real browser: what a person does, end to end."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import earful.ingest.jobs  # noqa: F401 - registers the enrichment job that drain runs
from earful.accounts.service import add_user
from earful.classify.service import ensure_default
from earful.contracts import Actor
from earful.ingest.service import get_or_create_source, iter_import
from earful.jobs.queue import drain
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import AuditEntry, Label, Post
from earful.triage.service import add_note, save_team
from tests.browser.conftest import shot
from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.browser

POSTS = [
    {"id": "1", "author": "@jo_rides", "text": "The app crashed at the station and logged me out again"},
    {"id": "2", "author": "@sam", "text": "My tips are missing from last week, support never answered"},
    {"id": "3", "author": "@lee", "text": "GPS pin sent me to the wrong street twice today"},
    {"id": "4", "author": "@kim", "text": "Someone threatened me at the door during the evening route"},
    {"id": "5", "author": "@ali", "text": "Thanks to the depot team, great week with quick loading"},
]


def _import(db: Database, settings: Settings, tmp_path: Path, rows: list[dict[str, str]], name: str) -> None:
    path = tmp_path / f"{name}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    get_or_create_source(db, "r/drivers", region="UK")
    iter_import(db, settings, path, "r/drivers")
    drain(db, settings)


@pytest.fixture
def loaded(db: Database, settings: Settings, tmp_path: Path) -> dict[str, int]:
    ensure_default(db)
    _import(db, settings, tmp_path, POSTS, "first")
    for name, role in (("ana", "analyst"), ("lee", "lead"), ("val", "viewer")):
        add_user(db, name, PASSWORD, role)
    save_team(db, Actor(None, "setup", "admin"), "App team", "#app-team", ["app"])
    save_team(db, Actor(None, "setup", "admin"), "Safety", "safety@example.org", ["safety"])
    with db.read() as session:
        return {p.external_id: p.id for p in session.scalars(select(Post))}


def sign_in(page: Any, server: str, username: str) -> None:
    page.goto(f"{server}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/feed$"))


def test_login_shows_the_confidentiality_notice(server: str, new_page: Any, settings: Settings) -> None:
    page = new_page()
    page.goto(f"{server}/feed")
    page.wait_for_url(re.compile(r".*/login\?next=/feed"))
    notice = page.locator(".notice")
    assert notice.is_visible() and "pseudonymised" in notice.inner_text()
    shot(page, "login")


@pytest.mark.usefixtures("loaded")
def test_the_live_feed_receives_a_post_imported_while_it_is_open(
    server: str, new_page: Any, db: Database, settings: Settings, tmp_path: Path
) -> None:
    page = new_page()
    sign_in(page, server, "ana")
    assert page.locator("#feed .post").count() == len(POSTS)
    page.wait_for_timeout(300)  # the event stream connects
    _import(
        db,
        settings,
        tmp_path,
        [{"id": "9", "author": "@new", "text": "Scanner froze on every parcel this morning"}],
        "live",
    )
    page.locator("#feed .post.fresh", has_text="Scanner froze").wait_for()
    assert "1 new post arrived" in page.locator("#live").inner_text()
    assert page.locator("#feed .post").first.inner_text().count("Scanner froze") == 1
    shot(page, "live-feed")


@pytest.mark.usefixtures("loaded")
def test_filter_and_search(server: str, new_page: Any) -> None:
    page = new_page()
    sign_in(page, server, "ana")
    page.fill("#q", "tips OR gps")
    page.locator("#preview", has_text="2 matching posts").wait_for()
    page.click("#filters button[type=submit]")
    page.wait_for_url(re.compile(r".*q=tips\+OR\+gps.*"))
    page.locator("#preview", has_text="2 matching posts").wait_for()  # counted again on arrival
    texts = page.locator("#feed .post .text").all_inner_texts()
    assert len(texts) == 2 and any("tips" in t for t in texts) and any("GPS" in t for t in texts)
    page.select_option("select[name=category]", "pay")
    page.fill("#q", "")
    page.click("#filters button[type=submit]")
    page.wait_for_url(re.compile(r".*category=pay.*"))
    assert page.locator("#feed .post .text").all_inner_texts() == [POSTS[1]["text"]]
    assert page.locator("select[name=category]").input_value() == "pay"
    shot(page, "filtered-feed")


@pytest.mark.usefixtures("loaded")
def test_take_a_batch_and_relabel(server: str, new_page: Any, db: Database) -> None:
    ana = new_page()
    sign_in(ana, server, "ana")
    ana.fill("input[name=size]", "3")
    ana.click("text=Take batch")
    ana.wait_for_url(re.compile(r".*/queue$"))
    assert "3 posts dealt to you." in ana.locator(".flash").inner_text()
    assert ana.locator("#feed .post").count() == 3
    shot(ana, "my-queue")
    # A second analyst's batch never overlaps the first.
    ben_ids = set()
    add_user(db, "ben", PASSWORD, "analyst")
    ben = new_page()
    sign_in(ben, server, "ben")
    ben.click("text=Take batch")
    ben.wait_for_url(re.compile(r".*/queue$"))
    ben_ids = set(ben.locator("#feed .post").evaluate_all("els => els.map(e => e.dataset.postId)"))
    ana_ids = set(ana.locator("#feed .post").evaluate_all("els => els.map(e => e.dataset.postId)"))
    assert ana_ids and ben_ids and not ana_ids & ben_ids
    # Relabel the first post in the queue.
    ana.locator("#feed .post a.open").first.click()
    # Two labels, one of them a whole category: untick what the model said, tick them, by label.
    ticked = ana.locator("input[name=categories]:checked")
    while ticked.count():
        ticked.first.uncheck()
    ana.get_by_label("Missing tips").check()
    ana.get_by_label("Media coverage").check()
    ana.select_option("select[name=sentiment]", "complaint")
    ana.click("text=Relabel")
    ana.locator(".flash", has_text="Labels saved").wait_for()
    post_id = int(ana.url.rsplit("/", 1)[1])
    with db.read() as session:
        labels = session.scalars(select(Label).where(Label.post_id == post_id, Label.by == "analyst")).all()
    assert len(labels) == 2
    assert ana.locator("input[name=categories]:checked").evaluate_all("els => els.map(e => e.value)") == [
        "pay.tips",
        "media",
    ]
    assert "relabel" in ana.locator(".timeline").inner_text()
    shot(ana, "relabelled-post")


def test_a_post_being_worked_on_shows_locked_to_another_analyst(
    server: str, new_page: Any, loaded: dict[str, int], db: Database
) -> None:
    add_user(db, "ben", PASSWORD, "analyst")
    ana, ben = new_page(), new_page()
    sign_in(ana, server, "ana")
    sign_in(ben, server, "ben")
    ana.goto(f"{server}/posts/{loaded['1']}")
    ana.click("text=Assign to me")
    ben.goto(f"{server}/posts/{loaded['1']}")
    assert "ana is working on this post" in ben.locator(".locked-banner").inner_text()
    ben.goto(f"{server}/feed")
    assert "locked: ana" in ben.locator(f"li[data-post-id='{loaded['1']}']").inner_text()
    shot(ben, "locked")


def test_escalate_to_the_owning_team(server: str, new_page: Any, loaded: dict[str, int]) -> None:
    page = new_page()
    sign_in(page, server, "lee")
    page.goto(f"{server}/posts/{loaded['1']}")
    page.click("button:text-is('Escalate')")
    assert "Escalated to App team." in page.locator(".flash").inner_text()
    page.goto(f"{server}/teams")
    row = page.locator("tr", has_text="App team")
    assert row.locator("td").nth(4).inner_text() == "1 waiting"
    row.locator("a", has_text="App team").click()
    assert "The app crashed at the station" in page.locator("#feed").inner_text()
    shot(page, "team-queue")


def test_reveal_an_author_with_a_reason(
    server: str, new_page: Any, loaded: dict[str, int], db: Database
) -> None:
    page = new_page()
    sign_in(page, server, "lee")
    page.goto(f"{server}/posts/{loaded['4']}")
    assert "@kim" not in page.content()
    page.fill("form.reveal input[name=reason]", "Threat at the door reported to the safety team")
    page.click("text=Reveal author")
    assert "@kim" in page.locator(".revealed").inner_text()
    shot(page, "revealed")
    with db.read() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "author.reveal")).one()
    assert entry.detail["reason"] == "Threat at the door reported to the safety team"


def test_a_viewer_is_denied_triage(server: str, new_page: Any, loaded: dict[str, int]) -> None:
    page = new_page()
    sign_in(page, server, "val")
    assert page.locator("text=Take batch").count() == 0 and page.locator("#bulk").count() == 0
    page.goto(f"{server}/posts/{loaded['1']}")
    assert page.locator("text=Change status").count() == 0 and page.locator("text=Reveal author").count() == 0
    response = page.goto(f"{server}/queue")
    assert response.status == 403 and "analyst role or higher" in page.locator(".error").inner_text()
    shot(page, "viewer-denied")


def test_one_long_unbroken_word_wraps_instead_of_widening_the_page(
    server: str, new_page: Any, db: Database, settings: Settings, tmp_path: Path
) -> None:
    # Found in a real-browser review: a 3,000-character note made a post page 26,780 px wide, and
    # a long team name (in every escalation menu) widened post, team and user pages to 2,600-3,600 px.
    ensure_default(db)
    word = "x" * 3000
    _import(db, settings, tmp_path, [{"id": "w", "author": "@w", "text": f"the app crashed {word}"}], "long")
    with db.read() as session:
        post_id = session.scalars(select(Post.id)).one()
    add_user(db, "lee", PASSWORD, "lead")
    add_user(db, "root", PASSWORD, "admin")
    save_team(db, Actor(None, "setup", "admin"), "T" * 120, "c" * 300, ["app"])
    add_note(db, Actor(None, "lee", "lead"), post_id, "n" * 3000)
    page = new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, server, "root")
    get_or_create_source(db, "s" * 120, kind="webhook")
    for path in (f"/posts/{post_id}", "/feed", "/teams", "/admin/users", "/admin/sources"):
        page.goto(f"{server}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1280, f"{path} is {width} px wide"
    # ...while short words in the squeezed table stay whole (a first fix broke "webh/ook").
    lines = page.evaluate(
        """() => [...document.querySelectorAll('main td')]
            .filter(td => td.textContent.trim() === 'webhook')
            .map(td => {
                const r = document.createRange(); r.selectNodeContents(td); return r.getClientRects().length;
            })"""
    )
    assert lines and all(n == 1 for n in lines), lines
    shot(page, "long-words")


def test_on_a_phone_the_menu_shows_whole_and_no_page_is_wider_than_the_screen(
    server: str, new_page: Any, loaded: dict[str, int]
) -> None:
    # Found in a real-browser review at 390 px: the menu was cut off after "Rep..." (it scrolled
    # sideways with nothing to say so), and a post page was 476 px wide (its forms' fields).
    page = new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, server, "lee")
    for path in (
        "/feed",
        f"/posts/{loaded['1']}",
        "/queue",
        "/insights",
        "/reports",
        "/teams",
        "/admin/models",
    ):
        page.goto(f"{server}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width} px wide on a 390 px screen"
        for link in page.locator(".bar nav a").all():
            box = link.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, link.inner_text()
    shot(page, "phone-models")
