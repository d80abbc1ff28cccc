"""Import posts from files: CSV, JSON, JSON Lines and the native export formats of social platforms.

`read_items` streams a file's items (gzip or zstd compressed or not), rejecting the pieces it
cannot read with their reason and place and going on with the rest; `map_item` turns one item
into a post, or says why it is not one. See README.md for the formats and what each maps.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from earful.connectors.files import (
    bluesky,
    csv_rows,
    facebook,
    json_records,
    mastodon,
    reddit,
    rss,
    x_v1,
    x_v2,
)
from earful.connectors.files._base import (
    MAX_DEPTH,
    MAX_RECORD,
    Format,
    UnknownFormat,
    nested_too_deep,
    quarantine_text,
)
from earful.connectors.files._io import (
    HEAD_SIZE,
    READ_ERRORS,
    Cut,
    Window,
    bounded_lines,
    count_lines,
    line_start,
    open_input,
    plain_file,
    read_head,
    text_stream,
)
from earful.contracts import PostDraft, RawItem, Rejected

__all__ = [
    "FORMATS",
    "Format",
    "UnknownFormat",
    "detect_format",
    "map_item",
    "payload_text",
    "quarantine_text",
    "read_items",
    "read_part_items",
    "readable_in_parts",
]

# A file read in parts by several processes is cut about this often (always at a line's start).
PART_BYTES = 8 << 20

# Detection tries these in order: the specific shapes first, the generic record formats last.
FORMATS: dict[str, Format] = {
    fmt.name: fmt
    for fmt in (
        bluesky.MANIFEST,
        bluesky.FORMAT,
        reddit.PUSHSHIFT,
        reddit.LISTING,
        x_v2.FORMAT,
        x_v1.FORMAT,
        mastodon.FORMAT,
        facebook.FORMAT,
        rss.FORMAT,
        csv_rows.FORMAT,
        json_records.JSONL,
        json_records.JSON,
    )
}


def _names() -> str:
    return ", ".join(FORMATS)


def get_format(name: str) -> Format:
    """Return the format called `name`, or raise UnknownFormat listing the known names."""
    try:
        return FORMATS[name]
    except KeyError:
        raise UnknownFormat(f"unknown format {name!r}; known formats: {_names()}") from None


# ValueError and RecursionError too: a parser that chokes on a stranger's bytes must not end the import.
_UNREADABLE: tuple[type[BaseException], ...] = (*READ_ERRORS, ValueError, RecursionError)
# Detection reads past over-long or too deeply nested first lines, but only this far.
_DETECT_LIMIT = 4 * MAX_RECORD


def _sniffed(path: Path, head: bytes) -> str | None:
    return next((fmt.name for fmt in FORMATS.values() if fmt.sniff(path, head)), None)


def _long_head(path: Path) -> bytes:
    """Return the first record's worth of `path`, for a first record longer than HEAD_SIZE."""
    return read_head(path, MAX_RECORD)


def _head_past_long_lines(path: Path) -> bytes:
    """Return the first lines of `path` that are neither over MAX_RECORD nor nested too deep.

    Those lines are quarantined when the file is read; the lines after them tell its format.
    """
    parts: list[str] = []
    kept = examined = 0
    with open_input(path) as stream:
        text = text_stream(stream)
        try:
            for line in bounded_lines(text):
                if isinstance(line, Cut):
                    examined += line.size
                    continue
                examined += len(line)
                if not nested_too_deep(line):
                    parts.append(line)
                    kept += len(line)
                if kept >= HEAD_SIZE or examined > _DETECT_LIMIT:
                    break
        finally:
            text.detach()
    return "".join(parts).encode("utf-8", "surrogateescape")


def detect_format(path: Path) -> str:
    """Return the name of the format of `path`, told from its name and first (decompressed) bytes.

    A first record too long for the usual head is read whole (up to MAX_RECORD), and first lines
    too long or too deeply nested to read are passed over, so the records after them decide.
    """
    head = read_head(path)
    found = _sniffed(path, head)
    if found is None and len(head) >= HEAD_SIZE:
        for longer in (_long_head, _head_past_long_lines):
            try:
                found = _sniffed(path, longer(path))
            except READ_ERRORS:
                continue  # a damaged or exploding file: what was read said nothing
            if found is not None:
                break
    if found is not None:
        return found
    if not head.strip():
        what = "it is empty"
    elif nested_too_deep(head.decode("utf-8", "replace")):
        what = f"its JSON is nested more than {MAX_DEPTH} levels deep"
    else:
        what = "its content matches none of the known formats"
    raise UnknownFormat(
        f"cannot tell the format of {path.name}: {what}. "
        f"Pass the format explicitly (--format NAME), one of: {_names()}"
    )


