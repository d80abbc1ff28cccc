"""Alert rules and the alerts they raised: leads and admins write the rules, everyone sees the alerts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from earful.accounts.service import Account
from earful.insights import alerts
from earful.insights.policies import can_manage_alerts, can_see_insights
from earful.kit.errors import EarfulError, Invalid
from earful.settings import Settings
from earful.store.db import Database
from earful.web import guard
from earful.web.deps import csrf_token, get_db, get_settings
from earful.web.forms import csrf_form
from earful.web.params import PathId, form_id, whole_number
from earful.web.render import render

router = APIRouter()
# The fields each kind of rule uses; the form shows only these (where and how often apply to all).
FIELDS = {
    "spike": ("category", "region"),
    "urgency": ("category", "threshold"),
    "story": ("min_articles",),
    "silent": (),
}
reader = guard.page(can_see_insights, "Alerts need an account with a role.")
manager = guard.page(can_manage_alerts, "Managing alert rules takes the lead role or higher.")


def _page(
    request: Request,
    db: Database,
    account: Account,
    *,
    values: dict[str, Any] | None = None,
    error: str | None = None,
    field: str | None = None,
) -> Response:
    rules, recent = alerts.overview(db)
    categories, regions = alerts.choices(db)
    context = {
        "account": account,
        "csrf": csrf_token(request),
        "rules": rules,
        "alerts": recent,
        "kinds": alerts.KINDS,
        "categories": categories,
        "regions": regions,
        "values": values or {},
        "error": error,
        "field": field,  # the field the error is about, shown beside it
        "flash": request.session.pop("flash", None),
        "warnings": request.session.pop("warnings", None) or [],
        "kinds_using": lambda name: " ".join(k for k, used in FIELDS.items() if name in used),
    }
    return render(request, "alerts.html", context, status_code=400 if error else 200)


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(
    request: Request, db: Database = Depends(get_db), account: Account = Depends(reader)
) -> Response:
    """Show the alert rules and the newest alerts with what became of them."""
    return _page(request, db, account)


def _float(value: Any) -> float | None:
    try:
        return float(str(value)) if str(value or "").strip() else None
    except ValueError:
        raise EarfulError("The urgency threshold is a number such as 0.8.") from None


def _minutes(value: Any) -> int:
    found = whole_number(value, "dedup_minutes", "Dedup window", 0, 7 * 24 * 60, unit="minutes")
    return 60 if found is None else found


def _hour(value: Any, field: str, label: str) -> int | None:
    return whole_number(value, field, label, 0, 23)


@router.post("/alerts")
def save_rule(
    request: Request,
    account: Account = Depends(manager),
    form: dict[str, Any] = Depends(csrf_form),
    db: Database = Depends(get_db),
    settings: Settings = Depends(get_settings),
) -> Response:
    """Create an alert rule, or change one."""
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        rule = alerts.RuleInput(
            name=values.get("name", ""),
            kind=values.get("kind", ""),
            emails=[a.strip() for a in values.get("emails", "").replace(";", ",").split(",") if a.strip()],
            webhook_url=values.get("webhook_url", "").strip() or None,
            category=values.get("category", "").strip() or None,
            region=values.get("region", "").strip() or None,
            threshold=_float(values.get("threshold")),
            min_articles=whole_number(
                values.get("min_articles"), "min_articles", "Minimum articles", 1, 10_000
            ),
            dedup_minutes=_minutes(values.get("dedup_minutes")),
            quiet_start=_hour(values.get("quiet_start"), "quiet_start", "Quiet hours start"),
            quiet_end=_hour(values.get("quiet_end"), "quiet_end", "Quiet hours end"),
            enabled=values.get("enabled") == "on",  # an unticked box sends nothing
        )
        alerts.save_rule(
            db,
            account.actor,
            rule,
            form_id(values.get("rule_id"), "rule_id", "Rule"),
            allow_private=settings.allow_private_addresses,
        )
    except EarfulError as exc:
        if exc.status >= 500:
            raise
        field = exc.field if isinstance(exc, Invalid) else None
        return _page(request, db, account, values=values, error=exc.message, field=field)
    request.session["flash"] = f"Alert rule {rule.name.strip()!r} saved."
    request.session["warnings"] = alerts.warnings(rule, settings)
    return RedirectResponse("/alerts", status_code=303)


@router.post("/alerts/{rule_id}/test")
def test_rule(
    request: Request,
    rule_id: PathId,
    account: Account = Depends(manager),
    _form: dict[str, Any] = Depends(csrf_form),
    db: Database = Depends(get_db),
    settings: Settings = Depends(get_settings),
) -> Response:
    """Send a test message on the rule's channels now, and say what became of each (audited)."""
    outcome = alerts.send_test(db, settings, account.actor, rule_id)
    sent = [channel for channel, state in outcome.items() if state == "sent"]
    failed = [f"not sent by {channel}: {state}" for channel, state in outcome.items() if state != "sent"]
    if sent:
        request.session["flash"] = f"Test sent by {' and '.join(sent)}."
    if failed:
        request.session["warnings"] = [f"Test {'; '.join(failed)}"]
    return RedirectResponse("/alerts", status_code=303)


@router.post("/alerts/{rule_id}/delete")
def delete_rule(
    request: Request,
    rule_id: PathId,
    account: Account = Depends(manager),
    _form: dict[str, Any] = Depends(csrf_form),
    db: Database = Depends(get_db),
) -> Response:
    """Delete an alert rule and its alerts."""
    alerts.delete_rule(db, account.actor, rule_id)
    request.session["flash"] = "Alert rule deleted."
    return RedirectResponse("/alerts", status_code=303)
