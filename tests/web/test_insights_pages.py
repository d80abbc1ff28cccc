"""The insights dashboard and the report pages, through HTTP."""

from __future__ import annotations

import gc
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from earful.contracts import Actor
from earful.insights import topics, watch
from earful.kit.clock import utcnow
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import TriageItem
from earful.triage.service import escalate, save_team
from earful.web.app import create_app
from tests.factories import ensure_taxonomy, label, make_source, posts_at
from tests.insights.test_alerts import burst
from tests.insights.test_explain import plant, store_spike
from tests.insights.test_topics import seed as seed_topics
from tests.servers import Hook, Inbox
from tests.web.conftest import csrf_of, login


def _recent_posts(db: Database) -> list[int]:
    now = utcnow()
    source = make_source(db, "r/drivers", region="Leeds")
    ids = posts_at(db, source, [now - timedelta(hours=h) for h in range(1, 40)], "pin in the wrong street")
    label(db, ids, "app.gps_maps", "complaint")
    return ids


def test_the_dashboard_draws_charts_that_open_their_posts(client: TestClient, db: Database) -> None:
    _recent_posts(db)
    login(client, db, role="viewer")
    page = client.get("/insights?range=7d")
    assert page.status_code == 200
    assert page.text.count("<svg") >= 5
    assert "App &amp; technology &gt; GPS and maps" in page.text
    links = re.findall(r'<a href="(/feed\?[^"]+)">', page.text)
    assert any("category=app.gps_maps" in link for link in links)
    assert any("region=Leeds" in link for link in links)
    feed = client.get(links[0].replace("&amp;", "&"))
    assert feed.status_code == 200 and "pin in the wrong street" in feed.text
    assert "Make a report" not in page.text  # viewers read reports but do not make them


def test_an_empty_range_says_so_and_a_bad_date_says_what_to_do(client: TestClient, db: Database) -> None:
    login(client, db)
    assert "No posts in this range" in client.get("/insights").text
    bad = client.get("/insights?since=yesterday")
    assert bad.status_code == 400 and "like 2026-11-01" in bad.text
    assert 'href="/insights">Open /insights again without these filters' in bad.text
    backwards = client.get("/insights?since=2026-11-07&until=2026-11-01")
    assert backwards.status_code == 400 and "start before it ends" in backwards.text
    assert "again without these filters" in backwards.text
    # Only a page refused for what its address asks (400) offers that: not a 404 or a 403.
    missing = client.get("/posts/99999?x=1")
    assert missing.status_code == 404 and "without these filters" not in missing.text


def test_the_link_to_older_posts_keeps_each_filter_whole(client: TestClient, db: Database) -> None:
    """A source named like a query string stays one filter value in the link, not two parameters."""
    source = make_source(db, "r/a&region=Elsewhere", region="Leeds")
    posts_at(db, source, [utcnow() - timedelta(days=90)], "pin in the wrong street")
    login(client, db, role="viewer")
    page = client.get("/insights?range=7d&source=r/a%26region%3DElsewhere")
    assert page.status_code == 200 and "The newest posts are older" in page.text
    (link,) = re.findall(r'<a href="(/insights\?since=[^"]+)">show the 30 days', page.text)
    assert "&amp;source=r/a%26region%3DElsewhere" in link and "region=Elsewhere" not in link
    older = client.get(link.replace("&amp;", "&"))
    assert older.status_code == 200 and "No posts in this range" not in older.text


