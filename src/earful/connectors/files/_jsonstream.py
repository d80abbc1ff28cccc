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

from earful.connectors.files._base import Stream, quarantine_text
from earful.connectors.files._io import text_stream
from earful.contracts import Rejected

LIST_KEYS = ("data", "items", "records", "posts")
_CHUNK = 1 << 16
# No real record is this big; past it a syntax error is a syntax error, not a record still arriving,
# and reading on would pull the rest of a huge file into memory.
_MAX_RECORD = 64 << 20
_DECODER = json.JSONDecoder()
_NON_SPACE = re.compile(r"\S")


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
        # Read at least as much as is pending, so a huge value costs O(n log n), not O(n^2).
        data = self._text.read(max(_CHUNK, len(self.buf) - self.pos))
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
        """Decode the next JSON value and return it with its exact text."""
        while True:
            self.peek()
            try:
                value, end = _DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError:
                if len(self.buf) - self.pos < _MAX_RECORD and self._more():
                    continue
                raise
            # A number at the very end of the window may go on in the next chunk.
            if end == len(self.buf) and self._more():
                continue
            raw, self.pos = self.buf[self.pos : end], end
            return value, raw


class _RecordReader:
    def __init__(self, cursor: _Cursor) -> None:
        self.cursor = cursor
        self.count = 0

    def _array(self) -> Iterator[tuple[str, Any, str | None]]:
        cursor = self.cursor
        cursor.expect("[")
        if cursor.peek() == "]":
            cursor.pos += 1
            return
        while True:
            value, raw = cursor.take()
            self.count += 1
            yield f"item {self.count}", value, raw
            if cursor.peek() == ",":
                cursor.pos += 1
                continue
            cursor.expect("]")
            return

    def _object(self) -> Iterator[tuple[str, Any, str | None]]:
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
