"""X API v2 recent search: posts matching a query, with their authors and times.

A first poll reads only the newest page (X charges per post read; reading back a week of matches
is a choice, not a default); later polls read everything since.

Resumes with `since_id`. One poll pages back from the newest match with `next_token`; the new
`since_id` is taken only when the last page is read, and a poll cut short resumes its paging, so a
restart loses nothing. Reads count against the plan's monthly cap (see `forecast`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from earful.connectors.live import (
    Page,
    Target,
    guard_credentials,
    load_json,
    parse_body,
    require_credential_host,
)
from earful.connectors.live.http import Http, Malformed
from earful.kit.clock import utcnow
from earful.settings import Settings

API = "https://api.twitter.com"
OWN_HOSTS = ("api.twitter.com", "api.x.com")
PAGE = 100
FIELDS = {
    "tweet.fields": "created_at,author_id,lang,public_metrics,conversation_id,referenced_tweets",
    "expansions": "author_id",
    "user.fields": "username",
}


class XConnector:
    """Poll X's recent search."""

    kind = "x"
    summary = "X API v2 recent search for a query (settings: query)"

    def check(self, config: Mapping[str, Any], settings: Settings) -> None:
        """Require a query and a bearer token."""
        if not str(config.get("query", "")).strip():
            raise ValueError("Set 'query', in X's search syntax, e.g. (kestrel OR kestrelflex) -is:retweet.")
        if len(str(config["query"])) > 512:
            raise ValueError("X accepts queries of at most 512 characters.")
        if not settings.x_bearer_token:
            raise ValueError("Set EARFUL_X_BEARER_TOKEN (an X API app's bearer token).")
        require_credential_host(str(config.get("api") or API), OWN_HOSTS, settings)

    def poll(self, http: Http, target: Target, cursor: dict[str, Any]) -> Page:
        """Fetch the next page of matches newer than the last poll's newest."""
        api = str(target.config.get("api") or API).rstrip("/")
        guard_credentials(api, OWN_HOSTS, target.settings)
        size = min(100, max(10, int(target.config.get("page_size") or PAGE)))  # X allows 10 to 100
        params: dict[str, str | int] = {"query": str(target.config["query"]), "max_results": size, **FIELDS}
        paging = cursor.get("paging") or {}
        since = paging.get("since_id", cursor.get("since_id"))
        if since:
            params["since_id"] = str(since)
        if paging.get("next_token"):
            params["next_token"] = str(paging["next_token"])
        headers = {"Authorization": f"Bearer {target.settings.x_bearer_token}"}
        response = http.get(f"{api}/2/tweets/search/recent", params=params, headers=headers)
        body = load_json(response.text, "X's answer")
        if not isinstance(body, dict) or not isinstance(body.get("meta"), dict):
            raise Malformed("X's answer had no meta", response.text)
        meta = body["meta"]
        newest = paging.get("newest_id") or meta.get("newest_id")
        next_cursor = {key: value for key, value in cursor.items() if key != "paging"}
        reads = int(meta.get("result_count") or 0)
        next_cursor["reads"] = _month_reads(cursor, reads)
        if meta.get("next_token") and since:
            next_cursor["paging"] = {"since_id": since, "newest_id": newest, "next_token": meta["next_token"]}
            more = True
        else:
            if newest:
                next_cursor["since_id"] = str(newest)
            more = False
        entries = parse_body("x-v2", response.text) if body.get("data") else []
        return Page(entries, next_cursor, more)


def _month_reads(cursor: dict[str, Any], reads: int) -> dict[str, Any]:
    month = utcnow().strftime("%Y-%m")
    counted = cursor.get("reads") or {}
    before = int(counted.get("count", 0)) if counted.get("month") == month else 0
    return {"month": month, "count": before + reads}


@dataclass(frozen=True, slots=True)
class Forecast:
    """What a query would cost a month, from X's count of its matches over the last days."""

    matches_last_period: int
    days: float
    reads_per_month: int
    cost_per_month: float | None  # None when no price per read is configured


def forecast(http: Http, target: Target) -> Forecast:
    """Ask X how many posts matched the query recently (the counts endpoint reads no posts) and
    project a month of reads: every match is read once."""
    api = str(target.config.get("api") or API).rstrip("/")
    guard_credentials(api, OWN_HOSTS, target.settings)
    headers = {"Authorization": f"Bearer {target.settings.x_bearer_token}"}
    params = {"query": str(target.config["query"]), "granularity": "hour"}
    response = http.get(f"{api}/2/tweets/counts/recent", params=params, headers=headers)
    body = load_json(response.text, "X's count answer")
    if not isinstance(body, dict):
        raise Malformed("X's count answer was not an object", response.text)
    buckets = body.get("data") or []
    total = int((body.get("meta") or {}).get("total_tweet_count") or 0)
    days = max(len(buckets) / 24, 1 / 24)
    reads = round(total / days * 30)
    price = target.settings.x_price_per_read
    return Forecast(total, round(days, 1), reads, round(reads * price, 2) if price is not None else None)


CONNECTOR = XConnector()
