"""Single sign-on against a small OpenID Connect provider served on a local port by the test.

The provider is real HTTP (discovery, authorize, token, JWKS) and signs real RS256 ID tokens, so
Earful's side (authlib) runs exactly as it would against a company's identity provider.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Form, Request
from fastapi.responses import RedirectResponse
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import select

from earful.accounts.service import add_user
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import AuditEntry
from earful.web.app import create_app
from tests.servers import free_port

CLIENT_ID = "earful-test"


class FakeProvider:
    """An identity provider that signs in whoever `next_user` names."""

    def __init__(self, port: int) -> None:
        self.issuer = f"http://127.0.0.1:{port}"
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
        self.next_user = "ana"  # who signs in at the provider (their stable subject)
        self.next_name: str | None = None  # the username they claim, if not the same
        self.codes: dict[str, dict[str, str]] = {}
        self.app = FastAPI()
        self.app.get("/.well-known/openid-configuration")(self.discovery)
        self.app.get("/authorize")(self.authorize)
        self.app.post("/token")(self.token)
        self.app.get("/jwks")(self.jwks)

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "subject_types_supported": ["public"],
        }

    def authorize(self, request: Request) -> RedirectResponse:
        q = request.query_params
        code = secrets.token_urlsafe(8)
        self.codes[code] = {
            "nonce": q.get("nonce", ""),
            "user": self.next_user,
            "name": self.next_name or self.next_user,
        }
        return RedirectResponse(f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q['state']})}")

    def token(self, code: str = Form(...)) -> dict[str, Any]:
        grant = self.codes.pop(code)
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": f"sub-{grant['user']}",
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
            "preferred_username": grant["name"],
        }
        id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, self.key)
        return {"access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": id_token}

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.key.as_dict(private=False)]}


@pytest.fixture
def provider() -> Iterator[FakeProvider]:
    port = free_port()
    fake = FakeProvider(port)
    server = uvicorn.Server(uvicorn.Config(fake.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield fake
    server.should_exit = True
    thread.join(timeout=10)


def _sign_on(client: TestClient, provider: FakeProvider) -> Any:
    to_provider = client.get("/login/sso")
    assert to_provider.status_code == 302 and to_provider.headers["location"].startswith(provider.issuer)
    back = httpx.get(to_provider.headers["location"], follow_redirects=False)
    callback = urlparse(back.headers["location"])
    assert parse_qs(callback.query)["state"]
    return client.get(f"{callback.path}?{callback.query}")


def test_single_sign_on_signs_in_an_existing_account(
    db: Database, settings: Settings, provider: FakeProvider
) -> None:
    add_user(db, "ana", "long enough password", "analyst")
    configured = settings.model_copy(
        update={"oidc_issuer": provider.issuer, "oidc_client_id": CLIENT_ID, "oidc_client_secret": "s3cret"}
    )
    with TestClient(create_app(configured, db), follow_redirects=False) as client:
        assert "Sign in with single sign-on" in client.get("/login").text
        done = _sign_on(client, provider)
        assert done.status_code == 303 and done.headers["location"] == "/feed"
        assert client.get("/feed").status_code == 200
    with db.read() as session:
        (entry,) = session.scalars(select(AuditEntry).where(AuditEntry.action == "login"))
    assert entry.actor == "ana" and entry.detail == {"method": "sso"}


def test_single_sign_on_turns_away_someone_without_an_account(
    db: Database, settings: Settings, provider: FakeProvider
) -> None:
    provider.next_user = "mallory"
    configured = settings.model_copy(update={"oidc_issuer": provider.issuer, "oidc_client_id": CLIENT_ID})
    with TestClient(create_app(configured, db), follow_redirects=False) as client:
        refused = _sign_on(client, provider)
        assert refused.status_code == 403 and "no active Earful account for mallory" in refused.text
        assert client.get("/feed").status_code == 303


def test_without_settings_there_is_no_single_sign_on(client: TestClient) -> None:
    assert "single sign-on" not in client.get("/login").text
    assert client.get("/login/sso").status_code == 404


def test_an_account_is_bound_to_the_first_identity_that_signs_on_as_it(
    db: Database, settings: Settings, provider: FakeProvider
) -> None:
    add_user(db, "ana", "long enough password", "admin")
    configured = settings.model_copy(update={"oidc_issuer": provider.issuer, "oidc_client_id": CLIENT_ID})
    with TestClient(create_app(configured, db), follow_redirects=False) as client:
        assert _sign_on(client, provider).status_code == 303  # Ana, binding her account
    # Mallory renames herself "ana" at the provider: the name is taken by another identity.
    provider.next_user, provider.next_name = "mallory", "ana"
    with TestClient(create_app(configured, db), follow_redirects=False) as client:
        assert _sign_on(client, provider).status_code == 403
    # Ana renamed at the provider still signs in: her identity, not her name, is what counts.
    provider.next_user, provider.next_name = "ana", "ana.smith"
    with TestClient(create_app(configured, db), follow_redirects=False) as client:
        assert _sign_on(client, provider).status_code == 303
