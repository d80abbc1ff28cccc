"""Bluesky: a Jetstream subscription to new posts that mention keywords, or a search (AppView).

Jetstream replays from a `cursor` (Unix microseconds), so each poll reconnects from the last event
seen and listens until the stream goes quiet for `idle_seconds` or `max_events` have come: a
restart loses nothing. Only `app.bsky.feed.post` is asked for; a post is kept when its text
contains one of the `keywords` (whole words, any case), and stored in the `bluesky-jetstream` format.

With `search` set instead, the public AppView's `app.bsky.feed.searchPosts` is asked for the
newest matches since the last poll (`since`), paging with its `cursor`; each post is stored in the
same shape as a Jetstream event, so a post found both ways is one post.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from websockets.exceptions import WebSocketException
from websockets.sync.client import connect

from earful.connectors.files.bluesky import event_id
from earful.connectors.live import Page, Target, load_json
from earful.connectors.live.http import Http, Malformed, Unavailable
from earful.contracts import RawItem, Rejected
from earful.settings import Settings

JETSTREAM = "wss://jetstream2.us-east.bsky.network/subscribe"
APPVIEW = "https://public.api.bsky.app"
SEARCH_MARGIN = timedelta(minutes=10)
POST = "app.bsky.feed.post"


class BlueskyConnector:
    """Listen to Jetstream for posts that mention the keywords."""

    kind = "bluesky"
    summary = "Bluesky posts from Jetstream that mention keywords, or an AppView search (keywords or search)"

    def check(self, config: Mapping[str, Any], settings: Settings) -> None:
        """Require keywords (Jetstream) or a search query (AppView)."""
        if not _keywords(config) and not str(config.get("search", "")).strip():
            raise ValueError(
                "Set 'keywords' (words a post must mention, comma-separated) or 'search' (an AppView query)."
            )

    def poll(self, http: Http, target: Target, cursor: dict[str, Any]) -> Page:
        """Read the events after the cursor until the stream goes quiet, or the next search page."""
        config = target.config
        if str(config.get("search", "")).strip():
            return _search(http, target, cursor)
        url = str(config.get("url") or JETSTREAM)
        params: dict[str, str | int] = {"wantedCollections": POST}
        if cursor.get("time_us"):
            params["cursor"] = int(cursor["time_us"])
        idle = float(config.get("idle_seconds", 3))
        limit = int(config.get("max_events", 5000))
        keywords = _keywords(config)
        entries: list[RawItem | Rejected] = []
        last = int(cursor.get("time_us") or 0)
        seen = 0
        try:
            with connect(f"{url}?{urlencode(params)}", open_timeout=10, close_timeout=2) as socket:
                while seen < limit:
                    try:
                        message = socket.recv(timeout=idle)
                    except TimeoutError:
                        break
                    seen += 1
                    try:
                        event = json.loads(message)
                        if not isinstance(event, dict):
                            raise TypeError("not an object")
                    except (json.JSONDecodeError, TypeError):
                        entries.append(
                            Rejected("a Jetstream message that is not JSON", str(message)[:65536], "event")
                        )
                        continue
                    last = max(last, int(event.get("time_us") or 0))
                    if _wanted(event, keywords):
                        raw = message if isinstance(message, str) else message.decode("utf-8", "replace")
                        entries.append(RawItem("bluesky-jetstream", event_id(event) or "", event, raw))
        except (OSError, WebSocketException) as exc:
            if not seen:
                raise Unavailable(f"could not listen to Jetstream: {type(exc).__name__}") from None
        next_cursor = {**cursor, "time_us": last + 1} if last else dict(cursor)
        return Page(
            entries, next_cursor, more=seen >= limit, note=f"{seen} events at {time.strftime('%H:%M:%S')}"
        )


def _search(http: Http, target: Target, cursor: dict[str, Any]) -> Page:
    base = str(target.config.get("appview") or APPVIEW).rstrip("/")
    paging = cursor.get("paging") or {}
    size = min(100, int(target.config.get("page_size") or 100))
    params: dict[str, str | int] = {"q": str(target.config["search"]), "sort": "latest", "limit": size}
    since = paging.get("since", cursor.get("since"))
    if since:
        params["since"] = str(since)
    if paging.get("cursor"):
        params["cursor"] = str(paging["cursor"])
    response = http.get(f"{base}/xrpc/app.bsky.feed.searchPosts", params=params)
    body = load_json(response.text, "Bluesky's search answer")
    posts = body.get("posts") if isinstance(body, dict) else None
    if not isinstance(posts, list):
        raise Malformed("Bluesky's search answer held no posts", response.text)
    entries: list[RawItem | Rejected] = []
    newest = str(paging.get("newest") or "")
    for view in posts:
        event = _as_event(view)
        if event is None:
            entries.append(Rejected("a search result that is not a post", json.dumps(view)[:65536], "post"))
            continue
        entries.append(RawItem("bluesky-jetstream", event_id(event) or "", event, json.dumps(event)))
        newest = max(newest, str(view.get("indexedAt") or ""))
    next_cursor = {key: value for key, value in cursor.items() if key != "paging"}
    if body.get("cursor") and posts:
        next_cursor["paging"] = {"since": since, "cursor": body["cursor"], "newest": newest}
        return Page(entries, next_cursor, more=True)
    if newest:
        # `since` is matched against when a post was made or indexed, whichever is earlier: step
        # back a margin so a post indexed late is not passed over (one read twice is refused by id).
        try:
            stamp = datetime.fromisoformat(newest.replace("Z", "+00:00")) - SEARCH_MARGIN
            next_cursor["since"] = stamp.isoformat().replace("+00:00", "Z")
        except ValueError:
            next_cursor["since"] = newest
    return Page(entries, next_cursor)


def _as_event(view: Any) -> dict[str, Any] | None:
    """Return a search result (a PostView) in the shape of the Jetstream event that created it."""
    if not isinstance(view, dict) or not isinstance(view.get("record"), dict):
        return None
    uri = str(view.get("uri") or "")
    parts = uri.removeprefix("at://").split("/")
    if len(parts) != 3 or parts[1] != POST:
        return None
    return {
        "did": parts[0],
        "time_us": 0,
        "kind": "commit",
        "commit": {
            "operation": "create",
            "collection": POST,
            "rkey": parts[2],
            "record": view["record"],
            "cid": view.get("cid"),
        },
    }


def _keywords(config: Mapping[str, Any]) -> re.Pattern[str] | None:
    raw = config.get("keywords") or []
    values = [
        str(v).strip() for v in (raw.split(",") if isinstance(raw, str) else list(raw)) if str(v).strip()
    ]
    if not values:
        return None
    # Whole words, any case: "band" must not fire on "husband" or "abandon".
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(v) for v in values) + r")(?!\w)", re.IGNORECASE)


def _wanted(event: Any, keywords: re.Pattern[str] | None) -> bool:
    commit = event.get("commit") if isinstance(event, dict) else None
    if (
        not isinstance(commit, dict)
        or commit.get("collection") != POST
        or commit.get("operation") != "create"
    ):
        return False
    text = str((commit.get("record") or {}).get("text") or "")
    return keywords is not None and keywords.search(text) is not None


CONNECTOR = BlueskyConnector()
