"""Numbers at the edge: one check for the ids and counts that arrive in forms, paths, queries and bodies.

`str.isdigit()` admits superscripts that `int()` refuses, a database integer stops at 2^63 - 1, and
Python refuses to convert more than 4,300 digits: so a number is ASCII digits, a bounded count of
them, inside the range its field allows, or a 4xx that says what to send.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import BaseModel, BeforeValidator, Field, model_validator

from earful.kit.errors import Invalid

MAX_ID = 2**63 - 1  # the largest value a BIGINT column (and SQLite's INTEGER) holds
_DIGITS = re.compile(r"[0-9]{1,19}")  # 19 digits hold every id; more is refused before int()

ID_ADVICE = f"must be an id, a whole number from 1 to {MAX_ID}"


def _id_text(value: Any) -> Any:
    """Turn an id typed in an address or query string into an int, refusing anything but ASCII digits."""
    if isinstance(value, str):
        if not _DIGITS.fullmatch(value) or not 1 <= int(value) <= MAX_ID:
            raise ValueError(ID_ADVICE)
        return int(value)
    return value


def _json_whole(value: Any) -> Any:
    """Refuse true/false and text where JSON must hold a number (lax validation would take them)."""
    if isinstance(value, bool | str):
        raise ValueError("must be a JSON number, not true, false or text")
    return value


JSON_NUMBER = BeforeValidator(_json_whole)
# The FieldInfo goes first in each, so the bounds reach the OpenAPI document as minimum/maximum.
# In JSON bodies: a number (7 or 7.0), never `true` or "7".
Id = Annotated[int, Field(ge=1, le=MAX_ID, description="An id: a whole number from 1."), JSON_NUMBER]
# In addresses and query strings, which are text: ASCII digits only, in range.
PathId = Annotated[int, Path(ge=1, le=MAX_ID), BeforeValidator(_id_text)]
QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID), BeforeValidator(_id_text)]


def exact_bounds(document: Any) -> Any:
    """Put the exact MAX_ID back in an OpenAPI document whose model stored bounds as floats.

    2^63 - 1 as a float is 2^63, one past the largest id, so a client reading the document would
    think 2^63 allowed.
    """
    if isinstance(document, dict):
        return {
            key: MAX_ID if key in ("maximum", "le") and value == float(MAX_ID) else exact_bounds(value)
            for key, value in document.items()
        }
    if isinstance(document, list):
        return [exact_bounds(item) for item in document]
    return document


def whole_number(
    raw: Any, field: str, label: str, low: int, high: int, *, unit: str = "", advice: str = ""
) -> int | None:
    """Return the form value as an int in low..high (None when empty), or raise Invalid saying so."""
    text = str(raw if raw is not None else "").strip()
    if not text:
        return None
    found = int(text) if _DIGITS.fullmatch(text) else None
    if found is None or not low <= found <= high:
        of = f" of {unit}" if unit else ""
        raise Invalid(field, f"{label} must be a whole number{of} from {low} to {high}{advice}.")
    return found


def form_id(raw: Any, field: str, label: str) -> int | None:
    """Return the form value as an id (None when empty), or raise Invalid saying what to send."""
    return whole_number(raw, field, label, 1, MAX_ID)


NO_NUL = r"^[^\x00]*$"  # PostgreSQL text and JSON cannot hold a NUL character


def storable(value: Any, depth: int = 0) -> Any:
    """Return JSON `value` unchanged, or raise ValueError when a database could not store it.

    NUL characters (PostgreSQL refuses them in text and JSON), integers past 64 bits (the JSON
    writer refuses them) and nesting past 32 levels come back as a 4xx instead of a 500.
    """
    if depth > 32:
        raise ValueError("is nested too deeply (at most 32 levels)")
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("must not contain NUL characters (\\u0000)")
    elif isinstance(value, bool):
        pass
    elif isinstance(value, int):
        if not -(2**63) <= value < 2**64:
            raise ValueError("holds a whole number larger than 64 bits")
    elif isinstance(value, dict):
        for key, item in value.items():
            storable(key, depth + 1)
            storable(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            storable(item, depth + 1)
    return value


class ApiBody(BaseModel):
    """A JSON request body whose every value the database can store."""

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        return storable(data)
