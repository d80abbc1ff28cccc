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


def test_history_and_post_counts_follow_the_labels_a_post_shows(db: Database) -> None:
    from sqlalchemy import update

    from earful.classify.service import history, post_counts
    from earful.store.models import Post
    from tests.factories import label, make_posts, make_source

    ids = make_posts(db, make_source(db), ["crash", "crash and gps", "gps", "a copy of the crash"])
    label(db, ids[:2], "app.crashes_login")
    label(db, ids[1:3], "app.gps_maps")
    label(db, [ids[2]], "pay.tips", by="analyst")  # the analyst's label replaces the model's GPS
    label(db, [ids[3]], "app.crashes_login")
    with db.write() as session:
        session.execute(update(Post).where(Post.id == ids[3]).values(duplicate_of=ids[0]))
    counts = post_counts(db)
    assert counts["app.crashes_login"] == 2 and counts["app.gps_maps"] == 1
    assert counts["app"] == 2  # the post in two subcategories counts once
    assert counts["pay"] == counts["pay.tips"] == 1
    (only,) = history(db)
    assert (only.version, only.note, only.saved_by, only.categories) == (1, "test", None, 36)
