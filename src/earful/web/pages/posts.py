"""The post page and the triage actions taken from it."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from earful.accounts.service import Account, list_users
from earful.classify.learning import relabel
from earful.classify.service import current
from earful.ingest.policies import can_reveal_author
from earful.ingest.privacy import Author, reveal_author, sealed_author
from earful.insights.watch import SpikeView
from earful.insights.watch import get as spike_view
from earful.insights.watch import recent as recent_spikes
from earful.kit.clock import utcnow
from earful.kit.errors import EarfulError, Invalid
from earful.settings import Settings
from earful.store.db import Database
from earful.triage import service
from earful.triage.feed import detail
from earful.triage.policies import (
    can_escalate,
    can_open_team_queue,
    can_read_posts,
    can_take_over,
    can_triage,
)
from earful.triage.sla import Sla, acknowledge
from earful.web import guard
from earful.web.deps import csrf_token, get_db, get_settings
from earful.web.forms import csrf_form
from earful.web.params import PathId, form_id
from earful.web.relabel_form import changed_categories, shown_keys
from earful.web.render import render
from earful.web.timeline import steps

router = APIRouter()
reader = guard.page(can_read_posts, "Reading posts needs an account with a role.")
triager = guard.page(can_triage, "Triage takes the analyst role or higher.")
escalator = guard.page(can_escalate, "Escalating takes the lead role or higher.")
revealer = guard.page(can_reveal_author, "Revealing an author takes the lead role or higher.")
taker = guard.page(can_take_over, "Taking over a post someone is working on takes the lead role or higher.")


def _revealed(
    request: Request, db: Database, settings: Settings, account: Account, post_id: int
) -> Author | None:
    """Return the author and the original link while this lead's reveal is fresh (audited when made)."""
    grants = request.session.get("reveals") or {}
    expires = grants.get(str(post_id))
    if not isinstance(expires, int | float) or expires < time.time() or not can_reveal_author(account.role):
        return None
    found = sealed_author(db, settings, post_id)
    return Author(found.handle if found else None, found.link if found else None)


def _route(db: Database, settings: Settings, account: Account, post_id: int) -> service.Route | None:
    """Return where escalating the post would send it, shown before the lead presses Escalate."""
    found = service.routes(db, account.actor, [post_id], defaults=Sla.from_settings(settings))
    return found[0] if found else None


