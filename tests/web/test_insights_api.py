"""Trends, spikes and reports over the JSON API, with a bearer token."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from earful.accounts.service import add_user, issue_token
from earful.insights import watch
from earful.kit.clock import utcnow
from earful.settings import Settings
from earful.store.db import Database
from tests.factories import label, make_source, posts_at
from tests.insights.test_alerts import burst


def _bearer(db: Database, role: str) -> dict[str, str]:
    account = add_user(db, f"api_{role}", "correct horse battery", role)
    return {"Authorization": f"Bearer {issue_token(db, account.id, 'test')}"}


def test_trends_and_spikes_over_the_api(client: TestClient, db: Database, settings: Settings) -> None:
    now = utcnow()
    burst(db, now)
    madrid = make_source(db, "r/madrid", region="Madrid")
    label(db, posts_at(db, madrid, [now - timedelta(hours=3)] * 4, "propinas"), "pay.tips", "neutral")
    watch.scan(db, settings, now)
    auth = _bearer(db, "viewer")
    found = client.get("/api/insights/trends?range=24h&grain=hour", headers=auth)
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["grain"] == "hour" and len(body["timeline"]) in (24, 25)  # 25 unless now is on the hour
    assert body["total"]["posts"] == sum(t["posts"] for t in body["timeline"])
    regions = {r["key"]: r for r in body["regions"]}
    assert regions["Madrid"]["posts"] == 4 and regions["Madrid"]["by_sentiment"] == {"neutral": 4}
    assert regions["Madrid"]["feed"].startswith("/feed?region=Madrid")
    spikes = client.get("/api/insights/spikes?range=24h", headers=auth).json()
    assert {(s["category"], s["region"]) for s in spikes} >= {("app", ""), ("app", "Leeds")}
    assert client.get("/api/insights/trends?since=soon", headers=auth).status_code == 400


def test_make_and_fetch_a_report_over_the_api(client: TestClient, db: Database) -> None:
    label(db, posts_at(db, make_source(db), [utcnow() - timedelta(days=1)] * 3, "pin wrong"), "app.gps_maps")
    analyst, viewer = _bearer(db, "analyst"), _bearer(db, "viewer")
    day = utcnow().date()
    body = {"since": str(day - timedelta(days=7)), "until": str(day + timedelta(days=1)), "title": "API week"}
    assert client.post("/api/reports", json=body, headers=viewer).status_code == 403
    made = client.post("/api/reports", json=body, headers=analyst)
    assert made.status_code == 201, made.text
    report = made.json()
    assert report["title"] == "API week" and set(report["files"]) == {"html", "pdf", "csv", "xlsx"}
    pdf = client.get(report["files"]["pdf"], headers=viewer)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    listed = client.get("/api/reports", headers=viewer).json()
    assert [r["id"] for r in listed] == [report["id"]]


def test_the_api_refuses_odd_dates_and_says_why(client: TestClient, db: Database) -> None:
    auth = _bearer(db, "analyst")
    for query in ("until=0001-01-02", "since=9999-12-30&until=9999-12-31T23:30"):
        refused = client.get(f"/api/insights/trends?{query}", headers=auth)
        assert refused.status_code == 400 and "between the years 2000 and 2100" in refused.json()["detail"]
    assert client.post("/api/reports", json={"since": "", "until": ""}, headers=auth).status_code == 422
    long = client.get("/api/insights/trends?range=90d&grain=hour", headers=auth).json()
    assert long["grain"] == "day"  # hours are not counted over months
    made = client.post("/api/reports", json={"since": "2026-11-01", "until": "2026-11-08"}, headers=auth)
    assert made.status_code == 201 and made.json()["since"] == "2026-11-01T00:00:00Z"
