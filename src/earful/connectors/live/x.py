"""X API v2 recent search: posts matching a query, with their authors and times.

Resumes with `since_id`. One poll pages back from the newest match with `next_token`; the new
`since_id` is taken only when the last page is read, and a poll cut short resumes its paging, so a
restart loses nothing. Reads count against the plan's monthly cap (see `forecast`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from earful.connectors.live import Page, Target, load_json, parse_body
from earful.connectors.live.http import Http, Malformed
from earful.kit.clock import utcnow
from earful.settings import Settings

API = "https://api.twitter.com"
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

    def poll(self, http: Http, target: Target, cursor: dict[str, Any]) -> Page:
        """Fetch the next page of matches newer than the last poll's newest."""
        api = str(target.config.get("api") or API).rstrip("/")
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
        if meta.get("next_token"):
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


def forecast(matches_per_day: float, polls_per_day: float, price_per_read: float) -> dict[str, float]:
    """Return the monthly reads and cost of a query: every match is read once, and each poll that
    finds nothing still costs a request (not a read)."""
    reads = matches_per_day * 30
    return {
        "reads_per_month": reads,
        "requests_per_month": polls_per_day * 30,
        "cost_per_month": reads * price_per_read,
    }


CONNECTOR = XConnector()
