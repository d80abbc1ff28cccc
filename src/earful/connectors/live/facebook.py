"""Facebook Graph API: the feed of a Page the operator manages, and the comments on its posts.

Only a Page you manage can be read (with its Page access token, EARFUL_FACEBOOK_PAGE_TOKEN): this
is not a way into groups or other people's pages. Resumes with `since` (the newest post's time); a
poll follows `paging.next` and takes the new `since` only when the last page is read, so a poll
cut short resumes its paging.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from earful.connectors.live import Page, Target, load_json, parse_body
from earful.connectors.live.http import Http, Malformed
from earful.settings import Settings

API = "https://graph.facebook.com/v19.0"
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

    def poll(self, http: Http, target: Target, cursor: dict[str, Any]) -> Page:
        """Fetch the next page of the feed, and the comments of its posts when asked."""
        api = str(target.config.get("api") or API).rstrip("/")
        token = {"access_token": target.settings.facebook_page_token or ""}
        paging = cursor.get("paging") or {}
        if paging.get("next"):
            response = http.get(str(paging["next"]))
        else:
            params: dict[str, str | int] = {
                "fields": POST_FIELDS,
                "limit": int(target.config.get("page_size") or 25),
            }
            if cursor.get("since"):
                params["since"] = int(cursor["since"])
            response = http.get(f"{api}/{target.config['page_id']}/feed", params={**params, **token})
        body = load_json(response.text, "Facebook's answer")
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise Malformed("Facebook's answer held no data list", response.text)
        entries = parse_body("facebook-graph", response.text)
        if target.config.get("include_comments"):
            for post in body["data"]:
                if isinstance(post, dict) and post.get("id"):
                    comments = http.get(
                        f"{api}/{post['id']}/comments",
                        params={"fields": COMMENT_FIELDS, "filter": "stream", **token},
                    )
                    entries += parse_body("facebook-graph", comments.text)
        newest = max((_epoch(p.get("created_time")) for p in body["data"] if isinstance(p, dict)), default=0)
        newest = max(newest, int(paging.get("newest") or 0))
        next_cursor = {key: value for key, value in cursor.items() if key != "paging"}
        following = (body.get("paging") or {}).get("next")
        if following and body["data"]:
            next_cursor["paging"] = {"next": following, "newest": newest}
            return Page(entries, next_cursor, more=True)
        if newest:
            next_cursor["since"] = newest + 1  # `since` is inclusive; the newest is stored already
        return Page(entries, next_cursor)


def _epoch(value: Any) -> int:
    try:
        return int(datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%S%z").timestamp())
    except ValueError:
        return 0


CONNECTOR = FacebookConnector()
