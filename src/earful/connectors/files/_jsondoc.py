"""Read JSON documents tolerantly: one document, several, or one per line, salvaging a truncated one.

Also unwraps HTTP recording envelopes (`{"request": {"method", "uri"}, "status", "body"}`, or a
list of them), so every JSON format reads a recorded exchange as if it were the bare body.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TextIO, cast

import orjson

from earful.connectors.files._base import (
    BAD_BYTES,
    JSON_TOKEN,
    MAX_DEPTH,
    MAX_RECORD,
    TOO_DEEP,
    TRUNCATED,
    ItemOrRejected,
    Stream,
    has_bad_utf8,
    make_item,
    nested_too_deep,
    quarantine_json,
    quarantine_text,
    too_long,
)
from earful.connectors.files._io import Cut, bounded_lines, iter_lines, text_stream
from earful.contracts import Rejected

_DECODER = json.JSONDecoder()
_NON_SPACE = re.compile(r"\S")


@dataclass(frozen=True, slots=True)
class Doc:
    """One top-level JSON value; `raw` is its line when the file is JSON Lines."""

    value: Any
    raw: str | None
    location: str


def close_truncated(text: str) -> tuple[str, int] | None:
    """Return `text` cut after its last complete object or array, every open one closed, and the cut.

    Each object left open gets a `TRUNCATED` member, so the half-read items can be told apart.
    None when no container was completed before the break.
    """
    stack: list[str] = []
    cut, depth = -1, 0
    for match in JSON_TOKEN.finditer(text):
        piece = match.group()
        if piece == '"':
            break  # an unterminated string: everything after it is inside the string
        if piece[0] == '"':
            continue
        if piece in "[{":
            stack.append(piece)
        elif not stack:
            return None
        else:
            stack.pop()
            # Entries below `depth` cannot change later without another closer moving `cut`.
            cut, depth = match.end(), len(stack)
    if cut < 0 or depth == 0:
        return None
    closers = "".join(
        "]" if opener == "[" else f', "{TRUNCATED}": true}}' for opener in reversed(stack[:depth])
    )
    return text[:cut] + closers, cut


def _closed_value(text: str) -> tuple[Any, int] | None:
    closed = close_truncated(text)
    if closed is None or nested_too_deep(closed[0]):
        return None
    try:
        return json.loads(closed[0]), closed[1]
    except (json.JSONDecodeError, RecursionError):
        return None


def _salvage(text: str, start: int, error: json.JSONDecodeError) -> Iterator[Doc | Rejected]:
    salvaged = _closed_value(text[start : error.pos])
    where = f"line {error.lineno}"
    if salvaged is not None:
        yield Doc(salvaged[0], None, "document")
        kept, lost_from = "the complete items before it were kept", start + salvaged[1]
    else:
        kept, lost_from = "nothing before it could be salvaged", start
    reason = f"JSON breaks off or is invalid at {where} column {error.colno} ({error.msg}); {kept}"
    yield Rejected(reason, quarantine_text(text[lost_from:]), where)


def _whole_text(text: str) -> Iterator[Doc | Rejected]:
    pos, number = 0, 0
    while match := _NON_SPACE.search(text, pos):
        start = match.start()
        number += 1
        try:
            value, pos = _DECODER.raw_decode(text, start)
        except json.JSONDecodeError as exc:
            yield from _salvage(text, start, exc)
            return
        except RecursionError:
            # Where a value nested this deep ends cannot be told without parsing it: stop here.
            yield Rejected(TOO_DEEP, quarantine_text(text[start:]), f"document {number}")
            return
        if nested_too_deep(text[start:pos]):
            yield Rejected(TOO_DEEP, quarantine_text(text[start:pos]), f"document {number}")
            continue
        yield Doc(value, None, f"document {number}")


def _json_line(number: int, line: str | Cut) -> Doc | Rejected | None:
    where = f"line {number}"
    if isinstance(line, Cut):
        return Rejected(too_long("the line", line.size), quarantine_text(line.text, line.size), where)
    line = line.rstrip("\r\n")
    if not line or line.isspace():
        return None
    if has_bad_utf8(line):
        return Rejected(BAD_BYTES.format(what="line"), quarantine_text(line), where)
    if nested_too_deep(line):
        return Rejected(TOO_DEEP, quarantine_text(line), where)
    try:
        return Doc(orjson.loads(line), line, where)
    except orjson.JSONDecodeError as exc:
        return Rejected(f"invalid JSON ({exc.msg} at column {exc.colno})", quarantine_text(line), where)


def iter_json_lines(stream: Stream, first_line: int = 1) -> Iterator[Doc | Rejected]:
    """Yield each line of a JSON Lines file as a Doc, or a Rejected for a line that is not JSON.

    `first_line` is the number, in the whole file, of the stream's first line: past 1 the stream
    is a part of the file that starts at a line's start (see `read_part_items`).
    """
    for number, line in enumerate(iter_lines(stream, file_start=first_line == 1), start=first_line):
        doc = _json_line(number, line)
        if doc is not None:
            yield doc


def iter_documents(stream: Stream) -> Iterator[Doc | Rejected]:
    """Yield each top-level JSON value in `stream`, streaming when it is JSON Lines.

    A file whose first line is a whole JSON object or array is read line by line (a bad line is
    rejected and the rest read); otherwise it is read whole, and a broken or truncated text is
    salvaged up to the break.
    """
    text = text_stream(stream)
    try:
        lines = enumerate(bounded_lines(text), start=1)
        number, first = next(
            ((n, line) for n, line in lines if isinstance(line, Cut) or line.strip()), (0, "")
        )
        if not first:
            return
        first_doc = _json_line(number, first)
        line_by_line = isinstance(first_doc, Doc) and isinstance(first_doc.value, dict | list)
        if (
            isinstance(first, Cut)
            or line_by_line
            or (isinstance(first_doc, Rejected) and first_doc.reason == TOO_DEEP)
        ):
            # JSON Lines: a first line too long or too deep is rejected like any other.
            yield cast(Doc | Rejected, first_doc)
            for number, line in lines:
                doc = _json_line(number, line)
                if doc is not None:
                    yield doc
        else:
            yield from _whole_document(first, text)
    finally:
        text.detach()


def _whole_document(start: str, text: TextIO) -> Iterator[Doc | Rejected]:
    whole = start + text.read(MAX_RECORD + 1 - len(start))
    if len(whole) > MAX_RECORD:
        reason = (
            f"the JSON document is over {MAX_RECORD:,} characters, the limit for a document read "
            "whole; split it, or write it as JSON Lines (one value per line)"
        )
        yield Rejected(reason, quarantine_text(whole), "document")
        return
    yield from _whole_text(whole)


def _is_exchange(value: Any) -> bool:
    return isinstance(value, dict) and "body" in value and isinstance(value.get("request"), dict)


def _ok_status(status: Any) -> bool:
    if isinstance(status, dict):
        status = status.get("code")
    return status is None or (isinstance(status, int) and 200 <= status < 300)


def bodies(value: Any) -> Iterator[tuple[Any, str]]:
    """Yield each response body with its request URI: the value itself when it is no recording.

    Error responses carry nothing to import, and the body answering a DELETE is a record that no
    longer exists, so both are dropped.
    """
    if _is_exchange(value):
        exchanges = [value]
    elif isinstance(value, list) and value and _is_exchange(value[0]):
        exchanges = value
    else:
        yield value, ""
        return
    for exchange in exchanges:
        if not _is_exchange(exchange) or not _ok_status(exchange.get("status")):
            continue
        request = exchange["request"]
        if str(request.get("method", "GET")).upper() == "DELETE":
            continue
        yield exchange["body"], str(request.get("uri", ""))


# Detection asks every format about the same head: parse it once, and hold no more than that.
@lru_cache(maxsize=2)
def peek(head: bytes) -> tuple[Any, bool] | None:
    """Return the first JSON value in `head` (closed if `head` cuts it) and whether more values follow."""
    text = head.decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
    if text[:1] not in ("{", "["):
        return None
    if nested_too_deep(text):
        text = _flattened(text)
    try:
        value, end = _DECODER.raw_decode(text)
    except json.JSONDecodeError as exc:
        salvaged = _closed_value(text[: exc.pos])
        return None if salvaged is None else (salvaged[0], False)
    except RecursionError:
        return None
    return value, text[end:].lstrip()[:1] in ("{", "[")


def _flattened(text: str) -> str:
    """Return `text` with each value nested deeper than MAX_DEPTH as null, cut where one does not end.

    Detection then sees the shape around a record nested too deep, which reading quarantines.
    """
    parts: list[str] = []
    depth, last, start = 0, 0, -1
    for match in JSON_TOKEN.finditer(text):
        piece = match.group()
        if piece == '"':
            break
        if piece[0] == '"':
            continue
        depth += 1 if piece in "[{" else -1
        if depth == MAX_DEPTH + 1 and start < 0 and piece in "[{":
            start = match.start()
        elif depth == MAX_DEPTH and start >= 0:
            parts += (text[last:start], "null")
            last, start = match.end(), -1
    return "".join(parts) + (text[last:start] if start >= 0 else text[last:])


def head_bodies(head: bytes) -> list[tuple[Any, str]]:
    """Return the response bodies (with request URIs) visible in the first JSON value of `head`."""
    peeked = peek(head)
    return [] if peeked is None else list(bodies(peeked[0]))


BodyReader = Callable[[Any, str], Iterator["tuple[str, Any] | Rejected"]]


def iter_document_items(stream: Stream, fmt: str, read_body: BodyReader) -> Iterator[ItemOrRejected]:
    """Yield the items `read_body` finds in each body of each document, each item once per body."""
    number = 0
    for doc in iter_documents(stream):
        if isinstance(doc, Rejected):
            yield doc
            continue
        for body, uri in bodies(doc.value):
            # Same id and same content: the same item listed twice in one response.
            seen: dict[str, Any] = {}
            for found in read_body(body, uri):
                number += 1
                location = f"item {number}" if doc.raw is None else doc.location
                if isinstance(found, Rejected):
                    yield dataclasses.replace(found, location=location)
                    continue
                external_id, payload = found
                if external_id in seen and seen[external_id] == payload:
                    continue
                seen[external_id] = payload
                raw = doc.raw if payload is doc.value else None
                yield make_item(fmt, external_id, payload, raw, location)


def rejected(reason: str, value: Any) -> Rejected:
    """Return a Rejected for a JSON value; the location is filled in by `iter_document_items`."""
    if isinstance(value, dict) and TRUNCATED in value:
        # Whatever else is wrong with it, the item was cut off: that is the reason to report.
        reason = "item is cut off where the file breaks off"
    return Rejected(reason, quarantine_json(value))
