"""Work the queue: open, take a batch, change status, assign, note, flag, escalate, in bulk too.

Every change is a step in the post's timeline and an audit entry, written in one transaction.
Reading a post locks nothing. The first action on it (status, assignment, flag, escalation) locks
it to that person until LOCK_SECONDS after their last action; a lead may take a lock over.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from earful.contracts import Actor
from earful.kit.clock import as_utc, utcnow
from earful.kit.errors import Conflict, EarfulError, Forbidden, Invalid, NotFound
from earful.store.db import Database
from earful.store.models import Post, Team, TriageEvent
from earful.store.repos import audit as audit_repo
from earful.store.repos import feed as feed_repo
from earful.store.repos import triage as triage_repo
from earful.store.repos.feed import FeedFilter
from earful.triage.policies import can_escalate, can_manage_teams, can_take_over, can_triage
from earful.triage.sla import SAFETY, Sla, deadlines, require_outcome, safety_first, sla_for

LOCK_SECONDS = 600
MAX_BATCH = 50
MAX_NOTE = 4000
MAX_TEAM_NAME = 120  # the column's width, and the form's
MAX_TEAM_CONTACT = 300
# Where each status may go next; escalation has its own action (it needs the lead role).
NEXT = {
    "new": {"investigating", "resolved", "dismissed"},
    "investigating": {"new", "resolved", "dismissed"},
    "escalated": {"investigating", "resolved", "dismissed"},
    "resolved": {"investigating"},
    "dismissed": {"investigating"},
}
# The step a post usually takes next from each status, offered first on its page: work starts, work
# (or the team's escalation) ends, a closed post is reopened. Dismissing is never the default.
NATURAL_NEXT = {
    "new": "investigating",
    "investigating": "resolved",
    "escalated": "resolved",
    "resolved": "investigating",
    "dismissed": "investigating",
}
LIFECYCLE = ("investigating", "resolved", "dismissed", "new")


def next_statuses(status: str) -> list[str]:
    """Return the statuses a post may move to from `status`: the natural next step first, then the
    rest in the order of a post's life."""
    first = NATURAL_NEXT.get(status)
    return sorted(NEXT.get(status, ()), key=lambda s: (s != first, LIFECYCLE.index(s)))


@dataclass(frozen=True, slots=True)
class ItemState:
    """A post's triage state as its page shows it."""

    status: str
    assignee: str | None
    team: str | None
    flagged: bool
    reason: str | None
    locked_by: str | None  # someone else who holds its lock now, or None
    team_id: int | None = None
    escalated_at: datetime | None = None
    ack_due_at: datetime | None = None
    acknowledged_at: datetime | None = None
    resolve_due_at: datetime | None = None
    resolved_at: datetime | None = None
    outcome: str | None = None
    spike_id: int | None = None
    locked_until: datetime | None = None  # when the lock lapses, whoever holds it
    lock_mine: bool = False  # the lock is the reader's own


def lock_cutoff(now: datetime | None = None) -> datetime:
    """Return the time before which a lock has lapsed."""
    return (now or utcnow()) - timedelta(seconds=LOCK_SECONDS)


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise Forbidden(message)


def _post(session: Session, post_id: int) -> Post:
    post = session.get(Post, post_id)
    if post is None or post.text is None:
        raise NotFound(f"There is no post {post_id}.")
    return post


# Free text analysts type (a dismissal's reason, an escalation's note) may quote the post or name
# its author. It lives in the post's timeline, which erasure deletes with the post; the audit log,
# which nothing may delete, records only that there was some.
FREE_TEXT = ("reason", "note")


# Set while `bulk` runs, so each post's timeline and the audit log say the step was one of many.
_IN_BULK: ContextVar[bool] = ContextVar("in_bulk", default=False)


