"""Emerging topics: what the week's unfitted posts cluster into; admins accept them into the taxonomy."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from earful.accounts.service import Account
from earful.classify.service import current
from earful.insights import topics
from earful.insights.policies import can_decide_topics, can_see_insights
from earful.settings import Settings
from earful.store.db import Database
from earful.web import guard
from earful.web.deps import csrf_token, get_db, get_settings
from earful.web.forms import csrf_form
from earful.web.params import PathId
from earful.web.render import render

router = APIRouter()
reader = guard.page(can_see_insights, "Insights need an account with a role.")
decider = guard.page(can_decide_topics, "Deciding on emerging topics takes the admin role.")


@router.get("/insights/topics", response_class=HTMLResponse)
def topics_page(
    request: Request, db: Database = Depends(get_db), account: Account = Depends(reader)
) -> Response:
    """Show the emerging topics of the last weeks, proposed ones first."""
    in_use = current(db)
    context = {
        "account": account,
        "csrf": csrf_token(request),
        "topics": topics.views(db),
        "parents": [(n.key, n.name) for n in in_use.taxonomy.categories] if in_use else [],
        "flash": request.session.pop("flash", None),
    }
    return render(request, "topics.html", context)


@router.post("/insights/topics/{topic_id}/accept")
def accept_topic(
    request: Request,
    topic_id: PathId,
    account: Account = Depends(decider),
    form: dict[str, Any] = Depends(csrf_form),
    db: Database = Depends(get_db),
    settings: Settings = Depends(get_settings),
) -> Response:
    """Add the topic to the taxonomy as a new subcategory (a new taxonomy version)."""
    version = topics.accept(
        db,
        settings,
        account.actor,
        topic_id,
        str(form.get("parent") or ""),
        str(form.get("key") or ""),
        str(form.get("name") or ""),
    )
    request.session["flash"] = (
        f"Taxonomy version {version} has the new subcategory; its posts are being labelled again."
    )
    return RedirectResponse("/insights/topics", status_code=303)


@router.post("/insights/topics/{topic_id}/reject")
def reject_topic(
    request: Request,
    topic_id: PathId,
    account: Account = Depends(decider),
    _form: dict[str, Any] = Depends(csrf_form),
    db: Database = Depends(get_db),
) -> Response:
    """Reject the topic; it is not proposed again."""
    topics.reject(db, account.actor, topic_id)
    request.session["flash"] = "Topic rejected; it will not be proposed again."
    return RedirectResponse("/insights/topics", status_code=303)
