"""Bluesky: a Jetstream subscription to new posts, kept to those that mention the keywords.

Jetstream replays from a `cursor` (Unix microseconds), so each poll reconnects from the last event
seen and listens until the stream goes quiet for `idle_seconds` or `max_events` have come: a
restart loses nothing. Only `app.bsky.feed.post` is asked for; a post is kept when its text
contains one of the `keywords` (case-insensitive), and stored in the `bluesky-jetstream` format.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from websockets.exceptions import WebSocketException
from websockets.sync.client import connect

from earful.connectors.files.bluesky import event_id
from earful.connectors.live import Page, Target
from earful.connectors.live.http import Http, Unavailable
from earful.contracts import RawItem, Rejected
from earful.settings import Settings

JETSTREAM = "wss://jetstream2.us-east.bsky.network/subscribe"
POST = "app.bsky.feed.post"


class BlueskyConnector:
    """Listen to Jetstream for posts that mention the keywords."""

    kind = "bluesky"
    summary = "Bluesky posts from Jetstream that mention keywords (settings: keywords)"

    def check(self, config: Mapping[str, Any], settings: Settings) -> None:
        """Require at least one keyword."""
        if not _keywords(config):
            raise ValueError("Set 'keywords': words or phrases a post must mention, comma-separated.")

    def poll(self, http: Http, target: Target, cursor: dict[str, Any]) -> Page:
        """Read the events after the cursor until the stream goes quiet."""
        config = target.config
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


def _keywords(config: Mapping[str, Any]) -> list[str]:
    raw = config.get("keywords") or []
    values = raw.split(",") if isinstance(raw, str) else list(raw)
    return [str(v).strip().lower() for v in values if str(v).strip()]


def _wanted(event: Any, keywords: list[str]) -> bool:
    commit = event.get("commit") if isinstance(event, dict) else None
    if (
        not isinstance(commit, dict)
        or commit.get("collection") != POST
        or commit.get("operation") != "create"
    ):
        return False
    text = str((commit.get("record") or {}).get("text") or "").lower()
    return any(word in text for word in keywords)


CONNECTOR = BlueskyConnector()
