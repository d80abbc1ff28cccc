"""The admin pages in a real browser, as an admin (and a lead) meets them: users, sources, the
taxonomy, settings, the audit log, alert rules, a missing page, and the header on a phone."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from earful.accounts.service import add_user
from earful.audit.service import record
from earful.classify.service import ensure_default
from earful.contracts import Actor
from earful.ingest.service import get_or_create_source, iter_import
from earful.insights import alerts, watch
from earful.kit.clock import utcnow
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import AuditEntry
from earful.triage.service import save_team
from tests.browser.conftest import ARTIFACTS
from tests.factories import label, make_posts, make_source, posts_at
from tests.insights.test_alerts import burst
from tests.servers import Hook
from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
# Screenshots are named by stage: run with ISSUE16_SHOT=before on the unchanged code for the "before" set.
STAGE = os.environ.get("ISSUE16_SHOT", "after")
SETUP = Actor(None, "setup", "admin")


def snap(page: Any, name: str) -> None:
    """Save a full-page screenshot as artifacts/issue16/NAME-STAGE.png."""
    folder = ARTIFACTS / "issue16"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}-{STAGE}.png"), full_page=True)


def open_as(new_page: Any, server: str, username: str, password: str = PASSWORD, size: Any = None) -> Any:
    """Open a browser context of its own and sign in there."""
    page = new_page()
    page.set_viewport_size(size or DESKTOP)
    page.goto(f"{server}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/feed$"))
    return page


def audited(db: Database, action: str) -> list[AuditEntry]:
    with db.read() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _column_of(page: Any, header: str) -> tuple[float, float]:
    box = page.locator("main table.grid thead th", has_text=re.compile(f"^{header}$")).bounding_box()
    return box["x"], box["x"] + box["width"]


def user_row(page: Any, username: str) -> Any:
    """Return the users table's row whose first cell names `username`."""
    first = page.locator("td:first-child", has_text=re.compile(f"^{re.escape(username)}( |$)"))
    return page.locator("main table.grid tbody tr").filter(has=first)


def _centre(locator: Any) -> float:
    box = locator.bounding_box()
    return box["x"] + box["width"] / 2


# --- 10. Users -------------------------------------------------------------------------------------


def test_users_are_added_reset_and_deactivated_from_the_page_under_the_right_headers(
    server: str, new_page: Any, db: Database
) -> None:
    add_user(db, "root", PASSWORD, "admin")
    add_user(db, "ana", PASSWORD, "analyst")
    save_team(db, SETUP, "App team", "#app", ["app"])
    ana = open_as(new_page, server, "ana")
    root = open_as(new_page, server, "root")
    root.goto(f"{server}/admin/users")
    snap(root, "10-users")

    row = user_row(root, "ana")
    for header, control in (
        ("Role", "select[name=role]"),
        ("Team", "select[name=team_id]"),
        ("Active", "input[name=active]"),
    ):
        left, right = _column_of(root, header)
        assert left <= _centre(row.locator(control)) <= right, f"the {header} control is not under {header}"

    # Add a user from the page, and they can sign in.
    form = root.locator("form#add-user")
    form.locator("input[name=username]").fill("bo")
    form.locator("input[name=display_name]").fill("Bo Lead")
    form.locator("select[name=role]").select_option("lead")
    form.locator("input[name=password]").fill("bo's long password")
    form.locator("button[type=submit]").click()
    root.wait_for_url(re.compile(r".*/admin/users$"))
    assert "bo" in root.locator(".flash").inner_text()
    assert "Bo Lead" in user_row(root, "bo").inner_text()
    bo = open_as(new_page, server, "bo", "bo's long password")

    # Reset ana's password: her open session ends, the new password works.
    row = user_row(root, "ana")
    row.locator("summary", has_text="Reset password").click()
    row.locator("input[name=password]").fill("ana's new long password")
    row.locator("button", has_text="Set password").click()
    root.wait_for_url(re.compile(r".*/admin/users$"))
    assert (
        "ana" in root.locator(".flash").inner_text() and "signed out" in root.locator(".flash").inner_text()
    )
    ana.goto(f"{server}/feed")
    ana.wait_for_url(re.compile(r".*/login.*"))
    open_as(new_page, server, "ana", "ana's new long password")

    # Deactivate bo: the box under "Active", then Save; his session ends and he cannot sign in.
    row = user_row(root, "bo")
    row.locator("input[name=active]").uncheck()
    row.locator("button", has_text="Save").click()
    root.wait_for_url(re.compile(r".*/admin/users$"))
    bo.goto(f"{server}/feed")
    bo.wait_for_url(re.compile(r".*/login.*"))
    snap(root, "10-users-done")

    assert [e.target for e in audited(db, "user.add")] == ["user:bo"]
    assert [e.target for e in audited(db, "user.password")] == ["user:ana"]
    assert audited(db, "user.update")[-1].detail["after"]["active"] is False


