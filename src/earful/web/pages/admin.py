"""Admin pages: audit log, users, sources (retention, erasure), taxonomy and settings."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

import yaml
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from earful.accounts.policies import ROLES, can_manage_users, can_read_audit, can_view_settings
from earful.accounts.service import (
    MIN_PASSWORD,
    Account,
    add_user,
    generate_password,
    list_users,
    set_password,
    update_user,
)
from earful.audit.service import AuditFilter, export_csv
from earful.audit.service import page as audit_page
from earful.audit.words import ACTIONS, GROUPS, action_words, describe
from earful.classify.policies import can_edit_taxonomy
from earful.classify.service import CurrentTaxonomy, current, history, post_counts, submit
from earful.connectors import live
from earful.connectors.live.http import SourceError
from earful.ingest.health import health
from earful.ingest.policies import can_erase, can_manage_sources
from earful.ingest.polling import forecast_for
from earful.ingest.privacy import erase_author
from earful.ingest.sources import KINDS, MAX_RETENTION_DAYS, SourceForm, list_sources, save_source
from earful.kit.clock import utcnow
from earful.kit.errors import EarfulError, Invalid, NotFound
from earful.settings import Settings
from earful.store.db import Database
from earful.triage import service as triage_service
from earful.web import guard
from earful.web.deps import csrf_token, get_db, get_settings, start_session
from earful.web.forms import csrf_form
from earful.web.params import NO_NUL, PathId, QueryId, form_id, whole_number
from earful.web.render import render

router = APIRouter(prefix="/admin")
auditor = guard.page(can_read_audit, "The audit log is for admins.")
user_admin = guard.page(can_manage_users, "Managing users takes the admin role.")
source_admin = guard.page(can_manage_sources, "Managing sources takes the admin role.")
eraser = guard.page(can_erase, "Erasing a person's data takes the admin role.")
taxonomist = guard.page(can_edit_taxonomy, "Editing the taxonomy takes the lead role or higher.")
settings_reader = guard.page(can_view_settings, "Settings are for admins.")


def _hidden(name: str) -> bool:
    # Keys, passwords and URLs that may carry credentials are never shown.
    return any(word in name for word in ("secret", "password", "token", "key")) or name.endswith("_url")


def _shown(name: str, value: Any) -> str | None:
    """Return a setting as the settings page shows it: None when it is not set (the page says so)."""
    if value is None or value == "" or value == []:
        return None
    if _hidden(name):
        return "(hidden)"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _base(request: Request, account: Account, **extra: Any) -> dict[str, Any]:
    return {
        "account": account,
        "csrf": csrf_token(request),
        "flash": request.session.pop("flash", None),
        **extra,
    }


AUDIT_PAGE = 100


def _day(value: str, field: str) -> date | None:
    text = value.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(field, f"{text!r} is not a date: write it as YYYY-MM-DD, or leave it empty.") from None


def _audit_filter(actor: str, action: str, since: str, until: str) -> AuditFilter:
    """Return the filter the audit page's form asks for; `until` is a day, and counts in full."""
    first, last = _day(since, "since"), _day(until, "until")
    if first and last and last < first:
        raise Invalid("until", "The range ends before it starts: choose a 'to' day on or after 'from'.")
    return AuditFilter(
        actor=actor.strip() or None,
        action=action.strip() or None,
        since=datetime.combine(first, time(), UTC) if first else None,
        until=datetime.combine(last + timedelta(days=1), time(), UTC) if last else None,
    )


AuditText = Annotated[str, Query(max_length=200, pattern=NO_NUL)]


@router.get("/audit", response_class=HTMLResponse)
def audit(
    request: Request,
    before: QueryId = None,
    actor: AuditText = "",
    action: AuditText = "",
    since: AuditText = "",
    until: AuditText = "",
    db: Database = Depends(get_db),
    account: Account = Depends(auditor),
) -> Response:
    """List audit entries newest first, by who, what and when: logins, post views, reveals, exports,
    relabels, escalations; each entry's details in words."""
    values = {"actor": actor, "action": action, "since": since, "until": until}
    query = urlencode({k: v for k, v in values.items() if v})
    context = _base(
        request,
        account,
        values=values,
        query=query,
        actions=ACTIONS,
        groups=GROUPS,
        usernames=[u.username for u in list_users(db)],
        words=action_words,
        describe=describe,
        error=None,
        entries=[],
        older=None,
    )
    try:
        where = _audit_filter(actor, action, since, until)
    except Invalid as exc:
        context["error"] = {"field": exc.field, "message": exc.message}
        return render(request, "admin_audit.html", context, status_code=400)
    entries = audit_page(db, before_id=before, limit=AUDIT_PAGE, where=where)
    context["entries"] = entries
    context["older"] = entries[-1].id if len(entries) == AUDIT_PAGE else None
    context["filtered"] = any(values.values())
    return render(request, "admin_audit.html", context)


