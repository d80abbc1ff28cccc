"""Make strangers' strings safe to store in any database."""

from __future__ import annotations


def storable(value: str) -> str:
    """Return `value` without NUL characters or lone surrogates, which PostgreSQL and UTF-8 refuse."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value
