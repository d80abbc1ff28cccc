"""`rss`: RSS 0.9x/1.0/2.0 and Atom feeds, read with feedparser, one item per entry.

feedparser copes with feeds a strict XML parser refuses (a wrong or missing encoding
declaration, as in ISO-8859-1 feeds that declare nothing). The payload is the feedparser entry
reduced to plain JSON: dates as ISO 8601 strings in UTC.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import feedparser

from earful.connectors.files._base import (
    MAX_RECORD,
    Format,
    ItemOrRejected,
    Stream,
    as_text,
    make_item,
    parse_time,
    quarantine_json,
    quarantine_text,
)
from earful.contracts import PostDraft, Rejected

NAME = "rss"
_ROOT = re.compile(rb"<(?:rss|feed|rdf:RDF|RDF)[\s>]")
# feedparser reads English RFC 822 dates only; Portuguese, Spanish, French and German feeds often
# localise the month, so these are mapped back before giving up on a date.
_MONTHS = {
    "jan": "Jan", "janv": "Jan", "ene": "Jan", "fev": "Feb", "fév": "Feb", "févr": "Feb", "feb": "Feb",
    "mar": "Mar", "mär": "Mar", "mars": "Mar", "abr": "Apr", "avr": "Apr", "apr": "Apr", "mai": "May",
    "may": "May", "jun": "Jun", "juin": "Jun", "jul": "Jul", "juil": "Jul", "ago": "Aug", "aoû": "Aug",
    "aug": "Aug", "set": "Sep", "sep": "Sep", "sept": "Sep", "out": "Oct", "oct": "Oct", "okt": "Oct",
    "nov": "Nov", "dez": "Dec", "dic": "Dec", "déc": "Dec", "dec": "Dec",
}  # fmt: skip
_LOCAL_DATE = re.compile(r"(?:\w+,\s*)?(\d{1,2})\s+(\w+)\.?\s+(\d{4})\s+(\d{1,2}:\d{2}(?::\d{2})?)\s*(\S+)?")


def sniff(path: Path, head: bytes) -> bool:
    """Tell whether `head` is XML with an RSS, RDF or Atom root element."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return start.startswith(b"<") and _ROOT.search(head) is not None


def _plain(value: Any) -> Any:
    if isinstance(value, time.struct_time):
        return datetime(*value[:6], tzinfo=UTC).isoformat()
    if isinstance(value, dict):
        return {str(key): _plain(inner) for key, inner in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(inner) for inner in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _entry_text(entry: dict[str, Any]) -> str | None:
    for content in entry.get("content") or []:
        if isinstance(content, dict) and as_text(content.get("value")):
            return str(content["value"])
    return as_text(entry.get("summary"))


def iter_items(stream: Stream) -> Iterator[ItemOrRejected]:
    """Yield one item per feed entry; an entry with no id, link or text is rejected."""
    data = stream.read(MAX_RECORD + 1)
    if len(data) > MAX_RECORD:
        reason = f"the feed is over {MAX_RECORD:,} bytes, the most a feed may have; split it"
        yield Rejected(reason, quarantine_text(data[:4096].decode("utf-8", "replace")), "file")
        return
    # A stream, never bytes or a str: feedparser would try those as a file name or a URL first.
    parsed = feedparser.parse(io.BytesIO(data))
    if not parsed.entries and (parsed.bozo or not parsed.feed):
        reason = f"not a readable RSS/Atom feed: {parsed.get('bozo_exception', 'no entries')}"
        yield Rejected(reason, quarantine_text(data[:4096].decode("utf-8", "replace")), "file")
        return
    for number, entry in enumerate(parsed.entries, start=1):
        payload = _plain(entry)
        external_id = as_text(payload.get("id")) or as_text(payload.get("link"))
        location = f"item {number}"
        if external_id is None:
            yield Rejected("feed entry has neither an id nor a link", quarantine_json(payload), location)
        elif _entry_text(payload) is None and as_text(payload.get("title")) is None:
            yield Rejected("feed entry has no title, summary or content", quarantine_json(payload), location)
        else:
            yield make_item(NAME, external_id, payload, None, location)


def _localised_date(text: str | None) -> datetime | None:
    match = _LOCAL_DATE.search(text or "")
    month = None if match is None else _MONTHS.get(match.group(2).lower())
    if match is None or month is None:
        return None
    day, _, year, clock, zone = match.groups()
    try:
        return parsedate_to_datetime(f"{day} {month} {year} {clock} {zone or '+0000'}").astimezone(UTC)
    except (TypeError, ValueError):
        return None


def _posted_at(entry: dict[str, Any]) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        if as_text(entry.get(key)):
            return parse_time(entry[key])
    return _localised_date(entry.get("published")) or _localised_date(entry.get("updated"))


def map_entry(entry: Any) -> PostDraft | str:
    """Map a feed entry to a post: content or summary as HTML, else the title alone."""
    if not isinstance(entry, dict):
        raise ValueError("not a feed entry")
    external_id = as_text(entry.get("id")) or as_text(entry.get("link"))
    if external_id is None:
        raise ValueError("feed entry has neither an id nor a link")
    title = as_text(entry.get("title"))
    # Headline-only feeds (RSS 1.0 tables of contents) have no summary; the title is their text.
    text = _entry_text(entry) or title
    if text is None:
        raise ValueError("feed entry has no title, summary or content")
    language = None
    detail = entry.get("summary_detail") or entry.get("title_detail")
    if isinstance(detail, dict):
        language = as_text(detail.get("language"))
    return PostDraft(
        external_id=external_id,
        text=text,
        url=as_text(entry.get("link")),
        author_handle=as_text(entry.get("author")),
        posted_at=_posted_at(entry),
        title=title,
        language_hint=language,
    )


FORMAT = Format(
    name=NAME,
    summary="RSS/Atom feeds via feedparser; content or summary (HTML kept), title, dates",
    sniff=sniff,
    iter_items=iter_items,
    map=map_entry,
)
