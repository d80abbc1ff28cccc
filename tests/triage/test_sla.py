"""The escalation loop: deadlines from the category's SLA, reminders, leadership on a miss, outcomes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from earful.accounts.service import add_user, update_user
from earful.contracts import Actor
from earful.insights.report import build
from earful.kit.clock import as_utc, utcnow
from earful.kit.errors import Conflict, EarfulError, Forbidden
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Spike, TriageItem
from earful.store.repos.feed import FeedFilter
from earful.triage import service
from earful.triage.sla import Sla, acknowledge, sweep
from tests.factories import label, make_posts, make_source
from tests.servers import Inbox

ADMIN = Actor(None, "root", "admin")
LEAD = Actor(None, "lee", "lead")


def _item(db: Database, post_id: int) -> TriageItem:
    with db.read() as session:
        item = session.query(TriageItem).filter_by(post_id=post_id).one()
        session.expunge(item)
        return item


@pytest.fixture
def world(db: Database) -> dict[str, int]:
    source = make_source(db)
    hurt, tips, both = make_posts(
        db, source, ["van hit me at the gate", "tips missing again", "robbed and unpaid"]
    )
    label(db, [hurt], "safety.violence", "complaint")
    label(db, [tips], "pay.tips", "complaint")
    label(db, [both], "safety.violence", "complaint")
    label(db, [both], "pay.tips", "complaint")
    safety = service.save_team(db, ADMIN, "Safety", "safety-desk@example.org", ["safety"])
    pay = service.save_team(db, ADMIN, "Payments", "#payments", ["pay"])
    return {"hurt": hurt, "tips": tips, "both": both, "safety": safety, "pay": pay}


def _hours(item: TriageItem) -> tuple[float, float]:
    assert item.escalated_at and item.ack_due_at and item.resolve_due_at
    return (
        (item.ack_due_at - item.escalated_at).total_seconds() / 3600,
        (item.resolve_due_at - item.escalated_at).total_seconds() / 3600,
    )


def test_deadlines_come_from_the_category_sla(db: Database, world: dict[str, int]) -> None:
    defaults = Sla(6, 48)
    assert service.escalate(db, LEAD, world["hurt"], defaults=defaults) == "Safety"
    assert _hours(_item(db, world["hurt"])) == (1, 24)  # the default taxonomy's safety SLA
    service.escalate(db, LEAD, world["tips"], defaults=defaults)
    assert _hours(_item(db, world["tips"])) == (6, 48)  # pay sets none: the deployment's default
    service.escalate(db, LEAD, world["both"], world["pay"], defaults=defaults)
    assert _hours(_item(db, world["both"])) == (1, 24)  # the strictest of its categories


def test_reminder_then_leadership_when_a_deadline_is_missed(
    db: Database, settings: Settings, world: dict[str, int], smtp: Inbox
) -> None:
    mail = settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "leadership_emails": ["coo@example.org"]}
    )
    service.escalate(db, LEAD, world["hurt"])
    start = _item(db, world["hurt"]).escalated_at
    assert start is not None
    assert sweep(db, mail, start + timedelta(minutes=30)).reminded == 0
    assert sweep(db, mail, start + timedelta(minutes=46)).reminded == 1  # three quarters of the hour
    assert sweep(db, mail, start + timedelta(minutes=50)).reminded == 0  # once per deadline
    ((to, reminder),) = smtp.messages
    assert to == ["safety-desk@example.org"]
    assert "Reminder: acknowledge escalated post" in reminder["Subject"]
    missed = sweep(db, mail, start + timedelta(minutes=61))
    assert missed.escalated_to_leadership == 1
    assert sweep(db, mail, start + timedelta(minutes=70)).escalated_to_leadership == 0
    to, notice = smtp.messages[1]
    assert (
        to == ["coo@example.org"]
        and "Missed SLA" in notice["Subject"]
        and "acknowledged by Safety" in notice["Subject"]
    )
    actions = [e.action for e in service.timeline(db, world["hurt"])]
    assert actions == ["escalate", "sla_reminder", "sla_missed"]
    # A late acknowledgment is recorded as late; the resolution deadline still runs.
    acknowledge(db, LEAD, world["hurt"], now=start + timedelta(minutes=75))
    assert service.timeline(db, world["hurt"])[-1].detail == {"late": True}
    with db.write() as session:  # pretend the acknowledgment came within the hour after all
        session.execute(
            update(TriageItem).where(TriageItem.post_id == world["hurt"]).values(acknowledged_at=start)
        )
    assert sweep(db, mail, start + timedelta(hours=19)).reminded == 1  # resolve reminder at 18h
    assert sweep(db, mail, start + timedelta(hours=25)).escalated_to_leadership == 1


def test_resolving_needs_an_outcome_which_the_report_shows_with_the_spike(
    db: Database, settings: Settings, world: dict[str, int]
) -> None:
    now = utcnow()
    with db.write() as session:
        spike = Spike(
            category="safety",
            region="UK",
            started_at=now - timedelta(hours=3),
            ended_at=now - timedelta(hours=2),
            observed=12,
            expected=1.0,
            score=9.0,
            subsided_at=now - timedelta(hours=1),
        )
        session.add(spike)
        session.flush()
        spike_id = spike.id
    service.escalate(db, LEAD, world["hurt"], spike_id=spike_id)
    with pytest.raises(EarfulError, match="outcome"):
        service.set_status(db, LEAD, world["hurt"], "resolved")
    service.set_status(db, LEAD, world["hurt"], "resolved", "Depot gate lights fixed; security briefed")
    item = _item(db, world["hurt"])
    assert item.resolved_at is not None and item.outcome == "Depot gate lights fixed; security briefed"
    report = build(
        db, FeedFilter(), now - timedelta(days=1), now + timedelta(hours=1), zone="UTC", base_url="http://x"
    )
    (row,) = report.escalations
    assert (row.team, row.status, row.resolve_sla) == ("Safety", "resolved", "met")
    assert row.acknowledge_sla == "met"  # resolving within the acknowledgment window counts as acknowledging
    assert row.spike is not None and row.spike.subsided_at is not None
    with pytest.raises(EarfulError, match="no spike"):
        service.escalate(db, LEAD, world["tips"], spike_id=spike_id + 100)


def test_only_the_owning_team_or_a_lead_acknowledges(db: Database, world: dict[str, int]) -> None:
    service.escalate(db, LEAD, world["tips"])
    outsider = add_user(db, "sam", "correct horse battery", "analyst")
    update_user(db, ADMIN, outsider.id, role="analyst", team_id=world["safety"], active=True)
    with pytest.raises(Forbidden):
        acknowledge(db, Actor(outsider.id, "sam", "analyst"), world["tips"])
    member = add_user(db, "pat", "correct horse battery", "analyst")
    update_user(db, ADMIN, member.id, role="analyst", team_id=world["pay"], active=True)
    acknowledge(db, Actor(member.id, "pat", "analyst"), world["tips"])
    assert _item(db, world["tips"]).acknowledged_at is not None
    with pytest.raises(Conflict, match="already acknowledged"):
        acknowledge(db, LEAD, world["tips"])


def test_an_escalation_stays_on_the_clock_while_investigated_until_it_is_closed(
    db: Database, settings: Settings, world: dict[str, int]
) -> None:
    service.escalate(db, LEAD, world["hurt"])
    service.set_status(db, LEAD, world["hurt"], "investigating")
    start = _item(db, world["hurt"]).escalated_at
    assert start is not None
    assert sweep(db, settings, as_utc(start) + timedelta(minutes=61)).escalated_to_leadership == 1
    with pytest.raises(EarfulError, match="outcome"):
        service.set_status(db, LEAD, world["hurt"], "resolved")
    service.set_status(db, LEAD, world["hurt"], "resolved", "Gate lights fixed")
    assert _item(db, world["hurt"]).outcome == "Gate lights fixed"
    service.escalate(db, LEAD, world["tips"])
    service.set_status(db, LEAD, world["tips"], "dismissed", "Not ours: a bank delay")
    now = utcnow()
    report = build(
        db, FeedFilter(), now - timedelta(days=1), now + timedelta(days=10), zone="UTC", base_url="x"
    )
    rows = {r.post_id: r for r in report.escalations}
    assert (
        rows[world["tips"]].resolve_sla == "dismissed"
        and rows[world["tips"]].outcome == "Not ours: a bank delay"
    )
    assert sweep(db, settings, now + timedelta(days=5)).escalated_to_leadership == 0  # both closed
