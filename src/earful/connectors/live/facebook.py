"""Facebook Graph API: the feed of a Page the operator manages, and the comments on its posts.

Only a Page you manage can be read (with its Page access token, EARFUL_FACEBOOK_PAGE_TOKEN): this
is not a way into groups or other people's pages. Resumes with `since` (the newest post's time); a
poll follows `paging.next` and takes the new `since` only when the last page is read, so a poll
cut short resumes its paging.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from earful.connectors.live import (
    Page,
    Target,
    guard_credentials,
    load_json,
    parse_body,
    require_credential_host,
)
from earful.connectors.live.http import AuthFailed, BadRequest, Http, Malformed, RateLimited
from earful.settings import Settings

API = "https://graph.facebook.com/v19.0"
OWN_HOSTS = ("graph.facebook.com",)
POST_FIELDS = "id,message,created_time,permalink_url,from,shares"
COMMENT_FIELDS = "id,message,created_time,permalink_url,from,like_count,comment_count"


class FacebookConnector:
    """Poll one managed Page."""

    kind = "facebook"
    summary = "Facebook Page you manage: its feed and comments (settings: page_id, include_comments)"

    def check(self, config: Mapping[str, Any], settings: Settings) -> None:
        """Require the Page id and a Page access token."""
        if not str(config.get("page_id", "")).strip():
            raise ValueError("Set 'page_id' to the id of a Page you manage.")
        if not settings.facebook_page_token:
            raise ValueError("Set EARFUL_FACEBOOK_PAGE_TOKEN (a Page access token for that Page).")
        require_credential_host(str(config.get("api") or API), OWN_HOSTS, settings)

    def poll(self, http: Http, target: Target, cursor: dict[str, Any]) -> Page:
        """Fetch the next page of the feed, and the comments of its posts when asked."""
        api = str(target.config.get("api") or API).rstrip("/")
        guard_credentials(api, OWN_HOSTS, target.settings)
        # The token travels in a header: a query string ends up in logs and paging links.
        auth = {"Authorization": f"Bearer {target.settings.facebook_page_token or ''}"}
        paging = cursor.get("paging") or {}
        params: dict[str, str | int] = {
            "fields": POST_FIELDS,
            "limit": int(target.config.get("page_size") or 25),
        }
        since = paging.get("since", cursor.get("since"))
        if since:
            params["since"] = int(since)
        if paging.get("after"):
            params["after"] = str(paging["after"])
        response = _get(http, f"{api}/{target.config['page_id']}/feed", params, auth)
        body = load_json(response.text, "Facebook's answer")
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise Malformed("Facebook's answer held no data list", response.text)
        entries = parse_body("facebook-graph", response.text)
        if target.config.get("include_comments"):
            for post in body["data"]:
                if isinstance(post, dict) and post.get("id"):
                    params = {"fields": COMMENT_FIELDS, "filter": "stream", "limit": 100}
                    comments = _get(http, f"{api}/{post['id']}/comments", params, auth)
                    entries += parse_body("facebook-graph", comments.text)
        newest = max((_epoch(p.get("created_time")) for p in body["data"] if isinstance(p, dict)), default=0)
        newest = max(newest, int(paging.get("newest") or 0))
        next_cursor = {key: value for key, value in cursor.items() if key != "paging"}
        after = ((body.get("paging") or {}).get("cursors") or {}).get("after") or _after(body)
        if after and body["data"] and (body.get("paging") or {}).get("next"):
            # Only the paging position is kept, never the link (Graph puts the token in it).
            next_cursor["paging"] = {"after": after, "since": since, "newest": newest}
            return Page(entries, next_cursor, more=True)
        if newest:
            next_cursor["since"] = newest  # inclusive: a post of the same second is read again, not lost
        return Page(entries, next_cursor)


def _get(http: Http, url: str, params: dict[str, str | int], auth: dict[str, str]) -> Any:
    """GET from the Graph API, reading its errors: an expired token (190) stops the source, and
    throttling (4, 17, 32, 613) waits, whatever HTTP status they come with."""
    try:
        return http.get(url, params=params, headers=auth)
    except BadRequest as exc:
        try:
            code = int((json.loads(exc.body).get("error") or {}).get("code") or 0)
        except (ValueError, AttributeError):
            code = 0
        if code in (102, 190):
            raise AuthFailed(
                "Facebook refused the Page token (expired or revoked): set a new one, then enable the source"
            ) from None
        if code in (4, 17, 32, 613):
            raise RateLimited(600, "Facebook is throttling this app; waiting ten minutes") from None
        raise


def _after(body: dict[str, Any]) -> str | None:
    following = (body.get("paging") or {}).get("next")
    if not following:
        return None
    values = parse_qs(urlsplit(str(following)).query).get("after")
    return values[0] if values else None


def _epoch(value: Any) -> int:
    try:
        return int(datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%S%z").timestamp())
    except ValueError:
        return 0


CONNECTOR = FacebookConnector()