def read_items(path: Path, fmt: str | None = None) -> Iterator[RawItem | Rejected]:
    """Yield the items of `path` in `fmt` (detected when None), streaming; bad pieces come as Rejected.

    Raise UnknownFormat when `fmt` is unknown or the format cannot be told; a file that cannot be
    read yields one Rejected for the file, and one that breaks off partway yields the items before
    the break and then a Rejected.
    """
    try:
        format_ = get_format(fmt) if fmt is not None else get_format(detect_format(path))
        with open_input(path) as stream:
            yield from format_.iter_items(stream)
    except UnknownFormat:
        raise
    except _UNREADABLE as exc:
        yield _unreadable(path, exc)


def readable_in_parts(path: Path, fmt: str) -> bool:
    """Tell whether `path`, in format `fmt`, can be read in parts at once: one item per line, and
    stored uncompressed (a compressed stream can only be read from its start)."""
    return get_format(fmt).iter_part is not None and plain_file(path)


def read_part_items(
    path: Path, fmt: str, share: int, shares: int, part_bytes: int | None = None
) -> Iterator[tuple[int, Iterator[RawItem | Rejected]]]:
    """Yield (number, items) for the parts of `path` numbered `share`, `share + shares`, ... .

    The file is cut about every `part_bytes` (default PART_BYTES) bytes, each cut moved on to the
    next line's start, so `shares` processes, each given its own `share`, read every line once
    between them, and the items of part 0, 1, 2... in turn are exactly what `read_items` yields,
    bad lines and their line numbers included. Each part's items must be read before the next
    part is asked for. Every process reads the whole file's bytes to number the lines, but maps
    only its own parts.
    """
    format_ = get_format(fmt)
    read_part = format_.iter_part
    if read_part is None:
        raise UnknownFormat(f"{fmt} files cannot be read in parts: one process reads them")
    part_bytes = part_bytes or PART_BYTES
    size = path.stat().st_size
    with path.open("rb") as raw:
        number, start, line = 0, 0, 1
        while start < size:
            cut = (number + 1) * part_bytes
            end = size if cut >= size else max(start, line_start(raw, cut))
            if number % shares == share:
                yield number, _part(path, start, end, line, read_part)
            raw.seek(start)
            line += count_lines(raw, end - start)
            start = end
            number += 1


def _part(
    path: Path, start: int, end: int, line: int, read_part: Callable[[Any, int], Iterator[RawItem | Rejected]]
) -> Iterator[RawItem | Rejected]:
    try:
        with path.open("rb") as raw:
            raw.seek(start)
            yield from read_part(io.BufferedReader(Window(raw, end - start)), line)
    except _UNREADABLE as exc:
        yield _unreadable(path, exc)


def _unreadable(path: Path, exc: BaseException) -> Rejected:
    """Return the rejection of the rest of `path`, which could not be read past `exc`."""
    return Rejected(f"the file cannot be read (further): {exc}", "", f"file {path.name}")


def payload_text(item: RawItem) -> str:
    """Return the text to keep of `item`: JSON that `map_item` can map again after loading it.

    That is the exact text the item was read from where that is its payload's own JSON (a line
    of JSON Lines), and otherwise the payload serialised (a CSV row as an object of its columns,
    a feed entry, an element of a JSON array).
    """
    if item.raw is not None and get_format(item.format).raw_is_json:
        return item.raw
    return orjson.dumps(item.payload, default=str).decode()


def map_item(item: RawItem) -> PostDraft | str | None:
    """Map `item` to a post, or return why it is no post; raise ValueError when it is malformed.

    None comes back only for an item of a metadata-only format (which yields none itself).
    """
    mapper = get_format(item.format).map
    return None if mapper is None else mapper(item.payload)
