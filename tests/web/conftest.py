"""A test client over the real app, and helpers to sign in."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from earful.accounts.service import add_user
from earful.settings import Settings
from earful.store.db import Database
from earful.web.app import create_app

PASSWORD = "correct horse battery"


@pytest.fixture
def client(db: Database, settings: Settings) -> Iterator[TestClient]:
    """Return a client for the app; it does not follow redirects, so tests see them."""
    app = create_app(settings, db)
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def csrf_of(html: str) -> str:
    """Return the CSRF token embedded in a page's form."""
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "page has no CSRF field"
    return match.group(1)


def login(client: TestClient, db: Database, username: str = "ana", role: str = "analyst") -> None:
    """Create a user and sign the client in as them."""
    add_user(db, username, PASSWORD, role)
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf": token})
    assert response.status_code == 303, response.text
    # As our pages' script would: API calls from a browser session carry the session's CSRF token.
    client.headers["x-csrf-token"] = csrf_of(client.get("/teams").text)
