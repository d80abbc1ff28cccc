"""Sessions end on the server: at logout, at their full age, on a password change or deactivation."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select, update

from earful.accounts.service import add_user, issue_token, set_password
from earful.kit.clock import as_utc, utcnow
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import LoginSession
from earful.web.app import create_app
from tests.web.conftest import PASSWORD, csrf_of, login

COOKIE = "earful_session"


def sign_in(client: TestClient, username: str) -> None:
    """Sign an existing user in on this client."""
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf": token})
    assert response.status_code == 303, response.text


def signed_in(client: TestClient) -> bool:
    """Return True when the client's cookie still opens the feed."""
    response = client.get("/feed")
    assert response.status_code in (200, 303), response.status_code
    return response.status_code == 200


def test_a_cookie_replayed_after_logout_opens_nothing(client: TestClient, db: Database) -> None:
    login(client, db)
    stolen = client.cookies[COOKIE]
    assert client.post("/logout", data={"csrf": client.headers["x-csrf-token"]}).status_code == 303
    with TestClient(client.app, follow_redirects=False) as thief:
        thief.cookies.set(COOKIE, stolen)
        page = thief.get("/feed")
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
        assert thief.get("/api/posts").status_code == 401


def test_a_busy_session_ends_at_its_maximum_age_counted_from_sign_in(
    db: Database, settings: Settings
) -> None:
    app = create_app(settings.model_copy(update={"session_max_age": 3}), db)
    with TestClient(app, follow_redirects=False) as client:
        add_user(db, "ana", PASSWORD, "analyst")
        sign_in(client, "ana")
        csrf = csrf_of(client.get("/teams").text)
        signed_at = time.monotonic()
        answers = []
        while time.monotonic() - signed_at < 4.2:  # at work every half second: never idle
            # Asking for a batch and reading the queue rewrites the cookie (its flash message).
            dealt = client.post("/triage/batch", data={"csrf": csrf, "size": "5"})
            answers.append(dealt.headers["location"] == "/queue" and signed_in(client))
            time.sleep(0.5)
    assert answers[0] is True
    assert answers[-1] is False, "the session outlived EARFUL_SESSION_MAX_AGE by being busy"


def test_a_password_change_ends_that_users_sessions_only(db: Database, settings: Settings) -> None:
    app = create_app(settings, db)
    add_user(db, "ana", PASSWORD, "analyst")
    add_user(db, "ben", PASSWORD, "analyst")
    with (
        TestClient(app, follow_redirects=False) as laptop,
        TestClient(app, follow_redirects=False) as phone,
        TestClient(app, follow_redirects=False) as colleague,
    ):
        sign_in(laptop, "ana")
        sign_in(phone, "ana")
        sign_in(colleague, "ben")
        set_password(db, "ana", "a brand new passphrase")
        assert not signed_in(laptop) and not signed_in(phone)
        assert signed_in(colleague)
        refused = laptop.post(
            "/login",
            data={"username": "ana", "password": PASSWORD, "csrf": csrf_of(laptop.get("/login").text)},
        )
        assert refused.status_code == 401


def test_deactivating_a_user_ends_their_sessions_for_good(db: Database, settings: Settings) -> None:
    app = create_app(settings, db)
    ana = add_user(db, "ana", PASSWORD, "analyst")
    with TestClient(app, follow_redirects=False) as admin, TestClient(app, follow_redirects=False) as user:
        login(admin, db, "root", "admin")
        sign_in(user, "ana")
        assert signed_in(user)
        for active in ("", "on"):  # deactivate, then reactivate: the old session stays ended
            saved = admin.post(
                "/admin/users",
                data={
                    "csrf": admin.headers["x-csrf-token"],
                    "user_id": ana.id,
                    "role": "analyst",
                    "active": active,
                },
            )
            assert saved.status_code == 303, saved.text
            assert not signed_in(user)
        assert signed_in(admin)
        sign_in(user, "ana")  # reactivated: a fresh sign-in works
        assert signed_in(user)