# --- 11. Sources, taxonomy, settings ---------------------------------------------------------------


def test_sources_show_the_last_import_and_readable_settings_and_the_taxonomy_is_a_tree(
    server: str, new_page: Any, db: Database, settings: Settings, tmp_path: Path
) -> None:
    ensure_default(db)
    add_user(db, "root", PASSWORD, "admin")
    add_user(db, "lee", PASSWORD, "lead")
    save_team(db, SETUP, "App team", "#app", ["app"])
    save_team(db, SETUP, "Safety desk", "safety@example.org", ["safety"])
    path = tmp_path / "form.jsonl"
    path.write_text(json.dumps({"id": "1", "text": "The app logged me out"}) + "\n")
    get_or_create_source(db, "feedback form", region="Ireland")
    iter_import(db, settings, path, "feedback form")
    make_source(
        db,
        "kestrel tag",
        kind="mastodon",
        settings={"instance": "https://mastodon.example", "hashtag": "kestrel"},
    )
    ids = make_posts(db, make_source(db, "r/drivers"), ["crash one", "crash two", "gps three"])
    label(db, ids[:2], "app.crashes_login")
    label(db, ids[2:], "app.gps_maps")

    root = open_as(new_page, server, "root")
    for name in ("taxonomy", "settings", "sources"):
        root.goto(f"{server}/admin/{name}")
        snap(root, f"11-{name}")
    imported = root.locator("table.sources tbody tr", has_text="feedback form")
    health = imported.locator("td.health").inner_text()
    assert re.search(r"last success: \d{4}-\d\d-\d\d \d\d:\d\d", health), health
    assert "{}" not in root.locator("table.sources").inner_text()
    assert imported.locator("textarea:visible").count() == 0
    live = root.locator("table.sources tbody tr", has_text="kestrel tag")
    assert live.locator("textarea:visible").count() == 0
    assert "hashtag" in live.inner_text() and "https://mastodon.example" in live.inner_text()

    root.goto(f"{server}/admin/taxonomy")
    app = root.locator("#taxonomy-tree > li", has_text="App & technology")
    assert "3 posts" in app.locator(".node").first.inner_text()
    assert "App team" in app.locator(".node").first.inner_text()
    crashes = app.locator("li", has_text="Crashes and login")
    assert "2 posts" in crashes.inner_text() and "App team" in crashes.inner_text()
    assert "Safety desk" in root.locator("#taxonomy-tree > li", has_text="Safety").first.inner_text()
    assert "default taxonomy" in root.locator("#versions").inner_text()
    assert root.locator("textarea#yaml").count() == 1  # the YAML is still there to edit

    root.goto(f"{server}/admin/settings")
    smtp = root.locator("main table tr", has_text="EARFUL_SMTP_HOST")
    assert "not set" in smtp.inner_text()
    assert "None" not in root.locator("main table tbody").inner_text()

    lee = open_as(new_page, server, "lee")
    lee.click("header nav >> text=Taxonomy")
    lee.wait_for_url(re.compile(r".*/admin/taxonomy$"))


# --- 12. Audit log ---------------------------------------------------------------------------------

HOSTILE_NAME = '=HYPERLINK("https://evil.example","x")'


