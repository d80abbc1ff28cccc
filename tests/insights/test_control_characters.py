"""Control characters in names and post text never break a report, an export or an email."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import update
from weasyprint import HTML

from earful.contracts import Actor
from earful.insights import alerts, reports
from earful.insights.alerts import RuleInput
from earful.kit.clock import utcnow
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Category, Source
from earful.store.repos.feed import FeedFilter
from tests.factories import label, make_source, posts_at
from tests.insights.test_reports import ADMIN, WEEK
from tests.servers import Inbox

# What a database keeps (vertical tab, escape, DEL, C1 controls, XML's non-characters) ...
STORED = "\x0b\x01\x08\x0c\x1b\x1f\x7f\x85\x9f\ufffe\uffff"
# ... and what only typed input brings: NUL and a lone surrogate cannot be stored.
TYPED = STORED + "\x00\ud800"
# XML 1.0 refuses these, and so do spreadsheets; tab, newline and carriage return are allowed.
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
FORMULA = '=HYPERLINK("http://attacker.example/","tips")'


def odd_world(db: Database) -> None:
    source = make_source(db, f"r/odd{STORED}drivers", region=f"Lon{STORED}don")
    start = WEEK[0]
    ids = posts_at(db, source, [start + timedelta(hours=h) for h in range(6)], f"pin{STORED} wrong")
    tricky = posts_at(db, source, [start + timedelta(days=1)], f"\x0b{FORMULA}")
    label(db, ids, "app.gps_maps", "complaint")
    label(db, tricky, "app.gps_maps", "complaint", confidence=0.99)
    with db.write() as session:
        session.execute(
            update(Category).where(Category.key == "app.gps_maps").values(name=f"GPS{STORED}maps")
        )


def check_files(files: dict[str, bytes]) -> None:
    """Every file opens in the program that reads it, and carries no forbidden character."""
    book = load_workbook(io.BytesIO(files["xlsx"]))
    cells = [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row]
    texts = [v for v in cells if isinstance(v, str)]
    assert "r/odddrivers" in texts and "London" in texts and any("GPSmaps" in t for t in texts)
    assert not any(FORBIDDEN.search(t) for t in texts)
    # Cleaning comes first, so a formula hidden behind a control character is still neutralised.
    assert any(t.startswith("'" + FORMULA) for t in texts) and not any(t.startswith("=") for t in texts)
    table = files["csv"].decode()
    assert not FORBIDDEN.search(table)
    rows = list(csv.reader(io.StringIO(table)))
    assert any("r/odddrivers" in row for row in rows)
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    document = files["html"].decode()
    assert not FORBIDDEN.search(document) and "r/odddrivers" in document
    assert files["pdf"].startswith(b"%PDF") and HTML(string=document).render().pages


def _files(db: Database, report_id: int) -> dict[str, bytes]:
    return {fmt: reports.file(db, report_id, fmt)[0] for fmt in reports.FORMATS}


def test_a_report_with_control_characters_everywhere_renders_and_is_emailed(
    db: Database, settings: Settings, smtp: Inbox
) -> None:
    odd_world(db)
    made = reports.make(db, settings, ADMIN, FeedFilter(), *WEEK, title=f"Odd{TYPED} week")
    check_files(_files(db, made.id))
    # A range with no posts still lists the sources: it must render too.
    empty = reports.make(
        db, settings, ADMIN, FeedFilter(), WEEK[0] - timedelta(days=70), WEEK[0] - timedelta(days=63)
    )
    _check_files_without_posts(_files(db, empty.id))
    mail = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port})
    reports.send(db, mail, made.id, ["coo@example.org"])
    ((_, message),) = smtp.messages
    assert message["Subject"] == "Odd week"
    for part in message.walk():
        if part.get_content_maintype() == "text":
            assert not FORBIDDEN.search(part.get_content())


def _check_files_without_posts(files: dict[str, bytes]) -> None:
    book = load_workbook(io.BytesIO(files["xlsx"]))
    coverage = [c.value for row in book["source coverage"].iter_rows() for c in row]
    assert "r/odddrivers" in coverage
    assert not FORBIDDEN.search(files["csv"].decode() + files["html"].decode())
    assert files["pdf"].startswith(b"%PDF")


def test_alert_emails_and_webhooks_carry_no_control_characters(
    db: Database, settings: Settings, smtp: Inbox
) -> None:
    mail = settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "allow_private_addresses": True}
    )
    now = utcnow()
    source = make_source(db, f"r/odd{STORED}drivers", kind="rss")
    with db.write() as session:
        session.execute(
            update(Source)
            .where(Source.id == source.id)
            .values(silence_alerted_at=now, last_error=f"timed{STORED} out")
        )
    alerts.save_rule(
        db, Actor(None, "lead", "lead"), RuleInput("Silence", "silent", ["ops@example.org"], None)
    )
    assert alerts.evaluate(db, mail, now) == 1
    assert alerts.deliver(db, mail, now) == 1
    ((_, message),) = smtp.messages
    assert message["Subject"] == "[Earful] Source silent: r/odddrivers (UK)"
    body = message.get_content()
    assert "timed out" in body and not FORBIDDEN.search(body)
