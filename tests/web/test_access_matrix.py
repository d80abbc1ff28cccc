"""Every route against every role: allowed or denied as the table says.

The table is the access matrix in one place. A route added without a row here, or without a policy
guard, fails the build.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from earful.accounts.service import add_user, issue_token
from earful.classify.service import ensure_default
from earful.contracts import Actor
from earful.settings import Settings
from earful.store.db import Database
from earful.triage.service import save_team
from earful.web.app import PUBLIC_PATHS, api_routes, create_app, route_table
from tests.factories import make_posts, make_source
from tests.web.conftest import PASSWORD, csrf_of

ALL = {"viewer", "analyst", "lead", "admin"}
TRIAGE = {"analyst", "lead", "admin"}
LEADS = {"lead", "admin"}
ADMIN = {"admin"}

MATRIX: dict[tuple[str, str], set[str]] = {
    ("GET", "/api/openapi.json"): ALL,
    ("POST", "/logout"): ALL,
    ("GET", "/"): ALL,
    ("GET", "/feed"): ALL,
    ("GET", "/feed/count"): ALL,
    ("GET", "/feed/stream"): ALL,
    ("GET", "/posts/{post_id}"): ALL,
    ("POST", "/posts/{post_id}/status"): TRIAGE,
    ("POST", "/posts/{post_id}/assign"): TRIAGE,
    ("POST", "/posts/{post_id}/note"): TRIAGE,
    ("POST", "/posts/{post_id}/flag"): TRIAGE,
    ("POST", "/posts/{post_id}/escalate"): LEADS,
    ("POST", "/posts/{post_id}/acknowledge"): TRIAGE,
    ("POST", "/posts/{post_id}/labels"): TRIAGE,
    ("POST", "/posts/{post_id}/reveal"): LEADS,
    ("POST", "/posts/{post_id}/release"): TRIAGE,
    ("POST", "/posts/{post_id}/takeover"): LEADS,
    ("POST", "/triage/batch"): TRIAGE,
    ("POST", "/triage/bulk"): TRIAGE,
    ("GET", "/queue"): TRIAGE,
    ("GET", "/help-the-model"): TRIAGE,
    ("GET", "/teams"): ALL,
    ("POST", "/teams"): ADMIN,
    ("GET", "/teams/{team_id}/queue"): LEADS,
    ("GET", "/insights"): ALL,
    ("GET", "/reports"): ALL,
    ("GET", "/reports/new"): TRIAGE,
    ("POST", "/reports"): TRIAGE,
    ("GET", "/reports/{report_id}"): ALL,
    ("GET", "/reports/{report_id}/report.{fmt}"): ALL,
    ("POST", "/reports/{report_id}/email"): TRIAGE,
    ("GET", "/alerts"): ALL,
    ("POST", "/alerts"): LEADS,
    ("POST", "/alerts/{rule_id}/delete"): LEADS,
    ("POST", "/alerts/{rule_id}/test"): LEADS,
    ("GET", "/insights/spikes/{spike_id}"): ALL,
    ("GET", "/insights/topics"): ALL,
    ("POST", "/insights/topics/{topic_id}/accept"): ADMIN,
    ("POST", "/insights/topics/{topic_id}/reject"): ADMIN,
    ("GET", "/admin/audit"): ADMIN,
    ("GET", "/admin/audit/export.csv"): ADMIN,
    ("GET", "/admin/users"): ADMIN,
    ("POST", "/admin/users"): ADMIN,
    ("POST", "/admin/users/new"): ADMIN,
    ("POST", "/admin/users/{user_id}/password"): ADMIN,
    ("GET", "/admin/sources"): ADMIN,
    ("POST", "/admin/sources"): ADMIN,
    ("POST", "/admin/erase"): ADMIN,
    ("GET", "/admin/taxonomy"): LEADS,
    ("POST", "/admin/taxonomy"): LEADS,
    ("GET", "/admin/settings"): ADMIN,
    ("GET", "/admin/models"): LEADS,
    ("POST", "/admin/models/{model_id}/promote"): LEADS,
    ("POST", "/admin/models/rollback"): LEADS,
    ("GET", "/api/posts"): ALL,
    ("GET", "/api/posts/{post_id}"): ALL,
    ("PUT", "/api/posts/{post_id}/labels"): TRIAGE,
    ("POST", "/api/posts/relabel"): TRIAGE,
    ("GET", "/api/help-the-model"): TRIAGE,
    ("POST", "/api/posts/{post_id}/status"): TRIAGE,
    ("POST", "/api/posts/{post_id}/escalate"): LEADS,
    ("POST", "/api/posts/{post_id}/acknowledge"): TRIAGE,
    ("POST", "/api/triage/batch"): TRIAGE,
    ("GET", "/api/sources"): ADMIN,
    ("GET", "/api/sources/{name:path}"): ADMIN,
    ("PUT", "/api/sources/{name:path}"): ADMIN,
    ("GET", "/api/taxonomy"): ALL,
    ("PUT", "/api/taxonomy"): LEADS,
    ("GET", "/api/insights/trends"): ALL,
    ("GET", "/api/insights/spikes"): ALL,
    ("GET", "/api/reports"): ALL,
    ("POST", "/api/reports"): TRIAGE,
    ("GET", "/api/reports/{report_id}/files/{fmt}"): ALL,
}


def test_the_matrix_names_every_route(client: TestClient) -> None:
    routes = {r for r in route_table(client.app.routes) if r[1] not in PUBLIC_PATHS}  # type: ignore[attr-defined]
    assert routes == set(MATRIX), (
        f"routes missing from the matrix: {routes - set(MATRIX)}; stale rows: {set(MATRIX) - routes}"
    )


def test_every_guarded_route_names_its_policy(client: TestClient) -> None:
    def policies(dependant: object) -> list[object]:
        found = []
        for dep in getattr(dependant, "dependencies", []):
            if hasattr(dep.call, "policy"):
                found.append(dep.call.policy)
            found += policies(dep)
        return found

    from earful.accounts.policies import signed_in
    from earful.triage.policies import can_read_posts

    checked = 0
    for route in api_routes(client.app.routes):  # type: ignore[attr-defined]
        if route.path not in PUBLIC_PATHS:
            checked += 1
            found = policies(route.dependant)
            assert found, f"{route.path} has no policy guard"
            # A route that changes something must need more than being signed in.
            if set(route.methods or ()) - {"GET", "HEAD"} and route.path != "/logout":
                assert not {signed_in, can_read_posts} & set(found), f"{route.path} changes data for any role"
    # FastAPI 0.165 keeps included routers whole: the app's own list holds no page or API route, and
    # a loop over it alone checked nothing.
    assert checked >= len(MATRIX) - 1, checked


@pytest.fixture
def world(db: Database) -> dict[str, int | str]:
    ensure_default(db)
    (post_id,) = make_posts(db, make_source(db), ["the app crashed at the depot"])
    team_id = save_team(db, Actor(None, "setup", "admin"), "App team", None, ["app"])
    # No report, rule, spike or topic 999: a role the guard admits gets 404, one it refuses 403.
    return {
        "post_id": post_id,
        "team_id": team_id,
        "name": "forms",
        "report_id": 999,
        "fmt": "pdf",
        "rule_id": 999,
        "spike_id": 999,
        "topic_id": 999,
        "model_id": 999,
        "user_id": 999,
    }


def _body(method: str, path: str) -> dict[str, object]:
    if path.endswith("/labels") and path.startswith("/api"):
        return {"json": {"sentiment": "complaint"}}
    if path.endswith("/status") and path.startswith("/api"):
        return {"json": {"status": "investigating"}}
    if path.startswith("/api") and method != "GET":
        return {"json": {}}
    return {}


@pytest.mark.parametrize("role", sorted(ALL))
def test_each_role_is_allowed_or_denied_as_the_matrix_says(
    role: str, db: Database, settings: Settings, world: dict[str, int | str]
) -> None:
    account = add_user(db, f"u_{role}", PASSWORD, role)
    token = issue_token(db, account.id, "matrix")
    with TestClient(create_app(settings, db), follow_redirects=False) as browser:
        login_csrf = csrf_of(browser.get("/login").text)
        browser.post("/login", data={"username": f"u_{role}", "password": PASSWORD, "csrf": login_csrf})
        csrf = csrf_of(browser.get("/teams").text)
        for (method, path), allowed in MATRIX.items():
            if path == "/logout":
                continue  # signing out would end the session the other rows use
            url = re.sub(r"{(\w+)(?::\w+)?}", lambda m: str(world[m.group(1)]), path)
            if path.startswith("/api"):
                response = browser.request(
                    method, url, headers={"Authorization": f"Bearer {token}"}, **_body(method, path)
                )
            elif method == "POST":
                response = browser.post(url, data={"csrf": csrf})
            elif path == "/feed/stream":
                continue  # a stream never ends; its guard is the feed's, checked by the policy test above
            else:
                response = browser.get(url)
            denied = response.status_code == 403
            assert denied == (role not in allowed), f"{role} {method} {path}: {response.status_code}"
            assert response.status_code < 500, f"{role} {method} {path}: {response.status_code}"


def test_a_browser_session_needs_the_csrf_header_to_change_things_through_the_api(
    client: TestClient, db: Database, world: dict[str, int]
) -> None:
    add_user(db, "ana", PASSWORD, "analyst")
    login_csrf = csrf_of(client.get("/login").text)
    client.post("/login", data={"username": "ana", "password": PASSWORD, "csrf": login_csrf})
    url = f"/api/posts/{world['post_id']}/status"
    refused = client.post(url, json={"status": "investigating"})
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    csrf = csrf_of(client.get("/teams").text)
    assert (
        client.post(url, json={"status": "investigating"}, headers={"x-csrf-token": csrf}).status_code == 204
    )
