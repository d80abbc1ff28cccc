"""Render Jinja2 templates with autoescaping, so post text is always text."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context

from earful.kit.clock import as_utc, utcnow

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def when(moment: datetime, zone: str) -> str:
    """Return `moment` as a person reads it, in the deployment's time zone and naming it:
    "7 Nov, 14:05 UTC" ("7 Nov 2025, 14:05 UTC" when it is not this year)."""
    tz = ZoneInfo(zone)
    local = (as_utc(moment) or moment).astimezone(tz)
    year = "" if local.year == utcnow().astimezone(tz).year else f" {local.year}"
    return f"{local.day} {local:%b}{year}, {local:%H:%M} {local:%Z}"


@pass_context
def _when(context: Context, moment: datetime | None) -> str:
    """The `when` filter: a time in the zone the page was rendered for (`time_zone`)."""
    return when(moment, context.get("time_zone") or "UTC") if moment is not None else "—"


TEMPLATES.env.filters["when"] = _when


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """Return the template `name` rendered with `context` and the product settings."""
    settings = request.app.state.settings
    base = {
        "product_name": settings.product_name,
        "notice": settings.confidentiality_notice,
        "sso": bool(settings.oidc_issuer and settings.oidc_client_id),
        "time_zone": settings.time_zone,
    }
    return TEMPLATES.TemplateResponse(request, name, {**base, **context}, status_code=status_code)
