"""Stream the records of a JSON array (or of the list under `data`/`items`/`records`/`posts`).

The standard library only parses whole documents; a multi-gigabyte export must not be loaded at
once, so this reads the outer structure itself and hands each record to `raw_decode` as its text
arrives. Each record's exact source text comes back with it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, TextIO

from earful.connectors.files._base import (
    MAX_RECORD,
    QUARANTINE_LIMIT,
    TOO_DEEP,
    Stream,
    nested_too_deep,
    quarantine_text,
    too_long,
)
from earful.connectors.files._io import text_stream
from earful.contracts import Rejected

LIST_KEYS = ("data", "items", "records", "posts")
_CHUNK = 1 << 16
_DECODER = json.JSONDecoder()
_NON_SPACE = re.compile(r"\S")
_STRUCTURE = re.compile(r'["\[\]{}]')
_IN_STRING = re.compile(r'["\\]')
_SCALAR_END = re.compile(r"[\s,\]}]")


class _Skipped(Exception):
    """A record was passed over unread (too long, too deep); the reading goes on after it."""

    def __init__(self, reason: str, raw: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.raw = raw


class _Scan:
    """Where a scan for the end of a value stands between two chunks of text."""

    def __init__(self) -> None:
        self.depth = 0
        self.in_string = False
        self.escaped = False

    def end(self, buf: str, i: int) -> int:
        """Return the index just past the value's end in `buf` from `i`, or -1 when it goes on."""
        while True:
            if self.escaped:
                if i >= len(buf):
                    return -1
                i, self.escaped = i + 1, False
            pattern = _IN_STRING if self.in_string else _STRUCTURE
            match = pattern.search(buf, i)
            if match is None:
                return -1
            i, char = match.end(), match.group()
            if char == "\\":
                self.escaped = True
            elif char == '"':
                self.in_string = not self.in_string
                if not self.in_string and self.depth == 0:
                    return i
            elif char in "[{":
                self.depth += 1
            else:
                self.depth -= 1
                if self.depth <= 0:
                    return i


class _Cursor:
    """A window on a text stream that grows until the next JSON value fits in it."""

    def __init__(self, text: TextIO) -> None:
        self._text = text
        self.buf = ""
        self.pos = 0
        self._eof = False

    def _more(self) -> bool:
        if self._eof:
            return False
        if self.pos > _CHUNK:
            self.buf, self.pos = self.buf[self.pos :], 0
        # Read at least as much as is pending, so a huge value costs O(n log n), not O(n^2), but
        # never hold much more than one record's limit.
        pending = len(self.buf) - self.pos
        data = self._text.read(max(_CHUNK, min(pending, MAX_RECORD + 1 - pending)))
        if not data:
            self._eof = True
            return False
        self.buf += data
        return True

    def peek(self) -> str:
        """Return the next non-space character without consuming it; "" at the end."""
        while True:
            match = _NON_SPACE.search(self.buf, self.pos)
            if match:
                self.pos = match.start()
                return self.buf[self.pos]
            self.pos = len(self.buf)
            if not self._more():
                return ""

    def expect(self, char: str) -> None:
        """Consume `char` or raise JSONDecodeError."""
        if self.peek() != char:
            raise json.JSONDecodeError(f"Expecting '{char}'", self.buf, self.pos)
        self.pos += 1

    def take(self) -> tuple[Any, str]:
        """Decode the next JSON value and return it with its exact text.

        Raise _Skipped, having read past it, for a value over MAX_RECORD characters or nested
        deeper than MAX_DEPTH, and JSONDecodeError where the JSON breaks off or is invalid.
        """
        while True:
            self.peek()
            try:
                value, end = _DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError:
                if len(self.buf) - self.pos <= MAX_RECORD and self._more():
                    continue
                if len(self.buf) - self.pos <= MAX_RECORD:
                    raise
                kept, size = self.skip()
                if size <= MAX_RECORD:
                    raise _Skipped(
                        "invalid JSON in this record; it was skipped", quarantine_text(kept)
                    ) from None
                raise _Skipped(too_long("the record", size), quarantine_text(kept, size)) from None
            except RecursionError:
                kept, size = self.skip()
                raise _Skipped(TOO_DEEP, quarantine_text(kept, size)) from None
            # A number at the very end of the window may go on in the next chunk.
            if end == len(self.buf) and self._more():
                continue
            raw, self.pos = self.buf[self.pos : end], end
            if nested_too_deep(raw):
                raise _Skipped(TOO_DEEP, quarantine_text(raw))
            return value, raw

    def skip(self) -> tuple[str, int]:
        """Read past the value at the cursor without holding it; return its start and its length."""
        self.peek()
        start, kept, size = self.pos, self.buf[self.pos : self.pos + QUARANTINE_LIMIT], 0
        scan = _Scan()
        if self.buf[start : start + 1] not in ('"', "[", "{"):
            match = _SCALAR_END.search(self.buf, start)
            end = len(self.buf) if match is None else match.start()
            self.pos = end
            return kept, end - start
        while True:
            end = scan.end(self.buf, self.pos)
            if end >= 0:
                size += end - self.pos
                self.pos = end
                return kept, size
            size += len(self.buf) - self.pos
            self.pos = len(self.buf)
            if not self._more():
                return kept, size


