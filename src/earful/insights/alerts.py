"""Alert rules: tell people by email or a Slack-compatible webhook when something needs them.

A rule fires on a spike (optionally of one category or region), on a post whose urgency passes a
threshold, on a new story in media coverage, or on a source that has gone silent. Each alert is
about one subject (a spike, a post, a story, a silence) and is raised once per rule. Alerts about
the same thing (the rule's key: a category in a region, a source) within the rule's dedup window
are folded into the first: recorded, not sent again. In the rule's quiet hours alerts wait, and
go out when the quiet hours end. An alert carries counts, names and a link to its posts, never a
post's text; a spike's alert also says what the spike is about (insights/explain.py): what rose
most, and words and phrases that several authors' posts share, with a link to its typical posts.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httpx

from earful.contracts import Actor
from earful.insights import explain
from earful.insights.policies import can_manage_alerts
from earful.kit.addresses import PrivateAddress, Unresolvable, check_url
from earful.kit.clock import as_utc, utcnow
from earful.kit.errors import Conflict, EarfulError, Forbidden, Invalid, NotFound
from earful.notify import DeliveryFailed, email, slack_message, webhook
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Alert, AlertRule, Spike
from earful.store.repos import alerts as alerts_repo
from earful.store.repos import audit as audit_repo
from earful.store.repos import insights as insights_repo
from earful.store.repos import taxonomy as taxonomy_repo

log = logging.getLogger(__name__)
KINDS = {
    "spike": "a spike in posts (optionally of one category or region)",
    "urgency": "a post whose urgency reaches a threshold",
    "story": "a new story in media coverage",
    "silent": "a source that has gone silent",
}
LOOKBACK = timedelta(hours=24)  # how far back a new rule looks for things to alert on
MAX_ATTEMPTS = 5
SEND_LEASE = timedelta(minutes=15)  # a claim on an alert lapses after this, if its worker died
POST_LINKS = 20
SUBSIDED_WATCH = timedelta(days=7)  # how long an incident alert waits for its "subsided" update


@dataclass(frozen=True, slots=True)
class RuleInput:
    """A rule as a person writes it."""

    name: str
    kind: str
    emails: list[str]
    webhook_url: str | None
    category: str | None = None
    region: str | None = None
    threshold: float | None = None
    min_articles: int | None = None
    dedup_minutes: int = 60
    quiet_start: int | None = None
    quiet_end: int | None = None
    enabled: bool = True


def _is_web_address(url: str) -> bool:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError):
        return False
    return parsed.scheme in ("http", "https") and bool(parsed.host)


def _check(rule: RuleInput, known_categories: set[str]) -> dict[str, Any]:
    if not rule.name.strip():
        raise EarfulError("Give the rule a name.")
    if rule.kind not in KINDS:
        raise EarfulError(f"A rule fires on one of: {', '.join(KINDS)}.")
    if not rule.emails and not rule.webhook_url:
        raise EarfulError("Say where alerts go: email addresses, a webhook URL, or both.")
    bad = [a for a in rule.emails if not re.fullmatch(r"[^@\s,<>]+@[^@\s,<>]+", a)]
    if bad:
        raise EarfulError(f"These are not email addresses: {', '.join(bad)}.")
    if rule.category and rule.category not in known_categories:
        raise EarfulError(f"There is no category {rule.category!r} in the taxonomy in use.")
    if rule.kind == "spike" and rule.category and "." in rule.category:
        raise EarfulError("Spikes are found per category: choose a category, not a subcategory.")
    for hour in (rule.quiet_start, rule.quiet_end):
        if hour is not None and not 0 <= hour <= 23:
            raise EarfulError("Quiet hours are hours of the day, 0 to 23.")
    if (rule.quiet_start is None) != (rule.quiet_end is None):
        raise EarfulError("Give quiet hours a start and an end, or neither.")
    if not 0 <= rule.dedup_minutes <= 7 * 24 * 60:
        raise EarfulError("The dedup window is 0 to 10,080 minutes (a week).")
    params: dict[str, Any] = {}
    if rule.category:
        params["category"] = rule.category
    if rule.region and rule.kind == "spike":
        params["region"] = rule.region
    if rule.kind == "urgency":
        threshold = 0.8 if rule.threshold is None else rule.threshold
        if not 0 < threshold <= 1:
            raise EarfulError("The urgency threshold is a number above 0 and up to 1.")
        params["threshold"] = threshold
    if rule.kind == "story":
        params["min_articles"] = max(1, rule.min_articles or 1)
    return params


def _check_webhook(url: str, allow_private: bool) -> None:
    """Refuse a webhook URL that is not a web address, or (unless allowed) leads inside the network."""
    if not _is_web_address(url):
        raise Invalid(
            "webhook_url", "The webhook URL must be a web address starting with https:// (or http://)."
        )
    if allow_private:
        return
    try:
        check_url(url)  # the same check that delivery makes, before each message
    except Unresolvable:
        raise Invalid(
            "webhook_url", f"The webhook's host {httpx.URL(url).host} could not be found: check the URL."
        ) from None
    except PrivateAddress as exc:
        raise Invalid(
            "webhook_url",
            f"The webhook's host {exc.said} is a private or local address, and alerts go only to the "
            "internet. If your chat server is inside your network, set EARFUL_ALLOW_PRIVATE_ADDRESSES=true.",
        ) from None


def save_rule(
    db: Database, actor: Actor, rule: RuleInput, rule_id: int | None = None, *, allow_private: bool = False
) -> int:
    """Create a rule, or change one; return its id. Its webhook must lead to the internet unless
    `allow_private` (EARFUL_ALLOW_PRIVATE_ADDRESSES)."""
    if not can_manage_alerts(actor.role):
        raise Forbidden("Managing alert rules takes the lead role or higher.")
    if rule.webhook_url:
        _check_webhook(rule.webhook_url, allow_private)  # before the transaction: it asks DNS
    with db.write() as session:
        params = _check(rule, set(taxonomy_repo.display_names(session)))
        clash = alerts_repo.rule_by_name(session, rule.name.strip())
        if clash is not None and clash.id != rule_id:
            raise Conflict(f"A rule called {rule.name.strip()!r} already exists.")
        if rule_id is not None and alerts_repo.rule(session, rule_id) is None:
            raise NotFound(f"There is no alert rule {rule_id}.")
        saved = alerts_repo.save_rule(
            session,
            rule_id,
            name=rule.name.strip(),
            kind=rule.kind,
            params=params,
            emails=rule.emails,
            webhook_url=rule.webhook_url or None,
            dedup_minutes=rule.dedup_minutes,
            quiet_start=rule.quiet_start,
            quiet_end=rule.quiet_end,
            enabled=rule.enabled,
        )
        audit_repo.append(
            session,
            actor.id,
            actor.name,
            "alert_rule.save",
            f"alert_rule:{saved.id}",
            {"kind": rule.kind, **params},
        )
        return saved.id


def warnings(rule: RuleInput, settings: Settings) -> list[str]:
    """Return what a saved rule will not do as its writer may expect: email with no mail server,
    a webhook inside the network (allowed by the deployment, but worth saying)."""
    found = []
    if rule.emails and not settings.smtp_host:
        found.append(
            "No mail server is set (EARFUL_SMTP_HOST is empty), so this rule's email cannot be sent: "
            "its alerts are kept and marked failed. Ask an admin to set one, or add a webhook."
        )
    if rule.webhook_url and settings.allow_private_addresses and _is_web_address(rule.webhook_url):
        try:
            check_url(rule.webhook_url)
        except Unresolvable:
            found.append(
                f"The webhook's host {httpx.URL(rule.webhook_url).host} could not be found: check the URL."
            )
        except PrivateAddress as exc:
            found.append(
                f"The webhook goes to {exc.said}, a private or local address: allowed here because "
                "EARFUL_ALLOW_PRIVATE_ADDRESSES=true. Use 'Send a test' to check it is reached."
            )
    return found


def send_test(db: Database, settings: Settings, actor: Actor, rule_id: int) -> dict[str, str]:
    """Send a test message on each of the rule's channels now; return each channel's outcome
    ("sent", or why not). Audited; no alert is recorded."""
    if not can_manage_alerts(actor.role):
        raise Forbidden("Testing alert rules takes the lead role or higher.")
    with db.read() as session:
        rule = alerts_repo.rule(session, rule_id)
        if rule is None:
            raise NotFound(f"There is no alert rule {rule_id}.")
        name, emails, url = rule.name, list(rule.emails or []), rule.webhook_url
    title = f"Test of the alert rule {name}"
    lines = [
        f"This is a test from {settings.product_name}, sent by {actor.name}: the rule {name} reaches here.",
        "A real alert says what happened, in which category and region, with counts and a link to the posts.",
    ]
    link = f"{settings.base_url.rstrip('/')}/alerts"
    outcome: dict[str, str] = {}
    if emails:
        try:
            body = "\n".join([title, "", *lines, "", f"Open: {link}"])
            email(settings, emails, f"[{settings.product_name}] {title}", body)
            outcome["email"] = "sent"
        except DeliveryFailed as exc:
            outcome["email"] = exc.message
    if url:
        try:
            webhook(url, slack_message(title, lines, link), allow_private=settings.allow_private_addresses)
            outcome["webhook"] = "sent"
        except DeliveryFailed as exc:
            outcome["webhook"] = exc.message
    with db.write() as session:
        detail = {channel: state == "sent" for channel, state in outcome.items()}
        audit_repo.append(session, actor.id, actor.name, "alert_rule.test", f"alert_rule:{rule_id}", detail)
    return outcome


def delete_rule(db: Database, actor: Actor, rule_id: int) -> None:
    """Delete a rule and its alerts."""
    if not can_manage_alerts(actor.role):
        raise Forbidden("Managing alert rules takes the lead role or higher.")
    with db.write() as session:
        if alerts_repo.rule(session, rule_id) is None:
            raise NotFound(f"There is no alert rule {rule_id}.")
        alerts_repo.delete_rule(session, rule_id)
        audit_repo.append(session, actor.id, actor.name, "alert_rule.delete", f"alert_rule:{rule_id}", {})


@dataclass(frozen=True, slots=True)
class Candidate:
    """Something a rule may alert on."""

    key: str
    subject: str
    title: str
    lines: tuple[str, ...]
    link: str
    post_ids: tuple[int, ...]


def _feed(base: str, **params: Any) -> str:
    clean = {
        k: (v.isoformat(timespec="seconds") if isinstance(v, datetime) else str(v))
        for k, v in params.items()
        if v
    }
    return f"{base}/feed?{urlencode(clean)}"


def _candidates(
    session: Any, rule: AlertRule, base: str, names: dict[str, str], now: datetime, zone: str = "UTC"
) -> list[Candidate]:
    since = max(as_utc(rule.created_at) or now, now - LOOKBACK) - timedelta(minutes=5)
    params = rule.params or {}
    found: list[Candidate] = []
    if rule.kind == "spike":
        found += _spike_candidates(session, rule, base, names, now, since, zone)
    elif rule.kind == "urgency":
        threshold = float(params.get("threshold", 0.8))
        urgent = alerts_repo.urgent_posts(session, threshold, since, params.get("category"))
        about = alerts_repo.where_and_what(session, [p.id for p in urgent])
        for post in urgent:
            found.append(
                Candidate(
                    key=f"urgency:{params.get('category') or 'all'}",
                    subject=f"post:{post.id}",
                    title=f"Urgent post ({post.urgency:.2f}): {_about(about.get(post.id), names)}",
                    lines=(
                        f"A post scored urgency {post.urgency:.2f}, at or above the rule's {threshold:.2f}.",
                    ),
                    link=f"{base}/posts/{post.id}",
                    post_ids=(post.id,),
                )
            )
    elif rule.kind == "story":
        stories = alerts_repo.new_stories(session, since, int(params.get("min_articles", 1)))
        about = alerts_repo.where_and_what(session, [p.id for p, _ in stories])
        for post, articles in stories:
            # Not the headline: it is a stranger's text, and alerts carry none (docs/privacy.md).
            found.append(
                Candidate(
                    key="story",
                    subject=f"story:{post.id}",
                    title=f"New story in the media: {_about(about.get(post.id), names)} (post {post.id})",
                    lines=(f"{articles} article{'s' if articles != 1 else ''} so far.",),
                    link=f"{base}/posts/{post.id}",
                    post_ids=(post.id,),
                )
            )
    elif rule.kind == "silent":
        for source in alerts_repo.silent_sources(session):
            quiet_since = as_utc(source.silence_alerted_at) or now
            found.append(
                Candidate(
                    key=f"silent:{source.name}",
                    subject=f"silent:{source.id}:{quiet_since:%Y%m%d%H%M}",
                    title=f"Source silent: {source.name}" + (f" ({source.region})" if source.region else ""),
                    lines=(
                        f"{source.name} has brought no posts for longer than expected "
                        f"(noticed {quiet_since:%d %b %H:%M} UTC).",
                        f"Last error: {source.last_error}"
                        if source.last_error
                        else "It answers without error.",
                    ),
                    link=f"{base}/admin/sources",
                    post_ids=(),
                )
            )
    return found


def _local(moment: datetime, zone: str, fmt: str) -> str:
    """Return `moment` in the deployment's time zone, formatted, with the zone's abbreviation."""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local.strftime(fmt)} {local.tzname()}"


def _spike_name(spike: Spike, names: dict[str, str]) -> str:
    name = names.get(spike.category, spike.category) if spike.category else "all posts"
    return f"{name} in {spike.region or 'all regions'}"


def _lead(spikes: list[Spike]) -> Spike:
    """Return the spike an incident's alert leads with: the narrowest series (a category in a
    region), then the strongest."""
    return max(spikes, key=lambda s: (bool(s.category) + bool(s.region), s.score, -s.id))


def _matches(spike: Spike, params: dict[str, Any]) -> bool:
    if params.get("category") and spike.category != params["category"]:
        return False
    return not (params.get("region") and spike.region != params["region"])


def _spike_candidates(
    session: Any,
    rule: AlertRule,
    base: str,
    names: dict[str, str],
    now: datetime,
    since: datetime,
    zone: str,
) -> list[Candidate]:
    """Return one candidate per spike incident the rule covers (its subject "spike:INCIDENT", so an
    incident's later hours and its other levels raise nothing new), and one "subsided" update for
    each incident the rule alerted on that is now back to normal at every level."""
    params = rule.params or {}
    incidents: dict[int, list[Spike]] = {}
    for spike in alerts_repo.fresh_spikes(session, since):
        incidents.setdefault(spike.incident_id or spike.id, []).append(spike)
    found = []
    for incident_id, members in incidents.items():
        matching = [s for s in members if _matches(s, params)]
        if not matching:
            continue
        lead = _lead(matching)
        start = as_utc(lead.started_at) or now
        end = (as_utc(lead.ended_at) or now) + timedelta(hours=1)
        last_hour = end - timedelta(hours=1)
        if now < end and start == last_hour:  # called early, while its one hour is still open
            gone = int((now - start).total_seconds() // 60)
            counts = (
                f"{lead.observed} posts in the first {gone} minutes of the hour from "
                f"{_local(start, zone, '%d %b %H:00')}, where about {lead.expected:.0f} are usual by then."
            )
        elif start == last_hour:
            counts = (
                f"{lead.observed} posts in the hour from {_local(start, zone, '%d %b %H:00')}, "
                f"where about {lead.expected:.0f} are usual for that hour of the week."
            )
        else:
            counts = (
                f"Since {_local(start, zone, '%d %b %H:00')}: at its peak {lead.observed} posts in an hour, "
                f"where about {lead.expected:.0f} are usual for that hour of the week."
            )
        lines = [counts]  # what the posts are about is added when it is sent (_explain)
        others = sorted({_spike_name(s, names) for s in members if s is not lead})
        if others:
            lines.append(f"Also seen in {', '.join(others)}.")
        lines.append(f"Spike page: {base}/insights/spikes/{lead.id}")
        found.append(
            Candidate(
                key=f"spike:{lead.category}:{lead.region}",
                subject=f"spike:{incident_id}",
                title=f"Spike: {_spike_name(lead, names)}",
                lines=tuple(lines),
                link=_feed(base, category=lead.category, region=lead.region, since=start, until=end),
                post_ids=tuple(
                    alerts_repo.posts_in(session, lead.category, lead.region, start, end, POST_LINKS)
                ),
            )
        )
    for alert in alerts_repo.incident_alerts(session, rule.id, now - SUBSIDED_WATCH):
        incident_id = int(alert.subject.split(":")[1])
        spikes = insights_repo.incident(session, incident_id)
        first = insights_repo.spike(session, incident_id)
        if first is not None and first.incident_id not in (None, incident_id):  # merged into another
            spikes = insights_repo.incident(session, first.incident_id)
        if not spikes or any(s.subsided_at is None for s in spikes):
            continue
        back = max(as_utc(s.subsided_at) or now for s in spikes)
        began = min(as_utc(s.started_at) or now for s in spikes)
        hours = max(1, round((back - began).total_seconds() / 3600))
        found.append(
            Candidate(
                key=f"{alert.key}:subsided"[:200],
                subject=f"{alert.subject}:subsided",
                title=f"Subsided: {alert.title.removeprefix('Spike: ')}",
                lines=(
                    f"The spike that began {_local(began, zone, '%d %b %H:00')} subsided: back to "
                    f"normal from {_local(back, zone, '%d %b %H:%M')}, after {hours} "
                    f"hour{'s' if hours != 1 else ''}.",
                ),
                link=alert.link,
                post_ids=(),
            )
        )
    return found


def _about(found: tuple[str | None, str | None] | None, names: dict[str, str]) -> str:
    """Say a post's category and region for an alert's title (names an admin chose, never its text)."""
    category, region = found or (None, None)
    what = names.get(category, category) if category else "no category yet"
    return f"{what} in {region}" if region else f"{what} (region unknown)"


def quiet_until(rule: AlertRule, now: datetime, zone: str) -> datetime | None:
    """Return when the rule's quiet hours end, if `now` is inside them; else None."""
    start, end = rule.quiet_start, rule.quiet_end
    if start is None or end is None or start == end:
        return None
    local = now.astimezone(ZoneInfo(zone))
    hour = local.hour
    inside = start <= hour < end if start < end else (hour >= start or hour < end)
    if not inside:
        return None
    ends = local.replace(hour=end, minute=0, second=0, microsecond=0)
    if ends <= local:
        ends = (ends.replace(tzinfo=None) + timedelta(days=1)).replace(tzinfo=local.tzinfo)
    return ends.astimezone(UTC)  # stored: SQLite keeps wall-clock time and drops the offset


def evaluate(db: Database, settings: Settings, now: datetime | None = None) -> int:
    """Raise the alerts every enabled rule calls for now; return how many were raised (folded included)."""
    now = now or utcnow()
    base = settings.base_url.rstrip("/")
    raised = 0
    with db.write() as session:
        names = taxonomy_repo.display_names(session)
        for rule in alerts_repo.rules(session, enabled_only=True):
            candidates = _candidates(session, rule, base, names, now, settings.time_zone)
            seen = alerts_repo.known_subjects(session, rule.id, [c.subject for c in candidates])
            fresh_keys = alerts_repo.recent_keys(
                session, rule.id, now - timedelta(minutes=rule.dedup_minutes)
            )
            held = quiet_until(rule, now, settings.time_zone)
            rows = []
            for c in candidates:
                if c.subject in seen:
                    continue
                folded = c.key in fresh_keys
                fresh_keys.add(c.key)
                rows.append(
                    {
                        "rule_id": rule.id,
                        "key": c.key[:200],
                        "subject": c.subject[:200],
                        "title": c.title,
                        "link": c.link,
                        "post_ids": list(c.post_ids),
                        "status": "folded" if folded else "held" if held else "pending",
                        "deliver_after": held or now,
                        "attempts": 0,
                        "body": "\n".join(c.lines),
                        "channels": {},
                        "created_at": now,
                    }
                )
            raised += alerts_repo.add_alerts(session, rows)
    return raised


def _explain(db: Database, rule: AlertRule, subject: str) -> explain.Explanation | None:
    """Return what a spike alert's incident is about, said of the spike the alert leads with, or
    None (not a spike alert, or it could not be said: the alert goes out all the same)."""
    kind, _, incident_id = subject.partition(":")
    if kind != "spike" or not incident_id.isdigit():
        return None
    try:
        with db.read() as session:
            members = insights_repo.incident(session, int(incident_id))
            matching = [s for s in members if _matches(s, rule.params or {})] or list(members)
            spike_id = _lead(matching).id if matching else int(incident_id)
        return explain.explain(db, spike_id)
    except Exception:
        log.exception("spike incident %s could not be explained for its alert", incident_id)
        return None


def _send(
    settings: Settings,
    rule: AlertRule,
    alert: Alert,
    folded: int,
    about: explain.Explanation | None = None,
) -> dict[str, Any]:
    """Send the alert on each of the rule's channels not yet sent; return the channels' states.
    A spike's alert says what it is about: in the email as lines, in chat as the sentence and fields."""
    state = dict(alert.channels or {})
    lines = [line for line in alert.body.split("\n") if line]
    mail_lines, chat_fields = list(lines), []
    if about is not None:
        page = f"Typical posts and more: {settings.base_url.rstrip('/')}/insights/spikes/{about.spike_id}"
        lines += [about.sentence, page]  # in chat, what rose and the words go in fields
        mail_lines += [*explain.lines(about), page]
        chat_fields = explain.fields(about)
    after = []
    if folded:
        after.append(
            f"{folded} more like this in the last {rule.dedup_minutes} minutes were folded into this one."
        )
    if alert.post_ids:
        after.append(f"{len(alert.post_ids)} post{'s' if len(alert.post_ids) != 1 else ''} behind it.")
    after.append(f"Rule: {rule.name}")
    lines += after
    mail_lines += after
    if rule.emails and state.get("email") != "sent":
        try:
            body = "\n".join([alert.title, "", *mail_lines, "", f"Open: {alert.link}"])
            email(settings, list(rule.emails), f"[{settings.product_name}] {alert.title}", body)
            state["email"] = "sent"
        except DeliveryFailed as exc:
            state["email"] = exc.message
    if rule.webhook_url and state.get("webhook") != "sent":
        try:
            webhook(
                rule.webhook_url,
                slack_message(alert.title, lines, alert.link, chat_fields),
                allow_private=settings.allow_private_addresses,
            )
            state["webhook"] = "sent"
        except DeliveryFailed as exc:
            state["webhook"] = exc.message
    return state


def deliver(db: Database, settings: Settings, now: datetime | None = None) -> int:
    """Send every alert whose time has come; return how many went out on all their channels."""
    now = now or utcnow()
    with db.read() as session:
        due = [(a.id, a.rule_id) for a in alerts_repo.due(session, now)]
    sent = 0
    for alert_id, rule_id in due:
        with db.write() as session:
            # Several workers may look at once: only the one whose claim lands sends it.
            if not alerts_repo.claim(session, alert_id, now, now + SEND_LEASE):
                continue
            rule = alerts_repo.rule(session, rule_id) if rule_id else None
            alert = session.get(Alert, alert_id)
            if rule is None or alert is None:
                continue
            folded = alerts_repo.folded_since(session, rule.id, alert.key, as_utc(alert.created_at) or now)
            session.expunge_all()
        crash = None
        about = _explain(db, rule, alert.subject)
        try:
            state = _send(settings, rule, alert, folded, about)
        except Exception as exc:
            log.exception("alert %s could not be sent", alert_id)
            crash, state = f"{type(exc).__name__}: {exc}", dict(alert.channels or {})
        channels = [
            c
            for c in ("email", "webhook")
            if (c == "email" and rule.emails) or (c == "webhook" and rule.webhook_url)
        ]
        ok = crash is None and bool(channels) and all(state.get(c) == "sent" for c in channels)
        with db.write() as session:
            row = session.get(Alert, alert_id)
            if row is None:
                continue
            row.channels = state
            row.attempts += 1
            if ok:
                row.status, row.sent_at, row.error = "sent", now, None
                sent += 1
            else:
                row.error = crash or "; ".join(
                    f"{c}: {state.get(c)}" for c in channels if state.get(c) != "sent"
                )
                if row.attempts >= MAX_ATTEMPTS:
                    row.status = "failed"
                    log.warning("alert %s failed for good: %s", alert_id, row.error)
                else:
                    row.status = "pending"
                    row.deliver_after = now + timedelta(minutes=2**row.attempts)
    return sent


@dataclass(frozen=True, slots=True)
class AlertView:
    """An alert as the alerts page lists it."""

    id: int
    rule: str
    title: str
    link: str
    status: str
    created_at: datetime
    sent_at: datetime | None
    error: str | None
    posts: int


def overview(db: Database) -> tuple[list[AlertRule], list[AlertView]]:
    """Return every rule and the newest alerts."""
    with db.read() as session:
        rules = list(alerts_repo.rules(session))
        by_id = {r.id: r.name for r in rules}
        found = [
            AlertView(
                a.id,
                by_id.get(a.rule_id or 0, "—"),
                a.title,
                a.link,
                a.status,
                as_utc(a.created_at) or a.created_at,
                as_utc(a.sent_at),
                a.error,
                len(a.post_ids or []),
            )
            for a in alerts_repo.recent(session)
        ]
        session.expunge_all()
    return rules, found


def choices(db: Database) -> tuple[dict[str, str], list[str]]:
    """Return what a rule may name: {category key: name} of the taxonomy in use (subcategories as
    "Category > Name"), and the regions the sources are in."""
    with db.read() as session:
        return taxonomy_repo.display_names(session), alerts_repo.regions(session)
