"""The model versions page for leads: what each trained model scored, which is in use and why,
and promote / roll back."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from earful.accounts.service import Account
from earful.classify.policies import can_choose_model
from earful.classify.versions import VersionRow, promote, rollback, versions
from earful.kit.errors import EarfulError
from earful.settings import Settings
from earful.store.db import Database
from earful.web import guard
from earful.web.deps import csrf_token, get_db, get_settings
from earful.web.forms import csrf_form
from earful.web.params import PathId
from earful.web.render import render

router = APIRouter(prefix="/admin")
chooser = guard.page(can_choose_model, "Choosing the model in use takes the lead role or higher.")
KINDS = ("classifier", "sentiment")


def _page(
    request: Request,
    account: Account,
    db: Database,
    error: str | None = None,
    status: int = 200,
    confirming: int | None = None,
    models: list[VersionRow] | None = None,
) -> Response:
    models = versions(db) if models is None else models
    context: dict[str, Any] = {
        "account": account,
        "csrf": csrf_token(request),
        "flash": request.session.pop("flash", None),
        "error": error,
        "models": models,
        "confirming": next((m for m in models if m.id == confirming), None),
    }
    context["in_use"] = {m.kind for m in context["models"] if m.status == "in use"}
    return render(request, "admin_models.html", context, status_code=status)


@router.get("/models", response_class=HTMLResponse)
def models_page(
    request: Request, db: Database = Depends(get_db), account: Account = Depends(chooser)
) -> Response:
    """List model versions with held-out scores, status and reason, and promote / roll back."""
    return _page(request, account, db)


@router.post("/models/{model_id}/promote", response_class=HTMLResponse)
def promote_page(
    request: Request,
    model_id: PathId,
    account: Account = Depends(chooser),
    form: dict[str, Any] = Depends(csrf_form),
    db: Database = Depends(get_db),
    settings: Settings = Depends(get_settings),
) -> Response:
    """Put a candidate or retired model to use; recent posts are relabelled by it. A candidate (one
    that has not beaten the model in use on held-out labels) is promoted only once the lead has
    confirmed it, having been shown why it is a candidate."""
    models = versions(db)
    candidate = any(m.id == model_id and m.status == "candidate" for m in models)
    if candidate and form.get("confirm") != "yes":
        return _page(request, account, db, confirming=model_id, models=models)
    try:
        request.session["flash"] = promote(db, settings, account.actor, model_id)
    except EarfulError as exc:
        return _page(request, account, db, exc.message, exc.status)
    return RedirectResponse("/admin/models", status_code=303)


@router.post("/models/rollback", response_class=HTMLResponse)
def rollback_page(
    request: Request,
    account: Account = Depends(chooser),
    form: dict[str, Any] = Depends(csrf_form),
    db: Database = Depends(get_db),
    settings: Settings = Depends(get_settings),
) -> Response:
    """Retire the model in use and put back the one before it (or the built-in one)."""
    kind = str(form.get("kind") or "classifier")
    try:
        if kind not in KINDS:
            raise EarfulError("Roll back the classifier or the sentiment model.")
        request.session["flash"] = rollback(db, settings, account.actor, kind)
    except EarfulError as exc:
        return _page(request, account, db, exc.message, exc.status)
    return RedirectResponse("/admin/models", status_code=303)
