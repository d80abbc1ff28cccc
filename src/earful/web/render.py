"""Render Jinja2 templates with autoescaping, so post text is always text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """Return the template `name` rendered with `context` and the product settings."""
    settings = request.app.state.settings
    base = {
        "product_name": settings.product_name,
        "notice": settings.confidentiality_notice,
        "sso": bool(settings.oidc_issuer and settings.oidc_client_id),
    }
    return TEMPLATES.TemplateResponse(request, name, {**base, **context}, status_code=status_code)
