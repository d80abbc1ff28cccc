"""The audit log: details in words, a post view logged once a window, filters and a safe CSV export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from earful.audit.service import record
from earful.audit.words import describe
from earful.kit.clock import utcnow
from earful.store.db import Database
from earful.store.models import AuditEntry
from earful.store.repos import audit as audit_repo
from tests.web.conftest import login


def test_details_are_said_in_words() -> None:
    assert describe("triage.status", {"status": "dismissed", "was": "new", "reason": True}) == (
        "from new to dismissed; with a reason"
    )
    assert describe("triage.note", {"note": False}) == "without a note"
    assert (
        describe("triage.assign", {"assignee": "ana", "batch": True}) == "assignee: ana; as part of a batch"
    )
    escalated = describe(
        "triage.escalate",
        {"team": "Safety", "note": True, "spike": None, "acknowledge_by": "2026-11-06T18:00+00:00"},
    )
    assert escalated == "acknowledge by: 06 Nov 2026 18:00 UTC; with a note; team: Safety"
    change = {"before": {"role": "analyst", "active": True}, "after": {"role": "lead", "active": True}}
    assert describe("user.update", change) == "role analyst → lead"
    assert describe("post.view", {"via": "api"}) == "through the API"
    assert describe("post.view", {}) == ""
    assert describe("source.update", {"enabled": False, "owns": []}) == "enabled: no; owns: none"


def test_a_view_is_logged_once_a_window(db: Database) -> None:
    now = utcnow()
    with db.write() as session:
        assert audit_repo.append_view(session, None, "ana", "post:1", {}, now)
    with db.write() as session:
        assert not audit_repo.append_view(session, None, "ana", "post:1", {}, now + timedelta(minutes=9))
        assert audit_repo.append_view(session, None, "ben", "post:1", {}, now)  # someone else's look
        assert audit_repo.append_view(session, None, "ana", "post:2", {}, now)  # another post
    with db.write() as session:
        assert audit_repo.append_view(session, None, "ana", "post:1", {}, now + timedelta(minutes=11))
    with db.read() as session:
        views = session.scalars(select(AuditEntry.target).where(AuditEntry.actor == "ana")).all()
    assert sorted(views) == ["post:1", "post:1", "post:2"]


def test_filters_and_the_export(client: TestClient, db: Database) -> None:
    login(client, db, "root", "admin")
    record(db, None, "@evil", "author.reveal", "post:7", reason="-2+3 because I wondered")
    record(db, None, "ana", "triage.flag", "post:7")
    page = client.get("/admin/audit", params={"actor": "ana"}).text.split('<table class="grid audit">')[1]
    assert "flagged a post" in page and "revealed who wrote" not in page
    bad = client.get("/admin/audit", params={"since": "2026-13-01"})
    assert bad.status_code == 400 and 'id="since-error"' in bad.text and "YYYY-MM-DD" in bad.text
    backwards = client.get("/admin/audit", params={"since": "2026-11-02", "until": "2026-11-01"})
    assert backwards.status_code == 400 and "ends before it starts" in backwards.text
    today = str(utcnow().date())
    one_day = client.get("/admin/audit", params={"since": today, "until": today}).text
    assert "flagged a post" in one_day  # "to" counts the whole day

    export = client.get("/admin/audit/export.csv", params={"action": "author."})
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    assert "attachment" in export.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert [r[1:5] for r in rows[1:]] == [["'@evil", "author.reveal", "post:7", "revealed who wrote a post"]]
    assert rows[1][5] == "reason: -2+3 because I wondered"
    with db.read() as session:
        (done,) = session.scalars(select(AuditEntry).where(AuditEntry.action == "audit.export")).all()
    assert done.actor == "root" and done.detail["rows"] == 1 and done.detail["what"] == "author."