def test_make_read_download_and_email_a_report(client: TestClient, db: Database, smtp: Inbox) -> None:
    _recent_posts(db)
    login(client, db, role="analyst")
    assert "No reports yet" in client.get("/reports").text
    form = client.get("/reports/new?region=Leeds&range=30d")
    assert 'value="Leeds"' in form.text
    made = client.post(
        "/reports",
        data={"csrf": csrf_of(form.text), "range": "30d", "region": "Leeds", "title": "Leeds, 30 days"},
    )
    assert made.status_code == 303
    page = client.get(made.headers["location"])
    assert "Leeds, 30 days" in page.text and "region = Leeds" in page.text
    report_id = int(made.headers["location"].rsplit("/", 1)[1])
    html = client.get(f"/reports/{report_id}/report.html")
    assert html.headers["content-security-policy"].startswith("default-src 'none'")
    assert "<script" not in html.text and "39 posts" in html.text
    pdf = client.get(f"/reports/{report_id}/report.pdf")
    assert pdf.content.startswith(b"%PDF") and "attachment" in pdf.headers["content-disposition"]
    xlsx = client.get(f"/reports/{report_id}/report.xlsx")
    assert xlsx.content.startswith(b"PK")
    assert "Leeds, 30 days" in client.get("/reports").text
    # Without a mail server the page says what to set (and offers no form); with one, the PDF goes out.
    assert "EARFUL_SMTP_HOST" in page.text and f'action="/reports/{report_id}/email"' not in page.text
    refused = client.post(
        f"/reports/{report_id}/email", data={"csrf": csrf_of(page.text), "to": "coo@example.org"}
    )
    assert refused.status_code == 400 and "EARFUL_SMTP_HOST" in refused.text
    settings = client.app.state.settings  # type: ignore[attr-defined]
    client.app.state.settings = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port})  # type: ignore[attr-defined]
    sent = client.post(
        f"/reports/{report_id}/email", data={"csrf": csrf_of(page.text), "to": "coo@example.org"}
    )
    assert sent.status_code == 303
    assert [to for to, _ in smtp.messages] == [["coo@example.org"]]
    # A bad address: the report's page again, the error beside the addresses as typed (it was a bare
    # "That did not work" page).
    bad = client.post(
        f"/reports/{report_id}/email", data={"csrf": csrf_of(page.text), "to": "coo, ops@x.org"}
    )
    assert bad.status_code == 400 and "Leeds, 30 days" in bad.text and 'value="coo, ops@x.org"' in bad.text
    assert 'class="field-error"' in bad.text and len(smtp.messages) == 1


def test_leads_write_alert_rules_and_everyone_sees_them(
    db: Database, settings: Settings, webhook: Hook
) -> None:
    # The test's webhook server listens on 127.0.0.1, which a deployment must allow explicitly.
    client = _client(db, settings.model_copy(update={"allow_private_addresses": True}))
    ensure_taxonomy(db)
    login(client, db, "lee", "lead")
    page = client.get("/alerts")
    assert "No alert rules yet" in page.text
    bad = client.post(
        "/alerts",
        data={"csrf": csrf_of(page.text), "name": "Safety", "kind": "urgency", "category": "unions"},
    )
    assert bad.status_code == 400 and "Say where alerts go" in bad.text and 'value="unions"' in bad.text
    saved = client.post(
        "/alerts",
        data={
            "csrf": csrf_of(page.text),
            "name": "Safety",
            "kind": "urgency",
            "category": "safety",
            "threshold": "0.7",
            "webhook_url": webhook.url,
            "quiet_start": "22",
            "quiet_end": "6",
            "enabled": "on",
        },
    )
    assert saved.status_code == 303
    listed = client.get("/alerts").text
    assert "Safety" in listed and "threshold 0.7" in listed and "22:00–06:00" in listed
    rule_id = re.search(r'<option value="(\d+)">Safety</option>', listed)
    assert rule_id is not None
    switched = client.post(  # the same rule saved with its box unticked: switched off
        "/alerts",
        data={
            "csrf": csrf_of(listed),
            "rule_id": rule_id.group(1),
            "name": "Safety",
            "kind": "urgency",
            "threshold": "0.7",
            "webhook_url": webhook.url,
        },
    )
    assert switched.status_code == 303
    listed = client.get("/alerts").text
    assert "<td>off</td>" in listed
    client.post("/logout", data={"csrf": csrf_of(listed)})
    login(client, db, "vic", "viewer")
    seen = client.get("/alerts").text
    assert "threshold 0.7" in seen and "Add or change a rule" not in seen


def _client(db: Database, settings: Settings) -> TestClient:
    return TestClient(create_app(settings, db), follow_redirects=False)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hooks/alerts",
        "http://localhost/hooks",  # a name that answers with a loopback address
        "http://169.254.169.254/latest/meta-data/",  # the cloud's metadata service
        "https://10.1.2.3/hooks",
        "http://[::1]:9000/hooks",
    ],
)
def test_an_alert_rule_cannot_send_inside_the_network(client: TestClient, db: Database, url: str) -> None:
    login(client, db, "lee", "lead")
    page = client.get("/alerts")
    form = {
        "csrf": csrf_of(page.text),
        "name": "Probe",
        "kind": "urgency",
        "webhook_url": url,
        "enabled": "on",
    }
    refused = client.post("/alerts", data=form)
    assert refused.status_code == 400
    beside = re.search(
        r'<input name="webhook_url"[^>]*>\s*'
        r'<span class="field-error" role="alert" id="webhook_url-error">([^<]+)',
        refused.text,
    )
    assert beside is not None, "the refusal is not shown beside the webhook field"
    assert "private or local address" in beside.group(1) and "EARFUL_ALLOW_PRIVATE_ADDRESSES" in beside.group(
        1
    )
    assert 'aria-describedby="webhook_url-error"' in refused.text
    assert "No alert rules yet" in client.get("/alerts").text


