"""Odd numbers at the edge: superscript digits, ids past 2^63, 5,000-digit sizes, booleans for ids.

Every one is refused with a 4xx that says what to send, on the pages (forms, paths, queries) and in
the JSON API (paths, queries, bodies), never a 500.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from earful.settings import Settings
from earful.store.db import Database
from earful.web.app import create_app
from tests.factories import make_posts, make_source
from tests.web.conftest import csrf_of, login

SUPERSCRIPT = "²"  # str.isdigit() says yes, int() says no
PAST_INT64 = str(2**64)  # a database integer cannot hold it
HUGE = "9" * 5000  # past Python's limit on converting digits to an int
ODD = [SUPERSCRIPT, PAST_INT64, HUGE]


@pytest.fixture
def admin(db: Database, settings: Settings) -> Iterator[tuple[TestClient, str, int]]:
    """Return a client signed in as an admin (500s come back as responses), its CSRF token, a post id."""
    (post_id,) = make_posts(db, make_source(db), ["the gps pin was wrong"])
    with TestClient(create_app(settings, db), follow_redirects=False, raise_server_exceptions=False) as c:
        login(c, db, "root", "admin")
        yield c, csrf_of(c.get("/teams").text), post_id


def _refused(response: object, *advice: str) -> None:
    status, text = response.status_code, response.text  # type: ignore[attr-defined]
    assert 400 <= status < 500, f"{status}: {text[:300]}"
    for words in advice:
        assert words in text, text[:2000]


FORMS = [
    ("/triage/batch", "size", {}, "Batch size must be a whole number from 1 to 50"),
    ("/triage/bulk", "post_ids", {"action": "flag"}, "Post must be a whole number from 1 to"),
    ("/posts/{post}/escalate", "team_id", {}, "Team must be a whole number from 1 to"),
    ("/posts/{post}/escalate", "spike_id", {}, "Spike must be a whole number from 1 to"),
    ("/posts/{post}/assign", "to", {}, "Choose someone who triages"),
    ("/admin/users", "user_id", {"role": "viewer"}, "User must be a whole number from 1 to"),
    ("/admin/users", "team_id", {"user_id": "1", "role": "admin"}, "Team must be a whole number from 1"),
    ("/teams", "team_id", {"name": "Payments"}, "Team must be a whole number from 1 to"),
    (
        "/admin/sources",
        "retention_days",
        {"name": "r/testdrivers"},
        "Retention must be a whole number of days from 1 to 3650",
    ),
    (
        "/alerts",
        "min_articles",
        {"name": "a", "kind": "urgent"},
        "Minimum articles must be a whole number from 1 to",
    ),
    (
        "/alerts",
        "dedup_minutes",
        {"name": "a", "kind": "urgent"},
        "Dedup window must be a whole number of minutes from 0 to",
    ),
    (
        "/alerts",
        "quiet_start",
        {"name": "a", "kind": "urgent"},
        "Quiet hours start must be a whole number from 0 to 23",
    ),
    ("/alerts", "rule_id", {"name": "a", "kind": "urgent"}, "Rule must be a whole number from 1 to"),
]


@pytest.mark.parametrize(("path", "field", "extra", "advice"), FORMS, ids=[f"{p}:{f}" for p, f, *_ in FORMS])
def test_a_form_number_that_is_not_one_is_refused_with_advice(
    admin: tuple[TestClient, str, int], path: str, field: str, extra: dict[str, str], advice: str
) -> None:
    client, csrf, post_id = admin
    for value in ODD:
        response = client.post(path.format(post=post_id), data={"csrf": csrf, **extra, field: value})
        _refused(response, advice)


PAGE_IDS = [
    "/posts/{n}",
    "/insights/spikes/{n}",
    "/reports/{n}",
    "/reports?before={n}",
    "/admin/audit?before={n}",
    "/teams/{n}/queue",
]


@pytest.mark.parametrize("path", PAGE_IDS)
def test_a_page_address_with_an_impossible_id_is_refused_as_a_page(
    admin: tuple[TestClient, str, int], path: str
) -> None:
    client, _, _ = admin
    for value in [*ODD, "0"]:
        response = client.get(path.format(n=value))
        _refused(response, "whole number")
        assert response.headers["content-type"].startswith("text/html")


API_IDS = [
    ("GET", "/api/posts/{n}", None),
    ("PUT", "/api/posts/{n}/labels", {"sentiment": "neutral"}),
    ("POST", "/api/posts/{n}/status", {"status": "new"}),
    ("POST", "/api/posts/{n}/acknowledge", None),
    ("GET", "/api/reports?before={n}", None),
    ("GET", "/api/reports/{n}/files/pdf", None),
    ("POST", "/api/triage/batch?size={n}", None),
]


@pytest.mark.parametrize(("method", "path", "body"), API_IDS, ids=[f"{m} {p}" for m, p, _ in API_IDS])
def test_an_api_address_with_an_impossible_number_gets_a_422(
    admin: tuple[TestClient, str, int], method: str, path: str, body: dict[str, str] | None
) -> None:
    client, _, _ = admin
    for value in ODD:
        response = client.request(method, path.format(n=value), json=body)
        assert response.status_code == 422, response.text[:300]
        assert response.json()["detail"][0]["msg"]


def test_an_escalation_names_a_team_and_spike_by_a_real_id(admin: tuple[TestClient, str, int]) -> None:
    client, _, post_id = admin
    for escalation in (
        {"team_id": 2**64},
        {"team_id": -1},
        {"team_id": True},  # once taken for team 1
        {"team_id": "1"},
        {"spike_id": 2**63},
        {"spike_id": False},
    ):
        response = client.post(f"/api/posts/{post_id}/escalate", json=escalation)
        assert response.status_code == 422, (escalation, response.text[:300])


def test_a_source_retention_past_the_limit_is_a_422(admin: tuple[TestClient, str, int]) -> None:
    client, _, _ = admin
    for days in (2**64, 0, True, "30"):
        response = client.put("/api/sources/forum", json={"kind": "file", "retention_days": days})
        assert response.status_code == 422, response.text[:300]
    assert client.put("/api/sources/forum", json={"kind": "file", "retention_days": 30}).status_code == 200
