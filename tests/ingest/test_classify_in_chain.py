"""Enrichment labels posts with the taxonomy in use and scores urgency; a new taxonomy relabels."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from sqlalchemy import select

import earful.ingest.jobs  # noqa: F401 - registers the enrichment job that drain runs
from earful.classify.service import ensure_default, save_version
from earful.ingest.service import get_or_create_source, iter_import, requeue_enrichment
from earful.jobs.queue import drain
from earful.ml.taxonomy import load_default
from earful.settings import Settings
from earful.store.db import Database
from earful.store.models import Category, Label, Post
from earful.triage.feed import feed

POSTS = [
    {"id": "1", "text": "The app crashed and logged me out three times today"},
    {"id": "2", "text": "Got robbed at gunpoint on my last stop, van taken"},
    {"id": "3", "text": "lovely sunset over the depot tonight"},
]


def _labels(db: Database) -> dict[str, list[tuple[str, int]]]:
    with db.read() as session:
        rows = session.execute(
            select(Post.external_id, Category.key, Label.taxonomy_version)
            .join(Label, Label.post_id == Post.id)
            .join(Category, Category.id == Label.category_id)
        )
        found: dict[str, list[tuple[str, int]]] = {}
        for ext, key, version in rows:
            found.setdefault(ext, []).append((key, version))
        return found


def test_posts_are_labelled_scored_and_relabelled_under_a_new_taxonomy(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    ensure_default(db)
    path = tmp_path / "posts.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in POSTS))
    get_or_create_source(db, "drivers")
    iter_import(db, settings, path, "drivers")
    drain(db, settings)
    labels = _labels(db)
    assert labels["1"][0] == ("app.crashes_login", 1)
    assert ("safety.violence", 1) in labels["2"]
    assert "3" not in labels
    with db.read() as session:
        urgency = {p.external_id: p.urgency for p in session.scalars(select(Post))}
    assert (urgency["2"] or 0) >= 0.8 and (urgency["1"] or 0) < 0.2

    page = feed(db)
    robbed = next(p for p in page.posts if "gunpoint" in p.text)
    assert "Violence and robbery" in [c.name for c in robbed.categories]
    assert robbed.urgency_reasons == ("violence",)

    taxonomy = load_default()
    edited = tuple(
        replace(n, keywords=(*n.keywords, "sunset")) if n.key == "praise" else n for n in taxonomy.nodes
    )
    assert save_version(db, replace(taxonomy, nodes=edited)) == 2
    requeue_enrichment(db, settings)
    drain(db, settings)
    labels = _labels(db)
    assert labels["3"] == [("praise", 2)]
    assert all(version == 2 for found in labels.values() for _, version in found)