def test_an_alert_rule_may_send_inside_the_network_when_the_deployment_allows_it(
    db: Database, settings: Settings
) -> None:
    client = _client(db, settings.model_copy(update={"allow_private_addresses": True}))
    login(client, db, "lee", "lead")
    page = client.get("/alerts")
    form = {
        "csrf": csrf_of(page.text),
        "name": "Chat",
        "kind": "urgency",
        "webhook_url": "http://10.1.2.3/hooks",
    }
    assert client.post("/alerts", data=form).status_code == 303
    assert "Chat" in client.get("/alerts").text


def test_a_spike_page_shows_the_hours_around_it_and_opens_its_posts(
    client: TestClient, db: Database, settings: Settings
) -> None:
    now = utcnow()
    burst(db, now)
    new = watch.scan(db, settings, now)
    (spike_id,) = [
        s.id
        for s in watch.recent(db, now - timedelta(days=1), now)
        if s.id in new and (s.category, s.region) == ("app", "")
    ]
    login(client, db, role="viewer")
    dashboard = client.get("/insights?range=24h").text
    assert f'href="/insights/spikes/{spike_id}"' in dashboard and "ongoing" in dashboard
    page = client.get(f"/insights/spikes/{spike_id}")
    assert page.status_code == 200
    assert "Spike in App &amp; technology, all regions" in page.text
    assert "30 posts in an hour where about 2.0 are usual" in page.text
    assert "<svg" in page.text and "It is still going" in page.text
    link = re.search(r'href="(/feed\?category=app&amp;since=[^"]+)"', page.text)
    assert link is not None
    feed = client.get(link.group(1).replace("&amp;", "&"))
    assert feed.status_code == 200 and "wrong street" in feed.text
    assert client.get("/insights/spikes/99999").status_code == 404


def test_a_spike_page_explains_the_spike(client: TestClient, db: Database) -> None:
    plant(db)
    spike_id = store_spike(db)
    login(client, db, role="viewer")
    page = client.get(f"/insights/spikes/{spike_id}")
    assert page.status_code == 200
    assert (
        "App &amp; technology &gt; Crashes and login: 50 posts in 3 hours where 0 are usual, mostly UK; "
        "&#39;update 4.2&#39;, &#39;scanner&#39;"
    ) in page.text
    assert "Crashes and login" in page.text and "r/uk_drivers" in page.text  # what rose most
    # Representative posts: redacted text, escaped, with the pseudonymous author key.
    assert "<i>again</i>" not in page.text
    assert "broke the scanner &lt;i&gt;again&lt;/i&gt;" in page.text
    assert "[NAME] and" in page.text and "a_uk0x0" in page.text


def test_admins_accept_an_emerging_topic_from_its_page(client: TestClient, db: Database) -> None:
    seed_topics(db)
    topics.run(db)
    login(client, db, "root", "admin")
    page = client.get("/insights/topics")
    assert page.status_code == 200 and "fuel" in page.text and "Accept as a subcategory" in page.text
    topic_id = int(re.findall(r'/insights/topics/(\d+)/accept"', page.text)[-1])
    fuel = next(t for t in topics.views(db) if "fuel" in " ".join(t.terms))
    accepted = client.post(
        f"/insights/topics/{fuel.id}/accept",
        data={"csrf": csrf_of(page.text), "parent": "pay", "key": "fuel_card", "name": "Fuel card declined"},
    )
    assert accepted.status_code == 303
    after = client.get("/insights/topics").text
    assert "Taxonomy version 2 has the new subcategory" in after
    rejected = client.post(f"/insights/topics/{topic_id}/reject", data={"csrf": csrf_of(after)})
    assert rejected.status_code in (303, 409)  # 409 when that one was the fuel topic, already accepted
    assert "Fuel card declined" in client.get("/admin/taxonomy").text


