"""`json` and `jsonl`: generic records, as a JSON array (or a list under data/items/records/posts)
or as JSON Lines; fields mapped by name as for CSV (see records.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from earful.connectors.files._base import (
    Format,
    ItemOrRejected,
    Stream,
    make_item,
    quarantine_json,
    quarantine_text,
)
from earful.connectors.files._io import name_suffix
from earful.connectors.files._jsondoc import iter_json_lines, peek
from earful.connectors.files._jsonstream import LIST_KEYS, iter_records
from earful.connectors.files.records import check_record, has_text_column, map_record
from earful.contracts import Rejected

JSON_LINES_SUFFIXES = (".jsonl", ".ndjson")


def _record_like(value: Any) -> bool:
    return isinstance(value, dict) and has_text_column(value.keys())


def _first_record(value: Any) -> Any:
    if isinstance(value, list):
        return value[0] if value else None
    if isinstance(value, dict):
        for key, inner in value.items():
            if key.lower() in LIST_KEYS and isinstance(inner, list):
                return inner[0] if inner else None
    return value


def sniff_jsonl(path: Path, head: bytes) -> bool:
    """Tell whether `head` is JSON Lines of records with a text field."""
    peeked = peek(head)
    if peeked is None:
        return False
    value, more = peeked
    return (more or name_suffix(path) in JSON_LINES_SUFFIXES) and _record_like(value)


def sniff_json(path: Path, head: bytes) -> bool:
    """Tell whether `head` is a JSON array of records (or a list of them under a known key)."""
    peeked = peek(head)
    return peeked is not None and _record_like(_first_record(peeked[0]))


def _item(
    location: str, record: Any, raw: str | None, fmt: str, *, from_orjson: bool = False
) -> ItemOrRejected:
    problem, external_id = check_record(record)
    if problem is not None:
        quarantined = quarantine_text(raw) if raw is not None else quarantine_json(record)
        return Rejected(problem, quarantined, location)
    return make_item(fmt, external_id, record, raw, location, from_orjson=from_orjson)


def iter_json(stream: Stream) -> Iterator[ItemOrRejected]:
    """Yield one item per record of a JSON array, streaming; a break keeps the records before it."""
    for found in iter_records(stream):
        if isinstance(found, Rejected):
            yield found
        else:
            yield _item(*found, "json")


def iter_jsonl(stream: Stream, first_line: int = 1) -> Iterator[ItemOrRejected]:
    """Yield one item per line; a line with bad bytes or bad JSON is rejected and the rest read.

    `first_line` is the number of the stream's first line in the file, for a part of the file.
    """
    for doc in iter_json_lines(stream, first_line):
        # Each line was parsed by orjson (_jsondoc._json_line).
        yield (
            doc
            if isinstance(doc, Rejected)
            else _item(doc.location, doc.value, doc.raw, "jsonl", from_orjson=True)
        )


JSON = Format(
    name="json",
    summary="a JSON array of records, or an object with the list under data/items/records/posts",
    sniff=sniff_json,
    iter_items=iter_json,
    map=map_record,
)
JSONL = Format(
    name="jsonl",
    summary="JSON Lines, one record per line",
    sniff=sniff_jsonl,
    iter_items=iter_jsonl,
    map=map_record,
    iter_part=iter_jsonl,
)
