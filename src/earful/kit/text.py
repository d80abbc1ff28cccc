"""Make strangers' strings safe to store in any database, and to write into any document."""

from __future__ import annotations

import re

# C0 controls but tab, newline and carriage return; DEL and the C1 controls; lone surrogates; and
# U+FFFE and U+FFFF. XML 1.0 refuses all but DEL and C1 (so XLSX, and the HTML a PDF is made from,
# cannot hold them), UTF-8 cannot encode a lone surrogate, and none of them shows as anything.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_BREAKS = re.compile("[\t\n\r]+")


def storable(value: str) -> str:
    """Return `value` without NUL characters or lone surrogates, which PostgreSQL and UTF-8 refuse."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value


def printable(value: str, *, one_line: bool = False) -> str:
    """Return `value` without the characters spreadsheets, PDFs and email refuse or cannot show.

    Tab, newline and carriage return stay, unless `one_line` (for headers, titles, sheet names),
    which turns each run of them into one space.
    """
    value = _UNPRINTABLE.sub("", value)
    return _BREAKS.sub(" ", value) if one_line else value