def _record(session: Session, actor: Actor, post_id: int, action: str, now: datetime, **detail: Any) -> None:
    if _IN_BULK.get():
        detail["bulk"] = True
    triage_repo.add_event(session, post_id, actor.id, actor.name, action, detail, now)
    audited = {key: (bool(value) if key in FREE_TEXT else value) for key, value in detail.items()}
    audit_repo.append(session, actor.id, actor.name, f"triage.{action}", f"post:{post_id}", audited)


def _fresh_holder(session: Session, post_id: int, now: datetime) -> tuple[int | None, datetime | None]:
    """Return who holds the post's lock and when it lapses, or (None, None) when nobody does."""
    holder, since = triage_repo.lock_of(session, post_id)
    locked_at = as_utc(since)
    if holder is None or locked_at is None or locked_at < lock_cutoff(now):
        return None, None
    return holder, locked_at + timedelta(seconds=LOCK_SECONDS)


def _claim_lock(session: Session, actor: Actor, post_id: int, now: datetime) -> None:
    """Lock the item for the actor, or refuse when someone else holds it.

    An operator acting from the command line (no user id) takes no lock but respects others'.
    """
    if actor.id is not None:
        triage_repo.take_lock(session, post_id, actor.id, now, lock_cutoff(now))
    holder, until = _fresh_holder(session, post_id, now)
    if holder is not None and holder != actor.id:
        name = triage_repo.user_names(session, [holder]).get(holder, "another analyst")
        raise Conflict(f"{name} is working on this post until {until:%H:%M} UTC; a lead can take it over.")


def _take(session: Session, actor: Actor, post_id: int, now: datetime) -> None:
    """Make sure the post exists and has an item, and hold it for the actor (or refuse: someone
    else is working on it)."""
    _post(session, post_id)
    triage_repo.ensure_items(session, [post_id], now)
    _claim_lock(session, actor, post_id, now)


def open_item(db: Database, actor: Actor, post_id: int) -> ItemState:
    """Return the post's triage state (reading it locks nothing); the view is audited."""
    now = utcnow()
    with db.write() as session:
        _post(session, post_id)
        triage_repo.ensure_items(session, [post_id], now)
        audit_repo.append_view(session, actor.id, actor.name, f"post:{post_id}", {}, now)
        item = triage_repo.item(session, post_id)
        assert item is not None
        holder, until = _fresh_holder(session, post_id, now)
        names = triage_repo.user_names(session, [p for p in (item.assignee_id, holder) if p])
        team = triage_repo.team(session, item.team_id) if item.team_id else None
        mine = holder is not None and holder == actor.id
        return ItemState(
            status=item.status,
            assignee=names.get(item.assignee_id) if item.assignee_id else None,
            team=team.name if team else None,
            flagged=item.flagged,
            reason=item.reason,
            locked_by=names.get(holder, "another analyst") if holder is not None and not mine else None,
            team_id=item.team_id,
            escalated_at=as_utc(item.escalated_at),
            ack_due_at=as_utc(item.ack_due_at),
            acknowledged_at=as_utc(item.acknowledged_at),
            resolve_due_at=as_utc(item.resolve_due_at),
            resolved_at=as_utc(item.resolved_at),
            outcome=item.outcome,
            spike_id=item.spike_id,
            locked_until=until,
            lock_mine=mine,
        )


def take_over(db: Database, actor: Actor, post_id: int) -> str | None:
    """Take the post's lock from whoever holds it (leads and admins; audited); return their name,
    or None when nobody else held it (the lock is then simply the actor's)."""
    _require(can_take_over(actor.role), "Taking over a post someone is working on takes the lead role.")
    if actor.id is None:
        raise EarfulError("A lock is held by a person: sign in as the lead who takes the post over.")
    now = utcnow()
    with db.write() as session:
        _post(session, post_id)
        triage_repo.ensure_items(session, [post_id], now)
        holder, _ = _fresh_holder(session, post_id, now)
        if holder is None or holder == actor.id:
            triage_repo.take_lock(session, post_id, actor.id, now, lock_cutoff(now))
            return None
        if not triage_repo.take_over_lock(session, post_id, actor.id, holder, now, lock_cutoff(now)):
            raise Conflict("The lock changed hands a moment ago; open the post again to see who has it.")
        name = triage_repo.user_names(session, [holder]).get(holder, "another analyst")
        _record(session, actor, post_id, "take_over", now, taken_from=name)
        return name


