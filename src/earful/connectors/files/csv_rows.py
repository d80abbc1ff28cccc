"""`csv`: a table with a header row; comma, semicolon, tab or pipe separated; one post per row."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from earful.connectors.files._base import (
    Format,
    ItemOrRejected,
    Stream,
    has_bad_utf8,
    make_item,
    quarantine_text,
)
from earful.connectors.files._io import name_suffix, text_stream
from earful.connectors.files.records import (
    TEXT_COLUMNS,
    check_record,
    has_text_column,
    map_record,
)
from earful.contracts import Rejected

NAME = "csv"
_DELIMITERS = (",", ";", "\t", "|")


def _delimiter(header_line: str) -> str:
    # The header holds no quoted separators in practice, so the most frequent candidate is it.
    return max(_DELIMITERS, key=header_line.count)


def _header(line: str) -> list[str]:
    return next(csv.reader([line], delimiter=_delimiter(line)), [])


def sniff(path: Path, head: bytes) -> bool:
    """Tell whether `head` is a delimited table with a text column, or the name says CSV/TSV."""
    if name_suffix(path) in (".csv", ".tsv"):
        return True
    text = head.decode("utf-8", "replace").lstrip("\ufeff")
    first = text.split("\n", 1)[0].rstrip("\r")
    if not first or first.lstrip()[:1] in ("{", "[", "<"):
        return False
    return any(d in first for d in _DELIMITERS) and has_text_column(_header(first))


class _LineTap:
    """Feed lines to csv.reader while keeping the exact text and first line number of each row."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines
        self.number = 0
        self.taken: list[str] = []

    def __iter__(self) -> _LineTap:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.number += 1
        self.taken.append(line)
        return line

    def row_text(self) -> tuple[str, int]:
        """Return the text of the row just read and the number of its first line; start the next."""
        text, first = "".join(self.taken), self.number - len(self.taken) + 1
        self.taken = []
        return text.rstrip("\r\n"), first


def iter_items(stream: Stream) -> Iterator[ItemOrRejected]:
    """Yield one item per data row; a row with bad bytes, a wrong field count or no text is rejected."""
    text = text_stream(stream)
    try:
        first_line = text.readline()
        if not first_line.strip():
            yield Rejected("the file has no header row", "", "line 1")
            return
        delimiter = _delimiter(first_line)
        tap = _LineTap(_chain(first_line, text))
        reader = csv.reader(tap, delimiter=delimiter)
        header = next(reader)
        tap.row_text()
        if not has_text_column(header):
            wanted = ", ".join(TEXT_COLUMNS)
            yield Rejected(
                f"no text column in the header (expected one of: {wanted})",
                quarantine_text(first_line),
                "line 1",
            )
            return
        yield from _rows(reader, tap, header)
    finally:
        text.detach()


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def _rows(reader: Iterator[list[str]], tap: _LineTap, header: list[str]) -> Iterator[ItemOrRejected]:
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raw, first = tap.row_text()
            yield Rejected(f"unreadable CSV row: {exc}", quarantine_text(raw), f"line {first}")
            continue
        raw, first = tap.row_text()
        location = f"line {first}"
        if not row:
            continue  # a blank line is no row
        if has_bad_utf8(raw):
            yield Rejected("invalid UTF-8 bytes in this row", quarantine_text(raw), location)
        elif len(row) != len(header):
            reason = f"row has {len(row)} fields but the header has {len(header)}"
            yield Rejected(reason, quarantine_text(raw), location)
        else:
            record = dict(zip(header, row, strict=True))
            problem, external_id = check_record(record)
            if problem is not None:
                yield Rejected(problem, quarantine_text(raw), location)
            else:
                yield make_item(NAME, external_id, record, raw, location)


FORMAT = Format(
    name=NAME,
    summary="CSV/TSV with a header row; columns mapped by name (see records.py)",
    sniff=sniff,
    iter_items=iter_items,
    map=map_record,
    raw_is_json=False,
)
