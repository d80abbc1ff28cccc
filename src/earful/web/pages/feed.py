"""The live feed: filters, search with a preview count, two sorts, keyset pages, server-sent events."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse

from earful.accounts.service import Account
from earful.kit.errors import EarfulError
from earful.settings import Settings
from earful.store.db import Database
from earful.triage.feed import (
    PREVIEW_SECONDS,
    SENTIMENTS,
    SORTS,
    STATUSES,
    arrived,
    facets,
    feed,
    newest_id,
    preview_count,
    settled_up_to,
)
from earful.triage.policies import can_read_posts
from earful.triage.service import lock_cutoff
from earful.web import guard
from earful.web.deps import csrf_token, get_db, get_settings, session_still_live
from earful.web.forms import filter_from
from earful.web.params import MAX_ID
from earful.web.relabel_form import category_choices
from earful.web.render import TEMPLATES, render

router = APIRouter()
reader = guard.page(can_read_posts, "Reading posts needs an account with a role.")
STREAM_POLL_SECONDS = 1.0
STREAM_MAX_SECONDS = 300
STREAM_BATCH = 100  # browsers reconnect on their own; a bounded stream frees the worker thread
STREAM_RECHECK_SECONDS = 5.0  # how often an open stream asks whether its session is still live


@router.get("/", dependencies=[Depends(reader)])
def home() -> Response:
    """Send visitors to the feed."""
    return RedirectResponse("/feed", status_code=303)


@router.get("/feed", response_class=HTMLResponse)
def feed_page(
    request: Request,
    after: str | None = None,
    db: Database = Depends(get_db),
    settings: Settings = Depends(get_settings),
    account: Account = Depends(reader),
) -> Response:
    """Show posts matching the filters, a page at a time, with new ones arriving live.

    The match count arrives separately (/feed/count, fetched by the page's script), so a broad
    filter's count never delays the posts themselves.
    """
    context: dict[str, Any] = {
        "account": account,
        "csrf": csrf_token(request),
        "first_page": after is None,
        "facets": facets(db),
        "languages": settings.languages,
        "categories": category_choices(db),
        "statuses": STATUSES,
        "sentiments": SENTIMENTS,
        "sorts": SORTS,
        "flash": request.session.pop("flash", None),
    }
    try:
        where, sort, params = filter_from(dict(request.query_params))
    except EarfulError as exc:
        context.update(params=dict(request.query_params), error=exc.message, page=None, live_from=0)
        return render(request, "feed.html", context, status_code=400)
    page = feed(db, limit=50, cursor=after, where=where, sort=sort, lock_fresh_after=lock_cutoff())
    context.update(
        params=params,
        error=None,
        page=page,
        live_from=newest_id(db),
        filtered=bool(params),
    )
    return render(request, "feed.html", context)


@router.get("/feed/count", dependencies=[Depends(reader)])
def feed_count(request: Request, db: Database = Depends(get_db)) -> Response:
    """Return how many posts the filters and search would show (the search box's preview)."""
    try:
        where, _, _ = filter_from(dict(request.query_params))
    except EarfulError as exc:
        return JSONResponse({"error": exc.message}, status_code=400)
    # A preview must not hold the page up: counting stops after PREVIEW_SECONDS, and the answer
    # then says how many it found ("at least"), as the page shows with a "+".
    matches, complete = preview_count(db, where, PREVIEW_SECONDS)
    return JSONResponse({"count": matches, "capped": matches > 10_000, "complete": complete})


@router.get("/feed/stream", dependencies=[Depends(reader)])
async def feed_stream(
    request: Request, after_id: int = Query(0, ge=0, le=MAX_ID), db: Database = Depends(get_db)
) -> Response:
    """Stream posts stored after `after_id` that match the filters, as server-sent events."""
    where, _, _ = filter_from(dict(request.query_params))
    zone = request.app.state.settings.time_zone

    async def events() -> AsyncIterator[bytes]:
        # `floor`: every post at or below it has been sent or never will be; `sent`: posts above it
        # already sent (enrichment can finish out of id order, so the floor trails behind them).
        floor, sent = after_id, set[int]()
        waited = 0.0
        checked = time.monotonic()
        yield b"retry: 3000\n\n"
        while waited < STREAM_MAX_SECONDS and not await request.is_disconnected():
            if time.monotonic() - checked >= STREAM_RECHECK_SECONDS:
                # Signed out, deactivated or demoted since the stream opened: it ends here, and the
                # page stops listening (its next request meets the login page).
                checked = time.monotonic()
                account = await asyncio.to_thread(session_still_live, request, db)
                if account is None or not can_read_posts(account.role):
                    yield b"event: ended\ndata: {}\n\n"
                    return
            posts = await asyncio.to_thread(arrived, db, where, floor, STREAM_BATCH, sorted(sent))
            if posts:
                sent.update(p.id for p in posts)
                template = TEMPLATES.get_template("_posts.html")
                items = [
                    {"id": p.id, "html": template.render(posts=[p], fresh=True, time_zone=zone)}
                    for p in reversed(posts)
                ]
            floor = await asyncio.to_thread(settled_up_to, db, floor, max(sent, default=floor))
            sent = {pid for pid in sent if pid > floor}
            if posts:
                data = orjson.dumps({"items": items, "floor": floor}).decode()
                yield f"event: posts\ndata: {data}\n\n".encode()
            else:
                yield b": keep-alive\n\n"
            if len(posts) < STREAM_BATCH:
                await asyncio.sleep(STREAM_POLL_SECONDS)
                waited += STREAM_POLL_SECONDS

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)