def record_view(db: Database, actor: Actor, post_id: int, via: str) -> None:
    """Audit a read of one post that did not come through its page (the API); once per window."""
    with db.write() as session:
        audit_repo.append_view(session, actor.id, actor.name, f"post:{post_id}", {"via": via})


def release(db: Database, actor: Actor, post_id: int) -> None:
    """Let go of the actor's lock on a post."""
    with db.write() as session:
        if actor.id is not None:
            triage_repo.release_lock(session, post_id, actor.id)


def take_batch(db: Database, actor: Actor, size: int, where: FeedFilter | None = None) -> list[int]:
    """Deal up to `size` new, unassigned posts (most urgent first) to the actor, among those the
    feed's filters `where` show when given (its status aside: a batch is new posts); return their ids."""
    _require(can_triage(actor.role), "Taking a batch takes the analyst role or higher.")
    if actor.id is None:
        raise EarfulError("A batch is dealt to a person: sign in as the analyst who will work it.")
    size = max(1, min(size, MAX_BATCH))
    now = utcnow()
    stale = lock_cutoff(now)
    won: list[int] = []
    tried: list[int] = []
    with db.write() as session:
        within = feed_repo.matching_ids(session, replace(where, status=None)) if where else None
        # A concurrent analyst may win some candidates first (on PostgreSQL, where writers do not
        # queue): ask again for fresh ones until the batch is full or none are left.
        for _ in range(5):
            candidates = list(
                triage_repo.unassigned_candidates(
                    session, (size - len(won)) * 2, actor.id, stale, tried, within
                )
            )
            if not candidates:
                break
            tried += candidates
            triage_repo.ensure_items(session, candidates, now)
            won += triage_repo.claim(session, candidates, actor.id, now, size - len(won), stale)
            if len(won) >= size:
                break
        for pid in won:
            _record(session, actor, pid, "assign", now, assignee=actor.name, batch=True)
    return won


def set_status(db: Database, actor: Actor, post_id: int, status: str, reason: str | None = None) -> None:
    """Move the post to `status`; dismissing needs a reason."""
    _require(can_triage(actor.role), "Changing a post's status takes the analyst role or higher.")
    if status == "escalated":
        raise EarfulError("Escalate with the escalate action, which hands the post to its owning team.")
    reason = (reason or "").strip() or None
    if status == "dismissed" and not reason:
        raise EarfulError("Say why the post is dismissed (for example: spam, not about us, duplicate).")
    now = utcnow()
    with db.write() as session:
        _take(session, actor, post_id, now)
        item = triage_repo.item(session, post_id)
        assert item is not None
        if status not in NEXT.get(item.status, set()):
            raise Conflict(f"A post that is {item.status} cannot become {status}.")
        open_escalation = item.escalated_at is not None and item.resolved_at is None
        fields: dict[str, Any] = {"status": status, "reason": reason}
        if open_escalation and status in ("resolved", "dismissed"):
            # Closing an escalation (even one being investigated) records its outcome; the clock stops.
            require_outcome(reason)
            fields.update(outcome=reason, resolved_at=now)
        if status == "investigating" and item.assignee_id is None:
            fields["assignee_id"] = actor.id
        if status == "new":
            # Back in the pool: nobody's, and open to the next batch.
            fields.update(assignee_id=None, locked_by=None, locked_at=None)
        triage_repo.update_item(session, post_id, now, **fields)
        _record(session, actor, post_id, "status", now, status=status, was=item.status, reason=reason)


