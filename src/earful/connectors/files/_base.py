"""What a file format is, and the small helpers every format shares."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import orjson

from earful.contracts import PostDraft, RawItem, Rejected

# Marker key that `_jsondoc` writes into every object left open where a JSON text breaks off, so a
# half-read item can be told from a whole one after the text has been closed and parsed.
TRUNCATED = "__earful_truncated__"

# Quarantine keeps enough of a bad piece to see what went wrong, not a whole broken file.
QUARANTINE_LIMIT = 64 * 1024
# Bytes that are not UTF-8: the file is most often Latin-1 or Windows-1252, as spreadsheets save.
BAD_BYTES = (
    "invalid UTF-8 bytes in this {what}: save the file as UTF-8 (in a spreadsheet: CSV UTF-8) and "
    "import it again; rows already imported are not repeated"
)
# The most characters one line, CSV row, JSON record or JSON document read whole may have: memory
# stays bounded whatever a file holds, and a longer piece is quarantined while the rest is read.
MAX_RECORD = 16 << 20
# The deepest a JSON value may nest. Python's parser and serialisers recurse, and a value nested
# thousands deep would end the whole import; real payloads stay far below (a Reddit comment tree
# ten replies deep is about 60).
MAX_DEPTH = 200
# A whole string (so brackets inside strings are not counted), an unterminated one, or a bracket.
JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|"|[\[\]{}]', re.DOTALL)

Stream = io.BufferedIOBase
ItemOrRejected = RawItem | Rejected


class UnknownFormat(ValueError):
    """The format of a file cannot be told, or a format name is not known."""


@dataclass(frozen=True, slots=True)
class Format:
    """One file import format: how to recognise it, read its items and map one to a post.

    `map` is None for a metadata-only format, which yields no items. `raw_is_json` says whether
    an item's `raw` text, when it has one, is its payload's own JSON (a JSON Lines line is; a
    CSV line is not). `iter_part` is set for a format of one item per line, which can be read in
    parts, each from a line's start, by several processes at once: it reads one such part given
    the number of its first line in the file.
    """

    name: str
    summary: str
    sniff: Callable[[Path, bytes], bool]
    iter_items: Callable[[Stream], Iterator[ItemOrRejected]]
    map: Callable[[Any], PostDraft | str] | None
    raw_is_json: bool = True
    iter_part: Callable[[Stream, int], Iterator[ItemOrRejected]] | None = None


def content_id(*parts: str) -> str:
    """Return a stable id for content that carries none: `sha256:` and the hex digest of `parts`."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
    return f"sha256:{digest}"


def json_id(value: Any) -> str:
    """Return a stable content id for a JSON value."""
    try:
        text = orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    except TypeError:
        text = repr(value)
    return content_id(text)


def has_bad_utf8(text: str) -> bool:
    """Tell whether `text` holds bytes that were not valid UTF-8 (decoded as lone surrogates)."""
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def quarantine_text(text: str, size: int | None = None) -> str:
    """Return `text` safe to store in quarantine: bad bytes as `\\xNN` escapes, length capped.

    `size` is the length of the whole piece when `text` is only its beginning.
    """
    size = len(text) if size is None else size
    if size > len(text) or len(text) > QUARANTINE_LIMIT:
        text = text[:QUARANTINE_LIMIT]
        text += f"…[cut: the first {len(text):,} of {size:,} characters are kept]"
    if not has_bad_utf8(text):
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def too_long(what: str, size: int) -> str:
    """Return the quarantine reason for a piece of `size` characters over MAX_RECORD."""
    return (
        f"{what} is {size:,} characters, over the limit of {MAX_RECORD:,}; "
        "it was skipped and the rest of the file read"
    )


TOO_DEEP = f"JSON nested more than {MAX_DEPTH} levels deep; it was skipped and the rest of the file read"


def nested_too_deep(text: str) -> bool:
    """Tell whether the JSON in `text` opens more than MAX_DEPTH arrays or objects inside each other."""
    # Counting is quick and settles almost every real record: it cannot nest deeper than it has brackets.
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return False
    depth = 0
    for match in JSON_TOKEN.finditer(text):
        piece = match.group()
        if piece == '"':
            return False  # an unterminated string: nothing after it is structure
        if piece in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif piece in "]}":
            depth -= 1
    return False


