"""Reports: the archive, on-demand reports for any range and filters, their files, and email."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from earful.accounts.service import Account
from earful.insights import reports, trends
from earful.insights.policies import can_make_reports, can_see_insights
from earful.insights.report import covers
from earful.kit.clock import as_utc, utcnow
from earful.kit.errors import EarfulError
from earful.settings import Settings
from earful.store.db import Database
from earful.web import guard
from earful.web.deps import csrf_token, get_db, get_settings
from earful.web.forms import csrf_form, filter_from
from earful.web.pages.insights import trends_ranges, unknown_filters, window
from earful.web.params import PathId, QueryId
from earful.web.render import render

router = APIRouter()
reader = guard.page(can_see_insights, "Reports need an account with a role.")
maker = guard.page(can_make_reports, "Making and sending reports takes the analyst role or higher.")
# A stored report is a whole document with its own inline styles; it runs no script and loads nothing.
REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


@router.get("/reports", response_class=HTMLResponse)
def archive(
    request: Request,
    before: QueryId = None,
    db: Database = Depends(get_db),
    settings: Settings = Depends(get_settings),
    account: Account = Depends(reader),
) -> Response:
    """List archived reports, newest first, a page at a time."""
    rows, next_before = reports.archive(db, before)
    context = {
        "account": account,
        "csrf": csrf_token(request),
        "reports": rows,
        "covers": {r.id: _covers(r.since, r.until, settings) for r in rows},
        "next_before": next_before,
    }
    return render(request, "reports.html", context)


def _covers(since: datetime, until: datetime, settings: Settings) -> str:
    """Return what a stored report covers in words (its end day the last one included)."""
    return covers(as_utc(since) or since, as_utc(until) or until, settings.time_zone)


@router.get("/reports/new", response_class=HTMLResponse)
def new_report(
    request: Request,
    db: Database = Depends(get_db),
    account: Account = Depends(maker),
) -> Response:
    """Show the on-demand report form, filled in from the dashboard's range and filters."""
    params = dict(request.query_params)
    where, _, clean = filter_from(params)
    options = trends.choices(db)
    values = {**clean, "range": params.get("range", "7d")}
    if not (params.get("range") or where.since or where.until):
        # As Insights opens: when the last 7 days hold no post (an import of last month, the
        # demo), the form offers the month up to the newest post rather than an empty report.
        since, _, _ = window({}, utcnow())
        newest = trends.newest_post(db)
        if newest is not None and newest < since:
            first, end = trends.month_to(newest)
            values.update(since=f"{first:%Y-%m-%d}", until=f"{end:%Y-%m-%d}")
    context = {
        "account": account,
        "csrf": csrf_token(request),
        "values": values,
        "ranges": trends_ranges(),
        "choices": options,
        "unknown": unknown_filters(clean, options),
    }
    return render(request, "report_new.html", context)


@router.post("/reports")
def make_report(
    request: Request,
    account: Account = Depends(maker),
    form: dict[str, Any] = Depends(csrf_form),
    db: Database = Depends(get_db),
    settings: Settings = Depends(get_settings),
) -> Response:
    """Make a report of the chosen range and filters, archive it, and show it."""
    params = {key: str(value) for key, value in form.items() if isinstance(value, str)}
    where, _, _ = filter_from(params)
    since, until, _ = window(params, utcnow())
    title = (params.get("title") or "").strip()[:200] or None
    made = reports.make(db, settings, account.actor, where, since, until, title=title)
    request.session["flash"] = f"Report {made.id} is ready."
    if not made.content.trends.total.posts:
        newest = trends.newest_post(db)
        request.session["flash"] = (
            f"Report {made.id} is ready, but no post matches its range and filters"
            + (f" (the newest post is from {newest:%d %b %Y})" if newest else "")
            + ". Make another with a range that holds posts."
        )
    return RedirectResponse(f"/reports/{made.id}", status_code=303)


@router.get("/reports/{report_id}", response_class=HTMLResponse)
def report_page(
    request: Request,
    report_id: PathId,
    db: Database = Depends(get_db),
    settings: Settings = Depends(get_settings),
    account: Account = Depends(reader),
) -> Response:
    """Show one archived report: what it covers, its files, and who it was sent to."""
    return _report_page(request, db, settings, account, report_id)


def _report_page(
    request: Request,
    db: Database,
    settings: Settings,
    account: Account,
    report_id: int,
    *,
    error: str | None = None,
    to: str = "",
    status_code: int = 200,
) -> Response:
    report = reports.summary(db, report_id)
    context = {
        "account": account,
        "csrf": csrf_token(request),
        "report": report,
        "covers": _covers(report.since, report.until, settings),
        "flash": request.session.pop("flash", None),
        "can_email": bool(settings.smtp_host),
        "error": error,
        "to": to,
    }
    return render(request, "report.html", context, status_code=status_code)


@router.get("/reports/{report_id}/report.{fmt}")
def report_file(
    report_id: PathId,
    fmt: str,
    db: Database = Depends(get_db),
    account: Account = Depends(reader),
) -> Response:
    """Send one of the report's files: the HTML to read in the browser, the others to download."""
    content, media, name = reports.file(db, report_id, fmt)
    if fmt == "html":
        return Response(content, media_type=media, headers={"Content-Security-Policy": REPORT_CSP})
    return Response(
        content, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.post("/reports/{report_id}/email")
def email_report(
    request: Request,
    report_id: PathId,
    account: Account = Depends(maker),
    form: dict[str, Any] = Depends(csrf_form),
    db: Database = Depends(get_db),
    settings: Settings = Depends(get_settings),
) -> Response:
    """Email the report (PDF attached) to the addresses given."""
    typed = str(form.get("to") or "")
    to = [a for a in typed.replace(";", ",").split(",") if a.strip()]
    try:
        reports.send(db, settings, report_id, to, account.actor)
    except EarfulError as exc:
        # The report's own page again, with what went wrong beside the addresses as typed.
        return _report_page(
            request, db, settings, account, report_id, error=exc.message, to=typed, status_code=exc.status
        )
    request.session["flash"] = f"Report {report_id} sent to {len(to)} address{'es' if len(to) != 1 else ''}."
    return RedirectResponse(f"/reports/{report_id}", status_code=303)
