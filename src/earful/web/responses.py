"""The error answers a JSON route may give, for its OpenAPI document (`responses=errors(401, 403)`)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class Problem(BaseModel):
    """Why a request failed, and what to do instead."""

    detail: str


MEANINGS = {
    400: "The request cannot be carried out as sent; `detail` says what to change.",
    401: "No valid API token or session: send 'Authorization: Bearer <token>'.",
    403: "The account's role may not do this (or a browser session sent no CSRF token).",
    404: "What the address names does not exist.",
    409: "It conflicts with what is stored (someone else got there first, or it exists already).",
    413: "The request body is too large.",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Return the `responses=` entries documenting these error statuses."""
    return {code: {"model": Problem, "description": MEANINGS[code]} for code in codes}