def test_the_audit_log_filters_exports_safely_and_speaks_in_words(
    server: str, new_page: Any, db: Database, tmp_path: Path
) -> None:
    ensure_default(db)
    add_user(db, "root", PASSWORD, "admin")
    add_user(db, "ana", PASSWORD, "analyst")
    (post_id,) = make_posts(db, make_source(db), ['=cmd|"/C calc"!A0 the app crashed'])
    record(db, None, "ana", "triage.status", f"post:{post_id}", status="dismissed", was="new", reason=True)
    # Someone tries a formula as a username at the login page: it is audited as typed.
    page = new_page()
    page.goto(f"{server}/login")
    page.fill("input[name=username]", HOSTILE_NAME)
    page.fill("input[name=password]", "wrong password")
    page.click("button[type=submit]")
    page.locator(".error").wait_for()

    ana = open_as(new_page, server, "ana")
    for _ in range(3):  # reloading the post is one view, not three
        ana.goto(f"{server}/posts/{post_id}")

    root = open_as(new_page, server, "root")
    root.goto(f"{server}/admin/audit")
    snap(root, "12-audit")
    assert len(audited(db, "post.view")) == 1
    rows = root.locator("table.audit tbody tr")
    words = root.locator("table.audit tbody tr", has_text="triage.status").inner_text()
    assert "reason: True" not in words and "with a reason" in words, words

    # Who, what and when.
    root.locator("form#audit-filters input[name=actor]").fill("ana")
    root.locator("form#audit-filters button[type=submit]").click()
    root.wait_for_url(re.compile(r".*actor=ana.*"))
    assert {t.strip() for t in rows.locator("td.actor").all_inner_texts()} == {"ana"}
    root.locator("form#audit-filters select[name=action]").select_option("post.view")
    root.locator("form#audit-filters button[type=submit]").click()
    root.wait_for_url(re.compile(r".*action=post\.view.*"))
    assert rows.count() == 1
    today = utcnow().date()
    root.locator("form#audit-filters input[name=since]").fill(str(today + timedelta(days=1)))
    root.locator("form#audit-filters button[type=submit]").click()
    root.wait_for_url(re.compile(r".*since=.*"))
    assert rows.count() == 0 and "No entries" in root.inner_text("main")
    snap(root, "12-audit-filtered")

    # Export everything as CSV: a formula typed anywhere stays text in a spreadsheet.
    root.goto(f"{server}/admin/audit")
    with root.expect_download() as download:
        root.click("a:has-text('Export CSV')")
    assert download.value.suggested_filename.endswith(".csv")
    saved = tmp_path / "audit.csv"
    download.value.save_as(saved)
    table = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    assert table[0][:4] == ["when (UTC)", "who", "action", "target"]
    cells = [cell for line in table[1:] for cell in line]
    assert any(HOSTILE_NAME in cell for cell in cells)
    assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for cell in cells), cells
    assert audited(db, "audit.export")


# --- 13. Alerts ------------------------------------------------------------------------------------


def _visible_fields(page: Any) -> set[str]:
    form = page.locator("form[action='/alerts']")
    return {
        str(el.get_attribute("name"))
        for el in form.locator("input:visible, select:visible").all()
        if el.get_attribute("type") != "hidden"
    }


