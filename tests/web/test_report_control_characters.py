"""A report over the API: control characters in names and text give files that open, never a 500."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from earful.accounts.service import add_user, issue_token
from earful.store.db import Database
from tests.insights.test_control_characters import TYPED, check_files, odd_world
from tests.insights.test_reports import WEEK


def test_the_api_makes_and_serves_such_a_report(client: TestClient, db: Database) -> None:
    odd_world(db)
    account = add_user(db, "api_analyst", "correct horse battery", "analyst")
    auth = {"Authorization": f"Bearer {issue_token(db, account.id, 'test')}"}
    week = {"since": str(WEEK[0].date()), "until": str(WEEK[1].date())}
    # Escaped as JSON allows (a client library refuses to send a lone surrogate as UTF-8).
    as_json = {**auth, "Content-Type": "application/json"}
    controls = TYPED.replace(chr(0xD800), "").replace("\x00", "")
    surrogate = json.dumps({**week, "title": f"Odd{controls}\ud800"})
    odd = client.post("/api/reports", content=surrogate, headers=as_json)
    assert odd.status_code == 422 and "valid string" in odd.text  # a lone surrogate is not text
    nul = client.post("/api/reports", content=json.dumps({**week, "title": "Odd\x00"}), headers=as_json)
    assert nul.status_code == 422 and "NUL" in nul.text  # the database could not store it
    title = f"Odd{controls} week"
    made = client.post("/api/reports", content=json.dumps({**week, "title": title}), headers=as_json)
    assert made.status_code == 201, made.text
    report = made.json()
    assert report["title"] == "Odd week"
    files = {}
    for fmt, url in report["files"].items():
        got = client.get(url, headers=auth)
        assert got.status_code == 200, got.text
        files[fmt] = got.content
    check_files(files)
