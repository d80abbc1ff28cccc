"""Help the model: the posts whose labels would teach it most, and what each category still needs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from earful.accounts.service import Account
from earful.classify.policies import can_relabel
from earful.classify.teaching import MAX_PAGE, help_queue
from earful.store.db import Database
from earful.triage.feed import posts_by_ids
from earful.triage.service import lock_cutoff
from earful.web import guard
from earful.web.deps import csrf_token, get_db
from earful.web.relabel_form import category_choices
from earful.web.render import render

router = APIRouter()
relabeller = guard.page(can_relabel, "Labelling posts for the model takes the analyst role or higher.")


@router.get("/help-the-model", response_class=HTMLResponse)
def help_page(
    request: Request,
    page: int = Query(1, ge=1, le=MAX_PAGE),
    db: Database = Depends(get_db),
    account: Account = Depends(relabeller),
) -> Response:
    """Show the posts the model is least sure of (rare categories first among equals), with each
    category's analyst labels and how many more the gate needs to score it."""
    queue = help_queue(db, page)
    posts = posts_by_ids(db, [s.post_id for s in queue.suggestions], lock_cutoff())
    context: dict[str, Any] = {
        "account": account,
        "csrf": csrf_token(request),
        "flash": request.session.pop("flash", None),
        "queue": queue,
        "posts": posts,
        "reasons": {s.post_id: s.why for s in queue.suggestions},
        "categories": category_choices(db),
        "relabel_only": True,
    }
    return render(request, "help_model.html", context)