def test_an_alert_rule_form_fits_its_kind_warns_and_sends_a_test(
    server: str, new_page: Any, db: Database, settings: Settings, webhook: Hook
) -> None:
    ensure_default(db)
    add_user(db, "lee", PASSWORD, "lead")
    now = utcnow()
    leeds = make_source(db, "r/leeds", region="Leeds")
    (urgent,) = posts_at(db, leeds, [now - timedelta(minutes=5)], "hurt at the gate", urgency=0.95)
    label(db, [urgent], "safety.violence")

    page = open_as(new_page, server, "lee")
    page.goto(f"{server}/alerts")
    snap(page, "13-alerts-form")
    page.select_option("form[action='/alerts'] select[name=kind]", "urgency")
    fields = _visible_fields(page)
    assert {"threshold", "category", "emails", "webhook_url"} <= fields
    assert not {"region", "min_articles"} & fields, fields
    page.select_option("form[action='/alerts'] select[name=kind]", "silent")
    assert not {"region", "min_articles", "threshold", "category"} & _visible_fields(page)
    page.select_option("form[action='/alerts'] select[name=kind]", "urgency")
    for box in page.locator("form[action='/alerts'] input:visible").all():
        hint = box.get_attribute("placeholder") or ""
        assert not hint or " " in hint.strip(), (
            f"{box.get_attribute('name')}: placeholder {hint!r} looks like a value"
        )

    # A webhook inside the network is refused beside its field.
    page.fill("form[action='/alerts'] input[name=name]", "Urgent to chat")
    page.fill("form[action='/alerts'] input[name=webhook_url]", "http://127.0.0.1:9/hook")
    page.click("form[action='/alerts'] button[type=submit]")
    assert "private or local" in page.locator("#webhook_url-error").inner_text()

    # Email with no mail server set: saved, with a clear warning.
    page.select_option("form[action='/alerts'] select[name=kind]", "urgency")
    page.fill("form[action='/alerts'] input[name=name]", "Urgent by email")
    page.fill("form[action='/alerts'] input[name=webhook_url]", "")
    page.fill("form[action='/alerts'] input[name=emails]", "safety@example.org")
    page.click("form[action='/alerts'] button[type=submit]")
    page.wait_for_url(re.compile(r".*/alerts$"))
    assert "EARFUL_SMTP_HOST" in page.locator(".warning").inner_text()

    # A deployment that allows inside addresses: saved with a word, and a test send reaches it.
    settings.allow_private_addresses = True
    page.select_option("form[action='/alerts'] select[name=kind]", "urgency")
    page.fill("form[action='/alerts'] input[name=name]", "Urgent to chat")
    page.fill("form[action='/alerts'] input[name=webhook_url]", webhook.url)
    page.click("form[action='/alerts'] button[type=submit]")
    page.wait_for_url(re.compile(r".*/alerts$"))
    assert "private" in page.locator(".warning").inner_text()
    page.locator("tr", has_text="Urgent to chat").locator("button", has_text="Send a test").click()
    page.wait_for_url(re.compile(r".*/alerts$"))
    assert "sent" in page.locator(".flash").inner_text()
    assert len(webhook.received) == 1 and "test" in webhook.received[0]["json"]["text"].lower()
    assert audited(db, "alert_rule.test")

    # Alerts name the category and the region.
    alerts.evaluate(db, settings, now)
    page.goto(f"{server}/alerts")
    title = page.locator("h2:has-text('Recent alerts') + table tbody tr").first.inner_text()
    assert "Violence" in title and "Leeds" in title, title
    snap(page, "13-alerts")


# --- 14. A missing page, and a phone -------------------------------------------------------------


def test_a_missing_page_is_styled_and_a_phone_gets_the_whole_menu_in_a_short_header(
    server: str, new_page: Any, db: Database, settings: Settings
) -> None:
    now = utcnow()
    burst(db, now)
    watch.scan(db, settings, now)
    add_user(db, "root", PASSWORD, "admin")
    page = open_as(new_page, server, "root")
    phone = open_as(new_page, server, "root", size=PHONE)
    phone.goto(f"{server}/insights")
    snap(phone, "14-phone-insights")
    response = page.goto(f"{server}/no/such/page")
    snap(page, "14-404")
    assert response is not None and response.status == 404
    assert page.locator("h1").inner_text() == "Page not found"
    assert page.locator("header.bar nav a", has_text="Feed").is_visible()
    assert page.locator("main a[href='/feed']").count() >= 1

    header = phone.locator("header.bar").bounding_box()
    # An admin's thirteen links wrap to three lines (127 px here): all of the menu in view is worth
    # more than a two-line header whose menu scrolled sideways, hiding half of it.
    assert header["height"] <= 140, f"the header is {header['height']} px tall on a phone"
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"Insights is {width} px wide on a {PHONE['width']} px screen"