def assign(db: Database, actor: Actor, post_id: int, user_id: int | None) -> None:
    """Give the post to a person (or nobody)."""
    _require(can_triage(actor.role), "Assigning posts takes the analyst role or higher.")
    now = utcnow()
    with db.write() as session:
        _take(session, actor, post_id, now)
        name = None
        if user_id is not None:
            person = triage_repo.user(session, user_id)
            if person is None or not person.active or not can_triage(person.role):
                raise EarfulError("Assign posts to someone who triages: an active analyst, lead or admin.")
            name = person.username
        triage_repo.update_item(session, post_id, now, assignee_id=user_id)
        _record(session, actor, post_id, "assign", now, assignee=name)


def add_note(db: Database, actor: Actor, post_id: int, text: str) -> None:
    """Add a note to the post's timeline."""
    _require(can_triage(actor.role), "Adding notes takes the analyst role or higher.")
    text = text.strip()
    if not text:
        raise EarfulError("Write the note first.")
    if len(text) > MAX_NOTE:
        raise EarfulError(f"A note may be at most {MAX_NOTE} characters.")
    now = utcnow()
    with db.write() as session:
        _post(session, post_id)
        triage_repo.ensure_items(session, [post_id], now)
        triage_repo.add_event(session, post_id, actor.id, actor.name, "note", {"text": text}, now)
        audit_repo.append(session, actor.id, actor.name, "triage.note", f"post:{post_id}", {})


def flag(db: Database, actor: Actor, post_id: int, flagged: bool = True) -> None:
    """Flag the post for investigation, or clear the flag."""
    _require(can_triage(actor.role), "Flagging posts takes the analyst role or higher.")
    now = utcnow()
    with db.write() as session:
        _take(session, actor, post_id, now)
        triage_repo.update_item(session, post_id, now, flagged=flagged)
        _record(session, actor, post_id, "flag" if flagged else "unflag", now)


def _route(session: Session, post_id: int) -> tuple[Team | None, str | None]:
    """Return the team that owns the label that decides the post's routing, and that label's key.

    Safety first, then the surest label (`safety_first`); a label no team owns passes the decision
    to the next. A subcategory's owner comes before its parent category's.
    """
    teams = triage_repo.teams(session)
    for key in safety_first(session, triage_repo.post_labels(session, post_id)):
        for candidate in (key, key.split(".")[0]):
            for team in teams:
                if candidate in (team.owns or []):
                    return team, key
    return None, None


def owning_team(session: Session, post_id: int) -> Team | None:
    """Return the team an escalation of the post goes to unless someone chooses another."""
    return _route(session, post_id)[0]


@dataclass(frozen=True, slots=True)
class Route:
    """Where escalating a post would send it, what decides that, and the deadlines it would get."""

    post_id: int
    team_id: int | None  # None: no team owns any of its labels, so someone must choose
    team: str | None
    label: str | None  # the key of the label that decides
    safety: bool  # decided by safety coming first, not by being the surest label
    acknowledge_hours: float
    resolve_hours: float
    acknowledge_by: datetime
    resolve_by: datetime
    status: str
    locked_by: str | None  # someone else working on the post: escalating it waits for them
    locked_until: datetime | None


def routes(
    db: Database, actor: Actor, post_ids: Sequence[int], *, defaults: Sla | None = None
) -> list[Route]:
    """Return where escalating each post would send it and by when it would be due; change nothing.

    Ids with no post are left out. The deadlines are the post's own (its strictest SLA), whichever
    team is chosen.
    """
    _require(can_escalate(actor.role), "Escalating takes the lead role or higher.")
    now = utcnow()
    found: list[Route] = []
    with db.read() as session:
        for pid in list(dict.fromkeys(post_ids))[:MAX_BULK]:
            post = session.get(Post, pid)
            if post is None or post.text is None:
                continue
            team, key = _route(session, pid)
            sla = sla_for(session, pid, defaults or Sla())
            item = triage_repo.item(session, pid)
            holder, until = _fresh_holder(session, pid, now)
            other = holder is not None and holder != actor.id
            found.append(
                Route(
                    post_id=pid,
                    team_id=team.id if team else None,
                    team=team.name if team else None,
                    label=key,
                    safety=key is not None and key.split(".")[0] == SAFETY,
                    acknowledge_hours=sla.acknowledge_hours,
                    resolve_hours=sla.resolve_hours,
                    acknowledge_by=now + timedelta(hours=sla.acknowledge_hours),
                    resolve_by=now + timedelta(hours=sla.resolve_hours),
                    status=item.status if item is not None else "new",
                    locked_by=triage_repo.user_names(session, [holder]).get(holder, "another analyst")
                    if other and holder is not None
                    else None,
                    locked_until=until if other else None,
                )
            )
    return found


