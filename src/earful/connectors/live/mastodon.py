"""Mastodon: a hashtag timeline, the public timeline, or a status search on one instance.

Resumes with `min_id` (the newest status seen), which the API answers with the statuses right
after it, so a poll after a pause walks forward page by page and misses none. Statuses of accounts
that opted out of indexing are dropped by the `mastodon` format's mapping and never stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from earful.connectors.live import Page, Target, load_json, parse_body
from earful.connectors.live.http import Http, Malformed
from earful.settings import Settings

PAGE = 40


class MastodonConnector:
    """Poll one Mastodon instance."""

    kind = "mastodon"
    summary = "Mastodon hashtag or public timeline, or status search (instance; hashtag, timeline or query)"

    def check(self, config: Mapping[str, Any], settings: Settings) -> None:
        """Require an instance URL and one of hashtag, timeline or query."""
        if not str(config.get("instance", "")).startswith(("https://", "http://")):
            raise ValueError("Set 'instance' to the server's address, e.g. https://mastodon.social.")
        if not any(config.get(key) for key in ("hashtag", "timeline", "query")):
            raise ValueError("Set 'hashtag' (without #), 'timeline' (public or local) or 'query'.")

    def poll(self, http: Http, target: Target, cursor: dict[str, Any]) -> Page:
        """Fetch the statuses after the newest one seen."""
        config = target.config
        base = str(config["instance"]).rstrip("/")
        size = min(PAGE, int(config.get("page_size") or PAGE))  # Mastodon serves at most 40
        params: dict[str, str | int] = {"limit": size}
        if config.get("hashtag"):
            url = f"{base}/api/v1/timelines/tag/{quote(str(config['hashtag']).lstrip('#'))}"
        elif config.get("query"):
            url = f"{base}/api/v2/search"
            params.update(q=str(config["query"]), type="statuses", resolve="false")
        else:
            url = f"{base}/api/v1/timelines/public"
            if config.get("timeline") == "local":
                params["local"] = "true"
        if cursor.get("min_id"):
            params["min_id"] = str(cursor["min_id"])
        headers = {}
        token_host = (target.settings.mastodon_token_host or "").lower()
        if target.settings.mastodon_access_token and urlsplit(base).hostname == token_host:
            headers["Authorization"] = f"Bearer {target.settings.mastodon_access_token}"
        response = http.get(url, params=params, headers=headers)
        body = load_json(response.text, "Mastodon's answer")
        statuses = body.get("statuses", []) if isinstance(body, dict) else body
        if not isinstance(statuses, list):
            raise Malformed("Mastodon's answer held no list of statuses", response.text)
        ids = [int(s["id"]) for s in statuses if isinstance(s, dict) and str(s.get("id", "")).isdigit()]
        newest = max(ids, default=None)
        next_cursor = dict(cursor)
        if newest is not None and newest > int(cursor.get("min_id") or 0):
            next_cursor["min_id"] = str(newest)
        # A first poll takes the newest page only; after that, a full page means more are waiting.
        more = bool(cursor.get("min_id")) and len(statuses) >= size
        return Page(parse_body("mastodon", response.text), next_cursor, more)


CONNECTOR = MastodonConnector()
