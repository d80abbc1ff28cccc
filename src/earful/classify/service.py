"""The taxonomy in use: load a new version, read the current one, seed the default."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from earful.classify.policies import can_edit_taxonomy
from earful.kit.clock import as_utc
from earful.kit.errors import EarfulError, Forbidden
from earful.ml.taxonomy import Taxonomy, TaxonomyError, from_dict, load_default
from earful.store.db import Database
from earful.store.repos import audit as audit_repo
from earful.store.repos import taxonomy as taxonomy_repo


@dataclass(frozen=True, slots=True)
class CurrentTaxonomy:
    """The newest taxonomy version and what it holds."""

    version: int
    taxonomy: Taxonomy


# Versions never change once saved, so each is loaded from the database once per process: pages
# that show the taxonomy (the feed, every post) then ask only which version is newest.
# The key holds the row's creation time too: a test database emptied and refilled reuses ids.
_LOADED: dict[tuple[str, int, int, str], CurrentTaxonomy] = {}


def current(db: Database) -> CurrentTaxonomy | None:
    """Return the taxonomy in use, or None when none has been loaded."""
    with db.read() as session:
        latest = taxonomy_repo.latest(session)
        if latest is None:
            return None
        key = (db.url, latest.id, latest.version, str(latest.created_at))
        found = _LOADED.get(key)
        if found is None:
            if len(_LOADED) > 32:
                _LOADED.clear()
            found = _LOADED[key] = CurrentTaxonomy(latest.version, taxonomy_repo.load(session, latest))
        return found


def save_version(
    db: Database, taxonomy: Taxonomy, *, note: str | None = None, user_id: int | None = None
) -> int:
    """Save `taxonomy` as a new version, unless it is the same as the current one; return the version.

    Labels record the version they were made under, so an unchanged reload must not start a new one.
    """
    with db.write() as session:
        latest = taxonomy_repo.latest(session)
        if latest is not None and taxonomy_repo.load(session, latest) == taxonomy:
            return latest.version
        return taxonomy_repo.save(session, taxonomy, note=note, user_id=user_id).version


def ensure_default(db: Database) -> int:
    """Load the default taxonomy when none is loaded yet; return the version in use."""
    found = current(db)
    if found is not None:
        return found.version
    return save_version(db, load_default(), note="default taxonomy")


def submit(
    db: Database, data: Any, *, role: str, user_id: int | None, actor: str, note: str | None = None
) -> int:
    """Validate a taxonomy sent as data (the YAML's structure) and save it as a new version,
    unless it is unchanged; return the version in use. Takes the lead role or higher."""
    if not can_edit_taxonomy(role):
        raise Forbidden("Changing the taxonomy takes the lead role or higher.")
    try:
        taxonomy = from_dict(data, "the submitted taxonomy")
    except TaxonomyError as exc:
        raise EarfulError(str(exc)) from None
    before = current(db)
    version = save_version(db, taxonomy, note=note, user_id=user_id)
    if before is None or before.version != version:
        with db.write() as session:
            audit_repo.append(session, user_id, actor, "taxonomy.load", f"taxonomy:{version}", {"note": note})
    return version


@dataclass(frozen=True, slots=True)
class VersionRow:
    """One saved taxonomy version, as the taxonomy page's history lists it."""

    version: int
    name: str
    note: str | None
    saved_by: str | None
    saved_at: datetime
    categories: int


def history(db: Database, limit: int = 50) -> list[VersionRow]:
    """Return the saved taxonomy versions, newest first."""
    with db.read() as session:
        return [
            VersionRow(version, name, note, who, as_utc(at) or at, n)
            for version, name, note, who, at, n in taxonomy_repo.versions(session, limit)
        ]


def post_counts(db: Database) -> dict[str, int]:
    """Return how many posts each category and subcategory key holds (duplicates counted once)."""
    with db.read() as session:
        return taxonomy_repo.post_counts(session)
