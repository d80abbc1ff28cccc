"""The workspace over HTTP: the post page, reveal, rate-limited login, idle sessions, SSE."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

import earful.ingest.jobs  # noqa: F401 - registers the enrichment job that drain runs
from earful.accounts.service import add_user
from earful.classify.service import ensure_default
from earful.ingest.service import get_or_create_source, iter_import
from earful.jobs.queue import drain
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import AuditEntry, Post
from earful.web.app import create_app
from tests.web.conftest import PASSWORD, csrf_of, login

POSTS = [
    {
        "id": "1",
        "author": "@Rider_Jo",
        "text": "The app crashed and logged me out three times, someone threatened me at the door",
    },
    {
        "id": "2",
        "author": "@other",
        "text": "The app crashed and logged me out three times, someone threatened me at the door",
    },
    {"id": "3", "author": "@third", "text": "My tips are missing from last week again"},
]


def _load(db: Database, settings: Settings, tmp_path: Path) -> dict[str, int]:
    ensure_default(db)
    path = tmp_path / "posts.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in POSTS))
    get_or_create_source(db, "r/drivers")
    iter_import(db, settings, path, "r/drivers")
    drain(db, settings)
    with db.read() as session:
        return {p.external_id: p.id for p in session.scalars(select(Post))}


def test_the_post_page_shows_labels_scores_duplicates_and_timeline(
    client: TestClient, db: Database, settings: Settings, tmp_path: Path
) -> None:
    ids = _load(db, settings, tmp_path)
    login(client, db)
    html = client.get(f"/posts/{ids['1']}").text
    assert "Crashes and login" in html and "v1" in html  # label, taxonomy version
    assert "Urgency:" in html and "threat" in html  # score with its reasons
    assert "1 copy folded into this post" in html and f"/posts/{ids['2']}" in html
    assert "language: en" in html and "a_" in html  # pseudonym, never the handle
    assert "Rider_Jo" not in html
    csrf = client.headers["x-csrf-token"]
    client.post(f"/posts/{ids['1']}/note", data={"csrf": csrf, "text": "Checked with the depot"})
    client.post(f"/posts/{ids['1']}/status", data={"csrf": csrf, "status": "investigating"})
    page = client.get(f"/posts/{ids['1']}").text
    timeline = page[page.index("<h2>Timeline</h2>") :]
    assert "ana added a note: &#34;Checked with the depot&#34;" in timeline
    assert "ana moved it from new to investigating" in timeline
    dismissed = client.post(f"/posts/{ids['1']}/status", data={"csrf": csrf, "status": "dismissed"})
    assert dismissed.status_code == 400 and "Say why" in dismissed.text


def test_revealing_an_author_needs_a_lead_and_a_reason_and_is_audited(
    client: TestClient, db: Database, settings: Settings, tmp_path: Path
) -> None:
    ids = _load(db, settings, tmp_path)
    login(client, db, "lee", "lead")
    csrf = client.headers["x-csrf-token"]
    short = client.post(f"/posts/{ids['1']}/reveal", data={"csrf": csrf, "reason": "curious"})
    assert short.status_code == 400 and "at least 15 characters" in short.text
    done = client.post(
        f"/posts/{ids['1']}/reveal", data={"csrf": csrf, "reason": "Threat reported to the safety team"}
    )
    assert done.status_code == 303
    assert "@Rider_Jo" in client.get(f"/posts/{ids['1']}").text
    assert "Rider_Jo" not in client.get(f"/posts/{ids['3']}").text
    with db.read() as session:
        (entry,) = session.scalars(select(AuditEntry).where(AuditEntry.action == "author.reveal"))
    assert entry.actor == "lee" and entry.detail["reason"] == "Threat reported to the safety team"
    # The grant is time-limited: once lapsed the handle is gone again.
    app = create_app(settings.model_copy(update={"reveal_minutes": 0}), db)
    with TestClient(app, follow_redirects=False) as other:
        login(other, db, "lea", "lead")
        other.post(
            f"/posts/{ids['1']}/reveal",
            data={"csrf": other.headers["x-csrf-token"], "reason": "Threat reported to the safety team"},
        )
        assert "@Rider_Jo" not in other.get(f"/posts/{ids['1']}").text


def test_a_reveal_reason_must_be_words(
    client: TestClient, db: Database, settings: Settings, tmp_path: Path
) -> None:
    ids = _load(db, settings, tmp_path)
    login(client, db, "lee", "lead")
    csrf = client.headers["x-csrf-token"]
    empty_ones = [
        "\u200b" * 20,
        "." * 20,
        "\u200b\u2060\ufeff" * 10 + "ok ok ok",
        "1234567890 12345 678",
        "x" * 30,
    ]
    for reason in empty_ones:
        refused = client.post(f"/posts/{ids['1']}/reveal", data={"csrf": csrf, "reason": reason})
        assert refused.status_code == 400 and "three words" in refused.text, reason
    assert "@Rider_Jo" not in client.get(f"/posts/{ids['1']}").text
    spanish = client.post(
        f"/posts/{ids['1']}/reveal",
        data={"csrf": csrf, "reason": "Amenaza denunciada al equipo de seguridad"},
    )
    assert spanish.status_code == 303
    assert "@Rider_Jo" in client.get(f"/posts/{ids['1']}").text


def test_an_analyst_cannot_reveal(
    client: TestClient, db: Database, settings: Settings, tmp_path: Path
) -> None:
    ids = _load(db, settings, tmp_path)
    login(client, db)
    response = client.post(
        f"/posts/{ids['1']}/reveal", data={"csrf": client.headers["x-csrf-token"], "reason": "x" * 20}
    )
    assert response.status_code == 403 and "Rider_Jo" not in response.text


def test_logins_are_rate_limited_per_username_and_address(
    client: TestClient, db: Database, settings: Settings
) -> None:
    add_user(db, "ana", PASSWORD, "analyst")
    for _ in range(settings.login_attempts):
        token = csrf_of(client.get("/login").text)
        assert (
            client.post("/login", data={"username": "ana", "password": "wrong", "csrf": token}).status_code
            == 401
        )
    token = csrf_of(client.get("/login").text)
    refused = client.post("/login", data={"username": "ana", "password": PASSWORD, "csrf": token})
    assert refused.status_code == 429 and "Too many failed logins" in refused.text
    # Another username is not locked out by someone guessing ana's password.
    add_user(db, "ben", PASSWORD, "analyst")
    token = csrf_of(client.get("/login").text)
    assert (
        client.post("/login", data={"username": "ben", "password": PASSWORD, "csrf": token}).status_code
        == 303
    )


def test_an_idle_session_ends(db: Database, settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"session_idle_minutes": 0}), db)
    with TestClient(app, follow_redirects=False) as client:
        add_user(db, "ana", PASSWORD, "analyst")
        token = csrf_of(client.get("/login").text)
        client.post("/login", data={"username": "ana", "password": PASSWORD, "csrf": token})
        time.sleep(1.1)
        response = client.get("/feed")
        assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_session_cookie_flags(client: TestClient, db: Database) -> None:
    add_user(db, "ana", PASSWORD, "analyst")
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"username": "ana", "password": PASSWORD, "csrf": token})
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_the_feed_counts_matches_and_shows_the_filters(
    client: TestClient, db: Database, settings: Settings, tmp_path: Path
) -> None:
    _load(db, settings, tmp_path)
    login(client, db)
    assert client.get("/feed/count", params={"q": "tips"}).json() == {
        "count": 1,
        "capped": False,
        "complete": True,
    }
    assert "OR needs words" in client.get("/feed/count", params={"q": "tips OR"}).json()["error"]
    assert client.get("/feed/count", params={"q": "crashed"}).json()["count"] == 1  # the copy is folded
    html = client.get("/feed", params={"q": "crashed"}).text
    assert html.count('class="post') == 1 and 'data-count-now="1"' in html
    assert re.search(r'<option value="app\.crashes_login"', html)
    bad = client.get("/feed", params={"sentiment": "angry"})
    assert bad.status_code == 400 and "Sentiment must be one of" in bad.text


def test_there_is_no_search_by_author(
    client: TestClient, db: Database, settings: Settings, tmp_path: Path
) -> None:
    import dataclasses

    from earful.store.repos.feed import FeedFilter
    from earful.web.forms import FILTER_FIELDS

    assert not [
        f for f in (*FILTER_FIELDS, *(x.name for x in dataclasses.fields(FeedFilter))) if "author" in f
    ]
    _load(db, settings, tmp_path)
    login(client, db)
    with db.read() as session:
        key = session.scalars(select(Post.author_key)).first()
    assert key
    assert client.get("/feed/count", params={"q": key}).json()["count"] == 0
    everything = client.get("/api/posts").json()["items"]
    assert len(client.get("/api/posts", params={"author_key": key}).json()["items"]) == len(everything)


def test_assign_a_post_to_another_analyst_but_not_to_a_viewer(
    client: TestClient, db: Database, settings: Settings, tmp_path: Path
) -> None:
    ids = _load(db, settings, tmp_path)
    ben = add_user(db, "ben", PASSWORD, "analyst")
    val = add_user(db, "val", PASSWORD, "viewer")
    login(client, db)
    csrf = client.headers["x-csrf-token"]
    page = client.get(f"/posts/{ids['3']}").text
    assert f'<option value="{ben.id}">ben (analyst)</option>' in page and "val (viewer)" not in page
    assert client.post(f"/posts/{ids['3']}/assign", data={"csrf": csrf, "to": str(ben.id)}).status_code == 303
    assert "assigned to ben" in client.get(f"/posts/{ids['3']}").text
    refused = client.post(f"/posts/{ids['3']}/assign", data={"csrf": csrf, "to": str(val.id)})
    assert refused.status_code == 400 and "Choose someone who triages" in refused.text


def test_opening_a_post_locks_it_from_nowhere(
    client: TestClient, db: Database, settings: Settings, tmp_path: Path
) -> None:
    from earful.contracts import Actor
    from earful.triage.service import open_item

    ids = _load(db, settings, tmp_path)
    login(client, db)
    ben = add_user(db, "ben", PASSWORD, "analyst")
    as_ben = Actor(ben.id, "ben", "analyst")
    for site in ("cross-site", "same-origin", "none"):
        assert client.get(f"/posts/{ids['3']}", headers={"Sec-Fetch-Site": site}).status_code == 200
        assert open_item(db, as_ben, ids["3"]).locked_by is None
    csrf = client.headers["x-csrf-token"]
    client.post(f"/posts/{ids['3']}/flag", data={"csrf": csrf, "flag": "on"})
    assert open_item(db, as_ben, ids["3"]).locked_by == "ana"


def test_reading_a_post_through_the_api_is_audited(
    client: TestClient, db: Database, settings: Settings, tmp_path: Path
) -> None:
    ids = _load(db, settings, tmp_path)
    login(client, db)
    assert client.get(f"/api/posts/{ids['3']}").json()["id"] == ids["3"]
    with db.read() as session:
        views = session.scalars(select(AuditEntry).where(AuditEntry.action == "post.view")).all()
    assert [(v.target, v.detail) for v in views] == [(f"post:{ids['3']}", {"via": "api"})]


def test_a_team_queue_is_open_to_its_members_not_to_namesakes(client: TestClient, db: Database) -> None:
    from earful.accounts.service import update_user
    from earful.contracts import Actor
    from earful.triage.service import save_team

    admin = Actor(None, "root", "admin")
    team = save_team(db, admin, "Payments", None, ["pay"])
    member = add_user(db, "pat", PASSWORD, "viewer", display_name="Sam")
    update_user(db, admin, member.id, role="viewer", team_id=team, active=True)
    add_user(db, "outsider", PASSWORD, "viewer", display_name="Sam")
    login_as = {"pat": 200, "outsider": 403}
    for username, expected in login_as.items():
        client.cookies.clear()
        token = csrf_of(client.get("/login").text)
        client.post("/login", data={"username": username, "password": PASSWORD, "csrf": token})
        assert client.get(f"/teams/{team}/queue").status_code == expected, username


def test_a_flood_of_made_up_logins_is_bounded_in_memory_and_in_the_audit_log(
    client: TestClient, db: Database, settings: Settings
) -> None:
    from earful.audit.service import recent
    from earful.web.pages.auth import AUDITED_PER_ADDRESS

    def attempt(username: str, typed: str = "wrong") -> int:
        token = csrf_of(client.get("/login").text)
        data = {"username": username, "password": typed, "csrf": token}
        return client.post("/login", data=data).status_code

    # A name no account can have and a password no one types are wrong logins, answered at once.
    assert attempt("x" * 100_000) == 401
    assert attempt("ana", "p" * 100_000) == 401
    # One address trying name after name: each name is its own count (an address is never locked
    # out as a whole: behind an untrusted proxy every client shares one), but the audit log takes
    # AUDITED_PER_ADDRESS rows from it a window, and one more that says the rest go unlogged.
    tries = AUDITED_PER_ADDRESS + 30
    assert {attempt(f"guess{i}") for i in range(tries)} == {401}
    entries = recent(db, limit=1000)
    failed = [e for e in entries if e.action == "login.failed"]
    assert len(failed) == AUDITED_PER_ADDRESS + 1
    assert "are not logged" in str(failed[0].detail)  # the newest: the last one logged
    limiter = client.app.state.login_limiter  # type: ignore[attr-defined]
    assert len(limiter) == tries + 2  # one count for each name tried: nothing past the window
    assert all(len(user) <= 81 for _, user in limiter._failures)
    # Someone else at that address still signs in: only a name that failed too often is refused.
    add_user(db, "ben", PASSWORD, "analyst")
    assert attempt("ben", PASSWORD) == 303


def test_the_login_limiter_forgets_what_left_its_window(settings: Settings) -> None:
    from earful.web.pages import auth

    limiter = auth.LoginLimiter()
    quick = settings.model_copy(update={"login_window_seconds": 0})
    for i in range(auth.MAX_KEYS + 5):
        limiter.fail(("10.0.0.1", f"name{i}"), quick)
    assert len(limiter) <= auth.MAX_KEYS
    assert not limiter.blocked(("10.0.0.1", "name1"), quick)
    kept = auth.LoginLimiter()  # within the window: the oldest go first, the newest are kept
    for i in range(auth.MAX_KEYS + 5):
        kept.fail(("10.0.0.2", f"name{i}"), settings)
    assert len(kept) <= auth.MAX_KEYS and ("10.0.0.2", f"name{auth.MAX_KEYS + 4}") in kept._failures


def test_a_token_that_is_not_ascii_is_refused_not_a_server_error(client: TestClient, db: Database) -> None:
    client.get("/login")
    response = client.post("/login", data={"username": "ana", "password": "whatever", "csrf": "é"})
    assert response.status_code == 400
    login(client, db, "lea", "lead")
    del client.headers["x-csrf-token"]
    sent = {"x-csrf-token": "jeton-é".encode()}  # as a browser may send it: bytes that are not ASCII
    assert client.post("/api/reports", json={}, headers=sent).status_code == 403  # type: ignore[arg-type]


def test_a_team_name_or_contact_too_long_is_refused_on_the_server(client: TestClient, db: Database) -> None:
    # The form says 120 characters; without the check a 300-character name (maxlength removed in
    # the browser) was saved, and widened every page with an escalation menu to 2,600-3,600 px.
    login(client, db, "root", "admin")
    csrf = csrf_of(client.get("/teams").text)
    long_name = client.post("/teams", data={"csrf": csrf, "name": "A" * 121, "owns": ""})
    assert long_name.status_code == 400 and "at most 120 characters" in long_name.text
    long_contact = client.post("/teams", data={"csrf": csrf, "name": "Ops", "contact": "c" * 301, "owns": ""})
    assert long_contact.status_code == 400 and "contact is at most 300 characters" in long_contact.text
    assert "A" * 121 not in client.get("/teams").text
    made = client.post("/teams", data={"csrf": csrf, "name": "B" * 120, "contact": "c" * 300, "owns": ""})
    assert made.status_code == 303


def test_the_acknowledge_button_is_shown_only_to_whom_it_would_answer(
    client: TestClient, db: Database, settings: Settings, tmp_path: Path
) -> None:
    # An analyst outside the owning team was shown "Acknowledge for Safety", and a click gave a 403.
    from earful.contracts import Actor
    from earful.triage.service import escalate, save_team

    ids = _load(db, settings, tmp_path)
    post_id = next(iter(ids.values()))
    safety = save_team(db, Actor(None, "setup", "admin"), "Safety", None, ["safety"])
    escalate(db, Actor(None, "lee", "lead"), post_id, safety)
    add_user(db, "member", PASSWORD, "analyst", team_id=safety)
    add_user(db, "outsider", PASSWORD, "analyst")
    add_user(db, "boss", PASSWORD, "lead")
    for username, shown in (("outsider", False), ("member", True), ("boss", True)):
        browser = TestClient(create_app(settings, db), follow_redirects=False)
        token = csrf_of(browser.get("/login").text)
        browser.post("/login", data={"username": username, "password": PASSWORD, "csrf": token})
        page = browser.get(f"/posts/{post_id}").text
        assert ("Acknowledge for Safety" in page) == shown, username
    acknowledged = browser.post(f"/posts/{post_id}/acknowledge", data={"csrf": csrf_of(page)})
    assert acknowledged.status_code == 303
