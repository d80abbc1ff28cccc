"""RSS and Atom feeds: conditional GET (ETag, Last-Modified), each entry once, with its article.

A feed holds its latest entries only, so a poll reads it whole; entries seen before are passed
over by their id. For each new entry the linked article is fetched (through the same polite
client) and its main text extracted with trafilatura, so a story is classified and clustered on
what it says rather than on a one-line teaser; when the article cannot be fetched or read, the
entry's own summary stands. A 304 answer means nothing changed and costs the publisher nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import trafilatura

from earful.connectors.files import map_item
from earful.connectors.live import Page, Target, parse_body
from earful.connectors.live.http import Http, Malformed, SourceError
from earful.contracts import PostDraft, RawItem, Rejected
from earful.settings import Settings

REMEMBERED = 1000  # entry ids kept in the cursor
MAX_ARTICLES = 20  # articles fetched per poll; the rest keep their summaries


class RssConnector:
    """Poll one feed."""

    kind = "rss"
    summary = "RSS or Atom feed, with each new entry's article (settings: url, fetch_articles)"

    def check(self, config: Mapping[str, Any], settings: Settings) -> None:
        """Require the feed's address."""
        if not str(config.get("url", "")).startswith(("https://", "http://")):
            raise ValueError("Set 'url' to the feed's address.")

    def poll(self, http: Http, target: Target, cursor: dict[str, Any]) -> Page:
        """Fetch the feed unless it is unchanged since the last poll, and the articles of new entries."""
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
        seen = set(cursor.get("seen") or [])
        fresh = [e for e in parse_body("rss", text) if not (isinstance(e, RawItem) and e.external_id in seen)]
        if target.config.get("fetch_articles", True):
            fresh = _with_articles(http, fresh, int(target.config.get("max_articles") or MAX_ARTICLES))
        next_cursor = dict(cursor)
        for header, key in (("etag", "etag"), ("last-modified", "last_modified")):
            if response.headers.get(header):
                next_cursor[key] = response.headers[header]
        ids = [e.external_id for e in parse_body("rss", text) if isinstance(e, RawItem)]
        next_cursor["seen"] = list(dict.fromkeys([*(cursor.get("seen") or []), *ids]))[-REMEMBERED:]
        return Page(fresh, next_cursor)


def _with_articles(http: Http, entries: list[RawItem | Rejected], budget: int) -> list[RawItem | Rejected]:
    """Return the entries, those with a readable linked article as a record carrying its text."""
    found: list[RawItem | Rejected] = []
    for entry in entries:
        if not isinstance(entry, RawItem) or budget <= 0:
            found.append(entry)
            continue
        try:
            draft = map_item(entry)
        except ValueError:
            found.append(entry)
            continue
        if (
            not isinstance(draft, PostDraft)
            or not draft.url
            or not draft.url.startswith(("https://", "http://"))
        ):
            found.append(entry)
            continue
        budget -= 1
        article = _article(http, draft.url)
        if article is None or len(article) <= len(draft.text):
            found.append(entry)
            continue
        record = {
            "id": draft.external_id,
            "title": draft.title,
            "text": article,
            "url": draft.url,
            "author": draft.author_handle,
            "created_at": draft.posted_at.isoformat() if draft.posted_at else None,
            "summary": draft.text,
        }
        found.append(RawItem("json", draft.external_id, record))
    return found


def _article(http: Http, url: str) -> str | None:
    try:
        page = http.get(url)
    except SourceError:
        return None  # the article stays out of reach; the entry's summary stands
    if "html" not in page.headers.get("content-type", "html"):
        return None
    text = trafilatura.extract(page.text, include_comments=False, include_tables=False, favor_precision=True)
    return text.strip() if text and text.strip() else None


CONNECTOR = RssConnector()