def _last_seen(db: Database) -> datetime:
    with db.read() as session:
        (stamp,) = session.scalars(select(LoginSession.last_seen_at))
    return as_utc(stamp) or stamp


def _set_last_seen(db: Database, when: datetime) -> None:
    with db.write() as session:
        session.execute(update(LoginSession).values(last_seen_at=when))


def test_idleness_is_kept_on_the_server_and_use_renews_it(client: TestClient, db: Database) -> None:
    login(client, db)  # idle limit: 30 minutes
    _set_last_seen(db, utcnow() - timedelta(minutes=20))
    assert signed_in(client)
    assert utcnow() - _last_seen(db) < timedelta(minutes=1), "using the session did not renew it"
    _set_last_seen(db, utcnow() - timedelta(minutes=31))
    assert not signed_in(client)


def test_api_tokens_are_not_sessions(client: TestClient, db: Database) -> None:
    login(client, db)
    account = add_user(db, "bot", PASSWORD, "viewer")
    token = issue_token(db, account.id, "tests")
    client.post("/logout", data={"csrf": client.headers["x-csrf-token"]})
    set_password(db, "bot", "a brand new passphrase")
    assert client.get("/api/posts", headers={"Authorization": f"Bearer {token}"}).status_code == 200


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """Collect the SQL statements sent on both engines while the block runs."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split()).lower())

    engines = {db.read_engine, db.write_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", note)


def test_checking_a_session_is_one_read_and_no_write(client: TestClient, db: Database) -> None:
    login(client, db)
    with statements(db) as seen:
        for _ in range(5):
            assert client.get("/api/posts").status_code == 200
    session_work = [s for s in seen if "login_sessions" in s]
    assert len(session_work) == 5, session_work
    assert all(s.startswith("select") for s in session_work), session_work


def test_an_open_live_feed_ends_when_its_session_does(
    db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from earful.web.pages import feed

    monkeypatch.setattr(feed, "STREAM_POLL_SECONDS", 0.05)
    monkeypatch.setattr(feed, "STREAM_RECHECK_SECONDS", 0.1)
    monkeypatch.setattr(feed, "STREAM_MAX_SECONDS", 30)
    app = create_app(settings, db)
    ana = add_user(db, "ana", PASSWORD, "viewer")
    with TestClient(app, follow_redirects=False) as admin, TestClient(app, follow_redirects=False) as user:
        login(admin, db, "root", "admin")
        sign_in(user, "ana")

        def deactivate() -> None:
            time.sleep(0.5)
            data = {"csrf": admin.headers["x-csrf-token"], "user_id": ana.id, "role": "viewer", "active": ""}
            assert admin.post("/admin/users", data=data).status_code == 303

        later = threading.Thread(target=deactivate)
        later.start()
        started = time.monotonic()
        body = user.get("/feed/stream?after_id=0").text  # the test client reads the stream to its end
        later.join()
    assert time.monotonic() - started < 10, "the stream ran on after the session ended"
    assert body.rstrip().endswith("event: ended\ndata: {}")


@pytest.mark.parametrize(
    ("base_url", "setting", "secure"),
    [
        ("https://earful.example.org", None, True),
        ("http://127.0.0.1:8000", None, False),
        ("http://127.0.0.1:8000", True, True),  # behind a proxy that ends TLS
        ("https://earful.example.org", False, False),
    ],
)
def test_the_session_cookie_is_secure_when_earful_is_served_over_https(
    db: Database, settings: Settings, base_url: str, setting: bool | None, secure: bool
) -> None:
    app = create_app(settings.model_copy(update={"base_url": base_url, "secure_cookies": setting}), db)
    with TestClient(app, follow_redirects=False) as client:
        cookie = client.get("/login").headers["set-cookie"].lower()
    assert cookie.startswith(COOKIE) and ("; secure" in cookie) == secure
