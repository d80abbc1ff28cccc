"""Queues and teams: take a batch, bulk actions, my queue, team queues and the owners page."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from earful.accounts.service import Account
from earful.classify.learning import relabel_many
from earful.classify.service import current
from earful.kit.clock import utcnow
from earful.kit.errors import EarfulError, Forbidden, Invalid, NotFound
from earful.settings import Settings
from earful.store.db import Database
from earful.store.repos.feed import FeedFilter
from earful.triage import service
from earful.triage.feed import feed, posts_by_ids
from earful.triage.policies import can_manage_teams, can_open_team_queue, can_read_posts, can_triage
from earful.triage.service import lock_cutoff
from earful.triage.sla import Sla
from earful.web import guard
from earful.web.deps import csrf_token, get_db, get_settings
from earful.web.forms import FILTER_FIELDS, csrf_form, filter_from
from earful.web.params import PathId, form_id, whole_number
from earful.web.relabel_form import category_choices, values
from earful.web.render import render

router = APIRouter()
MAX_BATCH = 50  # as the API allows
reader = guard.page(can_read_posts, "Reading posts needs an account with a role.")
triager = guard.page(can_triage, "Triage takes the analyst role or higher.")
team_admin = guard.page(can_manage_teams, "Managing teams takes the admin role.")


@router.post("/triage/batch")
def take_batch(
    request: Request,
    account: Account = Depends(triager),
    form: dict[str, Any] = Depends(csrf_form),
    db: Database = Depends(get_db),
) -> Response:
    """Deal the analyst a batch of new, unassigned posts, most urgent first, from the posts the feed's
    filters show (the form carries them)."""
    size = whole_number(form.get("size"), "size", "Batch size", 1, MAX_BATCH) or 10
    given = {key: str(form.get(key) or "") for key in FILTER_FIELDS if key not in ("sort", "status")}
    try:
        where, _, params = filter_from(given)
    except EarfulError as exc:
        request.session["flash"] = exc.message
        return RedirectResponse("/feed", status_code=303)
    won = service.take_batch(db, account.actor, size, where if params else None)
    if not won and params:
        # Back to the filtered feed, to widen the filters there.
        request.session["flash"] = "No unassigned new posts match these filters."
        return RedirectResponse(f"/feed?{urlencode(params)}", status_code=303)
    if not won:
        request.session["flash"] = "No unassigned posts are waiting."
    else:
        request.session["flash"] = f"{_posts(len(won))} dealt to you" + (
            " from the feed as you had it filtered." if params else "."
        )
    return RedirectResponse("/queue", status_code=303)


def _posts(n: int) -> str:
    return f"{n} post{'' if n == 1 else 's'}"


def _back(request: Request, form: dict[str, Any]) -> str:
    """Return the page of this site the form was sent from (its `back` field, else the Referer), so
    the result is reported where the action was made; the feed when neither names one."""
    back = str(form.get("back") or "")
    if not back:
        referer, base = request.headers.get("referer", ""), str(request.base_url)
        back = "/" + referer[len(base) :] if referer.startswith(base) else ""
    parts = urlsplit(back)
    local = back.startswith("/") and not back.startswith("//") and not parts.scheme and not parts.netloc
    if not local or "\\" in back or any(ord(c) < 32 for c in back):
        return "/feed"
    return back


DONE = {
    "investigating": "Marked {} investigating",
    "resolved": "Resolved {}",
    "dismissed": "Dismissed {}",
    "flag": "Flagged {}",
    "unflag": "Cleared the flag of {}",
    "assign_me": "Assigned {} to you",
    "escalate": "Escalated {}",
}


def _result(action: str, result: service.BulkResult) -> str:
    """Say what a bulk action did, and why each post it skipped was skipped."""
    said = DONE[action].format(_posts(len(result.done))) if result.done else "No post changed"
    if result.teams:
        ranked = sorted(result.teams.items(), key=lambda kv: (-kv[1], kv[0]))
        said += ": " + ", ".join(f"{n} to {team}" for team, n in ranked)
    if result.skipped:
        shown = list(result.skipped.items())[:10]
        said += f"; skipped {len(result.skipped)}: " + ", ".join(
            f"#{pid} ({why.rstrip('.')})" for pid, why in shown
        )
        if len(result.skipped) > len(shown):
            said += f" and {len(result.skipped) - len(shown)} more"
    return said + "."


@router.post("/triage/bulk")
def bulk(
    request: Request,
    account: Account = Depends(triager),
    form: dict[str, Any] = Depends(csrf_form),
    db: Database = Depends(get_db),
    settings: Settings = Depends(get_settings),
) -> Response:
    """Apply one action to the selected posts, or relabel them (the form's "Relabel selected").

    An escalation is shown first: where each post would go and its deadlines, with another team to
    choose; it happens once confirmed. The result is reported on the page the form came from.
    """
    back = _back(request, form)
    raw = form.get("post_ids") or []
    chosen = (form_id(v, "post_ids", "Post") for v in (raw if isinstance(raw, list) else [raw]))
    ids = [i for i in chosen if i is not None]
    action = str(form.get("action") or "")
    defaults = Sla.from_settings(settings)
    if not ids:
        request.session["flash"] = "Select posts first."
    elif form.get("relabel"):
        request.session["flash"] = _relabel(db, settings, account, ids, form)
    elif action == "escalate" and not form.get("confirm"):
        try:
            return _confirm_escalation(request, db, account, ids, back, defaults)
        except EarfulError as exc:
            request.session["flash"] = exc.message
    else:
        try:
            teams = (
                {pid: form_id(str(form.get(f"team_{pid}") or ""), f"team_{pid}", "Team") for pid in ids}
                if action == "escalate"
                else None
            )
            result = service.bulk(
                db,
                account.actor,
                ids,
                action,
                str(form.get("reason") or ""),
                defaults=defaults,
                teams=teams,
            )
            request.session["flash"] = _result(action, result)
        except EarfulError as exc:
            request.session["flash"] = exc.message
    return RedirectResponse(back, status_code=303)


def _confirm_escalation(
    request: Request, db: Database, account: Account, ids: list[int], back: str, defaults: Sla
) -> Response:
    """Show where each selected post would go and by when, to confirm or change before escalating."""
    routes = service.routes(db, account.actor, ids, defaults=defaults)
    if not routes:
        raise EarfulError("None of the selected posts can be found any more.")
    in_use = current(db)
    context = {
        "account": account,
        "csrf": csrf_token(request),
        "routes": routes,
        "posts": {p.id: p for p in posts_by_ids(db, [r.post_id for r in routes])},
        "teams": service.teams(db),
        "names": {n.key: n.name for n in in_use.taxonomy.nodes} if in_use else {},
        "back": back,
        "flash": None,
    }
    return render(request, "bulk_escalate.html", context)


def _relabel(db: Database, settings: Settings, account: Account, ids: list[int], form: dict[str, Any]) -> str:
    """Relabel the selected posts as the bulk form asks; return what happened, in words."""
    try:
        done = relabel_many(
            db,
            settings,
            account.actor,
            ids,
            add=values(form.get("add")),
            remove=values(form.get("remove")),
            sentiment=str(form.get("sentiment") or "") or None,
        )
    except EarfulError as exc:
        return exc.message
    said = [f"Relabelled {len(done.relabelled)} post{'' if len(done.relabelled) == 1 else 's'}"]
    if done.unchanged:
        said.append(f"{len(done.unchanged)} already as asked")
    if done.skipped:
        said.append(
            "skipped "
            + ", ".join(f"#{pid} ({why})" for pid, why in list(done.skipped.items())[:10])
            + (" and more" if len(done.skipped) > 10 else "")
        )
    learns = (
        " The next model learns from it."
        if len(done.relabelled) == 1
        else " The next model learns from them."
    )
    return "; ".join(said) + "." + (learns if done.relabelled else "")


def _queue(
    request: Request,
    db: Database,
    account: Account,
    heading: str,
    where: FeedFilter,
    after: str | None,
    **extra: Any,
) -> Response:
    page = feed(db, limit=50, cursor=after, where=where, sort="urgency", lock_fresh_after=lock_cutoff())
    context = {
        "account": account,
        "csrf": csrf_token(request),
        "page": page,
        "params": {"sort": "urgency"},
        "first_page": after is None,
        "queue": True,
        "heading": heading,
        "error": None,
        "live_from": 0,
        "categories": category_choices(db),
        "flash": request.session.pop("flash", None),
        **extra,
    }
    return render(request, "feed.html", context)


@router.get("/queue", response_class=HTMLResponse)
def my_queue(
    request: Request,
    after: str | None = None,
    db: Database = Depends(get_db),
    account: Account = Depends(triager),
) -> Response:
    """Show the posts assigned to the signed-in analyst that are still being worked."""
    return _queue(
        request, db, account, "My queue", FeedFilter(assignee_id=account.id, status="investigating"), after
    )


@router.get("/teams", response_class=HTMLResponse)
def teams_page(
    request: Request, db: Database = Depends(get_db), account: Account = Depends(reader)
) -> Response:
    """Show teams, their members, the categories each owns and how to reach them."""
    in_use = current(db)
    names = {n.key: n.name for n in in_use.taxonomy.nodes} if in_use else {}
    context = {
        "account": account,
        "csrf": csrf_token(request),
        "teams": service.teams(db),
        "names": names,
        "flash": request.session.pop("flash", None),
        "errors": {},
        "values": {},
    }
    return render(request, "teams.html", context)


@router.post("/teams", response_class=HTMLResponse)
def save_team(
    request: Request,
    account: Account = Depends(team_admin),
    form: dict[str, Any] = Depends(csrf_form),
    db: Database = Depends(get_db),
) -> Response:
    """Create a team, or change one, with the categories it owns."""
    raw_id = str(form.get("team_id") or "")
    owns = [k.strip() for k in str(form.get("owns") or "").replace("\n", ",").split(",")]
    in_use = current(db)
    known = {n.key for n in in_use.taxonomy.nodes} if in_use else set()
    unknown = [k for k in owns if k and known and k not in known]
    errors: dict[str, str] = {}
    if unknown:
        errors["owns"] = f"Not categories of the taxonomy in use: {', '.join(unknown[:5])}."
    if not errors:
        try:
            service.save_team(
                db,
                account.actor,
                str(form.get("name") or ""),
                str(form.get("contact") or "") or None,
                owns,
                form_id(raw_id, "team_id", "Team"),
            )
            request.session["flash"] = "Team saved."
            return RedirectResponse("/teams", status_code=303)
        except EarfulError as exc:
            shown = exc.field if isinstance(exc, Invalid) and exc.field in ("name", "contact") else "name"
            errors[shown] = exc.message  # the form shows errors beside its name and contact only
    context = {
        "account": account,
        "csrf": csrf_token(request),
        "teams": service.teams(db),
        "names": {n.key: n.name for n in in_use.taxonomy.nodes} if in_use else {},
        "errors": errors,
        "values": {k: str(v) for k, v in form.items() if k != "csrf"},
        "flash": None,
    }
    return render(request, "teams.html", context, status_code=400)


@router.get("/teams/{team_id}/queue", response_class=HTMLResponse)
def team_queue(
    request: Request,
    team_id: PathId,
    after: str | None = None,
    overdue: str | None = None,
    db: Database = Depends(get_db),
    account: Account = Depends(reader),
) -> Response:
    """Show what has been escalated to a team (leads and admins, and the team's own members); with
    `overdue=1`, only what is past a deadline."""
    team = next((t for t in service.teams(db) if t.id == team_id), None)
    if team is None:
        raise NotFound(f"There is no team {team_id}.")
    if not can_open_team_queue(account.role, account.team_id, team_id):
        raise Forbidden("A team's queue is open to its members, leads and admins.")
    late = overdue == "1"
    in_use = current(db)
    names = {n.key: n.name for n in in_use.taxonomy.nodes} if in_use else {}
    return _queue(
        request,
        db,
        account,
        f"{team.name}: {'overdue' if late else 'escalated'}",
        FeedFilter(team_id=team_id, status="escalated", overdue_at=utcnow() if late else None),
        after,
        params={"sort": "urgency", "overdue": "1"} if late else {"sort": "urgency"},
        team_queue=team,
        overdue=late,
        owns=[names.get(key, key) for key in team.owns],
    )
