"""The feed page."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from earful.accounts.service import Account
from earful.store.db import Database
from earful.triage.feed import feed
from earful.web.deps import csrf_token, get_db, page_account
from earful.web.render import render

router = APIRouter(dependencies=[Depends(page_account)])


@router.get("/")
def home() -> Response:
    """Send visitors to the feed."""
    return RedirectResponse("/feed", status_code=303)


@router.get("/feed", response_class=HTMLResponse)
def feed_page(
    request: Request,
    after: str | None = None,
    db: Database = Depends(get_db),
    account: Account = Depends(page_account),
) -> Response:
    """Show posts, newest first, a page at a time."""
    page = feed(db, limit=50, cursor=after)
    return render(
        request,
        "feed.html",
        {"page": page, "account": account, "first_page": after is None, "csrf": csrf_token(request)},
    )
