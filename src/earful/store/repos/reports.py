"""Archived reports: their content, files and who they were emailed to."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, defer

from earful.store.models import Report, Source

LIGHT = (defer(Report.html), defer(Report.pdf), defer(Report.csv), defer(Report.xlsx))


def add(session: Session, **fields: Any) -> Report:
    """Store a report and return it."""
    report = Report(**fields)
    session.add(report)
    session.flush()
    return report


def get(session: Session, report_id: int) -> Report | None:
    """Return one report with its files."""
    return session.get(Report, report_id)


def summary(session: Session, report_id: int) -> Report | None:
    """Return one report without loading its files."""
    return session.get(Report, report_id, options=LIGHT)


def page(session: Session, before_id: int | None, limit: int) -> Sequence[Report]:
    """Return up to `limit` reports newest first (their files not loaded), older than `before_id`."""
    stmt = select(Report).options(*LIGHT).order_by(Report.id.desc()).limit(limit)
    if before_id is not None:
        stmt = stmt.where(Report.id < before_id)
    return session.scalars(stmt).all()


def weekly_until(session: Session, until: datetime) -> Report | None:
    """Return the weekly digest that ends at `until`, if it was made."""
    return session.scalars(
        select(Report).options(*LIGHT).where(Report.kind == "weekly", Report.until == until).limit(1)
    ).first()


def set_emailed(session: Session, report_id: int, to: Sequence[str]) -> None:
    """Record that the report was emailed to `to`."""
    report = summary(session, report_id)
    if report is not None:
        report.emailed_to = sorted({*(report.emailed_to or []), *to})


def count(session: Session) -> int:
    """Return how many reports are archived."""
    return int(session.scalar(select(func.count()).select_from(Report)) or 0)


def withdraw_citing(session: Session, post_ids: Sequence[int], why: str) -> int:
    """Remove the files of every report that quotes one of these posts; return how many were withdrawn."""
    doomed = set(post_ids)
    if not doomed:
        return 0
    hit = [
        report_id
        for report_id, cited in session.execute(
            select(Report.id, Report.post_ids).where(Report.withdrawn.is_(None))
        )
        if doomed.intersection(cited or [])
    ]
    if hit:
        session.execute(
            update(Report)
            .where(Report.id.in_(hit))
            .values(html=None, pdf=None, csv=None, xlsx=None, post_ids=[], withdrawn=why),
            execution_options={"synchronize_session": False},
        )
    return len(hit)


def sources_before(session: Session, moment: datetime) -> bool:
    """Return True when some source was set up before `moment`."""
    return session.scalar(select(func.count()).select_from(Source).where(Source.created_at < moment)) != 0