def escalate(
    db: Database,
    actor: Actor,
    post_id: int,
    team_id: int | None = None,
    note: str = "",
    *,
    defaults: Sla | None = None,
    spike_id: int | None = None,
) -> str:
    """Hand the post to its owning team's queue (or to `team_id`), with deadlines from its
    category's SLA (else `defaults`), linked to the spike that raised it if given; return the
    team's name."""
    _require(can_escalate(actor.role), "Escalating takes the lead role or higher.")
    now = utcnow()
    with db.write() as session:
        if spike_id is not None and not triage_repo.spike_exists(session, spike_id):
            raise NotFound(f"There is no spike {spike_id}.")
        _take(session, actor, post_id, now)
        team = triage_repo.team(session, team_id) if team_id else owning_team(session, post_id)
        if team is None and team_id:
            raise NotFound(f"There is no team {team_id}.")
        if team is None:
            raise EarfulError(
                "No team owns this post's categories. Choose a team, or set which team owns what "
                "on the Teams page."
            )
        item = triage_repo.item(session, post_id)
        assert item is not None
        if item.status in ("resolved", "dismissed"):
            raise Conflict(f"A post that is {item.status} cannot be escalated; reopen it first.")
        clock = deadlines(session, post_id, now, defaults or Sla())
        triage_repo.update_item(
            session,
            post_id,
            now,
            status="escalated",
            team_id=team.id,
            spike_id=spike_id,
            acknowledged_at=None,
            reminded_at=None,
            breached_at=None,
            resolved_at=None,
            outcome=None,
            **clock,
        )
        _record(
            session,
            actor,
            post_id,
            "escalate",
            now,
            team=team.name,
            note=note.strip()[:MAX_NOTE] or None,
            spike=spike_id,
            acknowledge_by=clock["ack_due_at"].isoformat(timespec="minutes"),
            resolve_by=clock["resolve_due_at"].isoformat(timespec="minutes"),
        )
        return team.name


BULK_ACTIONS = ("investigating", "resolved", "dismissed", "flag", "unflag", "assign_me", "escalate")
MAX_BULK = 200


@dataclass(frozen=True, slots=True)
class BulkResult:
    """What a bulk action did: the posts done, those skipped with why, and where escalations went."""

    done: list[int] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)  # post id -> the reason, in words
    teams: dict[str, int] = field(default_factory=dict)  # escalations: team name -> how many


def bulk(
    db: Database,
    actor: Actor,
    post_ids: Sequence[int],
    action: str,
    reason: str | None = None,
    *,
    defaults: Sla | None = None,
    teams: Mapping[int, int | None] | None = None,
) -> BulkResult:
    """Apply one action to many posts; return which were done and which skipped, and why.

    An escalation goes to the team `teams` names for the post, else to its owning team. An action
    that cannot succeed for any post (a dismissal with no reason) is refused whole, changing nothing.
    """
    if action not in BULK_ACTIONS:
        raise EarfulError(f"Choose one of: {', '.join(BULK_ACTIONS)}.")
    if action == "dismissed" and not (reason or "").strip():
        raise EarfulError(
            "Say why the posts are dismissed (for example: spam, not about us, duplicate) in the "
            "reason box; nothing was changed."
        )
    if action == "escalate":
        _require(can_escalate(actor.role), "Escalating takes the lead role or higher.")
    result = BulkResult()
    marker = _IN_BULK.set(True)
    try:
        _bulk_each(db, actor, post_ids, action, reason, defaults, teams, result)
    finally:
        _IN_BULK.reset(marker)
    return result


