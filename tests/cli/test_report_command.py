"""`earful report` as a person runs it: what it prints, and what its HTML and PDF say, read back as text."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from earful.cli.app import app
from earful.contracts import Actor
from earful.kit.clock import utcnow
from earful.store.db import Database
from earful.store.repos import insights as insights_repo
from earful.triage.service import escalate, save_team
from tests.conftest import IN_CI
from tests.factories import label, make_source, posts_at

runner = CliRunner()
LEAD = Actor(None, "lee", "admin")
# A count of one followed by a plural: "1 complaints", "1 posts", "1 spikes", "1 escalations".
ONE_PLURAL = re.compile(r"(?<![\d.,])1 (complaints|posts|spikes|escalations|sources|reports)\b")


class _Text(HTMLParser):
    """The text a reader sees in an HTML document (no styles, no scripts)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self._skip += tag in ("style", "title")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("style", "title")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_text(path: Path) -> str:
    reader = _Text()
    reader.feed(path.read_text())
    return " ".join(" ".join(reader.parts).split())


def pdf_pages(path: Path) -> list[str]:
    if not shutil.which("pdftotext"):
        message = "pdftotext (poppler-utils) is needed to read the PDF back"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    return text.stdout.split("\f")[: -1 or None]


def report(out: Path, *args: str) -> tuple[str, Path, Path]:
    """Run `earful report ARGS --out OUT`; return what it printed and its HTML and PDF files."""
    done = runner.invoke(app, ["report", *args, "--out", str(out)])
    assert done.exit_code == 0, done.output
    html = next(out.glob("*.html"))
    return done.output, html, next(out.glob("*.pdf"))


@pytest.fixture
def cli(cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("EARFUL_DATA_DIR", "EARFUL_DATABASE_URL", "EARFUL_SECRET_KEY"):
        monkeypatch.setenv(key, cli_env[key])
    monkeypatch.setenv("COLUMNS", "200")


@pytest.mark.usefixtures("cli")
def test_counts_of_one_read_in_the_singular(db: Database, tmp_path: Path) -> None:
    # One complaint in its subcategory, one post in a source, one spike, one escalation: this week.
    now = utcnow()
    today = now.date()
    source = make_source(db, "r/leeds_drivers", region="Leeds")
    lone = make_source(db, "Driver feedback form", region="Leeds")
    gps = posts_at(db, source, [now - timedelta(hours=h) for h in range(3, 30, 3)], "pin in the wrong street")
    label(db, gps, "app.gps_maps", "complaint")
    (tip,) = posts_at(db, lone, [now - timedelta(hours=5)], "my tips are missing")
    label(db, [tip], "pay.tips", "complaint")
    with db.write() as session:
        insights_repo.save_spike(
            session,
            category="app",
            region="",
            started_at=(now - timedelta(hours=6)).replace(minute=0, second=0, microsecond=0),
            ended_at=(now - timedelta(hours=5)).replace(minute=0, second=0, microsecond=0),
            observed=9,
            expected=1.0,
            score=6.0,
        )
    save_team(db, LEAD, "Driver pay", "pay@example.org", ["pay"])
    escalate(db, LEAD, tip)
    since, until = (today - timedelta(days=2)).isoformat(), today.isoformat()
    printed, html, pdf = report(tmp_path / "out", "--since", since, "--until", until)
    read = html_text(html)
    pages = pdf_pages(pdf)
    assert "1 spike, 1 escalation" in printed, printed
    assert "1 complaint of 1 post" in read, read
    assert "1 spike;" in read and "1 escalation " in read, read
    for where, text in (("printed", printed), ("html", read), ("pdf", " ".join(pages))):
        assert not ONE_PLURAL.search(text), (where, ONE_PLURAL.search(text))


@pytest.mark.usefixtures("cli")
def test_an_inclusive_end_date_shows_as_the_day_given(db: Database, tmp_path: Path) -> None:
    source = make_source(db, "r/drivers", region="UK")
    start = datetime(2026, 11, 1, tzinfo=UTC)
    label(
        db,
        posts_at(db, source, [start + timedelta(days=d) for d in range(26)], "wait"),
        "operations",
        "neutral",
    )
    _, html, pdf = report(tmp_path / "out", "--since", "2026-11-01", "--until", "2026-11-25")
    read, first = html_text(html), pdf_pages(pdf)[0]
    assert "Report: 01 Nov 2026 to 25 Nov 2026" in read and "Report: 01 Nov 2026 to 25 Nov 2026" in first
    assert "26 Nov" not in read.split(" made ")[0], read[:300]  # title and range line: the days given
    assert "26 Nov" not in first.split(" made ")[0]
    assert "25 posts" in read  # 1 to 25 November, the 25th included, the 26th not
    assert html.name.endswith("-2026-11-25.html") and pdf.name.endswith("-2026-11-25.pdf")


@pytest.mark.usefixtures("cli")
def test_no_nearly_blank_last_page_when_accuracy_is_not_measured(db: Database, tmp_path: Path) -> None:
    # Seventeen sources: the coverage table fills its page to the bottom, and what follows it
    # (the classifier's section) used to sit alone on one more page.
    start = datetime(2026, 11, 1, tzinfo=UTC)
    keys = ["operations.station_waits", "app.gps_maps", "pay.tips"]
    for i in range(17):
        source = make_source(db, f"Driver forum number {i}", region=["UK", "Ireland", "Spain"][i % 3])
        ids = posts_at(
            db, source, [start + timedelta(hours=5 * i + h) for h in range(0, 40, 8)], "station wait"
        )
        label(db, ids, keys[i % 3], "complaint")
    _, html, pdf = report(tmp_path / "out", "--since", "2026-11-01", "--until", "2026-11-25")
    pages = pdf_pages(pdf)
    last = [line for line in pages[-1].splitlines() if line.strip() and not re.search(r"page \d+ of", line)]
    assert len(last) >= 8, f"the last page holds only: {last}"
    assert "accuracy is not measured" in pages[0]  # said where a reader starts, not on a page of its own
    assert "accuracy is not measured" in html_text(html)


@pytest.mark.usefixtures("cli")
def test_a_report_counts_an_escalation_by_the_day_it_was_escalated_and_says_so(
    db: Database, tmp_path: Path
) -> None:
    # A post from three weeks ago escalated today: this week's report lists it, the post's week's not.
    now = utcnow()
    today = now.date()
    source = make_source(db, "r/drivers", region="UK")
    (old,) = posts_at(db, source, [now - timedelta(days=21)], "a dog bit me at the gate")
    label(db, [old], "safety.animals", "complaint")
    save_team(db, LEAD, "Safety", "safety@example.org", ["safety"])
    escalate(db, LEAD, old)
    week = (today - timedelta(days=6)).isoformat(), today.isoformat()
    printed, html, _ = report(tmp_path / "now", "--since", week[0], "--until", week[1])
    assert "1 escalation" in printed
    read = html_text(html)
    assert "by the day it was escalated" in read or "by the day they were escalated" in read, read
    posted = (today - timedelta(days=24)).isoformat(), (today - timedelta(days=18)).isoformat()
    printed, html, _ = report(tmp_path / "then", "--since", posted[0], "--until", posted[1])
    assert "0 escalations" in printed
