"""Admin pages: validation errors next to the field, changes audited, secrets never shown."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from earful.accounts.service import add_user, list_users
from earful.classify.service import current, ensure_default
from earful.ingest.sources import list_sources
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import AuditEntry
from tests.factories import make_posts, make_source
from tests.web.conftest import login


def _csrf(client: TestClient) -> str:
    return client.headers["x-csrf-token"]


def test_taxonomy_edit_makes_a_version_or_shows_the_error_beside_the_editor(
    client: TestClient, db: Database
) -> None:
    ensure_default(db)
    login(client, db, "root", "admin")
    page = client.get("/admin/taxonomy").text
    assert "version 1 in use" in page and "app.crashes_login" in page
    bad = client.post(
        "/admin/taxonomy", data={"csrf": _csrf(client), "yaml": "name: x\ncategories: [ {key: 'Bad Key'"}
    )
    assert bad.status_code == 400 and 'id="yaml-error"' in bad.text and "not valid YAML" in bad.text
    surveil = (
        "name: x\ncategories:\n  - key: unions\n    name: Union organising\n    description: who organises\n"
    )
    refused = client.post("/admin/taxonomy", data={"csrf": _csrf(client), "yaml": surveil})
    assert refused.status_code == 400 and "does not track" in refused.text
    good = "name: Small\ncategories:\n  - key: app\n    name: App\n    description: The app misbehaves.\n"
    saved = client.post("/admin/taxonomy", data={"csrf": _csrf(client), "yaml": good, "note": "smaller"})
    assert saved.status_code == 303
    found = current(db)
    assert found is not None and found.version == 2


def test_retention_is_validated_and_audited(client: TestClient, db: Database) -> None:
    make_source(db, "r/drivers")
    login(client, db, "root", "admin")
    form = {"csrf": _csrf(client), "mode": "update", "name": "r/drivers", "kind": "reddit", "enabled": "on"}
    bad = client.post("/admin/sources", data={**form, "retention_days": "-3"})
    assert bad.status_code == 400 and 'id="r/drivers-retention_days-error"' in bad.text
    assert "whole number of days" in bad.text
    assert client.post("/admin/sources", data={**form, "retention_days": "90"}).status_code == 303
    assert [s.retention_days for s in list_sources(db)] == [90]
    with db.read() as session:
        assert "source.update" in set(session.scalars(select(AuditEntry.action)))


def test_a_private_source_needs_its_consent_basis(client: TestClient, db: Database) -> None:
    login(client, db, "root", "admin")
    form = {"csrf": _csrf(client), "mode": "create", "name": "Drivers forum", "kind": "community"}
    refused = client.post("/admin/sources", data={**form, "visibility": "private"})
    assert refused.status_code == 400 and 'id="new-consent_basis-error"' in refused.text
    assert 'value="Drivers forum"' in refused.text  # what was typed is kept
    consent = "Members opted in to sharing posts with the programme on 2026-03-01"
    assert (
        client.post(
            "/admin/sources", data={**form, "visibility": "private", "consent_basis": consent}
        ).status_code
        == 303
    )
    (source,) = list_sources(db)
    assert (source.visibility, source.consent_basis) == ("private", consent)
    again = client.post("/admin/sources", data={**form, "visibility": "public"})
    assert again.status_code == 409 and "already exists" in again.text


def test_users_change_role_and_an_admin_cannot_demote_themselves(client: TestClient, db: Database) -> None:
    login(client, db, "root", "admin")
    ana = add_user(db, "ana", "long enough password", "analyst")
    me = next(u for u in list_users(db) if u.username == "root")
    assert (
        client.post(
            "/admin/users", data={"csrf": _csrf(client), "user_id": ana.id, "role": "lead", "active": "on"}
        ).status_code
        == 303
    )
    assert {u.username: u.role for u in list_users(db)}["ana"] == "lead"
    client.post("/admin/users", data={"csrf": _csrf(client), "user_id": ana.id, "role": "lead"})  # deactivate
    assert not {u.username: u.active for u in list_users(db)}["ana"]
    with db.read() as session:
        changes = [
            e.detail for e in session.scalars(select(AuditEntry).where(AuditEntry.action == "user.update"))
        ]
    assert changes[-1]["before"]["active"] is True and changes[-1]["after"]["active"] is False
    refused = client.post(
        "/admin/users", data={"csrf": _csrf(client), "user_id": me.id, "role": "viewer", "active": "on"}
    )
    assert refused.status_code == 400 and "cannot demote or deactivate yourself" in refused.text


def test_the_audit_page_lists_views_and_filters_by_action(client: TestClient, db: Database) -> None:
    (pid,) = make_posts(db, make_source(db), ["the app crashed"])
    login(client, db, "root", "admin")
    client.get(f"/posts/{pid}")
    page = client.get("/admin/audit").text
    assert "post.view" in page and f"post:{pid}" in page and "login" in page
    only = client.get("/admin/audit", params={"action": "login"}).text.split('<table class="grid audit">')[1]
    assert "post.view" not in only and "login" in only


def test_the_settings_page_hides_secrets(db: Database, settings: Settings) -> None:
    from earful.web.app import create_app

    configured = settings.model_copy(
        update={"oidc_client_secret": "TOPSECRET-oidc", "oidc_issuer": "https://id.example"}
    )
    with TestClient(create_app(configured, db), follow_redirects=False) as client:
        login(client, db, "root", "admin")
        page = client.get("/admin/settings").text
    assert "EARFUL_CONFIDENTIALITY_NOTICE" in page and "https://id.example" in page
    for secret in ("test-secret-key", "TOPSECRET-oidc", configured.resolved_database_url):
        assert secret not in page


def test_erasure_from_the_admin_page(client: TestClient, db: Database) -> None:
    make_source(db, "r/drivers")
    login(client, db, "root", "admin")
    missing = client.post("/admin/erase", data={"csrf": _csrf(client), "author": "@x", "source": "r/nowhere"})
    assert missing.status_code == 404 and "no source" in missing.text
    done = client.post("/admin/erase", data={"csrf": _csrf(client), "author": "@x", "source": "r/drivers"})
    assert done.status_code == 303
    assert "Erased 0 posts" in client.get("/admin/sources").text


def test_a_live_source_needs_its_settings_before_it_collects(client: TestClient, db: Database) -> None:
    login(client, db, "root", "admin")
    form = {"csrf": _csrf(client), "mode": "create", "name": "Mastodon", "kind": "mastodon", "enabled": "on"}
    missing = client.post("/admin/sources", data={**form, "config": '{"hashtag": "kestrel"}'})
    assert (
        missing.status_code == 400 and 'id="new-config-error"' in missing.text and "instance" in missing.text
    )
    broken = client.post("/admin/sources", data={**form, "config": "{instance: nope"})
    assert broken.status_code == 400 and "not valid JSON" in broken.text
    config = '{"instance": "https://mastodon.example", "hashtag": "kestrel"}'
    assert client.post("/admin/sources", data={**form, "config": config}).status_code == 303
    (source,) = list_sources(db)
    assert source.config == {"instance": "https://mastodon.example", "hashtag": "kestrel"}
    page = client.get("/admin/sources").text
    assert "posts/h (24 h)" in page and "every 5 min" in page


def test_the_sources_api_refuses_a_private_source_without_consent(client: TestClient, db: Database) -> None:
    login(client, db, "root", "admin")
    refused = client.put("/api/sources/Drivers%20forum", json={"kind": "community", "visibility": "private"})
    assert refused.status_code == 400 and "consent" in refused.json()["detail"]
    consent = "Members opted in to sharing posts with the programme on 2026-03-01"
    body = {"kind": "community", "visibility": "private", "consent_basis": consent}
    made = client.put("/api/sources/Drivers%20forum", json=body)
    assert made.status_code == 200 and made.json()["consent_basis"] == consent
    (listed,) = client.get("/api/sources").json()
    assert listed["name"] == "Drivers forum" and listed["visibility"] == "private"


def test_an_admin_resetting_their_own_password_stays_signed_in_here_only(
    client: TestClient, db: Database, settings: Settings
) -> None:
    from earful.web.app import create_app
    from tests.web.conftest import PASSWORD, csrf_of

    login(client, db, "root", "admin")
    me = next(u for u in list_users(db) if u.username == "root")
    with TestClient(create_app(settings, db), follow_redirects=False) as elsewhere:
        token = csrf_of(elsewhere.get("/login").text)
        elsewhere.post("/login", data={"username": "root", "password": PASSWORD, "csrf": token})
        assert elsewhere.get("/admin/users").status_code == 200
        short = client.post(
            f"/admin/users/{me.id}/password", data={"csrf": _csrf(client), "password": "short"}
        )
        assert short.status_code == 400 and "at least 10" in short.text
        done = client.post(
            f"/admin/users/{me.id}/password", data={"csrf": _csrf(client), "password": "a brand new password"}
        )
        assert done.status_code == 303
        assert elsewhere.get("/admin/users").status_code == 303  # the other session ended
    page = client.get("/admin/users")
    assert page.status_code == 200 and "your other sessions were signed out" in page.text


def test_a_generated_password_is_shown_once(client: TestClient, db: Database) -> None:
    login(client, db, "root", "admin")
    added = client.post(
        "/admin/users/new", data={"csrf": _csrf(client), "username": "sam", "role": "viewer", "password": ""}
    )
    assert added.status_code == 200 and 'id="new-password"' in added.text
    shown = added.text.split('id="new-password"')[1].split("<code>")[1].split("</code>")[0]
    from earful.accounts.service import authenticate

    assert authenticate(db, "sam", shown) is not None
    assert shown not in client.get("/admin/users").text
    again = client.post(
        "/admin/users/new", data={"csrf": _csrf(client), "username": "sam", "role": "viewer", "password": ""}
    )
    assert again.status_code == 409 and 'id="new-user-error"' in again.text and "already exists" in again.text


def test_an_unknown_address_gets_the_products_404_page(client: TestClient, db: Database) -> None:
    stranger = client.get("/no/such/page")
    assert (
        stranger.status_code == 404 and "Page not found" in stranger.text and 'href="/login"' in stranger.text
    )
    assert 'class="bar"' in stranger.text and "Sign out" not in stranger.text
    api = client.get("/api/no/such/thing")
    assert api.status_code == 404 and api.json() == {"detail": "Not Found"}
    assert client.get("/static/nothing.css").status_code == 404
    login(client, db, "root", "admin")
    signed_in = client.get("/no/such/page")
    assert signed_in.status_code == 404 and "Sign out" in signed_in.text and 'href="/feed"' in signed_in.text