def _bulk_each(
    db: Database,
    actor: Actor,
    post_ids: Sequence[int],
    action: str,
    reason: str | None,
    defaults: Sla | None,
    teams: Mapping[int, int | None] | None,
    result: BulkResult,
) -> None:
    for pid in list(dict.fromkeys(post_ids))[:MAX_BULK]:
        held_before = _holds_lock(db, actor, pid)
        try:
            if action in ("investigating", "resolved", "dismissed"):
                set_status(db, actor, pid, action, reason)
            elif action in ("flag", "unflag"):
                flag(db, actor, pid, action == "flag")
            elif action == "assign_me":
                assign(db, actor, pid, actor.id)
            else:
                team = escalate(db, actor, pid, (teams or {}).get(pid), defaults=defaults)
                result.teams[team] = result.teams.get(team, 0) + 1
            result.done.append(pid)
        except Forbidden:
            raise
        except EarfulError as exc:
            result.skipped[pid] = exc.message
        finally:
            # A bulk action must not leave hundreds of posts locked to one person for minutes.
            if not held_before:
                release(db, actor, pid)


def _holds_lock(db: Database, actor: Actor, post_id: int) -> bool:
    with db.read() as session:
        item = triage_repo.item(session, post_id)
    return bool(
        item is not None
        and item.locked_by == actor.id
        and item.locked_at is not None
        and (as_utc(item.locked_at) or item.locked_at) >= lock_cutoff()
    )


def timeline(db: Database, post_id: int) -> list[TriageEvent]:
    """Return everything done to the post, oldest first."""
    with db.read() as session:
        return list(triage_repo.timeline(session, post_id))


@dataclass(frozen=True, slots=True)
class TeamView:
    """A team as the owners page shows it."""

    id: int
    name: str
    contact: str | None
    owns: list[str]
    members: list[tuple[str, str]]  # (name, role)
    open_items: int
    overdue: int = 0  # of the open items, those past a deadline


def teams(db: Database) -> list[TeamView]:
    """Return every team with its members, owned categories, open escalations and overdue ones."""
    with db.read() as session:
        members = triage_repo.members(session)
        queue = triage_repo.open_counts(session)
        late = triage_repo.overdue_counts(session, utcnow())
        return [
            TeamView(
                t.id,
                t.name,
                t.contact,
                list(t.owns or []),
                [(u.display_name or u.username, u.role) for u in members.get(t.id, [])],
                queue.get(t.id, 0),
                late.get(t.id, 0),
            )
            for t in triage_repo.teams(session)
        ]


def save_team(
    db: Database, actor: Actor, name: str, contact: str | None, owns: list[str], team_id: int | None = None
) -> int:
    """Create a team, or change one; return its id."""
    _require(can_manage_teams(actor.role), "Managing teams takes the admin role.")
    name = name.strip()
    if not name:
        raise Invalid("name", "Give the team a name.")
    if len(name) > MAX_TEAM_NAME:
        # Team names sit in every escalation menu: a long one widened each page that shows one.
        raise Invalid("name", f"A team name is at most {MAX_TEAM_NAME} characters.")
    if contact is not None and len(contact) > MAX_TEAM_CONTACT:
        raise Invalid("contact", f"A team's contact is at most {MAX_TEAM_CONTACT} characters.")
    owns = [key.strip() for key in owns if key.strip()]
    with db.write() as session:
        clash = triage_repo.team_by_name(session, name)
        if clash is not None and clash.id != team_id:
            raise Conflict(f"A team called {name!r} already exists.")
        if team_id is None:
            team_id = triage_repo.add_team(session, name, contact, owns).id
        else:
            triage_repo.set_team(session, team_id, name=name, contact=contact, owns=owns)
        audit_repo.append(session, actor.id, actor.name, "team.save", f"team:{team_id}", {"owns": owns})
        return team_id