def test_a_team_queue_shows_each_escalation_next_deadline(client: TestClient, db: Database) -> None:
    (hurt, tips) = posts_at(
        db, make_source(db), [utcnow(), utcnow()], "hit by a van at the gate", urgency=0.8
    )
    label(db, [hurt], "safety.violence", "complaint")
    label(db, [tips], "safety.violence", "complaint")
    team = save_team(db, Actor(None, "root", "admin"), "Safety", "safety@example.org", ["safety"])
    lead = Actor(None, "lee", "lead")
    escalate(db, lead, hurt)
    escalate(db, lead, tips)
    with db.write() as session:  # the first was escalated two hours ago: its hour to acknowledge is gone
        session.execute(
            update(TriageItem)
            .where(TriageItem.post_id == hurt)
            .values(ack_due_at=utcnow() - timedelta(hours=1))
        )
    login(client, db, "lee", "lead")
    queue = client.get(f"/teams/{team}/queue").text
    assert queue.count("acknowledge by") == 2 and queue.count("(overdue)") == 1


def test_a_named_range_runs_in_whole_hours_to_the_end_of_the_current_one() -> None:
    from datetime import UTC, datetime

    from earful.web.pages.insights import window

    now = datetime(2026, 11, 20, 14, 37, 12, tzinfo=UTC)
    since, until, named = window({"range": "30d"}, now)
    assert (until, since, named) == (
        datetime(2026, 11, 20, 15, tzinfo=UTC),
        until - timedelta(days=30),
        "30d",
    )
    on_the_hour = datetime(2026, 11, 20, 15, tzinfo=UTC)
    assert window({"range": "7d"}, on_the_hour)[:2] == (on_the_hour - timedelta(days=7), on_the_hour)


def test_a_started_server_keeps_what_it_holds_for_good_out_of_the_collectors_passes(
    settings: Settings,
) -> None:
    # Every few large pages set off a full collection; without the freeze it walked the whole heap.
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        with TestClient(create_app(settings)) as client:  # `with` runs the app's start-up, as uvicorn does
            assert gc.get_freeze_count() > 0
            assert client.get("/health").status_code == 200
    finally:
        gc.unfreeze()


def test_a_report_form_offers_a_range_that_holds_posts_and_an_empty_report_says_so(
    client: TestClient, db: Database
) -> None:
    # The form's default (the last 7 days) made a "0 posts" report of older data without a word.
    ensure_taxonomy(db)
    newest = (utcnow() - timedelta(days=40)).replace(hour=12, minute=0, second=0, microsecond=0)
    posts_at(db, make_source(db), [newest - timedelta(days=2), newest])
    login(client, db, role="analyst")
    form = client.get("/reports/new").text
    until = newest.replace(hour=0) + timedelta(days=1)
    assert f'name="since" value="{until - timedelta(days=30):%Y-%m-%d}"' in form
    assert f'name="until" value="{until:%Y-%m-%d}"' in form
    made = client.post("/reports", data={"csrf": csrf_of(form), "range": "7d"})
    assert made.status_code == 303
    flash = client.get(made.headers["location"]).text
    assert "no post matches its range and filters" in flash and f"{newest:%d %b %Y}" in flash
    asked = client.get("/reports/new?range=7d").text  # a range asked for is kept as asked
    assert 'name="since" value=""' in asked


def test_a_post_page_offers_the_spike_the_post_fell_in_however_old(client: TestClient, db: Database) -> None:
    # The spike page tells leads to pick the spike under "Raised by" on a post's page, which
    # offered only spikes of the last three days: an older post's own spike could not be chosen.
    from earful.store.repos import insights as insights_repo

    ensure_taxonomy(db)
    at = (utcnow() - timedelta(days=20)).replace(minute=0, second=0, microsecond=0)
    (post_id,) = posts_at(db, make_source(db), [at + timedelta(minutes=30)])
    with db.write() as session:
        own, other = (
            insights_repo.save_spike(
                session,
                category="",
                region="",
                started_at=start,
                ended_at=start + timedelta(hours=1),
                observed=21,
                expected=3.0,
                score=9.5,
            ).id
            for start in (at - timedelta(hours=2), at - timedelta(days=5))
        )
    login(client, db, "lee", "lead")
    page = client.get(f"/posts/{post_id}").text
    offered = re.findall(r'<option value="(\d+)">spike in', page)
    assert offered == [str(own)], (offered, own, other)
