"""Reddit: new submissions (and, if asked, comments) of a public subreddit, or a search in it.

Uses the official OAuth API with an application-only token (EARFUL_REDDIT_CLIENT_ID and _SECRET).
Resumes with `before` (the newest item seen), which Reddit answers with the items right after it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from earful.connectors.live import (
    Page,
    Target,
    guard_credentials,
    load_json,
    parse_body,
    require_credential_host,
)
from earful.connectors.live.http import AuthFailed, Http, Malformed
from earful.contracts import RawItem, Rejected
from earful.settings import Settings

PAGE = 100
API = "https://oauth.reddit.com"
OWN_HOSTS = ("oauth.reddit.com", "www.reddit.com")
TOKEN_URL = "https://www.reddit.com/api/v1/access_token"  # noqa: S105 - an address, not a secret


class RedditConnector:
    """Poll one subreddit."""

    kind = "reddit"

    def __init__(self) -> None:
        self._tokens: dict[tuple[str, str], tuple[str, float]] = {}

    summary = (
        "Reddit subreddit's new posts or comments, or a search in it (settings: subreddit, listing, query)"
    )

    def check(self, config: Mapping[str, Any], settings: Settings) -> None:
        """Require a subreddit and the deployment's Reddit app credentials."""
        if not str(config.get("subreddit", "")).strip():
            raise ValueError("Set 'subreddit' (without r/).")
        if config.get("listing", "new") not in ("new", "comments"):
            raise ValueError("'listing' is new (submissions) or comments.")
        if config.get("backfill_to"):
            try:
                datetime.fromisoformat(str(config["backfill_to"]))
            except ValueError:
                raise ValueError("'backfill_to' is a date like 2026-10-01.") from None
        if not (settings.reddit_client_id and settings.reddit_client_secret):
            raise ValueError(
                "Set EARFUL_REDDIT_CLIENT_ID and EARFUL_REDDIT_CLIENT_SECRET (a Reddit 'script' app)."
            )
        require_credential_host(str(config.get("token_url") or TOKEN_URL), OWN_HOSTS, settings)
        require_credential_host(str(config.get("api") or API), OWN_HOSTS, settings)

    def _token(self, http: Http, target: Target) -> str:
        settings = target.settings
        token_url = str(target.config.get("token_url") or TOKEN_URL)
        guard_credentials(token_url, OWN_HOSTS, settings)
        cached = self._tokens.get((token_url, settings.reddit_client_id or ""))
        if cached and cached[1] > time.time() + 60:
            return cached[0]
        response = http.request(
            "POST",
            token_url,
            data={"grant_type": "client_credentials"},
            auth=(settings.reddit_client_id or "", settings.reddit_client_secret or ""),
        )
        token = load_json(response.text, "Reddit's token answer")
        if not isinstance(token, dict) or not token.get("access_token"):
            raise AuthFailed("Reddit gave no access token: check EARFUL_REDDIT_CLIENT_ID and _SECRET")
        # One token serves every page until it expires (an hour), not one token per page.
        expires = time.time() + float(token.get("expires_in") or 3600)
        self._tokens[(token_url, settings.reddit_client_id or "")] = (str(token["access_token"]), expires)
        return str(token["access_token"])

    def poll(self, http: Http, target: Target, cursor: dict[str, Any]) -> Page:
        """Fetch the items after the newest one seen."""
        config = target.config
        api = str(config.get("api") or API).rstrip("/")
        guard_credentials(api, OWN_HOSTS, target.settings)
        sub = str(config["subreddit"]).removeprefix("r/")
        size = min(PAGE, int(config.get("page_size") or PAGE))  # Reddit serves at most 100
        params: dict[str, str | int] = {"limit": size, "raw_json": 1}
        if config.get("query"):
            url = f"{api}/r/{sub}/search"
            params.update(q=str(config["query"]), restrict_sr="on", sort="new")
        else:
            url = f"{api}/r/{sub}/{'comments' if config.get('listing') == 'comments' else 'new'}"
        backfill = _backfill_to(config)
        walking_back = backfill is not None and not cursor.get("backfilled")
        if walking_back and cursor.get("after"):
            params["after"] = str(cursor["after"])
        elif not walking_back and cursor.get("before"):
            params["before"] = str(cursor["before"])
        token = self._token(http, target)
        response = http.get(url, params=params, headers={"Authorization": f"bearer {token}"})
        body = load_json(response.text, "Reddit's answer")
        children = body.get("data", {}).get("children") if isinstance(body, dict) else None
        if not isinstance(children, list):
            raise Malformed("Reddit's answer held no listing", response.text)
        names = [c["data"]["name"] for c in children if isinstance(c, dict) and c.get("data", {}).get("name")]
        next_cursor = dict(cursor)
        entries = parse_body("reddit-listing", response.text)
        if walking_back:
            # Backfill: walk back page by page (`after`) to the date, then poll forward from the
            # newest item seen when the walk began.
            if names and not cursor.get("before"):
                next_cursor["before"] = names[0]
            times = [float(c["data"].get("created_utc") or 0) for c in children if isinstance(c, dict)]
            following = (body.get("data") or {}).get("after") or (
                names[-1] if len(children) >= size else None
            )
            if not times or min(times) < (backfill or 0) or not following:
                next_cursor["backfilled"] = True
                next_cursor.pop("after", None)
            else:
                next_cursor["after"] = following
            entries = [e for e in entries if _created(e) >= (backfill or 0)]
            return Page(entries, next_cursor, more=not next_cursor.get("backfilled"))
        if names:
            next_cursor["before"] = names[0]  # a listing is newest first
        more = bool(cursor.get("before")) and len(children) >= size
        return Page(entries, next_cursor, more)


def _backfill_to(config: Mapping[str, Any]) -> float | None:
    value = config.get("backfill_to")
    if not value:
        return None
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        raise Malformed(f"backfill_to {value!r} is not a date like 2026-10-01", str(value)) from None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def _created(entry: RawItem | Rejected) -> float:
    if not isinstance(entry, RawItem) or not isinstance(entry.payload, dict):
        return float("inf")  # unreadable entries go on to quarantine
    data = entry.payload.get("data", entry.payload)
    try:
        return float(data.get("created_utc") or 0)
    except (TypeError, ValueError):
        return float("inf")


CONNECTOR = RedditConnector()
