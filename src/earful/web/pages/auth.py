"""Login and logout pages."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from earful.accounts.service import authenticate
from earful.audit.service import record
from earful.settings import Settings
from earful.store.db import Database
from earful.web.deps import check_csrf, csrf_token, get_db, get_settings, page_account
from earful.web.render import render

router = APIRouter()


def _safe_next(next_url: str) -> str:
    # Only local paths: an attacker's link must not bounce a fresh login to another site.
    if next_url.startswith("/") and not next_url.startswith("//") and "\\" not in next_url:
        return next_url
    return "/feed"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/feed") -> Response:
    """Show the login form with the confidentiality notice."""
    return render(
        request, "login.html", {"next": _safe_next(next), "error": None, "csrf": csrf_token(request)}
    )


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    csrf: str = Form(""),
    next: str = Form("/feed"),
    db: Database = Depends(get_db),
    settings: Settings = Depends(get_settings),
) -> Response:
    """Sign in and go to the page asked for, or show the form again with the error."""
    check_csrf(request, csrf)
    account = authenticate(db, username, password)
    if account is None:
        record(db, None, username[:80] or "?", "login.failed")
        context = {
            "next": _safe_next(next),
            "error": "Wrong username or password.",
            "csrf": csrf_token(request),
        }
        return render(request, "login.html", context, status_code=401)
    request.session.clear()
    request.session["uid"] = account.id
    record(db, account.id, account.username, "login")
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", dependencies=[Depends(page_account)])
def logout(request: Request, csrf: str = Form("")) -> Response:
    """Sign out."""
    check_csrf(request, csrf)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
