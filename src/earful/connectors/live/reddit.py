"""Reddit: new submissions (and, if asked, comments) of a public subreddit, or a search in it.

Uses the official OAuth API with an application-only token (EARFUL_REDDIT_CLIENT_ID and _SECRET).
Resumes with `before` (the newest item seen), which Reddit answers with the items right after it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from earful.connectors.live import Page, Target, load_json, parse_body
from earful.connectors.live.http import AuthFailed, Http, Malformed
from earful.settings import Settings

PAGE = 100
API = "https://oauth.reddit.com"
TOKEN_URL = "https://www.reddit.com/api/v1/access_token"  # noqa: S105 - an address, not a secret


class RedditConnector:
    """Poll one subreddit."""

    kind = "reddit"
    summary = (
        "Reddit subreddit's new posts or comments, or a search in it (settings: subreddit, listing, query)"
    )

    def check(self, config: Mapping[str, Any], settings: Settings) -> None:
        """Require a subreddit and the deployment's Reddit app credentials."""
        if not str(config.get("subreddit", "")).strip():
            raise ValueError("Set 'subreddit' (without r/).")
        if config.get("listing", "new") not in ("new", "comments"):
            raise ValueError("'listing' is new (submissions) or comments.")
        if not (settings.reddit_client_id and settings.reddit_client_secret):
            raise ValueError(
                "Set EARFUL_REDDIT_CLIENT_ID and EARFUL_REDDIT_CLIENT_SECRET (a Reddit 'script' app)."
            )

    def _token(self, http: Http, target: Target) -> str:
        settings = target.settings
        response = http.request(
            "POST",
            str(target.config.get("token_url") or TOKEN_URL),
            data={"grant_type": "client_credentials"},
            auth=(settings.reddit_client_id or "", settings.reddit_client_secret or ""),
        )
        token = load_json(response.text, "Reddit's token answer")
        if not isinstance(token, dict) or not token.get("access_token"):
            raise AuthFailed("Reddit gave no access token: check EARFUL_REDDIT_CLIENT_ID and _SECRET")
        return str(token["access_token"])

    def poll(self, http: Http, target: Target, cursor: dict[str, Any]) -> Page:
        """Fetch the items after the newest one seen."""
        config = target.config
        api = str(config.get("api") or API).rstrip("/")
        sub = str(config["subreddit"]).removeprefix("r/")
        size = int(config.get("page_size") or PAGE)
        params: dict[str, str | int] = {"limit": size, "raw_json": 1}
        if config.get("query"):
            url = f"{api}/r/{sub}/search"
            params.update(q=str(config["query"]), restrict_sr="on", sort="new")
        else:
            url = f"{api}/r/{sub}/{'comments' if config.get('listing') == 'comments' else 'new'}"
        if cursor.get("before"):
            params["before"] = str(cursor["before"])
        token = self._token(http, target)
        response = http.get(url, params=params, headers={"Authorization": f"bearer {token}"})
        body = load_json(response.text, "Reddit's answer")
        children = body.get("data", {}).get("children") if isinstance(body, dict) else None
        if not isinstance(children, list):
            raise Malformed("Reddit's answer held no listing", response.text)
        names = [c["data"]["name"] for c in children if isinstance(c, dict) and c.get("data", {}).get("name")]
        next_cursor = dict(cursor)
        if names:
            next_cursor["before"] = names[0]  # a listing is newest first
        more = bool(cursor.get("before")) and len(children) >= size
        return Page(parse_body("reddit-listing", response.text), next_cursor, more)


CONNECTOR = RedditConnector()
