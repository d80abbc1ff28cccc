"""Login, the confidentiality notice, and what needs a session."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from starlette.routing import Mount

from earful.accounts.service import add_user, issue_token
from earful.settings import Settings
from earful.store.db import Database
from earful.web.app import PUBLIC_PATHS, route_table
from tests.factories import make_posts, make_source
from tests.web.conftest import PASSWORD, csrf_of, login


def test_login_page_shows_the_configured_notice_and_product_name(db: Database, settings: Settings) -> None:
    from earful.web.app import create_app

    custom = settings.model_copy(
        update={"product_name": "Driver Voice", "confidentiality_notice": "Internal <b>only</b>."}
    )
    with TestClient(create_app(custom, db)) as client:
        html = client.get("/login").text
    assert "Driver Voice" in html
    assert "Internal &lt;b&gt;only&lt;/b&gt;." in html


def test_pages_redirect_to_login_and_back_after_signing_in(client: TestClient, db: Database) -> None:
    response = client.get("/feed")
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/feed"
    add_user(db, "ana", PASSWORD, "analyst")
    token = csrf_of(client.get("/login?next=/feed").text)
    response = client.post(
        "/login", data={"username": "ana", "password": PASSWORD, "csrf": token, "next": "/feed"}
    )
    assert response.status_code == 303 and response.headers["location"] == "/feed"
    assert client.get("/feed").status_code == 200


def test_wrong_password_is_refused_and_logged(client: TestClient, db: Database) -> None:
    add_user(db, "ana", PASSWORD, "analyst")
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"username": "ana", "password": "wrong password!", "csrf": token})
    assert response.status_code == 401
    assert "Wrong username or password" in response.text
    assert client.get("/feed").status_code == 303
    from earful.audit.service import recent

    assert [e.action for e in recent(db)] == ["login.failed"]


def test_login_without_the_csrf_token_is_refused(client: TestClient, db: Database) -> None:
    add_user(db, "ana", PASSWORD, "analyst")
    client.get("/login")
    response = client.post("/login", data={"username": "ana", "password": PASSWORD, "csrf": "forged"})
    assert response.status_code == 400
    assert client.get("/feed").status_code == 303


def test_login_never_redirects_off_site(client: TestClient, db: Database) -> None:
    add_user(db, "ana", PASSWORD, "analyst")
    token = csrf_of(client.get("/login").text)
    data = {"username": "ana", "password": PASSWORD, "csrf": token, "next": "//evil.example/x"}
    assert client.post("/login", data=data).headers["location"] == "/feed"


def test_passwords_are_stored_as_argon2_hashes(db: Database) -> None:
    from earful.store.repos.users import get_by_username

    add_user(db, "ana", PASSWORD, "analyst")
    with db.read() as session:
        user = get_by_username(session, "ana")
    assert user is not None and user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_api_needs_a_token_or_session(client: TestClient, db: Database) -> None:
    source = make_source(db)
    make_posts(db, source, ["first", "second"])
    response = client.get("/api/posts")
    assert response.status_code == 401 and "Bearer" in response.json()["detail"]
    account = add_user(db, "bot", PASSWORD, "viewer")
    token = issue_token(db, account.id, "tests")
    assert client.get("/api/posts", headers={"Authorization": "Bearer ef_wrong"}).status_code == 401
    body = client.get("/api/posts", headers={"Authorization": f"Bearer {token}"}).json()
    assert [p["text"] for p in body["items"]] == ["second", "first"]


def test_every_route_but_login_health_and_static_requires_a_session(client: TestClient) -> None:
    """A new route without an auth dependency fails here."""
    routes = list(route_table(client.app.routes))  # type: ignore[attr-defined]
    checked = 0
    for method, path in routes:
        if path in PUBLIC_PATHS:
            continue
        response = client.request(method, re.sub(r"{[^}]+}", "1", path))
        checked += 1
        assert response.status_code in (303, 401), f"{method} {path} answered {response.status_code}"
        if response.status_code == 303:
            assert response.headers["location"].startswith("/login")
    assert ("GET", "/api/posts") in routes and ("GET", "/feed") in routes
    assert checked == len(routes) - len([r for r in routes if r[1] in PUBLIC_PATHS])
    mounts = [r.path for r in client.app.routes if isinstance(r, Mount)]  # type: ignore[attr-defined]
    assert mounts == ["/static"]


def test_health_and_static_are_public(client: TestClient) -> None:
    assert client.get("/health").json()["status"] == "ok"
    assert client.get("/static/earful.css").status_code == 200
    icon = client.get("/static/favicon.svg")  # named by every page, so no page asks for /favicon.ico
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert '<link rel="icon" href="/static/favicon.svg"' in client.get("/login").text


def test_signed_in_pages_carry_a_strict_content_security_policy(client: TestClient, db: Database) -> None:
    login(client, db)
    csp = client.get("/feed").headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
