"""RSS and Atom feeds: conditional GET (ETag, Last-Modified), each entry once.

A feed holds its latest entries only, so a poll reads it whole; entries already stored are skipped
by their id. A 304 answer means nothing changed and costs the publisher nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from earful.connectors.live import Page, Target, parse_body
from earful.connectors.live.http import Http, Malformed
from earful.settings import Settings


class RssConnector:
    """Poll one feed."""

    kind = "rss"
    summary = "RSS or Atom feed (settings: url)"

    def check(self, config: Mapping[str, Any], settings: Settings) -> None:
        """Require the feed's address."""
        if not str(config.get("url", "")).startswith(("https://", "http://")):
            raise ValueError("Set 'url' to the feed's address.")

    def poll(self, http: Http, target: Target, cursor: dict[str, Any]) -> Page:
        """Fetch the feed unless it is unchanged since the last poll."""
        headers = {}
        if cursor.get("etag"):
            headers["If-None-Match"] = str(cursor["etag"])
        if cursor.get("last_modified"):
            headers["If-Modified-Since"] = str(cursor["last_modified"])
        response = http.get(str(target.config["url"]), headers=headers)
        if response.status_code == 304:
            return Page([], cursor, note="not modified")
        text = response.text
        if "<rss" not in text[:2000] and "<feed" not in text[:2000] and "<rdf" not in text[:2000].lower():
            raise Malformed("the answer was not an RSS or Atom feed", text)
        next_cursor = dict(cursor)
        for header, key in (("etag", "etag"), ("last-modified", "last_modified")):
            if response.headers.get(header):
                next_cursor[key] = response.headers[header]
        return Page(parse_body("rss", text), next_cursor)


CONNECTOR = RssConnector()
