"""Make, archive and send leadership reports: on demand for any range and filters, and weekly.

A report is gathered once, rendered to HTML, PDF, CSV and XLSX, and stored whole in the archive,
so what leadership was sent can be read again later exactly as it was.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError

from earful.contracts import Actor
from earful.insights import render
from earful.insights.policies import can_make_reports
from earful.insights.report import ReportContent, build, last_day
from earful.kit.clock import as_utc, utcnow
from earful.kit.errors import EarfulError, Forbidden, NotFound
from earful.kit.mail import Attachment
from earful.notify import DeliveryFailed, email
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Report
from earful.store.repos import audit as audit_repo
from earful.store.repos import reports as reports_repo
from earful.store.repos.feed import FeedFilter

log = logging.getLogger(__name__)
PAGE = 25
FORMATS = {
    "html": ("text/html; charset=utf-8", "html"),
    "pdf": ("application/pdf", "pdf"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}


@dataclass(frozen=True, slots=True)
class Made:
    """A report just made, with its content (for whoever asked to see it at once)."""

    id: int
    content: ReportContent


def make(
    db: Database,
    settings: Settings,
    actor: Actor | None,
    where: FeedFilter,
    since: datetime,
    until: datetime,
    *,
    kind: str = "on-demand",
    title: str | None = None,
) -> Made:
    """Make a report of posts in [since, until) matching `where`, archive it and return its id."""
    if actor is not None and not can_make_reports(actor.role):
        raise Forbidden("Making reports takes the analyst role or higher.")
    if since >= until:
        raise EarfulError("The report's range must start before it ends.")
    content = build(
        db, where, since, until, zone=settings.time_zone, base_url=settings.base_url, kind=kind, title=title
    )
    document = render.html(content)
    files = {
        "html": document,
        "pdf": render.pdf(document),
        "csv": render.csv_text(content),
        "xlsx": render.xlsx_bytes(content),
    }
    with db.write() as session:
        report = reports_repo.add(
            session,
            kind=kind,
            title=content.title,
            since=since,
            until=until,
            filters=content.filters,
            created_by=actor.id if actor else None,
            post_ids=content.post_ids,
            emailed_to=[],
            **files,
        )
        audit_repo.append(
            session,
            actor.id if actor else None,
            actor.name if actor else "scheduler",
            "report.make",
            f"report:{report.id}",
            {
                "kind": kind,
                "since": since.isoformat(),
                "until": until.isoformat(),
                "filters": content.filters,
            },
        )
        return Made(report.id, content)


def recipients(to: list[str]) -> list[str]:
    """Return the addresses a report is to be emailed to, refusing none or any that is not one."""
    to = [a.strip() for a in to if a.strip()]
    if not to:
        raise EarfulError("Say who the report goes to.")
    bad = [a for a in to if not re.fullmatch(r"[^@\s,<>]+@[^@\s,<>]+", a)]
    if bad:
        raise EarfulError(f"These are not email addresses: {', '.join(bad)}.")
    return to


def send(db: Database, settings: Settings, report_id: int, to: list[str], actor: Actor | None = None) -> None:
    """Email the report to `to`: a summary in the body, the full report as HTML, the PDF attached."""
    to = recipients(to)
    with db.read() as session:
        report = reports_repo.get(session, report_id)
        if report is None:
            raise NotFound(f"There is no report {report_id}.")
        if report.withdrawn or report.pdf is None or report.html is None:
            raise EarfulError(f"Report {report_id} was withdrawn: {report.withdrawn}")
        title, pdf, document = report.title, report.pdf, report.html
    link = f"{settings.base_url.rstrip('/')}/reports/{report_id}"
    text = f"{title}\n\nThe report is attached as a PDF, and in the archive: {link}\n"
    email(
        settings,
        to,
        title,
        text,
        document,
        [Attachment(f"earful-report-{report_id}.pdf", pdf, "application/pdf")],
    )
    with db.write() as session:
        reports_repo.set_emailed(session, report_id, to)
        audit_repo.append(
            session,
            actor.id if actor else None,
            actor.name if actor else "scheduler",
            "report.email",
            f"report:{report_id}",
            {"recipients": len(to)},
        )


def digest_window(settings: Settings, now: datetime) -> tuple[datetime, datetime, datetime]:
    """Return the latest digest's (send time, since, until): the seven local days before the send day."""
    zone = ZoneInfo(settings.time_zone)
    local = now.astimezone(zone)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    send_day = day - timedelta(days=(day.weekday() - settings.digest_weekday) % 7)
    send_at = send_day.replace(hour=settings.digest_hour)
    if send_at > local:
        send_day -= timedelta(days=7)
        send_at -= timedelta(days=7)
    until = send_day.replace(tzinfo=None).replace(tzinfo=zone)
    since = (send_day.replace(tzinfo=None) - timedelta(days=7)).replace(tzinfo=zone)
    # In UTC: they are stored and compared, and SQLite keeps wall-clock time and drops the offset.
    return send_at.astimezone(UTC), since.astimezone(UTC), until.astimezone(UTC)


def weekly(db: Database, settings: Settings, now: datetime | None = None) -> int | None:
    """Make and email the weekly digest when it is due and not yet made; return its id, or None."""
    now = now or utcnow()
    _, since, until = digest_window(settings, now)
    with db.read() as session:
        if reports_repo.weekly_until(session, until) is not None:
            return None
        if not reports_repo.sources_before(session, until):
            return None  # a new deployment: nothing was being listened to that week
    try:
        made = make(db, settings, None, FeedFilter(), since, until, kind="weekly")
    except IntegrityError:
        return None  # another worker made this week's digest meanwhile, and sends it
    if settings.leadership_emails:
        try:
            send(db, settings, made.id, list(settings.leadership_emails))
        except DeliveryFailed as exc:
            # The digest stays in the archive; the failure is logged for the operator.
            log.warning("weekly digest %s not emailed: %s", made.id, exc.message)
    return made.id


def archive(db: Database, before_id: int | None = None) -> tuple[list[Report], int | None]:
    """Return a page of archived reports (newest first) and the id to pass for the next page."""
    with db.read() as session:
        rows = list(reports_repo.page(session, before_id, PAGE + 1))
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    return rows, (rows[-1].id if more else None)


def file(db: Database, report_id: int, fmt: str) -> tuple[bytes, str, str]:
    """Return one of a report's files as (content, media type, file name)."""
    if fmt not in FORMATS:
        raise NotFound(f"Reports come as {', '.join(FORMATS)}.")
    with db.read() as session:
        report = reports_repo.get(session, report_id)
        if report is None:
            raise NotFound(f"There is no report {report_id}.")
        if report.withdrawn:
            raise EarfulError(f"This report was withdrawn: {report.withdrawn}")
        content = getattr(report, fmt)
        since, until = as_utc(report.since) or report.since, as_utc(report.until) or report.until
        stamp = last_day(since, until, "UTC").isoformat()  # the last day it covers
    if content is None:
        raise NotFound(f"Report {report_id} has no {fmt} file.")
    media, suffix = FORMATS[fmt]
    data = content.encode() if isinstance(content, str) else bytes(content)
    return data, media, f"earful-report-{report_id}-{stamp}.{suffix}"


def summary(db: Database, report_id: int) -> Report:
    """Return a report without its files."""
    with db.read() as session:
        found = reports_repo.summary(session, report_id)
    if found is None:
        raise NotFound(f"There is no report {report_id}.")
    return found
