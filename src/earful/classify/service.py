"""The taxonomy in use: load a new version, read the current one, seed the default."""

from __future__ import annotations

from dataclasses import dataclass

from earful.ml.taxonomy import Taxonomy, load_default
from earful.store.db import Database
from earful.store.repos import taxonomy as taxonomy_repo


@dataclass(frozen=True, slots=True)
class CurrentTaxonomy:
    """The newest taxonomy version and what it holds."""

    version: int
    taxonomy: Taxonomy


def current(db: Database) -> CurrentTaxonomy | None:
    """Return the taxonomy in use, or None when none has been loaded."""
    with db.read() as session:
        latest = taxonomy_repo.latest(session)
        if latest is None:
            return None
        return CurrentTaxonomy(latest.version, taxonomy_repo.load(session, latest))


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
