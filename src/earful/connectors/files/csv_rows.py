"""`csv`: a table with a header row; comma, semicolon, tab or pipe separated; one post per row."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from earful.connectors.files._base import (
    BAD_BYTES,
    MAX_RECORD,
    QUARANTINE_LIMIT,
    Format,
    ItemOrRejected,
    Stream,
    has_bad_utf8,
    make_item,
    quarantine_text,
    too_long,
)
from earful.connectors.files._io import Cut, bounded_lines, name_suffix, text_stream
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


class _RowTooLong(Exception):
    """The row being read is over MAX_RECORD characters; the tap has read past its end."""


class _LineTap:
    """Feed lines to csv.reader while keeping the exact text and first line number of each row.

    No row is held whole past MAX_RECORD characters: the tap reads on to the row's end itself,
    discarding, and raises _RowTooLong through the reader.
    """

    def __init__(self, lines: Iterator[str | Cut]) -> None:
        self._lines = lines
        self.number = 0
        self.taken: list[str] = []
        self._size = 0
        # `"` seen in the row so far: while odd, a quoted field goes on past the line's end.
        self._quotes = 0
        # The start and first line number of a row read past because it is too long.
        self.skipped: tuple[str, int] | None = None

    def __iter__(self) -> _LineTap:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.number += 1
        if isinstance(line, Cut):
            self._quotes += line.quotes
            self._size += line.size
        else:
            self._quotes += line.count('"')
            self._size += len(line)
            if self._size <= MAX_RECORD:
                self.taken.append(line)
                return line
        text = line.text if isinstance(line, Cut) else line
        self.skipped = (self._start() + text, self.number - len(self.taken))
        self.skip_row()
        raise _RowTooLong

    def _start(self) -> str:
        return "".join(self.taken)[:QUARANTINE_LIMIT]

    def skip_row(self) -> None:
        """Read past the rest of a row whose quoted field spans lines, keeping none of it."""
        if self.skipped is None:
            self.skipped = (self._start(), self.number - len(self.taken) + 1)
        while self._quotes % 2:
            line = next(self._lines, None)
            if line is None:
                break
            self.number += 1
            self._quotes += line.quotes if isinstance(line, Cut) else line.count('"')
            self._size += line.size if isinstance(line, Cut) else len(line)

    def row_text(self) -> tuple[str, int, int]:
        """Return the (start of the) text of the row just read, its size and first line number."""
        text, size, first = "".join(self.taken), self._size, self.number - len(self.taken) + 1
        if self.skipped is not None:
            (text, first), self.skipped = self.skipped, None
        self.taken, self._size, self._quotes = [], 0, 0
        return text.rstrip("\r\n"), size, first


def iter_items(stream: Stream) -> Iterator[ItemOrRejected]:
    """Yield one item per data row; a row with bad bytes, a wrong field count or no text is rejected."""
    text = text_stream(stream)
    try:
        lines = bounded_lines(text)
        first = next(lines, "")
        if isinstance(first, Cut):
            reason = too_long("the header row", first.size)
            yield Rejected(reason, quarantine_text(first.text, first.size), "line 1")
            return
        if not first.strip():
            yield Rejected("the file has no header row", "", "line 1")
            return
        tap = _LineTap(_chain(first, lines))
        reader = csv.reader(tap, delimiter=_delimiter(first))
        header = next(reader)
        tap.row_text()
        if "\x00" in first:
            yield Rejected(
                "the file is not UTF-8 (its header has empty bytes between letters, as UTF-16 has): "
                "save it as UTF-8 (in a spreadsheet: CSV UTF-8) and import it again",
                quarantine_text(first.replace("\x00", "")),
                "line 1",
            )
            return
        if not has_text_column(header):
            wanted = ", ".join(TEXT_COLUMNS)
            found = ", ".join(repr(name.strip()[:40]) for name in header[:8])
            found += ", …" if len(header) > 8 else ""
            yield Rejected(
                f"no text column in the header (expected one of: {wanted}; found {found}): rename "
                "the column that holds the posts' text",
                quarantine_text(first),
                "line 1",
            )
            return
        yield from _rows(reader, tap, header)
    finally:
        text.detach()


def _csv_problem(exc: csv.Error) -> str:
    if "field limit" in str(exc):
        return f"a field is over {csv.field_size_limit():,} characters, the most a CSV field may have"
    return f"unreadable CSV row: {exc}"


def _chain(first: str, rest: Iterator[str | Cut]) -> Iterator[str | Cut]:
    yield first
    yield from rest


def _rows(reader: Iterator[list[str]], tap: _LineTap, header: list[str]) -> Iterator[ItemOrRejected]:
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except _RowTooLong:
            raw, size, first = tap.row_text()
            yield Rejected(too_long("the row", size), quarantine_text(raw, size), f"line {first}")
            continue
        except csv.Error as exc:
            # The reader stops mid-row (a field over csv's own limit): go on after the row's end.
            tap.skip_row()
            raw, size, first = tap.row_text()
            yield Rejected(_csv_problem(exc), quarantine_text(raw, size), f"line {first}")
            continue
        raw, _, first = tap.row_text()
        location = f"line {first}"
        if not row:
            continue  # a blank line is no row
        if has_bad_utf8(raw):
            yield Rejected(BAD_BYTES.format(what="row"), quarantine_text(raw), location)
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
