"""Report rendering over 1,000,000 posts on SQLite (or PostgreSQL): the whole report, HTML, PDF, CSV and XLSX.

Uses the database bench/feed_latency.py builds (1,000,000 enriched posts of real tweet texts over a
year, 8 sources in 5 regions, categories and sentiment; built on first use, then reused) and times
`earful.insights.reports.make` for the whole year (every post) and for the last week, split into
gathering (the queries), HTML, PDF, CSV and XLSX. It prints each phase's seconds, the report's
page count and file sizes, and the process's peak resident memory.
Target (issue 6): a report over 1,000,000 posts renders in under 30 s.
Run with `make bench` or
`.venv/bin/python bench/report_render.py [--engine postgresql] [--posts N] [--rebuild]`.
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import subprocess
import time
from datetime import UTC, datetime, timedelta

from earful.insights import render
from earful.insights.report import build as gather
from earful.insights.reports import make
from earful.settings import Settings
from earful.store.db import Database
from earful.store.repos.feed import FeedFilter
from feed_latency import prepared


def _pages(pdf: bytes) -> str:
    """Return the PDF's page count as pdfinfo (poppler-utils) reads it, or "?" without pdfinfo."""
    if not shutil.which("pdfinfo"):
        return "?"
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=False).stdout.decode()
    found = re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE)
    return found.group(1) if found else "?"


def timed_report(db: Database, settings: Settings, since: datetime, until: datetime, label: str) -> None:
    """Time one report's phases, then the whole of `make` (which stores it in the archive)."""
    began = time.perf_counter()
    content = gather(db, FeedFilter(), since, until, zone=settings.time_zone, base_url=settings.base_url)
    gathered = time.perf_counter()
    document = render.html(content)
    html_done = time.perf_counter()
    pdf = render.pdf(document)
    pdf_done = time.perf_counter()
    csv = render.csv_text(content)
    csv_done = time.perf_counter()
    xlsx = render.xlsx_bytes(content)
    xlsx_done = time.perf_counter()
    whole_start = time.perf_counter()
    made = make(db, settings, None, FeedFilter(), since, until)
    whole = time.perf_counter() - whole_start
    pages = _pages(pdf)
    print(f"{label}: {content.trends.total.posts:,} posts, report {made.id}")
    print(
        f"  gather {gathered - began:6.2f} s | html {html_done - gathered:5.2f} s"
        f" | pdf {pdf_done - html_done:5.2f} s | csv {csv_done - pdf_done:5.2f} s"
        f" | xlsx {xlsx_done - csv_done:5.2f} s"
    )
    print(
        f"  whole report (gather, render all four, store): {whole:6.2f} s"
        f" | pdf {len(pdf) / 1024:.0f} KiB, {pages} pages | csv {len(csv) / 1024:.0f} KiB"
        f" | xlsx {len(xlsx) / 1024:.0f} KiB"
    )


def _moment(value: str | datetime) -> datetime:
    """Return a stored time as an aware UTC datetime (SQLite gives text, PostgreSQL a datetime)."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--rebuild", action="store_true", help="build the database again even if it exists")
    args = parser.parse_args()
    settings = prepared(args.engine, args.posts, args.rebuild)
    db = Database(settings.resolved_database_url)
    with db.read() as session:
        from sqlalchemy import text

        first, last = session.execute(text("SELECT min(posted_at), max(posted_at) FROM posts")).one()
    since, until = _moment(first), _moment(last) + timedelta(seconds=1)
    engine = "PostgreSQL" if args.engine == "postgresql" else "SQLite"
    print(f"{engine} database of {args.posts:,} posts at {settings.resolved_database_url}")
    timed_report(db, settings, since, until, "whole year")
    timed_report(db, settings, until - timedelta(days=7), until, "last week")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
