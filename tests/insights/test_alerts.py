"""Alert rules: spikes, urgent posts, new stories and silent sources, by webhook and email."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from earful.contracts import Actor
from earful.ingest.privacy import erase_author
from earful.insights import alerts, watch
from earful.insights.alerts import RuleInput
from earful.kit.clock import utcnow
from earful.kit.errors import EarfulError, Forbidden, Invalid
from earful.notify import slack_message
from earful.pipeline.pseudonymise import author_key
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Alert, AlertRule, Post, Source
from tests.factories import ensure_taxonomy, label, make_source, posts_at
from tests.insights.test_explain import MX_CRASHES, UK_CRASHES, plant, store_spike
from tests.servers import Hook, Inbox

LEAD = Actor(None, "lead", "lead")
URGENT_TEXT = "a van hit me at the depot gate and my arm is bleeding"


def _mail(settings: Settings, smtp: Inbox) -> Settings:
    return _local(settings).model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "time_zone": "UTC"}
    )


def _local(settings: Settings) -> Settings:
    """The test webhook server listens on 127.0.0.1, which a deployment must allow explicitly."""
    return settings.model_copy(update={"allow_private_addresses": True})


def burst(db: Database, now: datetime) -> None:
    """Four weeks of two GPS complaints an hour in Leeds, then thirty in the last hour."""
    source = make_source(db, "r/leeds_drivers", region="Leeds")
    hour = now.replace(minute=0, second=0, microsecond=0)
    steady = [hour - timedelta(hours=h, minutes=m) for h in range(2, 29 * 24) for m in (10, 40)]
    burst = [hour - timedelta(hours=1) + timedelta(minutes=m * 2) for m in range(30)]
    ids = posts_at(db, source, steady + burst, "the pin is in the wrong street")
    label(db, ids, "app.gps_maps", "complaint")


def test_a_spike_reaches_a_slack_style_webhook_once_and_is_seen_to_subside(
    db: Database, settings: Settings, webhook: Hook
) -> None:
    settings = _local(settings)
    now = utcnow()
    burst(db, now)
    ensure_taxonomy(db)
    alerts.save_rule(
        db,
        LEAD,
        RuleInput("GPS in Leeds", "spike", [], webhook.url, category="app", region="Leeds"),
        allow_private=True,
    )
    new = watch.scan(db, settings, now)
    assert len(new) == 4  # the category and all posts, each everywhere and in Leeds
    spikes = watch.recent(db, now - timedelta(days=1), now + timedelta(hours=1))
    assert {(s.category, s.region, s.observed) for s in spikes} == {
        ("app", "", 30),
        ("app", "Leeds", 30),
        ("", "", 30),
        ("", "Leeds", 30),
    }
    assert {s.category_name for s in spikes} == {"App & technology", "All posts"}
    assert alerts.evaluate(db, settings, now) == 1  # the rule wants Leeds only
    assert alerts.deliver(db, settings, now) == 1
    (received,) = webhook.received
    assert received["path"] == "/hooks/alerts" and received["type"] == "application/json"
    message = received["json"]
    assert message["text"].startswith("Spike: App &amp; technology in Leeds")  # Slack shows &amp; as &
    assert "30 posts in the hour" in message["text"]
    button = message["blocks"][-1]["elements"][0]
    assert button["url"].startswith(f"{settings.base_url}/feed?category=app&region=Leeds&since=")
    assert "wrong street" not in message["text"]  # counts and links, never a post's words
    # A later scan in the same hour, and the next evaluation, raise nothing new for the same spike.
    # (Same hour: once the quiet hour after the burst is over, "Subsided" is due, which is right.)
    later = max(now, min(now + timedelta(minutes=10), now.replace(minute=59, second=59, microsecond=0)))
    assert watch.scan(db, settings, later) == []
    assert alerts.evaluate(db, settings, later) == 0
    # Three quiet hours later the spike is back to normal.
    watch.scan(db, settings, now + timedelta(hours=3))
    assert all(
        s.subsided_at is not None for s in watch.recent(db, now - timedelta(days=1), now + timedelta(hours=1))
    )


def test_urgent_posts_are_emailed_and_repeats_in_the_window_fold(
    db: Database, settings: Settings, smtp: Inbox
) -> None:
    mail = _mail(settings, smtp)
    source = make_source(db)
    now = utcnow()
    first, second = posts_at(db, source, [now - timedelta(minutes=5)] * 2, URGENT_TEXT, urgency=0.93)
    posts_at(db, source, [now], "the app is slow today", urgency=0.2)
    alerts.save_rule(db, LEAD, RuleInput("Urgent", "urgency", ["safety@example.org"], None, threshold=0.8))
    assert alerts.evaluate(db, mail, now) == 2
    assert alerts.deliver(db, mail, now) == 1
    with db.read() as session:
        statuses = dict(session.execute(select(Alert.subject, Alert.status)).all())
    # The surest post is the one sent; the other is recorded but folded into it.
    assert statuses == {f"post:{first}": "sent", f"post:{second}": "folded"}
    ((recipients, message),) = smtp.messages
    assert recipients == ["safety@example.org"]
    assert message["Subject"] == "[Earful] Urgent post (0.93): no category yet in UK"
    body = message.get_content()
    assert "1 more like this in the last 60 minutes were folded into this one" in body
    assert f"{settings.base_url}/posts/{first}" in body
    assert "bleeding" not in body


def test_quiet_hours_hold_alerts_until_they_end(db: Database, settings: Settings, smtp: Inbox) -> None:
    mail = _mail(settings, smtp)
    night = datetime(2026, 12, 5, 23, 30, tzinfo=UTC)
    (post_id,) = posts_at(db, make_source(db), [night], URGENT_TEXT, urgency=0.95)
    with db.write() as session:
        session.execute(update(Post).where(Post.id == post_id).values(captured_at=night))
    rule = RuleInput("Nights off", "urgency", ["ops@example.org"], None, quiet_start=22, quiet_end=7)
    rule_id = alerts.save_rule(db, LEAD, rule)
    with db.write() as session:  # made before the night began, so it looks back over it
        session.execute(
            update(AlertRule).where(AlertRule.id == rule_id).values(created_at=night - timedelta(hours=1))
        )
    assert alerts.evaluate(db, mail, night) == 1
    assert alerts.deliver(db, mail, night) == 0 and smtp.messages == []
    assert alerts.deliver(db, mail, night + timedelta(hours=7)) == 0  # 06:30: still quiet
    assert alerts.deliver(db, mail, night + timedelta(hours=7, minutes=31)) == 1  # 07:01
    assert len(smtp.messages) == 1


def test_new_stories_and_silent_sources_are_alerted(db: Database, settings: Settings, webhook: Hook) -> None:
    settings = _local(settings)
    now = utcnow()
    news = make_source(db, "rss/local_news", kind="rss")
    first, follow = posts_at(db, news, [now, now], "Drivers report app outage across the city")
    with db.write() as session:
        session.execute(
            update(Post)
            .where(Post.id.in_([first, follow]))
            .values(story_id=first, title="App outage hits couriers")
        )
        session.execute(
            update(Source).where(Source.id == news.id).values(silence_alerted_at=now, last_error="timed out")
        )
    alerts.save_rule(
        db, LEAD, RuleInput("Press", "story", [], webhook.url, min_articles=2), allow_private=True
    )
    alerts.save_rule(db, LEAD, RuleInput("Silence", "silent", [], webhook.url), allow_private=True)
    assert alerts.evaluate(db, settings, now) == 2
    assert alerts.deliver(db, settings, now) == 2
    texts = sorted(m["json"]["text"] for m in webhook.received)
    assert texts[0].startswith(
        f"New story in the media: no category yet in UK (post {first})\n2 articles so far."
    )
    assert "outage" not in texts[0]  # the headline is a stranger's text: not in the alert
    assert f"{settings.base_url}/posts/{first}" in texts[0]
    assert texts[1].startswith("Source silent: rss/local_news (UK)") and "Last error: timed out" in texts[1]


def test_names_in_webhook_messages_cannot_mention_or_link() -> None:
    message = slack_message("Spike: <!channel> & <https://evil.example|click>", ["a <b>"], "http://x/feed")
    assert "<!channel>" not in message["text"] and "&lt;!channel&gt; &amp; &lt;https" in message["text"]
    assert message["blocks"][1]["text"]["text"] == "a &lt;b&gt;"


def test_a_failed_webhook_is_retried_without_emailing_twice(
    db: Database, settings: Settings, smtp: Inbox, webhook: Hook
) -> None:
    mail = _mail(settings, smtp)
    now = utcnow()
    posts_at(db, make_source(db), [now], URGENT_TEXT, urgency=0.9)
    alerts.save_rule(
        db, LEAD, RuleInput("Both", "urgency", ["a@example.org"], webhook.url), allow_private=True
    )
    alerts.evaluate(db, mail, now)
    webhook.status = 500
    assert alerts.deliver(db, mail, now) == 0
    with db.read() as session:
        alert = session.scalars(select(Alert)).one()
        assert alert.status == "pending" and "webhook answered 500" in (alert.error or "")
    webhook.status = 200
    assert alerts.deliver(db, mail, now + timedelta(minutes=1)) == 0  # not yet: it backs off
    assert alerts.deliver(db, mail, now + timedelta(minutes=3)) == 1
    assert len(smtp.messages) == 1 and len(webhook.received) == 2


def test_rules_are_checked_and_need_a_lead(db: Database) -> None:
    ensure_taxonomy(db)
    with pytest.raises(EarfulError, match="Say where alerts go"):
        alerts.save_rule(db, LEAD, RuleInput("x", "spike", [], None))
    with pytest.raises(EarfulError, match="not email addresses"):
        alerts.save_rule(db, LEAD, RuleInput("x", "spike", ["nobody"], None))
    with pytest.raises(EarfulError, match="no category 'unions'"):
        alerts.save_rule(db, LEAD, RuleInput("x", "spike", ["a@example.org"], None, category="unions"))
    with pytest.raises(EarfulError, match="start and an end"):
        alerts.save_rule(db, LEAD, RuleInput("x", "urgency", ["a@example.org"], None, quiet_start=22))
    with pytest.raises(Forbidden):
        alerts.save_rule(db, Actor(None, "ana", "analyst"), RuleInput("x", "silent", ["a@example.org"], None))


def test_erasing_a_person_takes_their_posts_off_alerts(db: Database, settings: Settings) -> None:
    now = utcnow()
    source = make_source(db)
    (theirs,) = posts_at(
        db, source, [now], URGENT_TEXT, urgency=0.9, author_key=author_key(settings.secret, "@ann")
    )
    (other,) = posts_at(db, source, [now], URGENT_TEXT, urgency=0.9)
    alerts.save_rule(db, LEAD, RuleInput("Urgent", "urgency", ["a@example.org"], None, dedup_minutes=0))
    assert alerts.evaluate(db, settings, now) == 2
    erase_author(db, settings, Actor(None, "root", "admin"), "@ann", source.name)
    with db.read() as session:
        listed = sorted(session.scalars(select(Alert.post_ids)), key=len)
    assert listed == [[], [other]] and theirs != other


def test_a_webhook_inside_the_network_is_refused_unless_allowed(
    db: Database, settings: Settings, webhook: Hook
) -> None:
    now = utcnow()
    posts_at(db, make_source(db), [now], URGENT_TEXT, urgency=0.9)
    with pytest.raises(Invalid, match="private or local address") as refused:
        alerts.save_rule(db, LEAD, RuleInput("Probe", "urgency", [], webhook.url))
    assert refused.value.field == "webhook_url" and "EARFUL_ALLOW_PRIVATE_ADDRESSES" in refused.value.message
    # Saved while the deployment allowed it, then the allowance withdrawn: delivery checks again.
    alerts.save_rule(db, LEAD, RuleInput("Probe", "urgency", [], webhook.url), allow_private=True)
    alerts.evaluate(db, settings, now)
    assert alerts.deliver(db, settings, now) == 0 and webhook.received == []
    with db.read() as session:
        alert = session.scalars(select(Alert)).one()
    assert alert.status == "pending" and "EARFUL_ALLOW_PRIVATE_ADDRESSES" in (alert.error or "")


def test_quiet_hours_follow_the_deployment_time_zone(db: Database, settings: Settings, smtp: Inbox) -> None:
    mail = _mail(settings, smtp).model_copy(update={"time_zone": "America/New_York"})
    night = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)  # 22:00 in New York
    (post_id,) = posts_at(db, make_source(db), [night], URGENT_TEXT, urgency=0.95)
    with db.write() as session:
        session.execute(update(Post).where(Post.id == post_id).values(captured_at=night))
    rule_id = alerts.save_rule(
        db, LEAD, RuleInput("NY nights", "urgency", ["ops@example.org"], None, quiet_start=21, quiet_end=7)
    )
    with db.write() as session:
        session.execute(
            update(AlertRule).where(AlertRule.id == rule_id).values(created_at=night - timedelta(hours=1))
        )
    assert alerts.evaluate(db, mail, night) == 1
    assert alerts.deliver(db, mail, datetime(2026, 12, 5, 11, 59, tzinfo=UTC)) == 0  # 06:59 in New York
    assert alerts.deliver(db, mail, datetime(2026, 12, 5, 12, 1, tzinfo=UTC)) == 1  # 07:01


def test_an_unexpected_error_while_sending_leaves_the_alert_to_retry_not_stuck(
    db: Database, settings: Settings, webhook: Hook, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = utcnow()
    posts_at(db, make_source(db), [now], URGENT_TEXT, urgency=0.9)
    alerts.save_rule(db, LEAD, RuleInput("Hook", "urgency", [], webhook.url), allow_private=True)
    with pytest.raises(EarfulError, match="web address"):
        alerts.save_rule(db, LEAD, RuleInput("Bad", "urgency", [], "https://hooks.example.com:443x/T0"))
    alerts.evaluate(db, settings, now)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the network library fell over")

    monkeypatch.setattr(alerts, "webhook", broken)
    assert alerts.deliver(db, settings, now) == 0
    with db.read() as session:
        alert = session.scalars(select(Alert)).one()
    assert alert.status == "pending" and alert.attempts == 1 and "fell over" in (alert.error or "")


def test_an_alert_names_its_category_and_region(db: Database, settings: Settings, smtp: Inbox) -> None:
    mail = _mail(settings, smtp)
    now = utcnow()
    (post,) = posts_at(db, make_source(db, "r/leeds", region="Leeds"), [now], URGENT_TEXT, urgency=0.9)
    label(db, [post], "safety.violence")
    label(db, [post], "app.crashes_login", confidence=0.3)
    alerts.save_rule(db, LEAD, RuleInput("Urgent", "urgency", ["ops@example.org"], None))
    assert alerts.evaluate(db, mail, now) == 1 and alerts.deliver(db, mail, now) == 1
    ((_, message),) = smtp.messages
    assert (
        message["Subject"]
        == "[Earful] Urgent post (0.90): Safety & incidents > Violence and robbery in Leeds"
    )


def test_a_rule_warns_what_it_cannot_do_and_a_test_send_says_what_happened(
    db: Database, settings: Settings, webhook: Hook, smtp: Inbox
) -> None:
    by_mail = RuleInput("Mail", "silent", ["ops@example.org"], None)
    assert any("EARFUL_SMTP_HOST" in w for w in alerts.warnings(by_mail, settings))
    assert alerts.warnings(by_mail, _mail(settings, smtp)) == []
    inside = RuleInput("Chat", "silent", [], webhook.url)
    assert alerts.warnings(inside, settings) == []  # refused on saving instead (see above)
    (said,) = alerts.warnings(inside, _local(settings))
    assert "private or local" in said and "EARFUL_ALLOW_PRIVATE_ADDRESSES" in said
    rule_id = alerts.save_rule(
        db, LEAD, RuleInput("Both", "silent", ["ops@example.org"], webhook.url), allow_private=True
    )
    assert alerts.send_test(db, _local(settings), LEAD, rule_id) == {
        "email": "No SMTP server is set: set EARFUL_SMTP_HOST to send email.",
        "webhook": "sent",
    }
    assert alerts.send_test(db, _mail(settings, smtp), LEAD, rule_id) == {"email": "sent", "webhook": "sent"}
    ((recipients, message),) = smtp.messages
    assert recipients == ["ops@example.org"] and message["Subject"] == "[Earful] Test of the alert rule Both"
    assert len(webhook.received) == 2
    with db.read() as session:
        assert session.scalars(select(Alert)).all() == []  # a test is no alert
    with pytest.raises(Forbidden):
        alerts.send_test(db, _local(settings), Actor(None, "ana", "analyst"), rule_id)


def test_a_spike_alert_says_what_the_spike_is_about_in_email_and_chat(
    db: Database, settings: Settings, smtp: Inbox, webhook: Hook
) -> None:
    mail = _mail(settings, smtp)
    alerts.save_rule(
        db, LEAD, RuleInput("Any spike", "spike", ["ops@example.org"], webhook.url), allow_private=True
    )
    plant(db)
    spike_id = store_spike(db)
    now = utcnow()
    assert alerts.evaluate(db, mail, now) == 1
    assert alerts.deliver(db, mail, now) == 1
    sentence = (
        "App & technology > Crashes and login: 50 posts in 3 hours where 0 are usual, mostly UK; "
        "'update 4.2', 'scanner'"
    )
    ((_, message),) = smtp.messages
    body = message.get_content()
    assert sentence in body
    assert "Subcategories that rose most: App & technology > Crashes and login 50 (usually 0)" in body
    assert "Words and phrases: 'update 4.2', 'scanner', 'crashes'" in body
    assert f"{settings.base_url}/insights/spikes/{spike_id}" in body  # the typical posts are there
    (received,) = webhook.received
    chat = received["json"]
    assert sentence.replace("&", "&amp;").replace(">", "&gt;") in chat["text"]
    fields = {
        f["text"].split("\n", 1)[0]: f["text"].split("\n", 1)[1]
        for block in chat["blocks"]
        for f in block.get("fields", [])
    }
    assert fields["Subcategories"].startswith("App &amp; technology &gt; Crashes and login: 50 (usually 0)")
    assert fields["Regions"].startswith("UK: 44 (usually 6)")
    assert fields["Words and phrases"].startswith("'update 4.2', 'scanner', 'crashes'")
    # Words shared by many posts, never a post's text.
    everything = json.dumps(chat, ensure_ascii=False) + body
    for text in (*UK_CRASHES, *MX_CRASHES):
        assert text not in everything
    assert "[NAME]" not in everything and "a_uk0x0" not in everything
