"""Optional single sign-on with OpenID Connect (authlib), configured by the EARFUL_OIDC_* settings.

Sign-on proves who someone is; what they may do still comes from their Earful account, which an
admin creates with a role first. An unknown or deactivated person is turned away, not created.
"""

from __future__ import annotations

import warnings
from typing import Any

from authlib.deprecate import AuthlibDeprecationWarning
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from earful.accounts.service import account_for_sign_on
from earful.audit.service import record
from earful.kit.errors import NotFound
from earful.settings import Settings
from earful.store.db import Database
from earful.web.deps import csrf_token, get_db, get_settings, start_session
from earful.web.render import render

# authlib says on every start that it will move from httpx to httpx2, which no operator can act on
# (it turns its own warnings on at import, so the filter goes after that and before the client).
warnings.filterwarnings("ignore", "The httpx module is deprecated", AuthlibDeprecationWarning)
from authlib.integrations.starlette_client import OAuth, OAuthError  # noqa: E402

router = APIRouter()


def sso_enabled(settings: Settings) -> bool:
    """Return True when single sign-on is configured."""
    return bool(settings.oidc_issuer and settings.oidc_client_id)


def _client(request: Request, settings: Settings) -> Any:
    client = getattr(request.app.state, "oidc_client", None)
    if client is None:
        oauth = OAuth()
        issuer = (settings.oidc_issuer or "").rstrip("/")
        client = oauth.register(
            "oidc",
            server_metadata_url=f"{issuer}/.well-known/openid-configuration",
            client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret,
            client_kwargs={"scope": "openid email profile"},
        )
        request.app.state.oidc_client = client
    return client


def _refuse(request: Request, message: str) -> Response:
    context = {"next": "/feed", "error": message, "csrf": csrf_token(request)}
    return render(request, "login.html", context, status_code=403)


@router.get("/login/sso")
async def sso_start(request: Request, settings: Settings = Depends(get_settings)) -> Response:
    """Send the browser to the identity provider."""
    if not sso_enabled(settings):
        raise NotFound("Single sign-on is not configured here; sign in with your username and password.")
    redirect_uri = str(request.url_for("sso_callback"))
    return await _client(request, settings).authorize_redirect(request, redirect_uri)  # type: ignore[no-any-return]


@router.get("/login/sso/callback", name="sso_callback")
async def sso_callback(
    request: Request, db: Database = Depends(get_db), settings: Settings = Depends(get_settings)
) -> Response:
    """Finish sign-on: check the provider's ID token, then sign in the matching Earful account."""
    if not sso_enabled(settings):
        raise NotFound("Single sign-on is not configured here.")
    try:
        token = await _client(request, settings).authorize_access_token(request)
    except OAuthError as exc:
        record(db, None, "?", "login.sso_failed", reason=str(exc.error)[:200])
        return _refuse(request, "Single sign-on did not complete. Try again, or sign in with your password.")
    claims = token.get("userinfo") or {}
    username = str(claims.get(settings.oidc_username_claim) or "").strip()
    if settings.oidc_username_claim == "email" and claims.get("email_verified") is not True:
        username = ""  # an unverified address proves nothing
    subject = f"{claims.get('iss', '')}|{claims.get('sub', '')}"
    account = account_for_sign_on(db, subject, username) if claims.get("sub") else None
    if account is None:
        record(db, None, username[:80] or "?", "login.sso_refused")
        return _refuse(
            request,
            f"There is no active Earful account for {username or 'this sign-on'}. Ask an admin to add you "
            "with the role you need.",
        )
    start_session(request, db, account)
    record(db, account.id, account.username, "login", method="sso")
    return RedirectResponse("/feed", status_code=303)
