"""Plain types that cross layers: what a connector hands to the pipeline and the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class RawItem:
    """One item exactly as a source delivered it, before any mapping.

    `payload` is the item's own JSON-able value (a dict for JSON formats, a dict of column
    values for CSV, the entry's XML for feeds). `raw` is the exact text it was read from when the
    format allows one item to be cut out verbatim (JSON Lines, CSV lines); otherwise None and the
    payload is serialised as it came.
    """

    format: str
    external_id: str
    payload: Any
    raw: str | None = None


@dataclass(slots=True)
class PostDraft:
    """A post mapped from a raw item, not yet enriched or stored.

    `author_handle` is the author's handle or id on the platform. It is never stored: ingest
    turns it into a keyed pseudonym before anything is written. `author_aliases` are the other
    names the platform gives the author (display name, account id, DID); never stored either,
    they only tell ingest which links name the author.
    """

    external_id: str
    text: str
    url: str | None = None
    author_handle: str | None = None
    author_aliases: tuple[str, ...] = ()
    posted_at: datetime | None = None
    title: str | None = None
    language_hint: str | None = None
    engagement: dict[str, int] = field(default_factory=dict)
    reply_to: str | None = None
    repost_of: str | None = None
    kind: str = "post"


@dataclass(frozen=True, slots=True)
class Rejected:
    """A piece of input that could not be read as an item: it goes to quarantine with its reason."""

    reason: str
    raw: str
    location: str = ""


@dataclass(frozen=True, slots=True)
class Enrichment:
    """One stage's output for one post."""

    stage: str
    version: int
    outputs: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting: an account's id, name and role (the web and CLI both pass one to domains)."""

    id: int | None
    name: str
    role: str
