"""The escalation loop: deadlines from the category's SLA, acknowledgment, reminders, and leadership
told when a deadline is missed.

An escalated post gets an acknowledgment deadline and a resolution deadline: the strictest SLA
among its categories (a subcategory's own, else its category's), else the deployment's defaults;
the team that owns safety, else the one owning the surest label, gets it (`safety_first`).
The owning team is reminded once per deadline when a set share of its time has passed; when a
deadline passes unmet, leadership is told once per deadline. Every step is in the post's timeline.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from earful.contracts import Actor
from earful.kit.clock import as_utc, utcnow
from earful.kit.errors import Conflict, EarfulError, Forbidden
from earful.ml import taxonomy
from earful.notify import DeliveryFailed, email
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import TriageItem
from earful.store.repos import audit as audit_repo
from earful.store.repos import triage as triage_repo
from earful.triage.policies import can_open_team_queue

log = logging.getLogger(__name__)
EMAIL = re.compile(r"[^@\s,<>]+@[^@\s,<>]+\.[^@\s,<>]+")


@dataclass(frozen=True, slots=True)
class Sla:
    """Hours to acknowledge and to resolve an escalation."""

    acknowledge_hours: float = float(Settings.model_fields["sla_acknowledge_hours"].default)
    resolve_hours: float = float(Settings.model_fields["sla_resolve_hours"].default)

    @classmethod
    def from_settings(cls, settings: Settings) -> Sla:
        """Return the deployment's default SLA."""
        return cls(settings.sla_acknowledge_hours, settings.sla_resolve_hours)


def sla_for(session: Session, post_id: int, defaults: Sla) -> Sla:
    """Return the strictest SLA among the post's categories, or `defaults` where none sets one."""
    slas = triage_repo.category_slas(session)
    found = [defaults]
    for key in triage_repo.post_category_keys(session, post_id):
        own = slas.get(key) or slas.get(key.split(".")[0])
        if own:
            found.append(
                Sla(
                    own.get("acknowledge_hours") or defaults.acknowledge_hours,
                    own.get("resolve_hours") or defaults.resolve_hours,
                )
            )
    if len(found) > 1:
        found = found[1:]  # a category's own SLA wins over the default, even when it is looser
    resolve = min(s.resolve_hours for s in found)
    # Acknowledging cannot be due after resolving (a category may set only a short resolve time).
    return Sla(min(resolve, *(s.acknowledge_hours for s in found)), resolve)


SAFETY = taxonomy.SAFETY  # the key of the taxonomy's safety category, routed before any other


def safety_first(session: Session, labels: list[tuple[str, float | None]]) -> list[str]:
    """Return the keys of the post's labels, (key, confidence) each, in routing order: the `safety`
    category and its subcategories first, then the surest label; labels as sure as each other in the
    taxonomy's order. A taxonomy with no `safety` category puts the strictest SLA first instead.

    The model's surest label may be incidental ("12 packages" in a robbery report): safety's team
    must answer a safety report. Otherwise the label the model (or the analyst) is surest of decides.
    """
    slas = triage_repo.category_slas(session)
    order = triage_repo.category_order(session)
    has_safety = SAFETY in order
    never = float("inf")

    def rank(item: tuple[int, tuple[str, float | None]]) -> tuple[int, float, float, float, int, int]:
        index, (key, confidence) = item
        own = {} if has_safety else (slas.get(key) or slas.get(key.split(".")[0]) or {})
        return (
            0 if key.split(".")[0] == SAFETY else 1,
            float(own.get("resolve_hours") or never),
            float(own.get("acknowledge_hours") or never),
            -(confidence or 0.0),
            order.get(key, len(order)),
            index,
        )

    return [key for _, (key, _) in sorted(enumerate(labels), key=rank)]


def deadlines(session: Session, post_id: int, now: datetime, defaults: Sla) -> dict[str, datetime]:
    """Return the fields that start an escalation's clock now."""
    sla = sla_for(session, post_id, defaults)
    return {
        "escalated_at": now,
        "ack_due_at": now + timedelta(hours=sla.acknowledge_hours),
        "resolve_due_at": now + timedelta(hours=sla.resolve_hours),
    }


def acknowledge(db: Database, actor: Actor, post_id: int, now: datetime | None = None) -> None:
    """Record that the owning team has seen the escalated post and is on it."""
    now = as_utc(now) or utcnow()
    with db.write() as session:
        item = triage_repo.item(session, post_id)
        if item is None or item.status != "escalated" or item.team_id is None:
            raise Conflict("Only an escalated post waiting for its team can be acknowledged.")
        if not can_open_team_queue(actor.role, _team_of(session, actor), item.team_id):
            raise Forbidden("Acknowledging takes a member of the owning team, or a lead.")
        if item.acknowledged_at is not None:
            raise Conflict("This escalation was already acknowledged.")
        triage_repo.update_item(session, post_id, now, acknowledged_at=now)
        late = item.ack_due_at is not None and now > (as_utc(item.ack_due_at) or now)
        triage_repo.add_event(session, post_id, actor.id, actor.name, "acknowledge", {"late": late}, now)
        audit_repo.append(
            session, actor.id, actor.name, "triage.acknowledge", f"post:{post_id}", {"late": late}
        )


