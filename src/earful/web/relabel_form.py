"""The relabel forms: the post page's (which categories it shows ticked, what the analyst
changed) and the bulk one of the feed and queues (which categories to add and remove)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from earful.classify.service import current
from earful.store.db import Database
from earful.triage.feed import PostLabel


def shown_keys(labels: Sequence[PostLabel]) -> list[str]:
    """Return the keys of the categories the post shows: an analyst's where given, else the model's."""
    analyst = [label.key for label in labels if label.by == "analyst"]
    return analyst or [label.key for label in labels]


def category_choices(db: Database) -> list[tuple[str, str]]:
    """Return (key, name) of every category of the taxonomy in use, each followed by its
    subcategories, named "Category > Subcategory"."""
    in_use = current(db)
    if in_use is None:
        return []
    found = []
    for node in in_use.taxonomy.categories:
        found.append((node.key, node.name))
        found.extend(
            (child.key, f"{node.name} > {child.name}") for child in in_use.taxonomy.children(node.key)
        )
    return found


def values(raw: Any) -> list[str]:
    """Return a form field's values as a list of non-empty strings (one value, several, or none)."""
    if raw is None:
        return []
    return [str(value) for value in (raw if isinstance(raw, list) else [raw]) if value]


def changed_categories(form: dict[str, Any]) -> list[str] | None:
    """Return the categories ticked in the form, or None when they are the ones it showed ticked.

    The form sends every ticked box, untouched ones too; comparing with what it showed is how a
    sentiment-only correction leaves the categories (and the model's labels) as they were.
    """
    ticked = values(form.get("categories"))
    if set(ticked) == set(values(form.get("categories_shown"))):
        return None
    return ticked