def quarantine_json(value: Any) -> str:
    """Return a JSON value serialised for quarantine, whatever it holds."""
    try:
        return quarantine_text(orjson.dumps(value).decode())
    except TypeError:
        return quarantine_text(repr(value))


def make_item(
    fmt: str, external_id: str, payload: Any, raw: str | None, location: str, *, from_orjson: bool = False
) -> ItemOrRejected:
    """Return a RawItem, or a Rejected when its text is not valid UTF-8 or the file cut it off.

    `from_orjson` says the payload is what orjson.loads made of `raw`, which orjson always
    serialises again (it refuses lone surrogates and numbers it cannot write when reading), so
    the check below is skipped: a JSON Lines import saves a serialisation per line.
    """
    if raw is not None and has_bad_utf8(raw):
        return Rejected(BAD_BYTES.format(what="item"), quarantine_text(raw), location)
    if isinstance(payload, dict) and TRUNCATED in payload:
        return Rejected("item is cut off where the file breaks off", quarantine_json(payload), location)
    if from_orjson and raw is not None:
        return RawItem(format=fmt, external_id=external_id, payload=payload, raw=raw)
    try:
        # The store keeps payloads as JSON; checking here puts a bad item in quarantine with its
        # place in the file, instead of failing later without one.
        orjson.dumps(payload)
    except TypeError as exc:
        return Rejected(
            f"item is not valid UTF-8 or not plain JSON: {exc}", quarantine_json(payload), location
        )
    return RawItem(format=fmt, external_id=external_id, payload=payload, raw=raw)


def as_id(value: Any) -> str | None:
    """Return an id given as a string or an integer, as a string; anything else is no id."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value and not value.isspace():
        # Most ids have no spaces around them: testing the two ends spares a copy of each.
        return value.strip() if value[0].isspace() or value[-1].isspace() else value
    return None


def aliases(*values: Any) -> tuple[str, ...]:
    """Return the author's other names and ids given (display name, account id), blanks left out."""
    found = (as_id(value) for value in values)
    return tuple(dict.fromkeys(name for name in found if name is not None))


def obj(value: Any) -> dict[str, Any]:
    """Return `value` when it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def as_text(value: Any) -> str | None:
    """Return `value` when it is a non-blank string, else None."""
    # isspace() stops at the first other character; strip() would copy the whole text first.
    if isinstance(value, str) and value and not value.isspace():
        return value
    return None


def counts(source: Any, **fields: str) -> dict[str, int]:
    """Return engagement counts: each output name taken from a dotted path in `source` holding an int."""
    out: dict[str, int] = {}
    for name, path in fields.items():
        value = source
        for key in path.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, int) and not isinstance(value, bool):
            out[name] = value
    return out


_TWITTER_TIME = "%a %b %d %H:%M:%S %z %Y"
_EPOCH = re.compile(r"\d{9,17}(?:\.\d+)?")


def parse_time(value: Any) -> datetime | None:
    """Return `value` as an aware UTC datetime; None when empty; raise ValueError when unreadable.

    Reads ISO 8601, RFC 2822, Twitter v1.1 (`Fri Jul 12 23:40:37 +0000 2019`) and Unix epochs in
    seconds, milliseconds or microseconds. A time without a zone is taken as UTC.
    """
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_epoch(float(value))
    # The reason is stored in clear with the quarantined item (which is sealed): it never quotes
    # the value, which may be anything, a person's name or number in a shifted column included.
    if not isinstance(value, str):
        raise ValueError(f"not a date: a {type(value).__name__}")
    text = value.strip()
    # An epoch has a digit where an ISO date has its first "-": most dates skip the pattern.
    if text[4:5] != "-" and _EPOCH.fullmatch(text):
        return _from_epoch(float(text))
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = _parse_other(text)
    if parsed is None:
        raise ValueError(f"unreadable date ({len(text)} characters; not ISO 8601, RFC 2822 or Unix time)")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _parse_other(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, _TWITTER_TIME)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None


def _from_epoch(seconds: float) -> datetime:
    # Exports mix units; no real post predates 1973 or postdates 5138, so magnitude tells them apart.
    if seconds > 1e14:
        seconds /= 1e6
    elif seconds > 1e11:
        seconds /= 1e3
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise ValueError(f"date out of range: {seconds}") from exc