def _post_page(
    request: Request,
    db: Database,
    settings: Settings,
    account: Account,
    post_id: PathId,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    # Reading a post locks nothing: the first action on it does.
    state = service.open_item(db, account.actor, post_id)
    escalating = can_escalate(account.role)
    in_use = current(db)
    found = detail(db, post_id)
    context: dict[str, Any] = {
        "account": account,
        "csrf": csrf_token(request),
        "d": found,
        "state": state,
        "timeline": steps(
            service.timeline(db, post_id),
            settings.time_zone,
            {n.key: n.name for n in in_use.taxonomy.nodes} if in_use else {},
        ),
        "next_statuses": service.next_statuses(state.status),
        "category_groups": [(c, in_use.taxonomy.children(c.key)) for c in in_use.taxonomy.categories]
        if in_use
        else [],
        "current_keys": shown_keys(found.labels),
        "teams": service.teams(db) if escalating else [],
        "route": _route(db, settings, account, post_id) if escalating else None,
        "category_names": {n.key: n.name for n in in_use.taxonomy.nodes} if in_use else {},
        "lock_minutes": service.LOCK_SECONDS // 60,
        "can_take_over": can_take_over(account.role),
        # The owning team's members and leads acknowledge; anyone else was shown a button that 403s.
        "can_acknowledge": state.team_id is not None
        and can_open_team_queue(account.role, account.team_id, state.team_id),
        "spikes": _spikes_to_offer(db, found.post.posted_at) if escalating else [],
        "spike": spike_view(db, state.spike_id) if state.spike_id else None,
        "now": utcnow(),
        "triagers": [u for u in list_users(db) if u.active and can_triage(u.role)]
        if can_triage(account.role)
        else [],
        "revealed": _revealed(request, db, settings, account, post_id),
        "reveal_minutes": settings.reveal_minutes,
        "error": error,
        "flash": request.session.pop("flash", None),
    }
    return render(request, "post.html", context, status_code=status_code)


def _spikes_to_offer(db: Database, posted_at: datetime) -> list[SpikeView]:
    """Return the spikes an escalation may name as what raised it: those of the last three days,
    and those that started in the day before the post (an imported or older post's own spike; the
    spike page tells leads to pick it here)."""
    now = utcnow()
    offered = recent_spikes(db, now - timedelta(days=3), now + timedelta(hours=1))
    seen = {s.id for s in offered}
    around = recent_spikes(db, posted_at - timedelta(hours=24), posted_at + timedelta(hours=1))
    return offered + [s for s in around if s.id not in seen]


@router.get("/posts/{post_id}", response_class=HTMLResponse)
def post_page(
    request: Request,
    post_id: PathId,
    db: Database = Depends(get_db),
    settings: Settings = Depends(get_settings),
    account: Account = Depends(reader),
) -> Response:
    """Show one post with its labels, scores, duplicates, similar posts and timeline."""
    return _post_page(request, db, settings, account, post_id)


def _done(request: Request, post_id: int, message: str) -> Response:
    request.session["flash"] = message
    return RedirectResponse(f"/posts/{post_id}", status_code=303)


def _act(
    request: Request, db: Database, settings: Settings, account: Account, post_id: int, action: Any
) -> Response:
    """Run `action`; on a domain error show the post page again with the error next to the forms."""
    try:
        message = action()
    except EarfulError as exc:
        return _post_page(request, db, settings, account, post_id, error=exc.message, status_code=exc.status)
    return _done(request, post_id, message)


@router.post("/posts/{post_id}/status")
def post_status(
    request: Request,
    post_id: PathId,
    account: Account = Depends(triager),
    form: dict[str, Any] = Depends(csrf_form),
    db: Database = Depends(get_db),
    settings: Settings = Depends(get_settings),
) -> Response:
    """Move the post to another status (dismissing needs a reason)."""
    status = str(form.get("status", ""))

    def run() -> str:
        service.set_status(db, account.actor, post_id, status, str(form.get("reason") or ""))
        return f"Marked {status}."

    return _act(request, db, settings, account, post_id, run)


@router.post("/posts/{post_id}/assign")
def post_assign(
    request: Request,
    post_id: PathId,
    account: Account = Depends(triager),
    form: dict[str, Any] = Depends(csrf_form),
    db: Database = Depends(get_db),
    settings: Settings = Depends(get_settings),
) -> Response:
    """Assign the post to the signed-in analyst, to another person who triages, or to nobody."""
    to = str(form.get("to") or "me")

    def run() -> str:
        if to == "nobody":
            service.assign(db, account.actor, post_id, None)
            return "Unassigned."
        if to == "me":
            service.assign(db, account.actor, post_id, account.id)
            return "Assigned to you."
        people = {u.id: u for u in list_users(db) if u.active and can_triage(u.role)}
        try:
            person = form_id(to, "to", "Person")
        except Invalid:
            person = None
        if person is None or person not in people:
            raise EarfulError("Choose someone who triages (an active analyst, lead or admin).")
        service.assign(db, account.actor, post_id, person)
        return f"Assigned to {people[person].username}."

    return _act(request, db, settings, account, post_id, run)


@router.post("/posts/{post_id}/note")
def post_note(
    request: Request,
    post_id: PathId,
    account: Account = Depends(triager),
    form: dict[str, Any] = Depends(csrf_form),
    db: Database = Depends(get_db),
    settings: Settings = Depends(get_settings),
) -> Response:
    """Add a note to the post's timeline."""

    def run() -> str:
        service.add_note(db, account.actor, post_id, str(form.get("text") or ""))
        return "Note added."

    return _act(request, db, settings, account, post_id, run)


@router.post("/posts/{post_id}/flag")
def post_flag(
    request: Request,
    post_id: PathId,
    account: Account = Depends(triager),
    form: dict[str, Any] = Depends(csrf_form),
    db: Database = Depends(get_db),
    settings: Settings = Depends(get_settings),
) -> Response:
    """Flag the post for investigation, or clear the flag."""
    on = form.get("flag") != "off"

    def run() -> str:
        service.flag(db, account.actor, post_id, on)
        return "Flagged for investigation." if on else "Flag cleared."

    return _act(request, db, settings, account, post_id, run)


@router.post("/posts/{post_id}/escalate")
def post_escalate(
    request: Request,
    post_id: PathId,
    account: Account = Depends(escalator),
    form: dict[str, Any] = Depends(csrf_form),
    db: Database = Depends(get_db),
    settings: Settings = Depends(get_settings),
) -> Response:
    """Hand the post to the team that owns its category (or the team chosen)."""
    raw_team = str(form.get("team_id") or "")

    raw_spike = str(form.get("spike_id") or "")

    def run() -> str:
        team = service.escalate(
            db,
            account.actor,
            post_id,
            form_id(raw_team, "team_id", "Team"),
            str(form.get("note") or ""),
            defaults=Sla.from_settings(settings),
            spike_id=form_id(raw_spike, "spike_id", "Spike"),
        )
        return f"Escalated to {team}."

    return _act(request, db, settings, account, post_id, run)


@router.post("/posts/{post_id}/acknowledge")
def post_acknowledge(
    request: Request,
    post_id: PathId,
    account: Account = Depends(triager),
    form: dict[str, Any] = Depends(csrf_form),
    db: Database = Depends(get_db),
    settings: Settings = Depends(get_settings),
) -> Response:
    """Record that the owning team has the escalated post in hand."""

    def run() -> str:
        acknowledge(db, account.actor, post_id)
        return "Acknowledged: the team has it in hand."

    return _act(request, db, settings, account, post_id, run)


@router.post("/posts/{post_id}/labels")
def post_labels(
    request: Request,
    post_id: PathId,
    account: Account = Depends(triager),
    form: dict[str, Any] = Depends(csrf_form),
    db: Database = Depends(get_db),
    settings: Settings = Depends(get_settings),
) -> Response:
    """Correct the post's categories and/or sentiment; what the analyst left as shown is kept."""
    categories = changed_categories(form)
    sentiment = str(form.get("sentiment") or "") or None

    def run() -> str:
        if categories is None and sentiment is None:
            raise EarfulError(
                "Nothing changed: tick or untick categories, or choose a sentiment, then Relabel."
            )
        relabel(db, settings, account.actor, post_id, categories=categories, sentiment=sentiment)
        if categories == []:
            return "Your categories are removed; the model's labels show again."
        return "Labels saved; the next model learns from them."

    return _act(request, db, settings, account, post_id, run)


@router.post("/posts/{post_id}/reveal")
def post_reveal(
    request: Request,
    post_id: PathId,
    account: Account = Depends(revealer),
    form: dict[str, Any] = Depends(csrf_form),
    db: Database = Depends(get_db),
    settings: Settings = Depends(get_settings),
) -> Response:
    """Reveal who wrote the post, for a limited time, with a written reason (audited)."""

    def run() -> str:
        reveal_author(db, settings, account.actor, post_id, str(form.get("reason") or ""))
        grants = {k: v for k, v in (request.session.get("reveals") or {}).items() if v > time.time()}
        grants[str(post_id)] = time.time() + settings.reveal_minutes * 60
        request.session["reveals"] = grants
        return f"Author revealed for {settings.reveal_minutes} minutes; the reveal is in the audit log."

    return _act(request, db, settings, account, post_id, run)


@router.post("/posts/{post_id}/takeover")
def post_take_over(
    request: Request,
    post_id: PathId,
    account: Account = Depends(taker),
    _form: dict[str, Any] = Depends(csrf_form),
    db: Database = Depends(get_db),
    settings: Settings = Depends(get_settings),
) -> Response:
    """Take the post over from whoever is working on it, for urgent work (audited)."""

    def run() -> str:
        taken_from = service.take_over(db, account.actor, post_id)
        if taken_from is None:
            return "Nobody else was working on this post; it is locked to you now."
        return f"You took this post over from {taken_from}; it is in the post's timeline and the audit log."

    return _act(request, db, settings, account, post_id, run)


@router.post("/posts/{post_id}/release")
def post_release(
    request: Request,
    post_id: PathId,
    account: Account = Depends(triager),
    _form: dict[str, Any] = Depends(csrf_form),
    db: Database = Depends(get_db),
) -> Response:
    """Close the post, unlocking it for other analysts."""
    service.release(db, account.actor, post_id)
    return RedirectResponse("/queue", status_code=303)