@router.get("/audit/export.csv")
def audit_export(
    actor: AuditText = "",
    action: AuditText = "",
    since: AuditText = "",
    until: AuditText = "",
    db: Database = Depends(get_db),
    account: Account = Depends(auditor),
) -> Response:
    """Download the entries the filters select as CSV (at most 100,000, newest first); every cell
    stays text in a spreadsheet. The export is itself audited."""
    text, _ = export_csv(db, account.actor, _audit_filter(actor, action, since, until))
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    return Response(
        "\ufeff" + text,  # the byte-order mark makes spreadsheets read the file as UTF-8
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.csv"'},
    )


def _users_page(
    request: Request,
    account: Account,
    db: Database,
    *,
    errors: dict[Any, str] | None = None,
    values: dict[str, str] | None = None,
    new_password: tuple[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """Render the users page: errors keyed by user id (or "new" for the add form), what was typed
    into the add form, and a generated password to show once."""
    context = _base(
        request,
        account,
        users=list_users(db),
        roles=ROLES,
        teams=triage_service.teams(db),
        errors=errors or {},
        values=values or {},
        new_password=new_password,
        min_password=MIN_PASSWORD,
    )
    return render(request, "admin_users.html", context, status_code=status_code)


@router.get("/users", response_class=HTMLResponse)
def users(
    request: Request, db: Database = Depends(get_db), account: Account = Depends(user_admin)
) -> Response:
    """List users with their roles and teams, and forms to add one or reset a password."""
    return _users_page(request, account, db)


@router.post("/users", response_class=HTMLResponse)
def save_user(
    request: Request,
    account: Account = Depends(user_admin),
    form: dict[str, Any] = Depends(csrf_form),
    db: Database = Depends(get_db),
) -> Response:
    """Change a user's role, team or whether they may sign in."""
    user_id = form_id(form.get("user_id"), "user_id", "User")
    if user_id is None:
        raise Invalid("user_id", "Choose a user.")
    role = str(form.get("role") or "")
    try:
        team_id = form_id(form.get("team_id"), "team_id", "Team")
        active = form.get("active") == "on"
        update_user(db, account.actor, user_id, role=role, team_id=team_id, active=active)
    except EarfulError as exc:
        return _users_page(request, account, db, errors={user_id: exc.message}, status_code=400)
    request.session["flash"] = "User saved."
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/users/new", response_class=HTMLResponse)
def add_user_page(
    request: Request,
    account: Account = Depends(user_admin),
    form: dict[str, Any] = Depends(csrf_form),
    db: Database = Depends(get_db),
) -> Response:
    """Add a user; with the password left empty one is generated and shown once (audited)."""
    values = {k: str(v) for k, v in form.items() if k in ("username", "display_name", "role", "team_id")}
    typed = str(form.get("password") or "")
    password = typed or generate_password()
    username = values.get("username", "").strip()
    try:
        team_id = form_id(form.get("team_id"), "team_id", "Team")
        add_user(
            db,
            username,
            password,
            values.get("role", ""),
            values.get("display_name"),
            actor=account.actor,
            team_id=team_id,
        )
    except EarfulError as exc:
        return _users_page(
            request, account, db, errors={"new": exc.message}, values=values, status_code=exc.status
        )
    if not typed:
        flash = f"User {username} added. Their password is below, shown once: pass it on privately."
        request.session["flash"] = flash
        return _users_page(request, account, db, new_password=(username, password))
    request.session["flash"] = f"User {username} added; they can sign in now."
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/users/{user_id}/password", response_class=HTMLResponse)
def reset_password(
    request: Request,
    user_id: PathId,
    account: Account = Depends(user_admin),
    form: dict[str, Any] = Depends(csrf_form),
    db: Database = Depends(get_db),
) -> Response:
    """Set a user's password (typed, or generated and shown once) and sign them out everywhere
    (audited). An admin resetting their own stays signed in here; their other sessions end."""
    found = next((u for u in list_users(db) if u.id == user_id), None)
    if found is None:
        raise NotFound(f"There is no user {user_id}.")
    typed = str(form.get("password") or "")
    password = typed or generate_password()
    try:
        ended = set_password(db, found.username, password, actor=account.actor)
    except EarfulError as exc:
        return _users_page(request, account, db, errors={user_id: exc.message}, status_code=exc.status)
    if user_id == account.id:
        start_session(request, db, account)  # this browser, under the new password
        flash = "Your password changed; your other sessions were signed out."
    else:
        sessions = f" ({ended} session{'' if ended == 1 else 's'})" if ended else ""
        flash = f"Password for {found.username} changed; they were signed out everywhere{sessions}."
    if not typed:
        request.session["flash"] = flash + " The new password is below, shown once: pass it on privately."
        return _users_page(request, account, db, new_password=(found.username, password))
    request.session["flash"] = flash
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/sources", response_class=HTMLResponse)
def sources(
    request: Request, db: Database = Depends(get_db), account: Account = Depends(source_admin)
) -> Response:
    """List sources with their health, visibility, consent basis, settings and retention."""
    return _sources_page(request, account, db)


def _sources_page(
    request: Request,
    account: Account,
    db: Database,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """Render the sources page, with an error beside the field it concerns and what was typed."""
    health_by_name = {h.name: h for h in health(db)}
    context = _base(
        request, account, sources=list_sources(db), errors=errors or {}, values=values or {}, kinds=KINDS
    )
    context["health"] = health_by_name
    context["live_kinds"] = set(live.connectors())
    return render(request, "admin_sources.html", context, status_code=status_code)


def _config(raw: Any) -> dict[str, Any] | None:
    """Return the JSON object typed in a source's settings box (None when the box was not sent)."""
    if raw is None:
        return None
    text = str(raw).strip()
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Invalid("config", f"The settings are not valid JSON: {exc.msg} (line {exc.lineno}).") from None
    if not isinstance(value, dict):
        raise Invalid(
            "config", 'The settings are a JSON object, e.g. {"instance": "https://mastodon.social"}.'
        )
    return value


@router.post("/sources", response_class=HTMLResponse)
def save_source_page(
    request: Request,
    account: Account = Depends(source_admin),
    form: dict[str, Any] = Depends(csrf_form),
    db: Database = Depends(get_db),
    settings: Settings = Depends(get_settings),
) -> Response:
    """Create a source, or change its visibility, consent basis, enabled flag and retention."""
    create = form.get("mode") == "create"
    name = str(form.get("name") or "")
    try:
        days = whole_number(
            form.get("retention_days"),
            "retention_days",
            "Retention",
            1,
            MAX_RETENTION_DAYS,
            unit="days",
            advice=", or empty to keep posts until erased",
        )
        values = SourceForm(
            name=name,
            kind=str(form.get("kind") or "file"),
            region=str(form.get("region") or "") or None,
            language=str(form.get("language") or "") or None,
            visibility=str(form.get("visibility") or "public"),
            consent_basis=str(form.get("consent_basis") or "") or None,
            enabled=form.get("enabled") == "on",
            retention_days=days,
            config=_config(form.get("config")),
        )
        save_source(db, account.actor, values, create=create, settings=settings)
    except EarfulError as exc:
        field = exc.field if isinstance(exc, Invalid) else "name"
        errors = {"form": "new" if create else name, "field": field, "message": exc.message}
        values_shown = {k: str(v) for k, v in form.items() if k != "csrf"}
        return _sources_page(request, account, db, errors, values_shown, exc.status)
    message = f"Source {name} {'created' if create else 'saved'}."
    if values.kind == "x" and values.enabled:
        message += " " + _x_forecast(db, settings, name)
    request.session["flash"] = message
    return RedirectResponse("/admin/sources", status_code=303)


def _x_forecast(db: Database, settings: Settings, name: str) -> str:
    """Say what an X source's query will read and cost a month (X charges per post read)."""
    try:
        found = forecast_for(db, settings, name)
    except (EarfulError, SourceError) as exc:
        return f"Its monthly forecast could not be made ({exc}); check it with `earful source set --enable`."
    cost = f", about {found.cost_per_month:,.2f} a month" if found.cost_per_month is not None else ""
    return (
        f"Forecast: {found.matches_last_period:,} matches in the last {found.days} days, so about "
        f"{found.reads_per_month:,} reads a month{cost}."
    )


@router.post("/erase", response_class=HTMLResponse)
def erase(
    request: Request,
    account: Account = Depends(eraser),
    form: dict[str, Any] = Depends(csrf_form),
    db: Database = Depends(get_db),
    settings: Settings = Depends(get_settings),
) -> Response:
    """Erase one person's posts in a source, and everything derived from them."""
    try:
        result = erase_author(
            db, settings, account.actor, str(form.get("author") or ""), str(form.get("source") or "")
        )
    except EarfulError as exc:
        errors = {"form": "erase", "field": "author", "message": exc.message}
        return _sources_page(request, account, db, errors, {}, exc.status)
    request.session["flash"] = (
        f"Erased {result.posts} post{'' if result.posts == 1 else 's'} and everything derived from them."
    )
    return RedirectResponse("/admin/sources", status_code=303)


@dataclass(frozen=True, slots=True)
class TreeNode:
    """A category or subcategory as the taxonomy page's tree shows it."""

    key: str
    name: str
    description: str
    posts: int
    owners: list[str]
    inherited: bool  # owned through its parent category, not by a team naming it
    children: list[TreeNode]


def _tree(in_use: CurrentTaxonomy | None, counts: dict[str, int], teams: list[Any]) -> list[TreeNode]:
    """Return the taxonomy in use as categories with their subcategories, post counts and owners."""
    if in_use is None:
        return []
    owners: dict[str, list[str]] = {}
    for team in teams:
        for key in team.owns:
            owners.setdefault(key, []).append(team.name)
    taxonomy = in_use.taxonomy
    found = []
    for node in taxonomy.categories:
        own = owners.get(node.key, [])
        children = [
            TreeNode(
                child.key,
                child.name,
                child.description,
                counts.get(child.key, 0),
                owners.get(child.key) or own,
                child.key not in owners and bool(own),
                [],
            )
            for child in taxonomy.children(node.key)
        ]
        found.append(
            TreeNode(node.key, node.name, node.description, counts.get(node.key, 0), own, False, children)
        )
    return found


def _taxonomy_page(
    request: Request,
    account: Account,
    db: Database,
    *,
    text: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    """Render the taxonomy page: the tree, the YAML editor (with what was typed and its problem),
    and the version history."""
    in_use = current(db)
    if text is None:
        text = (
            yaml.safe_dump(in_use.taxonomy.to_dict(), allow_unicode=True, sort_keys=False, width=100)
            if in_use
            else ""
        )
    context = _base(
        request,
        account,
        text=text,
        version=in_use.version if in_use else None,
        error=error,
        tree=_tree(in_use, post_counts(db), triage_service.teams(db)),
        history=history(db),
    )
    return render(request, "admin_taxonomy.html", context, status_code=status_code)


@router.get("/taxonomy", response_class=HTMLResponse)
def taxonomy(
    request: Request, db: Database = Depends(get_db), account: Account = Depends(taxonomist)
) -> Response:
    """Show the taxonomy in use as a tree (posts and owner teams), as YAML ready to edit, and its versions."""
    return _taxonomy_page(request, account, db)


@router.post("/taxonomy", response_class=HTMLResponse)
def save_taxonomy(
    request: Request,
    account: Account = Depends(taxonomist),
    form: dict[str, Any] = Depends(csrf_form),
    db: Database = Depends(get_db),
) -> Response:
    """Save the edited taxonomy as a new version, or show what is wrong next to the editor."""
    text = str(form.get("yaml") or "")
    try:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise EarfulError(f"That is not valid YAML: {exc}") from None
        version = submit(
            db,
            data,
            role=account.role,
            user_id=account.id,
            actor=account.username,
            note=str(form.get("note") or "") or None,
        )
    except EarfulError as exc:
        return _taxonomy_page(request, account, db, text=text, error=exc.message, status_code=400)
    request.session["flash"] = f"Taxonomy version {version} in use. New posts are labelled under it."
    return RedirectResponse("/admin/taxonomy", status_code=303)


@router.get("/settings", response_class=HTMLResponse)
def settings_page(
    request: Request, settings: Settings = Depends(get_settings), account: Account = Depends(settings_reader)
) -> Response:
    """Show the deployment's settings (secrets hidden) and where to change them."""
    rows = [
        (f"EARFUL_{name.upper()}", _shown(name, getattr(settings, name)), field.description)
        for name, field in Settings.model_fields.items()
    ]
    return render(request, "admin_settings.html", _base(request, account, rows=rows))
