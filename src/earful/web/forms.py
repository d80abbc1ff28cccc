"""Form handling shared by pages: CSRF on every POST, and the feed's filter parameters."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Literal

from fastapi import Query, Request

from earful.kit.clock import as_utc
from earful.kit.errors import EarfulError
from earful.kit.search import parse
from earful.kit.text import storable
from earful.store.repos.feed import FeedFilter
from earful.triage.feed import SENTIMENTS, SORTS, STATUSES
from earful.web.deps import check_csrf
from earful.web.params import NO_NUL

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


# What the API's OpenAPI document says of the feed's filters. filter_from checks them for pages and
# API alike, so a date the pattern allows but the calendar does not still gets its clear 400.
DAY_SCHEMA = {
    "pattern": r"^$|^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?"
    r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?)?$"
}
DAY_HELP = "A date (YYYY-MM-DD, from 2000 to 2100) or an ISO 8601 time; empty is no limit."


def text_query(limit: int, description: str) -> Any:
    """Return an optional text query parameter of at most `limit` characters, without NUL."""
    return Query(None, max_length=limit, pattern=NO_NUL, description=description)


def feed_query(
    source: str | None = Query(None, max_length=200, pattern=NO_NUL, description="A source's name."),
    region: str | None = Query(None, max_length=200, pattern=NO_NUL),
    language: str | None = Query(
        None, max_length=20, pattern=NO_NUL, description="A language code, e.g. en."
    ),
    category: str | None = Query(
        None, max_length=200, pattern=NO_NUL, description="A category or subcategory key."
    ),
    sentiment: Literal["positive", "neutral", "complaint"] | None = None,
    min_urgency: float | None = Query(None, ge=0, le=1),
    status: Literal["new", "investigating", "escalated", "resolved", "dismissed"] | None = None,
    since: str | None = Query(
        None, max_length=40, pattern=NO_NUL, description=DAY_HELP, json_schema_extra=DAY_SCHEMA
    ),
    until: str | None = Query(
        None, max_length=40, pattern=NO_NUL, description=DAY_HELP, json_schema_extra=DAY_SCHEMA
    ),
    q: str | None = Query(
        None, max_length=500, pattern=NO_NUL, description='Search: words, "phrases", OR, NOT, prefix*.'
    ),
    sort: Literal["newest", "urgency"] = "newest",
) -> dict[str, str]:
    """Return the feed's filters of an API request as the query-string dict filter_from reads."""
    given = {
        "source": source,
        "region": region,
        "language": language,
        "category": category,
        "sentiment": sentiment,
        "min_urgency": None if min_urgency is None else repr(min_urgency),
        "status": status,
        "since": since,
        "until": until,
        "q": q,
        "sort": sort,
    }
    return {key: value for key, value in given.items() if value is not None}


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
            urgency = math.nan
        if not 0 <= urgency <= 1:  # NaN fails this too
            raise EarfulError("Minimum urgency must be a number from 0 to 1.")
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