class _RecordReader:
    def __init__(self, cursor: _Cursor) -> None:
        self.cursor = cursor
        self.count = 0

    def _array(self) -> Iterator[tuple[str, Any, str | None] | Rejected]:
        cursor = self.cursor
        cursor.expect("[")
        if cursor.peek() == "]":
            cursor.pos += 1
            return
        while True:
            try:
                value, raw = cursor.take()
            except _Skipped as skipped:
                self.count += 1
                yield Rejected(skipped.reason, skipped.raw, f"item {self.count}")
            else:
                self.count += 1
                yield f"item {self.count}", value, raw
            if cursor.peek() == ",":
                cursor.pos += 1
                continue
            cursor.expect("]")
            return

    def _object(self) -> Iterator[tuple[str, Any, str | None] | Rejected]:
        cursor = self.cursor
        cursor.expect("{")
        rest: dict[str, Any] = {}
        found = False
        while cursor.peek() != "}":
            key, _ = cursor.take()
            if not isinstance(key, str):
                raise json.JSONDecodeError("Expecting property name", cursor.buf, cursor.pos)
            cursor.expect(":")
            if not found and key.lower() in LIST_KEYS and cursor.peek() == "[":
                found = True
                yield from self._array()
            else:
                rest[key], _ = cursor.take()
            if cursor.peek() != ",":
                break
            cursor.pos += 1
        cursor.expect("}")
        if not found:
            # An object with no list of records in it is taken as one record.
            self.count += 1
            yield f"item {self.count}", rest, None

    def records(self) -> Iterator[tuple[str, Any, str | None] | Rejected]:
        try:
            while char := self.cursor.peek():
                if char == "[":
                    yield from self._array()
                elif char == "{":
                    yield from self._object()
                else:
                    raise json.JSONDecodeError(
                        "Expecting a JSON array or object", self.cursor.buf, self.cursor.pos
                    )
        except _Skipped as skipped:
            # Outside a list of records there is no next record to go on with.
            yield Rejected(skipped.reason, skipped.raw, f"item {self.count + 1}")
        except json.JSONDecodeError as exc:
            where = f"item {self.count + 1}"
            tail = quarantine_text(self.cursor.buf[self.cursor.pos : self.cursor.pos + 4096])
            yield Rejected(
                f"JSON breaks off or is invalid in {where} ({exc.msg}); the items before it were kept",
                tail,
                where,
            )


def iter_records(stream: Stream) -> Iterator[tuple[str, Any, str | None] | Rejected]:
    """Yield (location, record, exact text) for each record; a Rejected where the JSON breaks."""
    text = text_stream(stream)
    try:
        yield from _RecordReader(_Cursor(text)).records()
    finally:
        text.detach()