def _team_of(session: Session, actor: Actor) -> int | None:
    person = triage_repo.user(session, actor.id) if actor.id is not None else None
    return person.team_id if person is not None else None


@dataclass(frozen=True, slots=True)
class SweepResult:
    """What one pass over the open escalations did."""

    reminded: int
    escalated_to_leadership: int


def _due_points(item: TriageItem, share: float) -> list[tuple[str, datetime, datetime]]:
    """Return (deadline name, reminder time, deadline) for each deadline still open."""
    start = as_utc(item.escalated_at)
    points = []
    for name, due, done in (
        ("acknowledge", as_utc(item.ack_due_at), item.acknowledged_at),
        ("resolve", as_utc(item.resolve_due_at), None),
    ):
        if start is None or due is None or done is not None:
            continue
        points.append((name, start + (due - start) * share, due))
    return points


def sweep(db: Database, settings: Settings, now: datetime | None = None) -> SweepResult:
    """Remind teams of deadlines coming up and tell leadership of deadlines missed; return the counts.

    Each reminder and notice is claimed in the database before it is sent (a conditional update of
    the item's `reminded_at` or `breached_at`), so two workers sweeping at once never send one twice.
    """
    now = as_utc(now) or utcnow()
    base = settings.base_url.rstrip("/")
    reminders: list[tuple[int, datetime | None, str, str | None, datetime, str]] = []
    breaches: list[tuple[int, datetime | None, list[tuple[str, datetime]], str]] = []
    with db.read() as session:
        teams = {t.id: t for t in triage_repo.teams(session)}
        for item in triage_repo.escalated_open(session):
            team = teams.get(item.team_id) if item.team_id else None
            name = team.name if team else "no team"
            reminded, breached = as_utc(item.reminded_at), as_utc(item.breached_at)
            points = _due_points(item, settings.sla_reminder_share)
            missed = [(d, due) for d, _, due in points if now > due and (breached is None or breached < due)]
            if missed:
                breaches.append((item.post_id, item.breached_at, missed, name))
                continue
            for deadline, remind_at, due in points:
                if remind_at <= now <= due and (reminded is None or reminded < remind_at):
                    reminders.append(
                        (item.post_id, item.reminded_at, deadline, team.contact if team else None, due, name)
                    )
                    break
    told = 0
    for post_id, before, deadline, contact, due, team_name in reminders:
        if not _claim(db, post_id, "reminded_at", before, now):
            continue
        addresses = EMAIL.findall(contact or "")
        sent = bool(addresses) and _tell(
            settings,
            addresses,
            f"Reminder: {deadline} escalated post {post_id} by {due:%d %b %H:%M} UTC",
            f"Post {post_id}, escalated to {team_name}, is due to be {deadline}d by "
            f"{due:%d %b %Y %H:%M} UTC.\nOpen it: {base}/posts/{post_id}\n",
        )
        _record(db, post_id, now, "sla_reminder", {"deadline": deadline, "emailed": sent})
        told += 1
    escalated = 0
    for post_id, before, missed, owner in breaches:
        if not _claim(db, post_id, "breached_at", before, now):
            continue
        what = " and ".join(f"{d}d by {due:%d %b %Y %H:%M} UTC" for d, due in missed)
        sent = bool(settings.leadership_emails) and _tell(
            settings,
            list(settings.leadership_emails),
            f"Missed SLA: post {post_id} not {' or '.join(d + 'd' for d, _ in missed)} by {owner}",
            f"Post {post_id} was escalated to {owner} and was due to be {what}. It has not been.\n"
            f"Open it: {base}/posts/{post_id}\n",
        )
        _record(
            db,
            post_id,
            now,
            "sla_missed",
            {"deadline": ", ".join(d for d, _ in missed), "team": owner, "leadership_emailed": sent},
        )
        escalated += 1
    return SweepResult(told, escalated)


def _claim(db: Database, post_id: int, field: str, before: datetime | None, now: datetime) -> bool:
    with db.write() as session:
        return triage_repo.claim_stamp(session, post_id, field, before, now)


def _tell(settings: Settings, to: list[str], subject: str, body: str) -> bool:
    try:
        email(settings, to, f"[{settings.product_name}] {subject}", body)
    except DeliveryFailed as exc:
        log.warning("could not email %s: %s", subject, exc.message)
        return False
    return True


def _record(db: Database, post_id: int, now: datetime, action: str, detail: dict[str, object]) -> None:
    with db.write() as session:
        triage_repo.add_event(session, post_id, None, "sla", action, dict(detail), now)
        audit_repo.append(session, None, "sla", f"triage.{action}", f"post:{post_id}", dict(detail))


def require_outcome(reason: str | None) -> None:
    """Refuse to close an escalation without saying what was done about it."""
    if not reason:
        raise EarfulError("Say what was done (the outcome): it is recorded and shows in reports.")
