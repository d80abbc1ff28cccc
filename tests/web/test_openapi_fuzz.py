"""The JSON API fuzzed in-process against its own OpenAPI document: no request may get a 5xx.

A short run of Schemathesis (bench/api_fuzz.py runs the long one with every check). The document
itself must be true to what the routes check: ids bounded to what the database holds, bounds as
exact integers, error statuses documented.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings

from earful.accounts.service import add_user, issue_token
from earful.classify.service import ensure_default
from earful.settings import Settings
from earful.store.db import Database
from earful.triage.feed import SENTIMENTS, SORTS, STATUSES
from earful.web.app import create_app
from earful.web.params import MAX_ID
from tests.factories import label, make_posts, make_source
from tests.web.conftest import PASSWORD

EXAMPLES = 12  # per operation: enough to reach odd numbers and strings, small enough for the suite


@pytest.fixture
def api(db: Database, settings: Settings) -> tuple[Any, dict[str, str]]:
    """Return the app over a few labelled posts, and an admin's API token header."""
    ensure_default(db)
    ids = make_posts(db, make_source(db, "r/couriers"), ["the app crashed", "tips missing", "great support"])
    label(db, ids, "app", sentiment="complaint")
    account = add_user(db, "fuzzer", PASSWORD, "admin")
    return create_app(settings, db), {"Authorization": f"Bearer {issue_token(db, account.id, 'fuzz')}"}


def test_the_document_tells_the_truth_about_numbers_and_errors(api: tuple[Any, dict[str, str]]) -> None:
    app, auth = api
    with TestClient(app) as client:
        document = client.get("/api/openapi.json", headers=auth).json()
    assert all(path.startswith("/api/") for path in document["paths"])  # pages are HTML forms
    (post_id,) = document["paths"]["/api/posts/{post_id}"]["get"]["parameters"]
    assert post_id["schema"]["minimum"] == 1 and post_id["schema"]["maximum"] == MAX_ID
    team = document["components"]["schemas"]["Escalation"]["properties"]["team_id"]["anyOf"][0]
    assert team["maximum"] == MAX_ID and isinstance(team["maximum"], int)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if path != "/api/intake/{source_name}":
                assert {"401", "403"} <= set(operation["responses"]), f"{method} {path}"
    query = {p["name"]: p["schema"] for p in document["paths"]["/api/posts"]["get"]["parameters"]}
    assert set(query["sentiment"]["anyOf"][0]["enum"]) == set(SENTIMENTS)
    assert set(query["status"]["anyOf"][0]["enum"]) == set(STATUSES)
    assert set(query["sort"]["enum"]) == set(SORTS)


def test_no_generated_request_gets_a_server_error(api: tuple[Any, dict[str, str]]) -> None:
    app, auth = api
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app, headers=auth)
    failures: list[str] = []
    tested = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path == "/api/intake/{source_name}":
            continue  # signed webhook deliveries: tests/web/test_webhook.py

        @hypothesis_settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            response = case.call(headers=auth)
            if response.status_code >= 500:
                failures.append(f"{response.status_code} {case.method} {case.formatted_path} {case.query}")

        check()
        tested += 1
    assert tested >= 15
    assert not failures, "\n".join(failures[:20])
