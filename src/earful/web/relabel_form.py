"""The post page's relabel form: which categories it shows ticked, and what the analyst changed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from earful.triage.feed import PostLabel


def shown_keys(labels: Sequence[PostLabel]) -> list[str]:
    """Return the keys of the categories the post shows: an analyst's where given, else the model's."""
    analyst = [label.key for label in labels if label.by == "analyst"]
    return analyst or [label.key for label in labels]


def _values(raw: Any) -> list[str]:
    if raw is None:
        return []
    return [str(value) for value in (raw if isinstance(raw, list) else [raw]) if value]


def changed_categories(form: dict[str, Any]) -> list[str] | None:
    """Return the categories ticked in the form, or None when they are the ones it showed ticked.

    The form sends every ticked box, untouched ones too; comparing with what it showed is how a
    sentiment-only correction leaves the categories (and the model's labels) as they were.
    """
    ticked = _values(form.get("categories"))
    if set(ticked) == set(_values(form.get("categories_shown"))):
        return None
    return ticked
