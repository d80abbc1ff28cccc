"""Form handling shared by pages: CSRF on every POST, and the feed's filter parameters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Request

from earful.kit.clock import as_utc
from earful.kit.errors import EarfulError
from earful.kit.search import parse
from earful.kit.text import storable
from earful.store.repos.feed import FeedFilter
from earful.triage.feed import SENTIMENTS, SORTS, STATUSES
from earful.web.deps import check_csrf

FILTER_FIELDS = (
    "source",
    "region",
    "language",
    "category",
    "sentiment",
    "min_urgency",
    "status",
    "since",
    "until",
    "q",
    "sort",
)


async def csrf_form(request: Request) -> dict[str, Any]:
    """Return the posted form after checking its CSRF token (a dependency for every POST page)."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    return {key: form.getlist(key) if len(form.getlist(key)) > 1 else form.get(key) for key in form}


def _date(value: str, name: str) -> datetime | None:
    if not value:
        return None
    try:
        found = as_utc(datetime.fromisoformat(value))
    except ValueError:
        raise EarfulError(f"{name} must be a date like 2026-11-01.") from None
    if found is None or not 2000 <= found.year <= 2100:
        raise EarfulError(f"{name} must be a date between the years 2000 and 2100.")
    return found


def filter_from(params: dict[str, str]) -> tuple[FeedFilter, str, dict[str, str]]:
    """Return the feed filter and sort a query string asks for, and the cleaned parameters."""
    # NUL and lone surrogates can match nothing stored, and PostgreSQL refuses them in a query.
    clean = {key: storable(params.get(key) or "").strip() for key in FILTER_FIELDS}
    clean = {key: value for key, value in clean.items() if value}
    sort = clean.get("sort", "newest")
    if sort not in SORTS:
        raise EarfulError(f"Sort by one of: {', '.join(SORTS)}.")
    if clean.get("status") and clean["status"] not in STATUSES:
        raise EarfulError(f"Status must be one of: {', '.join(STATUSES)}.")
    if clean.get("sentiment") and clean["sentiment"] not in SENTIMENTS:
        raise EarfulError(f"Sentiment must be one of: {', '.join(SENTIMENTS)}.")
    urgency = None
    if clean.get("min_urgency"):
        try:
            urgency = float(clean["min_urgency"])
        except ValueError:
            raise EarfulError("Minimum urgency must be a number from 0 to 1.") from None
    where = FeedFilter(
        source=clean.get("source"),
        region=clean.get("region"),
        language=clean.get("language"),
        category=clean.get("category"),
        sentiment=clean.get("sentiment"),
        min_urgency=urgency,
        status=clean.get("status"),
        since=_date(clean.get("since", ""), "From"),
        until=_date(clean.get("until", ""), "To"),
        search=parse(clean.get("q", "")),
    )
    return where, sort, clean
