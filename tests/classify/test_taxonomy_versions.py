"""Taxonomy versions in the store: each edit is a new version; an unchanged reload is not."""

from __future__ import annotations

from dataclasses import replace

from earful.classify.service import current, ensure_default, save_version
from earful.ml.taxonomy import load_default
from earful.store.db import Database


def test_the_default_is_seeded_once_and_edits_make_new_versions(db: Database) -> None:
    assert current(db) is None
    assert ensure_default(db) == 1
    assert ensure_default(db) == 1
    found = current(db)
    assert found is not None and found.taxonomy == load_default()
    assert save_version(db, load_default()) == 1  # unchanged: same version
    edited = load_default()
    first = edited.nodes[0]
    edited = replace(edited, nodes=(replace(first, description="Edited."), *edited.nodes[1:]))
    assert save_version(db, edited, note="clearer wording") == 2
    latest = current(db)
    assert latest is not None and latest.version == 2
    assert latest.taxonomy.nodes[0].description == "Edited."
    assert [n.key for n in latest.taxonomy.nodes] == [n.key for n in load_default().nodes]
